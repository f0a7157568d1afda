//! Strings of the frame and of widgets every page uses.

use super::messages;

messages! {
    /// Frame, navigation and generic actions.
    CommonText {
        AppTitle => "关系 Guanxi 客户关系管理", "Guanxi CRM";
        Loading => "加载中…", "Loading…";
        Language => "语言", "Language";
        Navigation => "导航", "Navigation";
        Menu => "菜单", "Menu";
        NavHome => "首页", "Home";
        NavJobs => "后台任务", "Background jobs";
        NavAccount => "我的账户", "My account";
        NavAdmin => "系统管理", "Administration";
        NotFoundTitle => "找不到这个页面", "This page does not exist";
        BackHome => "返回首页", "Back to the start page";
        Welcome => "欢迎回来，{name}", "Welcome back, {name}";
        LoadMore => "加载更多", "Load more";
        NothingFound => "没有找到记录", "Nothing found";
        Search => "搜索", "Search";
        Edit => "编辑", "Edit";
        Delete => "删除", "Delete";
        Create => "创建", "Create";
        Cancel => "取消", "Cancel";
        Save => "保存", "Save";
        Close => "关闭", "Close";
        Retry => "重试", "Try again";
        Days => "{n} 天", "{n} d";
        Hours => "{n} 小时", "{n} h";
        Minutes => "{n} 分钟", "{n} min";
        PageStopped => "页面出错停止了响应，需要重新加载。", "This page stopped working and needs to be loaded again.";
        PageCodeNotLoaded => "这部分页面的程序没能下载（网络断了吗？）。", "This part of Guanxi could not be downloaded (is the network down?).";
    }
}
