//! The rules page's strings.

use crate::i18n::messages;

messages! {
    /// Automation and care rules.
    AutomationText {
        Title => "自动化与客户关怀", "Automation and care";
        Intro => "规则每天早上运行一次：客户发生某件事（变为沉默、生日临近……），符合条件时就给负责人建任务或给客户发邮件。每件事对每位客户只处理一次，“请勿联系”的客户始终跳过。", "Rules run every morning: when something happens to a customer (it turns silent, a birthday comes near...) and it matches the conditions, its owner gets a task or the customer an email. Each occurrence is acted on once per customer; do-not-contact customers are always skipped.";
        NewRule => "新建规则", "New rule";
        Name => "规则名称", "Rule name";
        When => "当", "When";
        Trigger => "发生的事", "What happens";
        If => "如果", "If";
        Then => "就", "Then";
        DaysAhead => "提前天数", "Days ahead";
        CadenceDays => "多少天没有联系后提醒", "Days without contact";
        MinAmount => "订单金额至少", "Order of at least";
        AnyTier => "任意等级", "Any tier";
        AnyStage => "任意阶段", "Any stage";
        AnySegment => "任意分群", "Any segment";
        Tier => "客户等级", "Tier";
        Stage => "生命周期阶段", "Lifecycle stage";
        Segment => "客户分群", "Segment";
        Action => "动作", "Action";
        TaskTitle => "任务标题", "Task title";
        TaskDueDays => "任务在几天后到期", "Task due after (days)";
        SubjectZh => "邮件主题（中文）", "Subject (Chinese)";
        BodyZh => "邮件正文（中文）", "Body (Chinese)";
        SubjectEn => "邮件主题（英文）", "Subject (English)";
        BodyEn => "邮件正文（英文）", "Body (English)";
        MergeHelp => "可用合并字段：{name} 客户名称，{owner} 负责人，{tier} 等级，{points} 积分。", "Merge fields: {name} the customer, {owner} its owner, {tier} its tier, {points} its points.";
        Active => "启用", "Switched on";
        Preview => "预览人数", "Preview";
        PreviewCount => "现在运行会处理 {n} 位客户。", "Run now, it would act on {n} customers.";
        RunNow => "立即运行已启用的规则", "Run the switched-on rules now";
        RunQueued => "已开始运行规则，完成情况见下方记录。", "The rules are running; their log below shows what they did.";
        Saved => "规则已保存", "Rule saved";
        NoRules => "还没有规则。", "No rules yet.";
        Runs => "处理 {runs} 次，跳过 {skipped} 次", "{runs} acted on, {skipped} skipped";
        Log => "运行记录", "Log";
        Customer => "客户", "Customer";
        Occurrence => "事件日期", "Occurrence";
        Outcome => "结果", "Outcome";
        ActedAt => "处理时间", "Acted at";
        NoRuns => "这条规则还没有处理过任何客户。", "This rule has not acted on anyone yet.";
        On => "已启用", "On";
        Off => "未启用", "Off";
        Edit => "编辑", "Edit";
        TriggerTurnedSilent => "客户变为沉默（最后一单超出活跃期）", "A customer turns silent (its last order leaves the active window)";
        TriggerTurnedFormer => "客户被标为流失", "A customer is marked former";
        TriggerTierUp => "客户等级上升", "A customer moves up a tier";
        TriggerTierDown => "客户等级下降", "A customer moves down a tier";
        TriggerDetractor => "客户在满意度调查中给出贬损评分（NPS 0–6）", "A customer answers a survey as a detractor (NPS 0–6)";
        TriggerOrderAbove => "客户下了一笔大额订单", "A customer places an order above an amount";
        TriggerNoContact => "客户多日没有联系（回访周期）", "A customer has not been contacted for some days (callback cadence)";
        TriggerBirthday => "客户生日临近", "A customer's birthday comes near";
        TriggerAnniversary => "客户纪念日临近", "A customer's anniversary comes near";
        ActionTask => "给负责人建任务", "Create a task for the owner";
        ActionEmail => "用客户的语言给客户发邮件", "Email the customer in its language";
        OutcomeTaskCreated => "已建任务", "Task created";
        OutcomeEmailQueued => "邮件排队中", "Email queued";
        OutcomeEmailSent => "邮件已发送", "Email sent";
        OutcomeEmailFailed => "邮件发送失败", "Email failed";
        OutcomeSkippedDoNotContact => "跳过：请勿联系", "Skipped: do not contact";
        OutcomeSkippedNoEmail => "跳过：没有邮箱", "Skipped: no email address";
        CareCalendar => "关怀日历", "Care calendar";
        CareIntro => "每天要做的事：到期的任务（注明由哪条关怀规则生成）和客户的生日、纪念日。", "What is due each day: tasks (with the care rule that made them) and customers' birthdays and anniversaries.";
        Month => "月", "Month";
        Week => "周", "Week";
        Previous => "上一页", "Previous";
        Next => "下一页", "Next";
        Today => "今天", "Today";
        Whose => "谁的日历", "Whose calendar";
        Everyone => "我能看到的所有人", "Everyone I can see";
        MonthTitle => "{year}年{month}", "{month} {year}";
        MonthNames => "1月,2月,3月,4月,5月,6月,7月,8月,9月,10月,11月,12月", "January,February,March,April,May,June,July,August,September,October,November,December";
        WeekdayNames => "周一,周二,周三,周四,周五,周六,周日", "Mon,Tue,Wed,Thu,Fri,Sat,Sun";
        WeekTitle => "{first} 至 {last}", "{first} to {last}";
        Birthday => "{name} 生日（{years} 岁）", "{name}'s birthday ({years})";
        Anniversary => "{name} 纪念日（{years} 周年）", "{name}'s anniversary ({years} years)";
        More => "还有 {n} 项", "{n} more";
        Done => "已完成", "Done";
        Overdue => "已逾期", "Overdue";
        Completion => "关怀任务完成情况", "Care task completion";
        CompletionIntro => "本页时间段内到期、由关怀规则生成的任务。", "Tasks made by care rules and due in the period shown.";
        ByRule => "按规则", "By rule";
        ByPerson => "按人员", "By person";
        Due => "到期", "Due";
        OnTime => "按时完成", "On time";
        Rate => "完成率", "Done rate";
        NoCareTasks => "这段时间没有关怀任务到期。", "No care tasks are due in this period.";
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_string_has_both_languages_with_the_same_placeholders() {
        crate::i18n::assert_complete(super::AutomationText::ALL);
    }
}
