//! Strings of the home dashboard.

use super::messages;

messages! {
    /// The dashboard's tiles and its arranging.
    DashboardText {
        Arrange => "调整看板", "Arrange tiles";
        ArrangeIntro => "用箭头调整顺序，隐藏不需要的卡片；保存后只对你自己生效。", "Move tiles with the arrows and hide the ones you do not need; saved for you alone.";
        MoveUp => "上移", "Move up";
        MoveDown => "下移", "Move down";
        Hide => "隐藏", "Hide";
        Show => "显示", "Show";
        Hidden => "已隐藏的卡片", "Hidden tiles";
        NothingHidden => "没有隐藏的卡片。", "No hidden tiles.";
        Saved => "看板已保存", "Dashboard saved";
        NoTiles => "看板上没有卡片。点“调整看板”添加。", "No tiles on your dashboard. Use “Arrange tiles” to add some.";
        OpenList => "查看全部", "Open the list";
        MyTasks => "我的今日任务", "My day";
        OpenPipeline => "未结商机（按阶段）", "Open opportunities by stage";
        TicketsNearBreach => "即将超时的工单", "Tickets close to breaching";
        TurnedSilent => "本月转为沉默的客户", "Customers turned silent this month";
        LeadsWaiting => "超时未跟进的线索", "Leads not followed up";
        ForecastVsQuota => "预测与指标", "Forecast against quota";
        WonByRep => "本月赢单（按销售）", "Won this month by rep";
        SlaAttainment => "本月 SLA 达成率", "SLA attainment this month";
        TierDrops => "本月降级的客户", "Customers moved down a tier this month";
        Revenue => "本月营收", "Revenue this month";
        CustomerGains => "本月新增与流失客户", "New and lost customers this month";
        TierShare => "客户等级分布", "Customers per tier";
        JobHealth => "导入与后台任务", "Imports and background jobs";
        Overdue => "已逾期", "Overdue";
        DueToday => "今天到期", "Due today";
        NothingDue => "今天没有待办任务。", "Nothing due today.";
        NothingHere => "暂无。", "Nothing here.";
        Total => "共 {count} 项", "{count} in all";
        ThisMonth => "本月", "This month";
        ThisQuarter => "本季度", "This quarter";
        Won => "已赢单", "Won";
        Weighted => "加权预测", "Weighted open";
        Quota => "指标", "Quota";
        NoQuota => "未设指标", "No quota set";
        OfQuota => "预计完成指标 {percent}%", "{percent}% of quota expected";
        Met => "达成", "Met";
        DueTickets => "到期工单 {count} 张", "{count} tickets due";
        LateOpen => "当前已超时未结 {count} 张", "{count} open and late now";
        Orders => "{count} 笔订单", "{count} orders";
        AgainstLastMonth => "较上月同期", "Against the same days last month";
        AgainstLastYear => "较去年同期", "Against the same days last year";
        NoComparison => "无可比数据", "Nothing to compare";
        Added => "新增", "Added";
        Lost => "流失", "Lost";
        NoTier => "未分级", "No tier";
        NoOwner => "无负责人", "No owner";
        Running => "运行中", "Running";
        Queued => "排队中", "Waiting";
        FailedThisWeek => "近 7 天失败", "Failed in 7 days";
        LastFailure => "最近一次失败", "Latest failure";
        Opportunities => "{count} 个商机", "{count} opportunities";
        SaveToDashboard => "保存到首页", "Save to dashboard";
        SaveToDashboardTitle => "把此报表保存为首页卡片", "Save this report as a dashboard tile";
        SaveToDashboardIntro => "卡片按你保存的筛选读取，只显示你有权查看的数据。", "The tile reads the report with the filters you save, and only ever shows what you may see.";
        TileTitle => "卡片名称", "Tile title";
        TileDates => "日期", "Dates";
        DatesAsSaved => "固定为 {from} 至 {to}", "Fixed: {from} to {to}";
        DatesRolling => "{range}（随日期滚动）", "{range} (moves with today)";
        ReportSaved => "已保存到首页", "Saved to your dashboard";
        DeleteReport => "删除", "Delete";
        DeleteReportTitle => "删除报表卡片", "Delete the report tile";
        DeleteReportConfirm => "删除卡片“{title}”？报表本身和其数据不受影响。", "Delete the tile “{title}”? The report and its data stay as they are.";
        ReportDeleted => "报表卡片已删除", "Report tile deleted";
        SavedReport => "已保存的报表", "Saved report";
        CohortSize => "{count} 位新客户", "{count} new customers";
        RetentionAfter => "{months} 个月后再次下单", "Ordered again after {months} months";
        SalesTrend => "{from} 至 {to} 的营收走势，共 {count} 个时段，最高 {max}", "Revenue from {from} to {to} over {count} periods, highest {max}";
    }
}
