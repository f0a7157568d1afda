//! Strings of the everyday tools in the frame: the global search and the notification centre.

use super::messages;

messages! {
    /// The global search (Ctrl+K).
    SearchText {
        Open => "搜索客户、联系人、线索、商机、工单、产品…", "Search customers, contacts, leads, deals, tickets, products…";
        Short => "搜索…", "Search…";
        Label => "全局搜索", "Search everything";
        Placeholder => "姓名、电话、邮箱、工单号…", "Name, phone, email, ticket number…";
        TooShort => "请输入至少 1 个汉字，或 3 个字母、4 位数字", "Type at least one Chinese character, three letters or four digits";
        NoHits => "没有找到匹配“{query}”的记录", "Nothing matches “{query}”";
        Searching => "搜索中…", "Searching…";
        Keys => "↑↓ 选择 · Enter 打开 · Esc 关闭", "↑↓ to choose · Enter to open · Esc to close";
        Customers => "客户", "Customers";
        Contacts => "联系人", "Contacts";
        Leads => "线索", "Leads";
        Opportunities => "商机", "Opportunities";
        Tickets => "工单", "Tickets";
        Products => "产品", "Products";
    }
}

messages! {
    /// The notification centre, its emails and the preferences.
    NotifyText {
        Bell => "通知", "Notifications";
        BellUnread => "通知（{n} 条未读）", "Notifications ({n} unread)";
        Empty => "没有通知", "No notifications";
        MarkRead => "标为已读", "Mark read";
        MarkAllRead => "全部标为已读", "Mark all read";
        Someone => "系统", "Guanxi";
        LeadAssigned => "{actor} 把线索“{title}”分配给了你", "{actor} assigned you the lead “{title}”";
        CustomerAssigned => "{actor} 把客户“{title}”交给了你", "{actor} made you the owner of the customer “{title}”";
        OpportunityAssigned => "{actor} 把商机“{title}”交给了你", "{actor} made you the owner of the opportunity “{title}”";
        TicketAssigned => "{actor} 把工单“{title}”分配给了你", "{actor} assigned you the ticket “{title}”";
        TaskAssigned => "{actor} 给你安排了任务“{title}”", "{actor} gave you the task “{title}”";
        TaskDue => "任务“{title}”到期了", "The task “{title}” is due";
        TicketBreaching => "工单“{title}”即将超出 SLA（{excerpt} 到期）", "The ticket “{title}” is close to breaching its SLA (due {excerpt})";
        TicketBreached => "工单“{title}”已超出 SLA", "The ticket “{title}” breached its SLA";
        DetractorFollowUp => "需要回访贬损者：“{title}”", "A detractor to follow up: “{title}”";
        Mention => "{actor} 在“{title}”中提到了你：{excerpt}", "{actor} mentioned you on “{title}”: {excerpt}";
        EmailOpen => "打开：{url}", "Open it: {url}";
        EmailFooter => "你收到这封邮件，是因为你在 Guanxi 的通知设置中选择了邮件。可以在“我的账户”中修改。", "You get this email because your Guanxi notification settings ask for email. Change them under My account.";
        DigestSubject => "Guanxi 每日通知摘要：{n} 条", "Guanxi daily digest: {n} notifications";
        Preferences => "通知设置", "Notifications";
        PreferencesHelp => "每种通知可以只在铃铛里显示、同时发邮件，或者关闭。", "Each kind of notification can show under the bell only, also come by email, or be off.";
        Kind => "通知类型", "Kind";
        ChannelInApp => "仅站内", "In the app";
        ChannelEmail => "站内和邮件", "In the app and by email";
        ChannelOff => "关闭", "Off";
        Digest => "邮件汇总成每日一封摘要（早上 8 点）", "Gather emails into one daily digest (8 in the morning)";
        Saved => "通知设置已保存", "Notification settings saved";
        KindLeadAssigned => "分配给我的线索", "Leads assigned to me";
        KindCustomerAssigned => "交给我的客户", "Customers given to me";
        KindOpportunityAssigned => "交给我的商机", "Opportunities given to me";
        KindTicketAssigned => "分配给我的工单", "Tickets assigned to me";
        KindTaskAssigned => "别人给我安排的任务", "Tasks others give me";
        KindTaskDue => "任务到期", "Tasks falling due";
        KindTicketBreaching => "工单即将超出 SLA", "Tickets close to breaching";
        KindTicketBreached => "工单超出 SLA", "Tickets that breached";
        KindDetractorFollowUp => "贬损者回访", "Detractor follow-ups";
        KindMention => "有人 @ 我", "Mentions of me";
        SlaWarningPercent => "SLA 用掉多少时提醒（%）", "Warn when this share of an SLA is used (%)";
    }
}
