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
    }
}
