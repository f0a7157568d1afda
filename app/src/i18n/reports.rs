//! Strings of the reports area.

use super::messages;

messages! {
    /// The reports area: the sales report, its filters and chart, the orders behind a figure.
    ReportText {
        Reports => "报表", "Reports";
        Sales => "销售报表", "Sales report";
        SalesIntro => "按期间、销售、团队、区域或渠道查看已下单金额（扣除退款）。点任一柱条查看其订单。", "Revenue from placed orders (less refunds) by period, rep, team, region or channel. Tap any bar for its orders.";
        ServiceQuality => "服务质量报表", "Service quality report";
        From => "开始日期", "From";
        To => "结束日期", "To";
        GroupBy => "分组", "Group by";
        ByDay => "按日", "By day";
        ByWeek => "按周", "By week";
        ByMonth => "按月", "By month";
        ByQuarter => "按季度", "By quarter";
        ByOwner => "按销售", "By rep";
        ByTeam => "按团队", "By team";
        ByRegion => "按区域", "By region";
        ByChannel => "按渠道", "By channel";
        Compare => "对比", "Compare with";
        NoComparison => "不对比", "Nothing";
        PreviousPeriod => "上一期间", "Previous period";
        PreviousYear => "去年同期", "Same dates last year";
        Owner => "销售", "Rep";
        Team => "团队", "Team";
        Region => "区域", "Region";
        Channel => "渠道", "Channel";
        Everyone => "全部", "Everyone";
        AllTeams => "全部团队", "All teams";
        AllRegions => "全部区域", "All regions";
        AllChannels => "全部渠道", "All channels";
        NoOwner => "无负责人", "No owner";
        NoTeam => "无团队", "No team";
        NoRegion => "未填区域", "No region";
        ThisMonth => "本月", "This month";
        LastMonth => "上月", "Last month";
        ThisQuarter => "本季度", "This quarter";
        ThisYear => "今年", "This year";
        Last12Months => "近 12 个月", "Last 12 months";
        Revenue => "销售额", "Revenue";
        Orders => "订单数", "Orders";
        AverageOrder => "客单价", "Average order";
        Compared => "对比期", "Compared";
        Change => "变化", "Change";
        ComparedWith => "对比 {from} 至 {to}", "Compared with {from} to {to}";
        Period => "期间", "Period";
        Chart => "图表", "Chart";
        ChartLabel => "{label}：销售额 {revenue}，{orders} 单", "{label}: revenue {revenue}, {orders} orders";
        NoSales => "该范围内没有销售", "No sales in this range";
        OrdersBehind => "订单明细", "Orders behind the figure";
        OrdersIntro => "{from} 至 {to} 的已下单订单（扣除退款），最新在前。", "Placed orders from {from} to {to} (less refunds), newest first.";
        OrderNo => "订单号", "Order";
        OrderedAt => "下单时间", "Placed";
        Customer => "客户", "Customer";
        Net => "金额（扣除退款）", "Amount less refunds";
        BackToReport => "返回报表", "Back to the report";
        Total => "合计", "Total";
        WeekOf => "{day} 起一周", "Week of {day}";
        QuarterOf => "{year} 年第 {q} 季度", "Q{q} {year}";
        MonthOf => "{year} 年 {month} 月", "{month}/{year}";
        Cohorts => "客户留存", "Cohort retention";
        CohortsIntro => "按首单月份把客户分组（同期群），看每组在之后各月再次下单的比例。点任一格查看其客户。", "Customers grouped by the month of their first order (a cohort), and the share of each that ordered again in every later month. Tap any cell for its customers.";
        FirstCohort => "起始月份", "First cohort";
        LastCohort => "截止月份", "Last cohort";
        NoCohorts => "该范围内没有首次下单的客户", "No customers placed a first order in this range";
        Cohort => "首单月份", "Cohort";
        NewCustomers => "新客户", "New customers";
        MonthsLater => "第 {n} 月", "Month {n}";
        AllCohorts => "全部同期群", "All cohorts";
        CohortCellLabel => "{cohort} 首单的 {size} 位客户中，{returning} 位在 {month} 再次下单（{share}）", "Of {size} customers with a first order in {cohort}, {returning} ordered in {month} ({share})";
        RetentionCurve => "整体留存曲线", "Retention over all cohorts";
        CurveLabel => "第 {n} 月：{share} 再次下单", "Month {n}: {share} ordered again";
        CohortCustomers => "同期群客户", "Customers of a cohort";
        CohortCustomersIntro => "{cohort} 首单、并在 {month} 下单的客户：{size} 位。", "Customers with a first order in {cohort} who ordered in {month}: {size}.";
        NoSuchCell => "地址中缺少首单月份或下单月份", "The address names no cohort or month";
        OrdersThatMonth => "当月订单", "Orders that month";
        OrdersInAll => "累计订单", "Orders in all";
        ExportXlsxLabel => "把当前筛选下的报表导出为 .xlsx 文件", "Download this report with its filters as an .xlsx file";
        ExportedAt => "导出时间", "Exported";
        DateRange => "日期范围", "Date range";
        CountsBehind => "再次下单的客户数", "Customers ordering again";
    }
}
