//! Strings of the sales domains: pipeline, forecast, leads and tasks.

use super::{Locale, messages};

messages! {
    /// The pipeline board, opportunities and the forecast.
    SalesText {
        OpportunityDeleted => "商机已移到回收站", "Opportunity moved to the recycle bin";
        OpportunityRestored => "商机已恢复", "Opportunity restored";
        DeleteOpportunity => "删除商机", "Delete opportunity";
        DeleteOpportunityTitle => "删除商机「{title}」？", "Delete the opportunity “{title}”?";
        ConfirmDeleteOpportunity => "商机会移到回收站，管理员可在清理期限内恢复。已赢单或输单的商机不能删除。", "The opportunity goes to the recycle bin; an admin can restore it until it is purged. Won and lost opportunities cannot be deleted.";
        Opportunities => "商机", "Opportunities";
        Pipeline => "销售管道", "Pipeline";
        Pipelines => "销售流程", "Pipelines";
        BoardView => "看板", "Board";
        ListView => "列表", "List";
        NewOpportunity => "新建商机", "New opportunity";
        OpportunityCreated => "商机已创建", "Opportunity created";
        AllOwners => "全部负责人", "All owners";
        SearchOpportunities => "搜索商机", "Search opportunities";
        SearchHint => "名称或下一步", "Title or next step";
        Quotas => "销售指标", "Quotas";
        QuotasHelp => "每人每月的销售指标（元）。改完一格离开即保存；销售预测按这些指标对比。", "Each person's sales quota per month (¥). A cell is saved when you leave it; the forecast compares against these.";
        Owner => "负责人", "Owner";
        CloseMonth => "预计成交月份", "Close month";
        MinAmount => "最低金额", "Minimum amount";
        Customer => "客户", "Customer";
        Title => "商机名称", "Title";
        Amount => "金额", "Amount";
        ExpectedClose => "预计成交日期", "Expected close";
        NextStep => "下一步", "Next step";
        Stage => "阶段", "Stage";
        Products => "产品", "Products";
        ProductsHelp => "金额留空时按产品标价合计。", "Leave the amount empty to use the products' list prices.";
        Quantity => "数量", "Quantity";
        AddProduct => "添加产品", "Add product";
        Weighted => "加权金额", "Weighted";
        TimeInStage => "在当前阶段的时间", "Time in this stage";
        DaysInStage => "停留 {n} 天", "{n} days in stage";
        MovedTo => "“{title}”已移到“{stage}”", "“{title}” moved to “{stage}”";
        PickedUp => "已拿起“{title}”：用左右方向键选择阶段，空格放下，Esc 取消", "Picked up “{title}”: arrow keys choose a stage, Space drops, Escape cancels";
        WouldMoveTo => "放到“{stage}”", "Drop on “{stage}”";
        DragCancelled => "已取消移动", "Move cancelled";
        MoveConflict => "“{title}”刚被其他人修改，已显示为最新保存的位置，您的移动未保存。", "Someone else changed “{title}” just now; it shows where it was saved, and your move was not saved.";
        MarkLostTitle => "将“{title}”标记为输单", "Mark “{title}” as lost";
        MarkLost => "标记输单", "Mark lost";
        LostReason => "输单原因", "Reason lost";
        MoveTo => "移动到阶段", "Move to stage";
        StageHistory => "阶段历史", "Stage history";
        OpenOpportunities => "进行中的商机", "Open opportunities";
        NoOpenOpportunities => "暂无进行中的商机", "No open opportunities";
        Saved => "已保存", "Saved";
        EditOpportunity => "编辑商机", "Edit opportunity";
        Forecast => "销售预测", "Forecast";
        ForecastHelp => "按月份和负责人：阶段概率加权、按负责人历史赢率加权、承诺（概率 ≥ {commit}% 的商机加已赢单）与最佳情况，对比配额。", "By month and owner: weighted by stage probability and by each owner's own win rate, committed (opportunities at {commit}% or more, plus won) and best case, against quota.";
        Month => "月份", "Month";
        Won => "已赢单", "Won";
        Committed => "承诺", "Committed";
        WeightedStage => "阶段加权", "Weighted (stage)";
        WeightedHistory => "历史赢率加权", "Weighted (history)";
        BestCase => "最佳情况", "Best case";
        Quota => "配额", "Quota";
        Explain => "明细", "Explain";
        ExplainTitle => "预测明细", "What makes up this forecast";
        StageProbability => "阶段概率", "Stage probability";
        HistoricalProbability => "历史赢率", "Historical rate";
        Accuracy => "预测准确率", "Forecast accuracy";
        SnapshotOf => "快照日期", "Snapshot of";
        NoSnapshots => "每周快照会在这里与实际赢单对比。", "Weekly snapshots will be compared with what was won here.";
        NameZh => "中文名称", "Chinese name";
        NameEn => "英文名称", "English name";
        Color => "颜色", "Colour";
        Probability => "赢单概率 %", "Win probability %";
        StageKind => "阶段类型", "Stage type";
        KindOpen => "进行中", "Open";
        KindWon => "赢单", "Won";
        KindLost => "输单", "Lost";
        AddStage => "添加阶段", "Add stage";
        MoveUp => "上移", "Move up";
        Remove => "删除", "Remove";
    }
}

messages! {
    /// Leads, routing and web forms.
    LeadText {
        Leads => "线索", "Leads";
        NewLead => "新建线索", "New lead";
        ImportLeads => "导入 CSV", "Import CSV";
        ImportHelp => "CSV 文件（UTF-8 或 Excel 保存的 GBK），列名如：姓名、公司、电话、邮箱、地区、留言。电话或邮箱已存在的线索会跳过。", "A CSV file (UTF-8, or GBK as saved by Excel) with columns such as name, company, phone, email, region, message. Leads whose phone or email is already on file are skipped.";
        ImportDone => "已导入 {created} 条，跳过重复 {duplicates} 条，拒绝 {rejected} 条。", "Imported {created}, skipped {duplicates} already on file, refused {rejected}.";
        Row => "第 {row} 行", "Row {row}";
        Created => "线索已创建", "Lead created";
        NoLeads => "没有符合条件的线索", "No leads match";
        Name => "姓名", "Name";
        Company => "公司", "Company";
        Phone => "电话", "Phone";
        Email => "邮箱", "Email";
        Region => "地区", "Region";
        Message => "留言", "Message";
        Contact => "联系方式", "Contact";
        Source => "来源", "Source";
        Status => "状态", "Status";
        AnyStatus => "全部状态", "Any status";
        Received => "收到时间", "Received";
        OnlyOverdue => "只看超时未跟进", "Only not followed up in time";
        Overdue => "超时未跟进", "Not followed up";
        StatusNew => "新线索", "New";
        StatusContacted => "已联系", "Contacted";
        StatusQualified => "已确认", "Qualified";
        StatusDisqualified => "无效", "Disqualified";
        StatusConverted => "已转化", "Converted";
        SourceManual => "手工录入", "Manual";
        SourceWebForm => "网站表单", "Web form";
        SourceImport => "导入", "Import";
        SourceEvent => "活动", "Event";
        SourceReferral => "转介绍", "Referral";
        SourceSocial => "社交媒体", "Social media";
        SourcePhone => "来电", "Phone call";
        MarkContacted => "已联系", "Contacted";
        Qualify => "确认有效", "Qualify";
        Disqualify => "标记无效", "Disqualify";
        DisqualifyReason => "无效原因", "Reason";
        Convert => "转化", "Convert";
        ConvertTitle => "转化线索：{name}", "Convert lead: {name}";
        ConvertedToast => "已转化为客户和商机", "Converted into a customer and an opportunity";
        PossibleCustomers => "可能已是这些客户", "This may already be one of these customers";
        NoPossibleCustomers => "没有找到相同的客户，将新建客户。", "No matching customer: a new one will be created.";
        CreateNewCustomer => "新建客户", "Create a new customer";
        AttachTo => "归入“{name}”", "Attach to “{name}”";
        MatchedPhone => "电话相同", "same phone";
        MatchedEmail => "邮箱相同", "same email";
        MatchedName => "名称相同", "same name";
        OpenOpportunity => "查看商机", "Open opportunity";
        Settings => "线索分配", "Lead routing";
        FollowUpHours => "跟进时限（小时）", "Follow up within (hours)";
        RoundRobin => "轮流分配", "Round-robin";
        RoundRobinHelp => "新线索按顺序轮流分给勾选的人；地区规则优先。", "New leads go to the checked people in turn; region rules come first.";
        RegionRules => "地区规则", "Region rules";
        AddRule => "添加规则", "Add rule";
        WebForms => "网站表单", "Web forms";
        WebFormsHelp => "把表单提交到下面的地址（POST，JSON 或普通表单；字段 name、company、phone、email、region、message）。", "Post forms to the address below (POST, JSON or an ordinary form; fields name, company, phone, email, region, message).";
        FormName => "表单名称", "Form name";
        Endpoint => "提交地址", "Endpoint";
        NewForm => "新建表单", "New form";
        EditLead => "编辑线索", "Edit lead";
        DeleteLead => "删除线索", "Delete lead";
        DeleteLeadTitle => "删除线索「{name}」？", "Delete the lead “{name}”?";
        ConfirmDeleteLead => "线索会移到回收站，管理员可在清理期限内恢复。", "The lead goes to the recycle bin; an admin can restore it until it is purged.";
        LeadDeleted => "线索已移到回收站", "Lead moved to the recycle bin";
        LeadRestored => "线索已恢复", "Lead restored";
        Saved => "线索已保存", "Lead saved";
        Owner => "负责人", "Owner";
        Field => "字段", "Field";
        FirstContacted => "首次联系", "First contacted";
        Opportunity => "商机", "Opportunity";
        BecameTitle => "转化结果", "What it became";
        History => "经过", "History";
        ReceivedVia => "收到（{source}）", "Received ({source})";
        HistoryCreated => "创建", "Created";
        HistoryEdited => "修改", "Changed";
        HistoryConverted => "转化为客户和商机", "Converted into a customer and an opportunity";
        HistoryDeleted => "移到回收站", "Moved to the recycle bin";
        HistoryRestored => "从回收站恢复", "Restored from the recycle bin";
    }
}

messages! {
    /// Tasks and reminders.
    TaskText {
        Tasks => "任务", "Tasks";
        MyDay => "我的一天", "My day";
        AddTask => "添加任务", "Add task";
        Created => "任务已添加", "Task added";
        Title => "任务", "Task";
        Due => "到期时间", "Due";
        Priority => "优先级", "Priority";
        PriorityLow => "低", "Low";
        PriorityNormal => "普通", "Normal";
        PriorityHigh => "高", "High";
        RepeatDays => "每隔几天重复（可选）", "Repeat every N days (optional)";
        EveryDays => "每 {n} 天", "every {n} days";
        MarkDone => "完成", "Done";
        Done => "任务已完成", "Task done";
        DoneAndRepeated => "任务已完成，下一次已安排", "Done; the next one is scheduled";
        Overdue => "已逾期", "Overdue";
        Today => "今天", "Today";
        Upcoming => "接下来", "Upcoming";
        Nothing => "没有任务", "Nothing here";
        Reminder => "任务到期：{title}", "Task due: {title}";
        EditTask => "编辑任务", "Edit task";
        Saved => "任务已保存", "Task saved";
        Deleted => "任务已移到回收站", "Task moved to the recycle bin";
        Restored => "任务已恢复", "Task restored";
        Assignee => "执行人", "Assignee";
        Notes => "备注", "Notes";
    }
}

/// Timeline texts of the sales kinds.
pub fn sales_timeline_text(kind: &str, data: &serde_json::Value, locale: Locale) -> Option<String> {
    let suffix = match locale {
        Locale::ZhCn => "zh",
        Locale::En => "en",
    };
    let s = |key: &str| data[key].as_str().unwrap_or("—").to_owned();
    let named = |key: &str| s(&format!("{key}_{suffix}"));
    let title = s("title");
    Some(match kind {
        "opportunity_created" => match locale {
            Locale::ZhCn => format!("新商机“{title}”（{}）", named("stage")),
            Locale::En => format!("New opportunity “{title}” ({})", named("stage")),
        },
        "opportunity_stage" => {
            let reason = data["reason"].as_str().map(|r| match locale {
                Locale::ZhCn => format!("，原因：{r}"),
                Locale::En => format!(", reason: {r}"),
            });
            match locale {
                Locale::ZhCn => format!(
                    "商机“{title}”：{} → {}{}",
                    named("from"),
                    named("to"),
                    reason.unwrap_or_default()
                ),
                Locale::En => format!(
                    "Opportunity “{title}”: {} → {}{}",
                    named("from"),
                    named("to"),
                    reason.unwrap_or_default()
                ),
            }
        }
        "opportunity_deleted" => match locale {
            Locale::ZhCn => format!("商机“{title}”移到回收站"),
            Locale::En => format!("Opportunity “{title}” moved to the recycle bin"),
        },
        "opportunity_restored" => match locale {
            Locale::ZhCn => format!("商机“{title}”从回收站恢复"),
            Locale::En => format!("Opportunity “{title}” restored from the recycle bin"),
        },
        "opportunity_updated" => {
            let fields: Vec<String> = data["fields"]
                .as_array()
                .map(|keys| keys.iter().filter_map(|k| k.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            let fields = super::errors::changed_fields_text(&fields, locale);
            match locale {
                Locale::ZhCn => format!("商机“{title}”已修改：{fields}"),
                Locale::En => format!("Opportunity “{title}” edited: {fields}"),
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_moves_read_in_both_languages() {
        let data = serde_json::json!({
            "title": "年度服务", "from_zh": "方案报价", "from_en": "Proposal", "to_zh": "赢单", "to_en": "Won",
        });
        assert_eq!(
            sales_timeline_text("opportunity_stage", &data, Locale::ZhCn).unwrap(),
            "商机“年度服务”：方案报价 → 赢单"
        );
        assert_eq!(
            sales_timeline_text("opportunity_stage", &data, Locale::En).unwrap(),
            "Opportunity “年度服务”: Proposal → Won"
        );
        assert_eq!(sales_timeline_text("order", &data, Locale::En), None);
        let edited =
            serde_json::json!({ "title": "年度服务", "fields": ["amount_minor", "owner_id"] });
        assert_eq!(
            sales_timeline_text("opportunity_updated", &edited, Locale::En).unwrap(),
            "Opportunity “年度服务” edited: Amount, Owner"
        );
    }
}
