//! Error messages, translated from the keys that travel in `AppError`.

use super::{Locale, Text, fill, messages};
use crate::error::{AppError, FieldError};

messages! {
    /// Every error the user can see.
    ErrorText {
        Unauthorized => "请先登录，或您的会话已过期。", "Please sign in; your session may have expired.";
        Forbidden => "您没有权限执行此操作或查看此页面。", "You do not have permission to do this or to see this page.";
        PasswordChangeRequired => "管理员重置了您的密码，请先设置自己的新密码。", "An administrator reset your password: choose your own before going on.";
        NotFound => "找不到该记录，或您无权查看。", "The record does not exist, or you may not see it.";
        Validation => "请修正标出的字段。", "Please correct the marked fields.";
        Conflict => "其他人刚刚修改了这条记录。请重新加载后再保存，您的修改尚未保存。", "Someone else changed this record just now. Reload it and save again; your change was not saved.";
        ChangedMeanwhile => "{name} 在您打开之后修改了这条记录（{fields}）。您的修改尚未保存：请重新加载，看过对方的修改后再保存。", "{name} changed this record ({fields}) after you opened it. Your change was not saved: reload, look at theirs, then save again.";
        BadCredentials => "邮箱或密码不正确。", "The email or password is incorrect.";
        Throttled => "登录失败次数过多，请 {minutes} 分钟后再试。", "Too many failed sign-ins. Try again in {minutes} minutes.";
        Busy => "服务器暂时无法处理，请 {seconds} 秒后再试，您的操作尚未生效。", "The server cannot take this right now. Try again in {seconds} seconds; nothing was changed.";
        CrossSiteRefused => "请求来自其他网站，已被拒绝。", "The request came from another site and was refused.";
        Internal => "服务器出错了（参考编号 {reference}），请稍后再试。", "Something went wrong on the server (reference {reference}). Please try again later.";
        BadRequest => "无法读取该请求，未做任何更改。请刷新页面后重试。", "The request could not be read, so nothing was changed. Reload the page and try again.";
        TooLarge => "请求过大（上限 {megabytes} MB），未做任何更改。", "The request is too large (at most {megabytes} MB), so nothing was changed.";
        Transport => "无法连接服务器，请检查网络后重试。", "The server could not be reached. Check the connection and try again.";
        Required => "必填。", "Required.";
        TooLong => "最多 {max} 个字符。", "At most {max} characters.";
        InvalidEmail => "请输入有效的邮箱地址。", "Enter a valid email address.";
        AlreadyTaken => "已被使用。", "Already in use.";
        PasswordTooShort => "密码至少需要 {min} 个字符。", "Passwords need at least {min} characters.";
        PasswordsDiffer => "两次输入的密码不一致。", "The two passwords differ.";
        WrongCurrentPassword => "当前密码不正确。", "The current password is wrong.";
        InvalidChoice => "请选择一个有效的选项。", "Choose one of the options.";
        BackupsNotConfigured => "此服务器未配置备份目录（GUANXI_BACKUP_DIR），无法备份。", "This server has no backup folder configured (GUANXI_BACKUP_DIR), so it cannot back up.";
        UnknownReference => "所选项目不存在或已被删除。", "The chosen item does not exist or was deleted.";
        CannotChangeOwnAccess => "不能停用自己的账户或降低自己的角色。", "You cannot deactivate your own account or lower your own role.";
        OutOfRange => "请输入 {min} 到 {max} 之间的数。", "Enter a number from {min} to {max}.";
        InvalidNumber => "请输入有效的数字。", "Enter a valid number.";
        InvalidPhone => "请输入有效的电话号码。", "Enter a valid phone number.";
        InvalidDate => "请输入有效的日期（年-月-日）。", "Enter a valid date (year-month-day).";
        TooMany => "最多 {max} 项。", "At most {max} items.";
        OwnerOutOfScope => "您不能把记录分配给您无权查看其记录的人。", "You cannot assign the record to someone whose records you may not see.";
        Empty => "至少需要一项。", "At least one item is needed.";
        CurrencyMismatch => "该产品的币种与客户的订单币种不同。", "This product is priced in another currency than the customer's orders.";
        InFuture => "日期不能晚于现在。", "The date cannot be in the future.";
        BadEncoding => "无法读取该文件：请确认它是 CSV，并选择正确的编码（UTF-8 或 GBK）。", "The file could not be read: check it is CSV and choose the right encoding (UTF-8 or GBK).";
        TooFew => "至少需要 {min} 项。", "At least {min} items are needed.";
        BadRule => "规则第 {position} 个字符处应为：{expected}", "At character {position} the rule expects: {expected}";
        NotEnoughPoints => "积分不足：当前可用 {available} 分。", "Not enough points: {available} available.";
        FinalStages => "需要且只能有一个“赢单”阶段和一个“输单”阶段。", "Exactly one won stage and one lost stage are needed.";
        StageInUse => "该阶段还有商机，请先移走再删除。", "This stage still holds opportunities; move them first.";
        NoCustomerMatch => "找不到对应的客户（按外部编号、电话、邮箱、名称依次查找）。", "No customer matches (looked up by external id, phone, email, then name).";
        AmbiguousMatch => "对应到 {count} 个客户，无法确定是哪一个。", "Matches {count} customers; which one is meant cannot be told.";
        UnknownProduct => "产品目录中没有这个产品。", "The catalogue has no such product.";
        SiblingRejected => "同一订单的第 {row} 行有错误，整张订单未导入。", "Row {row} of the same order was refused, so the whole order was left out.";
        ConflictsWithRow => "与同一订单的第 {row} 行不一致。", "Disagrees with row {row} of the same order.";
        Mismatch => "与已保存的记录不一致。", "Disagrees with the record on file.";
        MoreThanRefundable => "最多还能退 {available}。", "At most {available} is left to refund.";
        BelowRefunded => "订单金额不能低于已退款的 {refunded}。", "The order's total cannot fall below the {refunded} already refunded.";
        OrderClosed => "该订单已取消或已全额退款，不能再修改。", "This order was cancelled or fully refunded: it can no longer change.";
        ClosedOpportunity => "已赢单或输单的商机计入业绩，不能删除；如确需删除，请先移回进行中的阶段。", "A won or lost opportunity counts in the results and cannot be deleted; move it back to an open stage first if it must go.";
        ConvertedLead => "已转化的线索会保留：客户和商机都由它而来。", "A converted lead stays: its customer and opportunity came from it.";
        TierWithProducts => "按产品或品类统计时不能按客户等级筛选：产品汇总不区分等级。请先选择“所有等级”。", "Products and categories cannot be narrowed to a customer tier: the product summary does not keep tiers. Choose any tier first.";
        UnknownMergeField => "只能使用这些合并字段：{name}、{owner}、{tier}、{points}。", "Only these merge fields can be used: {name}, {owner}, {tier}, {points}.";
        PartlyRefunded => "该订单已部分退款，请退还剩余金额，而不是取消订单。", "Part of this order was refunded: refund the rest instead of cancelling it.";
        AlreadyClaimed => "{name} 刚刚认领了这张工单，它已不在未分配队列中。", "{name} claimed this ticket just now; it is no longer unassigned.";
        LinkUsed => "这个链接已经用过了：每个链接只能作答一次。感谢您的反馈！", "This link has already been used: each link can be answered once. Thank you for your feedback!";
        LinkExpired => "这个链接已过期。如仍想反馈，请直接联系我们。", "This link has expired. If you still want to tell us something, please contact us directly.";
    }
}

messages! {
    /// Names of the fields a concurrent edit changed, by the key the audit log stores.
    ChangedFieldText {
        Title => "标题", "Title";
        Amount => "金额", "Amount";
        ExpectedClose => "预计成交日期", "Expected close date";
        Owner => "负责人", "Owner";
        NextStep => "下一步", "Next step";
        Products => "产品", "Products";
        Stage => "阶段", "Stage";
        Notes => "备注", "Notes";
        DueAt => "截止时间", "Due time";
        Priority => "优先级", "Priority";
        Assignee => "执行人", "Assignee";
        Repeat => "重复", "Repeat";
        Done => "完成状态", "Done";
        Deleted => "删除", "Deletion";
        Status => "状态", "Status";
        Refunded => "退款", "Refunds";
        Other => "其他字段", "Other fields";
    }
}

/// The name of a changed field by the key the audit log stores; keys without a name share one.
fn changed_field_name(key: &str, locale: Locale) -> &'static str {
    use super::CustomerText;
    let customer = |text: CustomerText| text.text(locale);
    let named = match key {
        "title" | "subject" => ChangedFieldText::Title,
        "amount_minor" => ChangedFieldText::Amount,
        "expected_close" => ChangedFieldText::ExpectedClose,
        "owner_id" => ChangedFieldText::Owner,
        "next_step" => ChangedFieldText::NextStep,
        "products" => ChangedFieldText::Products,
        "stage_id" | "stage" | "lost_reason" => ChangedFieldText::Stage,
        "notes" => ChangedFieldText::Notes,
        "due_at" => ChangedFieldText::DueAt,
        "priority" => ChangedFieldText::Priority,
        "assignee_id" => ChangedFieldText::Assignee,
        "repeat_days" => ChangedFieldText::Repeat,
        "done_at" => ChangedFieldText::Done,
        "deleted_at" => ChangedFieldText::Deleted,
        "status" | "reason" => ChangedFieldText::Status,
        "refunded_minor" => ChangedFieldText::Refunded,
        "total_minor" => ChangedFieldText::Amount,
        "lines" => ChangedFieldText::Products,
        // A customer's fields, named as on its form.
        "name" => return customer(CustomerText::Name),
        "phone" => return customer(CustomerText::Phone),
        "email" => return customer(CustomerText::Email),
        "address" => return customer(CustomerText::Address),
        "region" => return customer(CustomerText::Region),
        "industry" => return customer(CustomerText::Industry),
        "tags" => return customer(CustomerText::Tags),
        "birthday" => return customer(CustomerText::Birthday),
        "anniversary" => return customer(CustomerText::Anniversary),
        "locale" => return customer(CustomerText::Language),
        "custom_fields" => return customer(CustomerText::CustomFields),
        "source" => return customer(CustomerText::Source),
        // An order's own.
        "order_no" => return super::OrderText::OrderNo.text(locale),
        "ordered_at" => return super::OrderText::OrderedAt.text(locale),
        "channel" => return super::OrderText::Channel.text(locale),
        // An interaction's own.
        "interaction_kind" => return super::OrderText::InteractionKind.text(locale),
        "direction" => return super::OrderText::Direction.text(locale),
        "contact_id" => return super::OrderText::Contact.text(locale),
        "occurred_at" => return super::OrderText::OccurredAt.text(locale),
        "outcome" => return super::OrderText::Outcome.text(locale),
        "next_step_due" => return super::OrderText::NextStepDue.text(locale),
        // A product's own.
        "sku" => return super::OrderText::Sku.text(locale),
        "unit_price_minor" => return super::OrderText::Price.text(locale),
        "active" => return customer(CustomerText::Active),
        // A lead's own.
        "company" => return super::LeadText::Company.text(locale),
        "message" => return super::LeadText::Message.text(locale),
        _ => ChangedFieldText::Other,
    };
    named.text(locale)
}

/// "amount, owner" from the audit keys, each name once, in the order given.
pub fn changed_fields_text(keys: &[String], locale: Locale) -> String {
    let mut names: Vec<&str> = Vec::new();
    for key in keys {
        let name = changed_field_name(key, locale);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let separator = if locale == Locale::ZhCn { "、" } else { ", " };
    names.join(separator)
}

/// The message for an error, in `locale`.
pub fn error_text(error: &AppError, locale: Locale) -> String {
    match error {
        AppError::Unauthorized => ErrorText::Unauthorized.text(locale).to_owned(),
        AppError::Forbidden => ErrorText::Forbidden.text(locale).to_owned(),
        AppError::PasswordChangeRequired => {
            ErrorText::PasswordChangeRequired.text(locale).to_owned()
        }
        AppError::NotFound => ErrorText::NotFound.text(locale).to_owned(),
        AppError::Validation(_) => ErrorText::Validation.text(locale).to_owned(),
        AppError::Conflict => ErrorText::Conflict.text(locale).to_owned(),
        AppError::ChangedMeanwhile { by, fields } => fill(
            ErrorText::ChangedMeanwhile.text(locale),
            &[("name", by), ("fields", &changed_fields_text(fields, locale))],
        ),
        AppError::BadCredentials => ErrorText::BadCredentials.text(locale).to_owned(),
        AppError::Throttled { retry_after_secs } => {
            let minutes = retry_after_secs.div_ceil(60).max(1);
            fill(ErrorText::Throttled.text(locale), &[("minutes", &minutes)])
        }
        AppError::Busy { retry_after_secs } => {
            fill(ErrorText::Busy.text(locale), &[("seconds", retry_after_secs)])
        }
        AppError::CrossSiteRefused => ErrorText::CrossSiteRefused.text(locale).to_owned(),
        AppError::Internal { reference } => {
            fill(ErrorText::Internal.text(locale), &[("reference", reference)])
        }
        AppError::BadRequest(_) => ErrorText::BadRequest.text(locale).to_owned(),
        AppError::TooLarge { max_bytes } => {
            let megabytes = max_bytes.div_ceil(1024 * 1024);
            fill(ErrorText::TooLarge.text(locale), &[("megabytes", &megabytes)])
        }
        AppError::Transport(_) => ErrorText::Transport.text(locale).to_owned(),
        AppError::AlreadyClaimed { by } => {
            fill(ErrorText::AlreadyClaimed.text(locale), &[("name", by)])
        }
        AppError::LinkUsed => ErrorText::LinkUsed.text(locale).to_owned(),
        AppError::LinkExpired => ErrorText::LinkExpired.text(locale).to_owned(),
    }
}

/// The message for one refused field, in `locale`.
pub fn field_error_text(error: &FieldError, locale: Locale) -> String {
    match error {
        FieldError::Required => ErrorText::Required.text(locale).to_owned(),
        FieldError::TooLong { max } => fill(ErrorText::TooLong.text(locale), &[("max", max)]),
        FieldError::InvalidEmail => ErrorText::InvalidEmail.text(locale).to_owned(),
        FieldError::AlreadyTaken => ErrorText::AlreadyTaken.text(locale).to_owned(),
        FieldError::PasswordTooShort { min } => {
            fill(ErrorText::PasswordTooShort.text(locale), &[("min", min)])
        }
        FieldError::PasswordsDiffer => ErrorText::PasswordsDiffer.text(locale).to_owned(),
        FieldError::WrongCurrentPassword => ErrorText::WrongCurrentPassword.text(locale).to_owned(),
        FieldError::InvalidChoice => ErrorText::InvalidChoice.text(locale).to_owned(),
        FieldError::BackupsNotConfigured => ErrorText::BackupsNotConfigured.text(locale).to_owned(),
        FieldError::UnknownReference => ErrorText::UnknownReference.text(locale).to_owned(),
        FieldError::CannotChangeOwnAccess => {
            ErrorText::CannotChangeOwnAccess.text(locale).to_owned()
        }
        FieldError::OutOfRange { min, max } => {
            fill(ErrorText::OutOfRange.text(locale), &[("min", min), ("max", max)])
        }
        FieldError::InvalidNumber => ErrorText::InvalidNumber.text(locale).to_owned(),
        FieldError::InvalidPhone => ErrorText::InvalidPhone.text(locale).to_owned(),
        FieldError::InvalidDate => ErrorText::InvalidDate.text(locale).to_owned(),
        FieldError::TooMany { max } => fill(ErrorText::TooMany.text(locale), &[("max", max)]),
        FieldError::OwnerOutOfScope => ErrorText::OwnerOutOfScope.text(locale).to_owned(),
        FieldError::Empty => ErrorText::Empty.text(locale).to_owned(),
        FieldError::CurrencyMismatch => ErrorText::CurrencyMismatch.text(locale).to_owned(),
        FieldError::InFuture => ErrorText::InFuture.text(locale).to_owned(),
        FieldError::BadEncoding => ErrorText::BadEncoding.text(locale).to_owned(),
        FieldError::TooFew { min } => fill(ErrorText::TooFew.text(locale), &[("min", min)]),
        FieldError::BadRule { position, expected } => fill(
            ErrorText::BadRule.text(locale),
            &[("position", &(position + 1)), ("expected", expected)],
        ),
        FieldError::FinalStages => ErrorText::FinalStages.text(locale).to_owned(),
        FieldError::StageInUse => ErrorText::StageInUse.text(locale).to_owned(),
        FieldError::NotEnoughPoints { available } => {
            fill(ErrorText::NotEnoughPoints.text(locale), &[("available", available)])
        }
        FieldError::NoCustomerMatch => ErrorText::NoCustomerMatch.text(locale).to_owned(),
        FieldError::AmbiguousMatch { count } => {
            fill(ErrorText::AmbiguousMatch.text(locale), &[("count", count)])
        }
        FieldError::UnknownProduct => ErrorText::UnknownProduct.text(locale).to_owned(),
        FieldError::SiblingRejected { row } => {
            fill(ErrorText::SiblingRejected.text(locale), &[("row", row)])
        }
        FieldError::ConflictsWithRow { row } => {
            fill(ErrorText::ConflictsWithRow.text(locale), &[("row", row)])
        }
        FieldError::Mismatch => ErrorText::Mismatch.text(locale).to_owned(),
        FieldError::MoreThanRefundable { available } => {
            fill(ErrorText::MoreThanRefundable.text(locale), &[("available", available)])
        }
        FieldError::BelowRefunded { refunded } => {
            fill(ErrorText::BelowRefunded.text(locale), &[("refunded", refunded)])
        }
        FieldError::OrderClosed => ErrorText::OrderClosed.text(locale).to_owned(),
        FieldError::PartlyRefunded => ErrorText::PartlyRefunded.text(locale).to_owned(),
        FieldError::ConvertedLead => ErrorText::ConvertedLead.text(locale).to_owned(),
        FieldError::ClosedOpportunity => ErrorText::ClosedOpportunity.text(locale).to_owned(),
        FieldError::TierWithProducts => ErrorText::TierWithProducts.text(locale).to_owned(),
        FieldError::UnknownMergeField => ErrorText::UnknownMergeField.text(locale).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttled_rounds_up_to_whole_minutes() {
        let text = error_text(&AppError::Throttled { retry_after_secs: 61 }, Locale::En);
        assert_eq!(text, "Too many failed sign-ins. Try again in 2 minutes.");
        let zh = error_text(&AppError::Throttled { retry_after_secs: 5 }, Locale::ZhCn);
        assert!(zh.contains("1 分钟"), "{zh}");
    }

    #[test]
    fn a_concurrent_edit_names_who_and_which_fields_once_each() {
        let error = AppError::ChangedMeanwhile {
            by: "王芳".into(),
            fields: vec!["amount_minor".into(), "stage_id".into(), "lost_reason".into()],
        };
        assert_eq!(
            error_text(&error, Locale::En),
            "王芳 changed this record (Amount, Stage) after you opened it. Your change was not \
             saved: reload, look at theirs, then save again."
        );
        assert!(error_text(&error, Locale::ZhCn).contains("金额、阶段"));
    }

    #[test]
    fn error_table_is_complete() {
        for key in ErrorText::ALL {
            assert!(!key.text(Locale::ZhCn).is_empty() && !key.text(Locale::En).is_empty());
        }
    }
}
