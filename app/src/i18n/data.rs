//! Strings of the company settings and of exports.

use super::messages;

messages! {
    /// The company settings page.
    CompanyText {
        Title => "公司设置", "Company settings";
        TimeZone => "时区", "Time zone";
        TimeZoneHelp => "日、周、月都按这个时区计算：预测与配额的月份、活跃与沉默的判断、RFM 窗口、服务时间和每晚的任务；页面上的时间也按它显示。", "Days, weeks and months are counted in this zone: forecast and quota months, active and silent customers, RFM windows, service hours and the nightly jobs; times on every page are shown in it too.";
        OtherZone => "其他时区（IANA 名称，如 Europe/Madrid）", "Another zone (an IANA name such as Europe/Madrid)";
        Saved => "公司设置已保存", "Company settings saved";
        RecycleBinDays => "回收站保留天数", "Days the recycle bin keeps deleted records";
        RecycleBinHelp => "删除的记录先进入回收站，管理员可以恢复。每晚永久清除超过这个天数的已删除任务；已删除的客户连同其订单一直保留，直到管理员恢复。", "Deleted records go to the recycle bin, where an admin can restore them. Each night, deleted tasks older than this many days are removed for good; deleted customers stay, with their orders, until an admin restores them.";
    }
}

messages! {
    /// Exports and the company archive.
    ExportText {
        Exports => "数据导出", "Data export";
        ExportsHelp => "导出的数据只包含你有权查看的记录。Excel 文件中电话和编号是文本，日期是日期，金额是带货币格式的数字。", "Exports hold only the records you may see. In Excel files phones and ids are text, dates are dates and money is a number in its currency.";
        Export => "导出", "Export";
        ExportExcel => "导出 Excel", "Export Excel";
        ExportCsv => "导出 CSV", "Export CSV";
        Format => "格式", "Format";
        Entity => "数据", "Data";
        From => "从", "From";
        To => "到", "To";
        Download => "下载", "Download";
        Orders => "订单", "Orders";
        OrderLines => "订单明细", "Order lines";
        ReportOrders => "报表订单", "Report orders";
        Interactions => "沟通记录", "Interactions";
        Leads => "线索", "Leads";
        Opportunities => "商机", "Opportunities";
        Tickets => "工单", "Tickets";
        Tasks => "任务", "Tasks";
        SurveyAnswers => "满意度答卷", "Survey answers";
        AuditLog => "审计日志", "Audit log";
        Customers => "客户", "Customers";
        Contacts => "联系人", "Contacts";
        Products => "产品", "Products";
        Points => "积分流水", "Points ledger";
        Archive => "全公司数据归档", "Whole-company archive";
        ArchiveHelp => "把公司的全部数据（每类一个文件，外加清单）打包成一个 ZIP，在后台生成，完成后可在此下载，保留 7 天。", "Packs all of the company's data (one file per kind, with a manifest) into one ZIP, built in the background; download it here when it is ready. Kept for 7 days.";
        StartArchive => "生成归档", "Build the archive";
        ArchiveQueued => "归档任务已开始", "Archive job started";
        ArchiveFiles => "已生成的归档", "Archives built";
        NoArchives => "还没有归档", "No archives yet";
        Size => "大小", "Size";
        Created => "生成时间", "Built";
        Building => "生成中…", "Building…";
        Expires => "到期", "Expires";
    }
}

messages! {
    /// Column titles of exported files.
    ColumnText {
        Id => "编号", "ID";
        ExternalId => "外部编号", "External ID";
        Name => "名称", "Name";
        Kind => "性质", "Kind";
        CustomerType => "客户类型", "Customer type";
        Status => "状态", "Status";
        ActivityStatus => "活跃状态", "Activity";
        Stage => "阶段", "Stage";
        Phone => "电话", "Phone";
        Email => "邮箱", "Email";
        Region => "地区", "Region";
        Industry => "行业", "Industry";
        Owner => "负责人", "Owner";
        Tags => "标签", "Tags";
        Language => "沟通语言", "Language";
        OrderCount => "订单数", "Orders";
        TotalSpend => "消费总额", "Total spend";
        FirstOrder => "首次下单", "First order";
        LastOrder => "最近下单", "Last order";
        CustomerId => "客户编号", "Customer ID";
        CustomerExternalId => "客户外部编号", "Customer external ID";
        Customer => "客户", "Customer";
        Title => "职务", "Title";
        Primary => "主要联系人", "Primary";
        OrderNo => "订单号", "Order number";
        OrderedAt => "下单时间", "Ordered at";
        Channel => "渠道", "Channel";
        Currency => "币种", "Currency";
        Total => "金额", "Total";
        NetOfRefunds => "金额（扣除退款）", "Amount less refunds";
        Lines => "明细行数", "Lines";
        Refunded => "已退款", "Refunded";
        Notes => "备注", "Notes";
        Sku => "产品编号", "SKU";
        Product => "产品", "Product";
        Category => "类别", "Category";
        Quantity => "数量", "Quantity";
        UnitPrice => "单价", "Unit price";
        LineTotal => "小计", "Line total";
        Active => "在售", "Active";
        OccurredAt => "时间", "When";
        Direction => "方向", "Direction";
        Subject => "主题", "Subject";
        Outcome => "结果", "Outcome";
        NextStep => "下一步", "Next step";
        NextStepDue => "下一步日期", "Next step due";
        By => "记录人", "By";
        CreatedAt => "创建时间", "Created";
        Company => "公司", "Company";
        Source => "来源", "Source";
        FirstContacted => "首次联系", "First contacted";
        Message => "留言", "Message";
        Opportunity => "商机", "Opportunity";
        Pipeline => "销售流程", "Pipeline";
        Amount => "金额", "Amount";
        ExpectedClose => "预计成交", "Expected close";
        ClosedAt => "关闭时间", "Closed";
        LostReason => "输单原因", "Lost reason";
        Priority => "优先级", "Priority";
        Assignee => "处理人", "Assignee";
        FirstResponseDue => "首次响应时限", "First response due";
        FirstRespondedAt => "首次响应", "First responded";
        ResolutionDue => "解决时限", "Resolution due";
        ResolvedAt => "解决时间", "Resolved";
        Breached => "超时", "Breached";
        Task => "任务", "Task";
        DueAt => "到期", "Due";
        DoneAt => "完成时间", "Done";
        Survey => "问卷", "Survey";
        AnsweredAt => "作答时间", "Answered";
        Csat => "满意度 (CSAT)", "CSAT";
        Nps => "推荐度 (NPS)", "NPS";
        Answers => "答案", "Answers";
        Agent => "服务人员", "Agent";
        At => "时间", "When";
        Points => "积分", "Points";
        Reason => "原因", "Reason";
        ExpiresAt => "到期", "Expires";
        Who => "操作人", "Who";
        Action => "操作", "Action";
        EntityType => "对象", "Object";
        EntityId => "对象编号", "Object ID";
        ClientIp => "来源地址", "Client address";
        Before => "修改前", "Before";
        After => "修改后", "After";
        Yes => "是", "Yes";
        No => "否", "No";
    }
}
