//! Strings of the admin pages: users, teams, access, audit, jobs.

use super::{Locale, Text, messages};

messages! {
    /// Administration and background jobs.
    AdminText {
        UsersTitle => "用户", "Users";
        TeamsTitle => "团队", "Teams";
        AccessTitle => "数据权限", "Data access";
        AuditTitle => "审计日志", "Audit log";
        AnyRole => "全部角色", "Any role";
        Status => "状态", "Status";
        Active => "启用", "Active";
        Inactive => "停用", "Inactive";
        AllStatuses => "全部状态", "Any status";
        NewUser => "新建用户", "New user";
        EditUser => "编辑用户 {email}", "Edit user {email}";
        InitialPassword => "初始密码", "Initial password";
        UserCreated => "用户已创建", "User created";
        UserSaved => "用户已保存", "User saved";
        ResetPassword => "重置密码", "Reset password";
        PasswordReset => "密码已重置，该用户的所有会话已退出", "Password reset; all of the user's sessions were signed out";
        NewTeam => "新建团队", "New team";
        TeamName => "团队名称", "Team name";
        Members => "成员数", "Members";
        TeamCreated => "团队已创建", "Team created";
        TeamSaved => "团队已保存", "Team saved";
        AccessHelp => "设置每个角色能看到哪些记录：仅本人的、本团队的，或全部。修改在用户的下一次请求时生效。", "Set which records each role can see: their own, their team's, or all. Changes apply from each user's next request.";
        AccessSaved => "数据权限已保存", "Data access saved";
        AnyEntity => "全部对象", "Any object";
        AnyAction => "全部操作", "Any action";
        EntityType => "对象", "Object";
        EntityId => "对象编号", "Object id";
        Action => "操作", "Action";
        From => "开始日期", "From";
        To => "结束日期", "To";
        When => "时间", "When";
        Who => "操作人", "Who";
        Changes => "变更", "Changes";
        JobKind => "任务", "Job";
        Progress => "进度", "Progress";
        JobQueued => "排队中", "Queued";
        JobRunning => "运行中", "Running";
        JobSucceeded => "已完成", "Succeeded";
        JobFailed => "失败", "Failed";
        JobCancelled => "已取消", "Cancelled";
        JobMaintenance => "系统维护清理", "Maintenance clean-up";
        RunMaintenance => "立即运行维护", "Run maintenance now";
        JobStarted => "任务已加入队列", "Job queued";
        Retry => "重试", "Retry";
        System => "系统", "System";
        JobBackup => "数据库备份", "Database backup";
        BackupsTitle => "备份", "Backups";
        BackupNow => "立即备份", "Back up now";
        BackupQueued => "备份已加入队列", "Backup queued";
        BackupsOff => "此服务器未开启自动备份。设置备份目录 GUANXI_BACKUP_DIR 并重启后，每晚自动备份；也可以用 server backup 命令手动备份。", "This server does not back up by itself. Set the backup folder GUANXI_BACKUP_DIR and restart to back up every night; `server backup` backs up by hand.";
        BackupPlan => "每晚 2 点（公司时区）备份到 {folder}，保留最近 {keep} 份。", "Every night at 2:00 (company time) into {folder}, keeping the newest {keep}.";
        BackupVerifyOn => "每份备份都会恢复到一个临时数据库，逐表与清单核对行数和校验和。", "Each backup is restored into a scratch database and every table's rows and checksum are compared with its manifest.";
        BackupVerifyOff => "恢复核对已关闭（GUANXI_BACKUP_VERIFY=0）：备份未经验证。", "The restore check is off (GUANXI_BACKUP_VERIFY=0): backups are not verified.";
        LastUsableBackup => "最近一次可用备份", "Newest usable backup";
        NoUsableBackup => "还没有可用的备份。", "There is no usable backup yet.";
        BackupOverdue => "最近一次可用备份已超过 36 小时：请检查备份任务。", "The newest usable backup is more than 36 hours old: check the backup job.";
        BackupInProgress => "正在备份…", "Backing up…";
        Origin => "来源", "Started by";
        OriginNightly => "每晚自动", "Nightly";
        OriginAdmin => "管理员", "Admin";
        OriginCommand => "命令行", "Command line";
        Size => "大小", "Size";
        TablesAndRows => "表 / 行", "Tables / rows";
        Verification => "核对", "Check";
        Location => "位置", "Location";
        OutcomeRunning => "进行中", "Running";
        OutcomePassed => "恢复核对通过", "Restore check passed";
        OutcomeFailed => "恢复核对失败", "Restore check failed";
        OutcomeUnverified => "未核对", "Not checked";
        OutcomeError => "备份失败", "Backup failed";
    }
}

messages! {
    /// Names of audited actions and entity types.
    AuditText {
        Create => "创建", "Created";
        Update => "修改", "Updated";
        Rename => "重命名", "Renamed";
        Activate => "启用", "Activated";
        Deactivate => "停用", "Deactivated";
        SignIn => "登录", "Signed in";
        SignInFailed => "登录失败", "Failed sign-in";
        SignOut => "退出登录", "Signed out";
        SignOutOthers => "退出其他会话", "Signed out other sessions";
        PasswordChange => "修改密码", "Changed password";
        PasswordReset => "重置密码", "Reset password";
        ScopeChange => "修改数据权限", "Changed data access";
        Start => "启动", "Started";
        Retry => "重试", "Retried";
        Cancel => "取消", "Cancelled";
        Seed => "生成演示数据", "Created demo data";
        Delete => "删除", "Deleted";
        Restore => "恢复", "Restored";
        AssignOwner => "分配负责人", "Assigned owner";
        Tag => "添加标签", "Tagged";
        Merge => "合并", "Merged";
        MergeUndone => "撤销合并", "Undid merge";
        Dismiss => "标记为不重复", "Marked not duplicates";
        Upload => "上传", "Uploaded";
        Check => "开始检查", "Started check";
        Import => "开始导入", "Started import";
        Checked => "检查完成", "Checked";
        Imported => "导入完成", "Imported";
        Revert => "撤销导入", "Started revert";
        Reverted => "导入已撤销", "Reverted";
        Export => "导出", "Exported";
        Save => "保存", "Saved";
        User => "用户", "User";
        Team => "团队", "Team";
        RoleEntity => "角色", "Role";
        Job => "任务", "Job";
        Demo => "演示数据", "Demo data";
        Customer => "客户", "Customer";
        Order => "订单", "Order";
        Interaction => "互动", "Interaction";
        ImportEntity => "导入", "Import";
        Product => "产品", "Product";
        CustomField => "自定义字段", "Custom field";
        CustomerSettings => "客户设置", "Customer settings";
        DuplicatePair => "重复客户", "Duplicate pair";
    }
}

/// The label of an audited action; unknown actions show as recorded.
pub fn audit_action_label(action: &str, locale: Locale) -> String {
    let key = match action {
        "create" => AuditText::Create,
        "update" => AuditText::Update,
        "rename" => AuditText::Rename,
        "activate" => AuditText::Activate,
        "deactivate" => AuditText::Deactivate,
        "sign_in" => AuditText::SignIn,
        "sign_in_failed" => AuditText::SignInFailed,
        "sign_out" => AuditText::SignOut,
        "sign_out_others" => AuditText::SignOutOthers,
        "password_change" => AuditText::PasswordChange,
        "password_reset" => AuditText::PasswordReset,
        "scope_change" => AuditText::ScopeChange,
        "start" => AuditText::Start,
        "retry" => AuditText::Retry,
        "cancel" => AuditText::Cancel,
        "seed" => AuditText::Seed,
        "delete" => AuditText::Delete,
        "restore" => AuditText::Restore,
        "assign_owner" => AuditText::AssignOwner,
        "tag" => AuditText::Tag,
        "merge" => AuditText::Merge,
        "merge_undone" => AuditText::MergeUndone,
        "dismiss" => AuditText::Dismiss,
        "upload" => AuditText::Upload,
        "check" => AuditText::Check,
        "import" => AuditText::Import,
        "checked" => AuditText::Checked,
        "imported" => AuditText::Imported,
        "revert" => AuditText::Revert,
        "reverted" => AuditText::Reverted,
        "export" => AuditText::Export,
        "save" => AuditText::Save,
        other => return other.to_owned(),
    };
    key.text(locale).to_owned()
}

/// The label of an audited entity type; unknown types show as recorded.
pub fn entity_type_label(entity_type: &str, locale: Locale) -> String {
    let key = match entity_type {
        "user" => AuditText::User,
        "team" => AuditText::Team,
        "role" => AuditText::RoleEntity,
        "job" => AuditText::Job,
        "demo" => AuditText::Demo,
        "customer" => AuditText::Customer,
        "order" => AuditText::Order,
        "interaction" => AuditText::Interaction,
        "import" => AuditText::ImportEntity,
        "product" => AuditText::Product,
        "custom_field" => AuditText::CustomField,
        "customer_settings" => AuditText::CustomerSettings,
        "duplicate_pair" => AuditText::DuplicatePair,
        other => return other.to_owned(),
    };
    key.text(locale).to_owned()
}
