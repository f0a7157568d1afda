//! Strings of the service domains: tickets, SLAs and surveys.

use super::{Locale, messages};

messages! {
    /// Tickets, queues, SLAs and the service report.
    TicketText {
        Tickets => "工单", "Tickets";
        DeleteTicket => "删除工单", "Delete ticket";
        DeleteTicketTitle => "删除工单 #{number}“{subject}”？", "Delete ticket #{number} “{subject}”?";
        ConfirmDeleteTicket => "它会离开队列、报表和客户页面，移入回收站，管理员可以恢复。客户再回复这个邮件线程时会新开工单。", "It leaves the queues, reports and the customer's page for the recycle bin, from which an admin can restore it. A customer's reply on its email thread opens a new ticket.";
        TicketDeleted => "工单已移入回收站", "Ticket moved to the recycle bin";
        TicketRestored => "工单已恢复", "Ticket restored";
        NewTicket => "新建工单", "New ticket";
        Created => "工单已创建", "Ticket opened";
        QueueMine => "我的工单", "My tickets";
        QueueUnassigned => "未分配", "Unassigned";
        QueueTeam => "本组", "My team";
        QueueBreaching => "即将超时", "Breaching soon";
        QueueWaiting => "等待客户", "Waiting on customer";
        QueueAll => "全部进行中", "All open";
        EmailFooter => "直接回复这封邮件即可继续沟通（请保留主题中的工单号 #{number}）。", "Reply to this email to continue (keep the ticket number #{number} in the subject).";
        EmailQueued => "邮件待发送", "Email queued";
        EmailSent => "已发邮件给客户", "Emailed to the customer";
        EmailFailed => "邮件未能发出：{reason}", "The email was not sent: {reason}";
        EmailFrom => "来自邮件 {address}", "By email from {address}";
        Attachments => "附件", "Attachments";
        MailboxTitle => "服务邮箱", "Service mailbox";
        MailboxNotConfigured => "没有配置服务邮箱（GUANXI_IMAP_URL），客户的邮件不会进入工单。", "No service mailbox is configured (GUANXI_IMAP_URL): customers' emails do not reach tickets.";
        MailboxLastPoll => "上次读取", "Last read";
        MailboxFetched => "已读取邮件", "Emails read";
        MailboxImported => "已导入", "Imported";
        MailboxLastError => "上次错误", "Last error";
        MailboxTriage => "来自未知发件人、等待分派", "From unknown senders, awaiting triage";
        QueueDone => "已解决和已关闭", "Resolved and closed";
        Triage => "待分拣邮件", "Emails to triage";
        TriageHelp => "来自未知地址的邮件。选定客户即可开工单，之后这封邮件线程里的回复都会进入这张工单；垃圾邮件直接忽略。", "Emails from addresses that are no customer's. Pick the customer to open a ticket (replies in that email thread then continue it), or dismiss spam.";
        NoTriage => "没有待分拣的邮件", "No emails waiting";
        From => "发件人", "From";
        Received => "收到时间", "Received";
        OpenTicket => "开工单", "Open ticket";
        OpenTicketFor => "选客户开工单…", "Open a ticket for…";
        Dismiss => "忽略", "Dismiss";
        Dismissed => "已忽略", "Dismissed";
        SearchTickets => "搜索工单：编号、标题（包括已关闭的）", "Search tickets: number or subject (closed ones too)";
        SearchingAll => "显示所有匹配的工单，包括已关闭的，最新的在前", "Showing every matching ticket, closed ones too, newest first";
        Subject => "主题", "Subject";
        Description => "问题描述", "Description";
        Customer => "客户", "Customer";
        Channel => "渠道", "Channel";
        Category => "类别", "Category";
        Priority => "优先级", "Priority";
        Status => "状态", "Status";
        Assignee => "处理人", "Assignee";
        Tier => "客户等级", "Tier";
        Sla => "SLA", "SLA";
        Unassigned => "未分配", "Unassigned";
        Claim => "认领", "Claim";
        Claimed => "已认领", "Claimed";
        AssignTo => "分配给", "Assign to";
        AssignSelected => "分配所选", "Assign selected";
        Assigned => "已分配 {n} 张工单", "{n} tickets assigned";
        SelectTicket => "选择工单", "Select ticket";
        NoTickets => "这个队列是空的", "This queue is empty";
        ChannelPhone => "电话", "Phone";
        ChannelEmail => "邮件", "Email";
        ChannelWebForm => "网页表单", "Web form";
        ChannelWechat => "微信", "WeChat";
        ChannelWalkIn => "到店", "Walk-in";
        ChannelSurvey => "满意度调查", "Survey";
        CategoryQuestion => "咨询", "Question";
        CategoryFault => "故障", "Fault";
        CategoryComplaint => "投诉", "Complaint";
        CategorySuggestion => "建议", "Suggestion";
        PriorityLow => "低", "Low";
        PriorityNormal => "普通", "Normal";
        PriorityHigh => "高", "High";
        PriorityUrgent => "紧急", "Urgent";
        StatusNew => "新建", "New";
        StatusOpen => "处理中", "Open";
        StatusWaiting => "等待客户", "Waiting on customer";
        StatusResolved => "已解决", "Resolved";
        StatusClosed => "已关闭", "Closed";
        StatusReopened => "重新打开", "Reopened";
        SetStatus => "改为：{status}", "Mark {status}";
        StatusChanged => "状态已更新", "Status updated";
        FirstResponse => "首次响应", "First response";
        Resolution => "解决", "Resolution";
        DueIn => "剩余 {time}", "{time} left";
        LateBy => "已超时 {time}", "{time} late";
        MetAt => "已于 {at} 完成", "Met {at}";
        Paused => "已暂停（等待客户）", "Paused (waiting on customer)";
        Breached => "已违约", "Breached";
        Policy => "SLA 目标：首次响应 {first}，解决 {resolution}", "SLA targets: first response {first}, resolution {resolution}";
        BusinessHoursOnly => "（按工作时间计）", "(business hours)";
        AroundTheClock => "（全天计时）", "(around the clock)";
        Conversation => "对话", "Conversation";
        MessageType => "消息类型", "Message type";
        Reply => "回复客户", "Reply to customer";
        InternalNote => "内部备注", "Internal note";
        CustomerMessage => "客户消息", "Customer message";
        Send => "发送", "Send";
        Sent => "已发送", "Sent";
        NoteBadge => "内部", "Internal";
        ChangeBadge => "变更", "Change";
        EditTicket => "编辑工单", "Edit ticket";
        Updated => "工单已更新", "Ticket updated";
        DeadlinesMoved => "（SLA 时限已按新的策略调整）", " (the SLA deadlines follow the new policy)";
        FromCustomer => "客户", "Customer";
        FollowsSurvey => "此工单跟进一份不满意的调查答复。", "This ticket follows up a dissatisfied survey answer.";
        Reopens => "重开次数：{n}", "Reopened {n} times";
        ServiceTickets => "服务工单", "Service tickets";
        OpenTickets => "未解决工单", "Open tickets";
        LastSatisfaction => "最近满意度", "Last satisfaction";
        NoneYet => "暂无", "None yet";
        Report => "服务质量", "Service quality";
        LastDays => "最近 {n} 天", "Last {n} days";
        CreatedCount => "新建工单", "Tickets opened";
        ResolvedCount => "已解决", "Resolved";
        FirstResponseTime => "首次响应时间（中位 / 平均）", "First response time (median / mean)";
        ResolutionTime => "解决时间（中位 / 平均）", "Resolution time (median / mean)";
        Attainment => "SLA 达成率", "SLA attainment";
        Breaches => "违约次数", "Breaches";
        ReopenRate => "重开率", "Reopen rate";
        Backlog => "各处理人积压", "Backlog per agent";
        OpenCount => "进行中", "Open";
        BreachingCount => "即将超时", "Breaching soon";
        WaitingCount => "等待客户", "Waiting";
        ComplaintsSuggestions => "投诉与建议", "Complaints and suggestions";
        Week => "周", "Week";
        Count => "数量", "Count";
        Settings => "服务设置", "Service settings";
        BusinessHours => "工作时间", "Business hours";
        WorkDays => "工作日", "Work days";
        OpensAt => "上班时间", "Opens at";
        ClosesAt => "下班时间", "Closes at";
        CalendarZone => "服务时间按公司时区计算：", "Service hours are counted in the company's time zone:";
        Holidays => "节假日（每行一个日期，年-月-日）", "Holidays (one date per line, year-month-day)";
        Policies => "SLA 目标（分钟）", "SLA targets (minutes)";
        AllTiers => "所有等级", "All tiers";
        FirstResponseMinutes => "首次响应", "First response";
        ResolutionMinutes => "解决", "Resolution";
        CountBusinessHours => "按工作时间", "Business hours";
        AddTierRow => "为该等级添加目标", "Add targets for this tier";
        Saved => "已保存", "Saved";
        Mon => "一", "Mon";
        Tue => "二", "Tue";
        Wed => "三", "Wed";
        Thu => "四", "Thu";
        Fri => "五", "Fri";
        Sat => "六", "Sat";
        Sun => "日", "Sun";
    }
}

messages! {
    /// Surveys: the builder, sending, results and the public answer page.
    SurveyText {
        Surveys => "满意度调查", "Surveys";
        NewSurvey => "新建调查", "New survey";
        Saved => "调查已保存", "Survey saved";
        NameZh => "中文名称", "Chinese name";
        NameEn => "英文名称", "English name";
        IntroZh => "中文说明", "Chinese introduction";
        IntroEn => "英文说明", "English introduction";
        SendOnResolved => "工单解决后自动发送", "Send after each resolved ticket";
        AutoBadge => "工单解决后自动发送", "Sent after resolved tickets";
        LinkValidDays => "链接有效天数", "Link valid for (days)";
        Questions => "问题", "Questions";
        AddQuestion => "添加问题", "Add question";
        QuestionKind => "题型", "Type";
        KindCsat => "满意度（1-5）", "CSAT (1-5)";
        KindNps => "推荐度 NPS（0-10）", "NPS (0-10)";
        KindSingle => "单选", "Single choice";
        KindMultiple => "多选", "Multiple choice";
        KindText => "文字", "Free text";
        TextZh => "中文题目", "Question (Chinese)";
        TextEn => "英文题目", "Question (English)";
        OptionsHelp => "选项：每行一个，格式“中文 | English”", "Choices: one per line, as “中文 | English”";
        Required => "必答", "Required";
        RemoveQuestion => "删除此题", "Remove question";
        Edit => "编辑", "Edit";
        Send => "发送", "Send";
        SendTo => "发送给", "Send to";
        ToCustomer => "一位客户", "One customer";
        ToSegment => "一个客户分群", "A segment";
        Segment => "客户分群", "Segment";
        Queued => "已排队发送 {n} 份，{skipped} 位客户没有邮箱被跳过", "{n} queued to send; {skipped} customers without an email were skipped";
        SentCount => "已发送", "Sent";
        AnsweredCount => "已作答", "Answered";
        FailedCount => "发送失败", "Failed";
        QueuedCount => "待发送", "Queued";
        ResponseRate => "回复率", "Response rate";
        Csat => "CSAT 满意率", "CSAT";
        Nps => "NPS", "NPS";
        Promoters => "推荐者", "Promoters";
        Passives => "中立者", "Passives";
        Detractors => "贬损者", "Detractors";
        ByWeek => "按周", "By week";
        ByAgent => "按处理人", "By agent";
        ByTier => "按客户等级", "By tier";
        Answers => "答复数", "Answers";
        Comments => "文字反馈", "Comments";
        Recipients => "收件人", "Recipients";
        Email => "邮箱", "Email";
        Status => "状态", "Status";
        Attempts => "尝试次数", "Attempts";
        Error => "错误", "Error";
        FollowUp => "跟进工单", "Follow-up ticket";
        RecipientQueued => "待发送", "Queued";
        RecipientSent => "已发送", "Sent";
        RecipientFailed => "发送失败", "Failed";
        RecipientAnswered => "已作答", "Answered";
        Results => "结果", "Results";
        NoAnswers => "还没有答复", "No answers yet";
        Submit => "提交", "Submit";
        ThankYou => "感谢您的反馈！", "Thank you for your feedback!";
        ThankYouDetail => "我们已收到您的答复。", "We have received your answer.";
        NotLikely => "完全不可能", "Not at all likely";
        VeryLikely => "非常可能", "Extremely likely";
        VeryUnsatisfied => "非常不满意", "Very dissatisfied";
        VerySatisfied => "非常满意", "Very satisfied";
        Optional => "（选填）", "(optional)";
        LastAnswer => "{survey}：CSAT {csat}，NPS {nps}", "{survey}: CSAT {csat}, NPS {nps}";
    }
}

/// Timeline texts of the service kinds.
pub fn service_timeline_text(
    kind: &str,
    data: &serde_json::Value,
    locale: Locale,
) -> Option<String> {
    let s = |key: &str| data[key].as_str().unwrap_or("—").to_owned();
    let suffix = match locale {
        Locale::ZhCn => "zh",
        Locale::En => "en",
    };
    let score = |key: &str| data[key].as_i64().map(|n| n.to_string()).unwrap_or_else(|| "—".into());
    Some(match (kind, locale) {
        ("ticket_opened", Locale::ZhCn) => format!("新工单“{}”", s("subject")),
        ("ticket_opened", Locale::En) => format!("Ticket opened: “{}”", s("subject")),
        ("ticket_resolved", Locale::ZhCn) => format!("工单已解决：“{}”", s("subject")),
        ("ticket_resolved", Locale::En) => format!("Ticket resolved: “{}”", s("subject")),
        ("ticket_reopened", Locale::ZhCn) => format!("工单重新打开：“{}”", s("subject")),
        ("ticket_reopened", Locale::En) => format!("Ticket reopened: “{}”", s("subject")),
        ("ticket_deleted", Locale::ZhCn) => {
            format!("工单 #{}“{}”移入回收站", score("number"), s("subject"))
        }
        ("ticket_deleted", Locale::En) => {
            format!("Ticket #{} “{}” moved to the recycle bin", score("number"), s("subject"))
        }
        ("ticket_restored", Locale::ZhCn) => {
            format!("工单 #{}“{}”从回收站恢复", score("number"), s("subject"))
        }
        ("ticket_restored", Locale::En) => {
            format!("Ticket #{} “{}” restored from the recycle bin", score("number"), s("subject"))
        }
        ("survey_answered", _) => {
            let survey = s(&format!("survey_{suffix}"));
            let comment = data["comment"].as_str().map(|c| format!(" “{c}”")).unwrap_or_default();
            match locale {
                Locale::ZhCn => format!(
                    "调查“{survey}”答复：CSAT {}，NPS {}{comment}",
                    score("csat"),
                    score("nps")
                ),
                Locale::En => format!(
                    "Answered “{survey}”: CSAT {}, NPS {}{comment}",
                    score("csat"),
                    score("nps")
                ),
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survey_answers_read_in_both_languages() {
        let data = serde_json::json!({ "survey_zh": "服务满意度", "survey_en": "Service", "csat": 1, "nps": null, "comment": "太慢" });
        assert_eq!(
            service_timeline_text("survey_answered", &data, Locale::En).unwrap(),
            "Answered “Service”: CSAT 1, NPS — “太慢”"
        );
        assert!(
            service_timeline_text("survey_answered", &data, Locale::ZhCn)
                .unwrap()
                .contains("服务满意度")
        );
        assert_eq!(service_timeline_text("order", &data, Locale::En), None);
    }
}
