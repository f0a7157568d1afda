//! Strings of customers, orders, interactions, the timeline, duplicates and imports.

use super::messages;

messages! {
    /// Customer list, form and 360 page.
    CustomerText {
        Customers => "客户", "Customers";
        NewCustomer => "新建客户", "New customer";
        EditCustomer => "编辑客户", "Edit customer";
        Id => "编号", "ID";
        Name => "名称", "Name";
        Kind => "客户性质", "Kind";
        KindCompany => "企业", "Company";
        KindIndividual => "个人", "Individual";
        Type => "客户类型", "Customer type";
        TypePotential => "潜在客户", "Potential";
        TypeExisting => "现有客户", "Existing";
        TypeFormer => "流失客户", "Former";
        ChurnReason => "流失原因", "Churn reason";
        Status => "活跃状态", "Activity";
        StatusPotential => "未下单", "No order yet";
        StatusActive => "活跃", "Active";
        StatusSilent => "沉默", "Silent";
        Stage => "生命周期", "Lifecycle stage";
        StagePotential => "潜在", "Potential";
        StageNew => "新客户", "New";
        StageRepeat => "复购", "Repeat";
        StageLoyal => "忠诚", "Loyal";
        Phone => "电话", "Phone";
        Email => "邮箱", "Email";
        Address => "地址", "Address";
        Region => "地区", "Region";
        Industry => "行业", "Industry";
        Source => "来源", "Source";
        SourceWebsite => "网站注册", "Website sign-up";
        SourceSocial => "社交媒体", "Social media";
        SourceReferral => "转介绍", "Referral";
        SourceEvent => "展会活动", "Event";
        SourceSalesVisit => "销售拜访", "Sales visit";
        SourceServiceDesk => "客服中心", "Service desk";
        SourceImport => "导入", "Import";
        SourceManual => "手工录入", "Entered by hand";
        SourceOther => "其他", "Other";
        Owner => "负责人", "Owner";
        Tags => "标签", "Tags";
        TagsHelp => "用逗号分隔多个标签", "Separate tags with commas";
        Birthday => "生日", "Birthday";
        Anniversary => "纪念日", "Anniversary";
        Notes => "备注", "Notes";
        Language => "沟通语言", "Preferred language";
        ExternalId => "外部编号", "External ID";
        ImportHistory => "导入订单和沟通记录", "Import orders and interactions";
        ExternalIdHelp => "客户在网店、ERP 或原 CRM 中的编号", "The customer's id in the shop, ERP or old CRM";
        Orders => "订单数", "Orders";
        TotalSpend => "累计消费", "Total spend";
        LastOrder => "最近下单", "Last order";
        FirstOrder => "首次下单", "First order";
        Never => "从未", "Never";
        Contacts => "联系人", "Contacts";
        ContactName => "联系人姓名", "Contact name";
        ContactTitle => "职务", "Title";
        PrimaryContact => "主要联系人", "Primary contact";
        AddContact => "添加联系人", "Add contact";
        Remove => "移除", "Remove";
        CustomFields => "自定义字段", "Custom fields";
        SearchPlaceholder => "搜索名称、电话、邮箱、联系人", "Search name, phone, email, contacts";
        AnyType => "全部类型", "Any type";
        AnyStatus => "全部状态", "Any activity";
        AnyStage => "全部阶段", "Any stage";
        AnyRegion => "全部地区", "Any region";
        AnyIndustry => "全部行业", "Any industry";
        AnyOwner => "全部负责人", "Any owner";
        MinSpend => "最低消费", "Min. spend";
        MaxSpend => "最高消费", "Max. spend";
        LastOrderFrom => "最近下单起", "Last order from";
        LastOrderTo => "最近下单止", "Last order to";
        Sort => "排序", "Sort";
        SortNewest => "最新创建", "Newest";
        SortSpend => "消费最高", "Highest spend";
        SortLastOrder => "最近下单", "Most recent order";
        SavedViews => "已保存视图", "Saved views";
        SaveView => "保存当前视图", "Save this view";
        ViewName => "视图名称", "View name";
        ViewSaved => "视图已保存", "View saved";
        ClearFilters => "清除筛选", "Clear filters";
        SelectAll => "全选", "Select all";
        Selected => "已选 {count} 个", "{count} selected";
        AllMatching => "所有符合条件的客户", "All matching customers";
        AssignOwner => "分配负责人", "Assign owner";
        AddTag => "添加标签", "Add tag";
        Export => "导出 CSV", "Export CSV";
        ExportGbk => "导出 CSV（GBK，适用于旧版 Excel）", "Export CSV (GBK, for older Excel)";
        BulkDone => "已更新 {count} 个客户", "Updated {count} customers";
        Created => "客户已创建", "Customer created";
        Saved => "客户已保存", "Customer saved";
        Deleted => "客户已移入回收站", "Customer moved to the recycle bin";
        Delete => "删除", "Delete";
        ConfirmDelete => "确定把这个客户移入回收站吗？", "Move this customer to the recycle bin?";
        KeyFacts => "关键信息", "Key facts";
        Timeline => "时间线", "Timeline";
        NothingYet => "暂无记录", "Nothing yet";
        QuickActions => "快捷操作", "Quick actions";
        LogInteraction => "记录互动", "Log interaction";
        AddOrder => "添加订单", "Add order";
        ChangeOwner => "更换负责人", "Change owner";
        Recommended => "推荐产品", "Recommended next products";
        RecommendedHelp => "购买过相同产品的客户也购买了", "Customers who bought the same products also bought";
        Support => "{count} 位客户", "{count} customers";
        NoRecommendations => "暂无推荐：需要更多订单数据。", "No recommendations yet: more order history is needed.";
        RecycleBin => "回收站", "Recycle bin";
        Restore => "恢复", "Restore";
        Restored => "客户已恢复", "Customer restored";
        DeletedAt => "删除时间", "Deleted";
        DeletedBy => "删除人", "Deleted by";
        Settings => "客户设置", "Customer settings";
        ActiveWindow => "活跃窗口（天）", "Active window (days)";
        ActiveWindowHelp => "在此天数内下过单的客户为活跃，否则为沉默。", "Customers with an order within this many days are active; otherwise silent.";
        LoyalOrders => "忠诚客户最少订单数", "Loyal: minimum orders";
        LoyalSpan => "忠诚客户最短跨度（天）", "Loyal: minimum span (days)";
        LoyalHelp => "订单数和首末单间隔都达到时为忠诚客户。", "Customers reaching both the order count and the span between first and last order are loyal.";
        SettingsSaved => "设置已保存", "Settings saved";
        FieldKey => "字段键", "Key";
        FieldLabelZh => "中文名称", "Chinese label";
        FieldLabelEn => "英文名称", "English label";
        FieldType => "字段类型", "Type";
        FieldChoices => "选项（逗号分隔）", "Choices (comma-separated)";
        FieldText => "文本", "Text";
        FieldNumber => "数字", "Number";
        FieldDate => "日期", "Date";
        FieldChoice => "选项", "Choice";
        NewField => "新建字段", "New field";
        FieldSaved => "字段已保存", "Field saved";
        Active => "启用", "Active";
        View => "查看", "Open";
        Products => "产品目录", "Products";
        Duplicates => "重复客户", "Duplicates";
        Import => "导入", "Import";
    }
}

messages! {
    /// Orders, products and interactions.
    OrderText {
        Order => "订单", "Order";
        OrderNo => "订单号", "Order no.";
        OrderNoHelp => "留空自动生成", "Leave blank to number it automatically";
        OrderedAt => "下单时间", "Ordered";
        Channel => "渠道", "Channel";
        ChannelOnline => "线上商城", "Online shop";
        ChannelStore => "门店", "Store";
        ChannelSales => "销售", "Sales";
        ChannelPhone => "电话", "Phone";
        ChannelWechat => "微信", "WeChat";
        ChannelDistributor => "经销商", "Distributor";
        ChannelOther => "其他", "Other";
        Product => "产品", "Product";
        ChooseProduct => "选择产品", "Choose a product";
        Quantity => "数量", "Quantity";
        UnitPrice => "单价", "Unit price";
        UnitPriceHelp => "留空使用目录价格", "Blank: catalogue price";
        LineTotal => "小计", "Line total";
        Total => "合计", "Total";
        AddLine => "添加明细", "Add line";
        OrderAdded => "订单已添加", "Order added";
        Sku => "货号", "SKU";
        Category => "类别", "Category";
        Price => "价格", "Price";
        NewProduct => "新建产品", "New product";
        ProductSaved => "产品已保存", "Product saved";
        RebuildAffinity => "重新计算推荐", "Recompute recommendations";
        Interactions => "互动记录", "Interactions";
        InteractionKind => "方式", "Kind";
        KindCall => "电话", "Call";
        KindEmail => "邮件", "Email";
        KindMeeting => "会议", "Meeting";
        KindVisit => "拜访", "Visit";
        KindWechat => "微信/社交消息", "WeChat / social message";
        KindNote => "备注", "Note";
        Direction => "方向", "Direction";
        DirectionInbound => "客户来访/来电", "Inbound";
        DirectionOutbound => "主动联系", "Outbound";
        DirectionInternal => "内部", "Internal";
        OccurredAt => "时间", "When";
        Subject => "主题", "Subject";
        Outcome => "结果", "Outcome";
        NextStep => "下一步", "Next step";
        NextStepDue => "下一步日期", "Next step due";
        Contact => "联系人", "Contact";
        NoContact => "不指定", "None";
        InteractionLogged => "互动已记录", "Interaction logged";
        By => "记录人", "By";
    }
}

messages! {
    /// Timeline entries; `{...}` are filled from the entry's data.
    TimelineText {
        Created => "创建了客户", "created the customer";
        Updated => "修改了 {fields}", "changed {fields}";
        TypeChanged => "客户类型：{from} → {to}", "customer type: {from} → {to}";
        OwnerChanged => "更换了负责人", "changed the owner";
        Tagged => "添加标签「{tag}」", "added the tag “{tag}”";
        Order => "下单 {order_no}，金额 {total}", "ordered {order_no} for {total}";
        StageChanged => "生命周期：{from} → {to}", "lifecycle stage: {from} → {to}";
        WonBack => "流失客户重新下单，已赢回", "won back with a new order";
        Merged => "合并了重复客户「{merged_name}」", "merged the duplicate “{merged_name}”";
        MergeUndone => "撤销了合并", "undid a merge";
        Imported => "由导入 #{import_id} 写入", "written by import #{import_id}";
        Deleted => "移入回收站", "moved to the recycle bin";
        Restored => "从回收站恢复", "restored from the recycle bin";
        System => "系统", "System";
        LoadOlder => "更早的记录", "Older entries";
    }
}

messages! {
    /// Duplicate review, merging and importing.
    ImportText {
        DuplicatesTitle => "疑似重复客户", "Likely duplicates";
        Reason => "原因", "Reason";
        ReasonPhone => "电话相同", "Same phone";
        ReasonEmail => "邮箱相同", "Same email";
        ReasonName => "名称相近（同地区）", "Similar name, same region";
        Score => "相似度", "Similarity";
        Merge => "合并", "Merge";
        NotDuplicates => "不是重复", "Not duplicates";
        Dismissed => "已标记为不重复", "Marked as not duplicates";
        ScanAll => "扫描全部客户", "Scan all customers";
        ScanStarted => "扫描已开始，可在后台任务中查看进度", "Scan started; follow it under Background jobs";
        MergeTitle => "合并客户", "Merge customers";
        MergeHelp => "为每个字段选择保留的值。订单、互动、联系人和时间线将全部移到保留的客户，标签合并。30 天内可以撤销。", "Pick the value to keep for each field. Orders, interactions, contacts and the timeline all move to the surviving customer, and tags are combined. You can undo this for 30 days.";
        Field => "字段", "Field";
        Keep => "保留此客户", "Keep this customer";
        Merged => "客户已合并", "Customers merged";
        RecentMerges => "最近的合并（30 天内可撤销）", "Recent merges (undoable for 30 days)";
        Undo => "撤销", "Undo";
        Undone => "合并已撤销", "Merge undone";
        ImportTitle => "导入客户", "Import customers";
        ImportHelp => "上传 Excel（.xlsx）或 CSV 文件（UTF-8、Excel 保存的 GBK 或 Unicode 文本）。按外部编号、电话、邮箱匹配已有客户（都没有时按公司名称），重复导入不会产生重复客户。", "Upload an Excel (.xlsx) or CSV file (UTF-8, or GBK or Unicode text as saved by Excel). Rows are matched to existing customers by external id, phone or email (by company name when a row has none), so importing the same file again creates no duplicates.";
        ImportKind => "导入内容", "What to import";
        KindCustomers => "客户", "Customers";
        KindOrders => "订单（含明细）", "Orders (with lines)";
        KindInteractions => "沟通记录", "Interactions";
        TitleOrders => "导入订单", "Import orders";
        TitleInteractions => "导入沟通记录", "Import interactions";
        HelpOrders => "每行一条订单明细，或每行一张订单（没有产品列时填订单金额）。同一订单号的行合并为一张订单；已有的订单号不会重复导入。按外部编号、电话、邮箱、名称依次匹配客户；产品按编号、名称匹配。金额可写作 ¥1,280.00、1280元 或 1.28万；只有日期时按公司时区的当天零点计。导入后自动更新客户的活跃状态、生命周期阶段、RFM 评分、等级和推荐数据。", "One row per order line, or per order (give an order total when there is no product column). Rows with the same order number form one order; order numbers already on file are not imported again. Customers are matched by external id, phone, email, then name; products by SKU, then name. Amounts may be written ¥1,280.00, 1280元 or 1.28万; a date without a time is midnight in the company's time zone. Afterwards each customer's activity, lifecycle stage, RFM scores, tier and recommendations are brought up to date.";
        HelpInteractions => "每行一条沟通记录：客户（外部编号、电话、邮箱或名称）、时间、主题，以及方式、方向、结果、下一步和负责人。同一客户同一时间、方式和主题的记录不会重复导入。", "One interaction per row: the customer (external id, phone, email or name), the time and the subject, and optionally the kind, direction, outcome, next step and owner. A row with the same customer, time, kind and subject as one on file is not imported again.";
        Sheet => "工作表", "Sheet";
        Options => "选项", "Options";
        CreateCustomers => "找不到客户时，用文件中的名称、电话、邮箱和外部编号新建客户", "When no customer matches, create one from the file's name, phone, email and external id";
        CreateProducts => "找不到产品时，加入产品目录", "When no product matches, add it to the catalogue";
        AwardPoints => "为导入的历史订单发放积分（管理员）", "Award loyalty points for the imported history (admins)";
        StatusRefreshing => "更新状态、阶段和等级中", "Updating status, stage and tiers";
        StatusReverting => "撤销中", "Reverting";
        NewOrders => "订单", "Orders";
        NewCustomers => "新客户", "New customers";
        NewProducts => "新产品", "New products";
        KeptCreated => "{count} 位由此次导入新建的客户之后有了其他记录，撤销时保留：", "{count} customers this import created have other records now, so the revert kept them:";
        File => "文件", "File";
        Encoding => "编码", "Encoding";
        EncodingAuto => "自动识别", "Detect";
        Upload => "上传", "Upload";
        Uploading => "正在上传…", "Uploading…";
        Mapping => "字段对应", "Column mapping";
        Column => "文件列", "Column";
        Example => "示例", "Example";
        MapsTo => "对应字段", "Maps to";
        Ignore => "忽略", "Ignore";
        Mode => "遇到错误行时", "When rows are bad";
        ModeSkip => "跳过错误行，导入其余", "Skip bad rows, import the rest";
        ModeAll => "全部正确才导入", "Import nothing unless all rows are good";
        Check => "检查（不写入）", "Check (dry run)";
        RunImport => "开始导入", "Import";
        Progress => "进度", "Progress";
        Rows => "共 {count} 行", "{count} rows";
        WouldCreate => "将新建", "Would create";
        WouldUpdate => "将更新", "Would update";
        CreatedCount => "新建", "Created";
        UpdatedCount => "更新", "Updated";
        UnchangedCount => "无变化", "Unchanged";
        RejectedCount => "拒绝", "Rejected";
        DownloadRejected => "下载错误行报告", "Download the rejected rows";
        Revert => "撤销此次导入", "Revert this import";
        Reverted => "导入已撤销", "Import reverted";
        KeptChanged => "{count} 位客户在导入之后有过改动，撤销时保持原样：", "{count} customers changed after the import, so the revert left them as they are:";
        RecentImports => "最近的导入", "Recent imports";
        StatusUploaded => "待对应", "Awaiting mapping";
        StatusChecking => "检查中", "Checking";
        StatusChecked => "已检查", "Checked";
        StatusImporting => "导入中", "Importing";
        StatusImported => "已导入", "Imported";
        StatusFailed => "未导入（有错误行）", "Not imported (bad rows)";
        StatusReverted => "已撤销", "Reverted";
        Row => "行号", "Row";
        Reasons => "错误原因", "Reasons";
    }
}

messages! {
    /// What the columns of an order or interaction file can fill in.
    ImportFieldText {
        OrderNo => "订单号", "Order number";
        OrderExternalId => "订单外部编号", "Order external id";
        OrderedAt => "下单时间", "Ordered at";
        Channel => "渠道", "Channel";
        CustomerExternalId => "客户外部编号", "Customer external id";
        CustomerPhone => "客户电话", "Customer phone";
        CustomerEmail => "客户邮箱", "Customer email";
        CustomerName => "客户名称", "Customer name";
        Sku => "产品编号（SKU）", "SKU";
        ProductName => "产品名称", "Product name";
        ProductCategory => "产品类别", "Product category";
        Quantity => "数量", "Quantity";
        UnitPrice => "单价", "Unit price";
        LineTotal => "行金额", "Line total";
        OrderTotal => "订单金额", "Order total";
        Currency => "币种", "Currency";
        Notes => "备注", "Notes";
        Kind => "沟通方式", "Kind";
        Direction => "方向", "Direction";
        OccurredAt => "沟通时间", "When";
        Subject => "主题", "Subject";
        Outcome => "结果", "Outcome";
        NextStep => "下一步", "Next step";
        NextStepDue => "下一步日期", "Next step due";
        OwnerEmail => "负责人（邮箱）", "Owner (email)";
    }
}
