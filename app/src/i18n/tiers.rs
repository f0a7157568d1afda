//! Strings of value tiers, segments, distribution and loyalty.

use super::messages;

messages! {
    /// Tiers, RFM, segments and the distribution view.
    TierText {
        Tier => "价值等级", "Value tier";
        Tiers => "价值等级", "Value tiers";
        AnyTier => "全部等级", "Any tier";
        NoTier => "未分级", "Not graded";
        TiersHelp => "按顺序判断：第一个满足规则的等级生效，最后一个等级接收其余客户。R、F、M 为 1–5 分（5 最好），按窗口期内的最近购买、频率和金额分位计算。", "Checked in order: the first tier whose rule matches wins; the last takes everyone else. R, F and M score 1–5 (5 is best) by quantiles of recency, frequency and monetary value in the window.";
        RuleHelp => "例如：M >= 4 and F >= 3；也可用 spend（消费金额）、orders（订单数）、tag = VIP、stage = loyal，以及 and / or / not 和括号。", "E.g. M >= 4 and F >= 3; also spend, orders, tag = VIP, stage = loyal, with and / or / not and parentheses.";
        Window => "RFM 窗口期（天）", "RFM window (days)";
        Name => "名称", "Name";
        NameZh => "中文名称", "Chinese name";
        NameEn => "英文名称", "English name";
        Color => "颜色", "Colour";
        Rule => "规则", "Rule";
        CatchAll => "其余全部客户", "Everyone else";
        AddTier => "添加等级", "Add tier";
        RemoveTier => "删除", "Remove";
        MoveUp => "上移", "Move up";
        Preview => "预览", "Preview";
        PreviewHelp => "保存前的影响：每个等级的客户数，以及升级和降级的客户。", "Before saving: customers per tier, and who would move up or down.";
        Now => "当前", "Now";
        After => "保存后", "After";
        MovingUp => "升级 {count} 位", "{count} move up";
        MovingDown => "降级 {count} 位", "{count} move down";
        SampleMovers => "将变动的客户示例", "Some customers who would move";
        SaveAndRecompute => "保存并重新计算", "Save and recompute";
        Recompute => "立即重新计算", "Recompute now";
        Recomputing => "正在重新计算所有客户的等级…", "Recomputing every customer's tier…";
        Recomputed => "等级已重新计算", "Tiers recomputed";
        Scores => "RFM 评分", "RFM scores";
        Recency => "最近购买", "Recency";
        Frequency => "购买频率", "Frequency";
        Monetary => "消费金额", "Monetary";
        DaysAgo => "{days} 天前", "{days} days ago";
        Because => "依据：{because}", "Because {because}";
        Computed => "计算等级", "Computed tier";
        Override => "手动指定", "Manual tier";
        OverrideReason => "原因", "Reason";
        OverrideUntil => "有效至（留空为永久）", "Until (blank: no end)";
        SetOverride => "指定等级", "Set tier";
        ClearOverride => "取消手动指定", "Clear manual tier";
        OverrideActive => "手动指定：{reason}", "Set by hand: {reason}";
        Changed => "价值等级：{from} → {to}，依据 {because}", "tier {from} → {to} because {because}";
        OverrideSet => "手动指定等级为 {to}（{reason}）", "tier set by hand to {to} ({reason})";
        OverrideCleared => "取消了手动指定的等级", "cleared the manual tier";
        Segments => "客户分群", "Segments";
        NewSegment => "新建分群", "New segment";
        SegmentName => "分群名称", "Segment name";
        Description => "说明", "Description";
        Matching => "符合条件：{count} 位客户", "{count} customers match";
        SegmentSaved => "分群已保存", "Segment saved";
        Distribution => "客户分布", "Customer distribution";
        ByStatus => "按活跃状态", "By activity";
        ByStage => "按生命周期", "By lifecycle stage";
        ByTier => "按价值等级", "By value tier";
        Moves => "等级变动（近一年）", "Tier moves (last year)";
        Month => "月份", "Month";
        Customers => "客户数", "Customers";
    }
}

messages! {
    /// Points and membership.
    LoyaltyText {
        Loyalty => "会员积分", "Loyalty";
        Points => "积分", "Points";
        Balance => "积分余额", "Points balance";
        Level => "会员等级", "Membership level";
        NoLevel => "普通会员", "Standard member";
        NextLevel => "距 {level} 还差 {points} 分", "{points} points to {level}";
        ExpiringSoon => "{points} 分将在 30 天内过期", "{points} points expire within 30 days";
        Redeem => "兑换积分", "Redeem points";
        Adjust => "调整积分", "Adjust points";
        AdjustHelp => "正数增加，负数扣减", "Positive adds, negative removes";
        Reason => "原因", "Reason";
        Redeemed => "积分已兑换，余额 {balance}", "Points redeemed; balance {balance}";
        Adjusted => "积分已调整，余额 {balance}", "Points adjusted; balance {balance}";
        KindEarn => "消费获得", "Earned";
        KindRedeem => "兑换", "Redeemed";
        KindAdjust => "手动调整", "Adjusted";
        KindExpire => "过期", "Expired";
        Ledger => "积分明细", "Points ledger";
        Settings => "会员积分设置", "Loyalty settings";
        Rate => "每消费 100 元获得积分", "Points per 100 spent";
        Expiry => "积分有效期（天，0 为永久）", "Points expire after (days, 0: never)";
        Levels => "会员等级", "Membership levels";
        MinPoints => "积分门槛", "Points threshold";
        MinSpend => "消费门槛", "Spend threshold";
        BenefitsZh => "权益（中文）", "Benefits (Chinese)";
        BenefitsEn => "权益（英文）", "Benefits (English)";
        NewLevel => "新建等级", "New level";
        Saved => "已保存", "Saved";
        TimelineEarn => "获得 {delta} 积分", "earned {delta} points";
        TimelineRedeem => "兑换 {points} 积分：{reason}", "redeemed {points} points: {reason}";
        TimelineAdjust => "积分调整 {delta}：{reason}", "points adjusted by {delta}: {reason}";
        TimelineShort => "（{points} 分已被使用，无法扣回）", " ({points} points were already spent and could not be taken back)";
        TimelineExpire => "{points} 积分过期", "{points} points expired";
    }
}
