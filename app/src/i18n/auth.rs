//! Strings of sign-in, the account page and roles.

use super::messages;

messages! {
    /// Sign-in, account, sessions, roles and scopes.
    AuthText {
        SignInTitle => "登录", "Sign in";
        SignInSubtitle => "使用工作邮箱和密码登录关系客户管理系统", "Sign in to Guanxi with your work email and password";
        Email => "邮箱", "Email";
        Password => "密码", "Password";
        SignIn => "登录", "Sign in";
        SigningIn => "正在登录…", "Signing in…";
        SignOut => "退出登录", "Sign out";
        AccountTitle => "我的账户", "My account";
        ChooseNewPasswordTitle => "请设置新密码", "Choose a new password";
        ChooseNewPasswordHelp => "管理员为您重置了密码。请输入该密码，并设置只有您自己知道的新密码，然后才能继续使用。", "An administrator reset your password. Enter that password and choose a new one only you know before going on.";
        DisplayName => "姓名", "Name";
        Role => "角色", "Role";
        Team => "团队", "Team";
        NoTeam => "无团队", "No team";
        DataScope => "数据范围", "Data scope";
        RoleAdmin => "管理员", "Admin";
        RoleManager => "经理", "Manager";
        RoleMember => "成员", "Member";
        ScopeOwn => "仅本人的记录", "Own records only";
        ScopeTeam => "本团队的记录", "Own team's records";
        ScopeAll => "全部记录", "All records";
        LanguageHelp => "界面语言会保存在您的账户中。", "The interface language is saved with your account.";
        ChangePassword => "修改密码", "Change password";
        CurrentPassword => "当前密码", "Current password";
        NewPassword => "新密码", "New password";
        ConfirmPassword => "确认新密码", "Confirm new password";
        PasswordRule => "密码至少 {min} 个字符。", "Passwords have at least {min} characters.";
        PasswordChanged => "密码已修改，其他 {count} 个会话已退出。", "Password changed; {count} other sessions were signed out.";
        Sessions => "登录会话", "Signed-in sessions";
        SignOutOthers => "退出其他会话", "Sign out other sessions";
        OtherSessionsEnded => "已退出其他 {count} 个会话。", "Signed out {count} other sessions.";
        Device => "设备", "Device";
        Address => "网络地址", "Address";
        SignedInAt => "登录时间", "Signed in";
        LastActive => "最近活动", "Last active";
        ThisDevice => "当前设备", "This device";
    }
}
