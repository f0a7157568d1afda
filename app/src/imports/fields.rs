//! What the columns of an order or interaction file fill in, and how people write their
//! values: headers in Chinese or English, money as `¥1,280.00`, `1280元` or `1.28万`, dates
//! with or without a time.

use crate::enums::text_enum;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

/// The kinds of file the import wizard takes.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    #[default]
    Customers,
    Orders,
    Interactions,
}

text_enum!(ImportKind { Customers => "customers", Orders => "orders", Interactions => "interactions" });

/// Choices the importer makes besides the mapping.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportOptions {
    /// A row whose customer matches nobody creates the customer from the row's name, phone,
    /// email and external id, rather than being refused.
    pub create_customers: bool,
    /// A product matching nothing in the catalogue is added to it, rather than the row being
    /// refused.
    pub create_products: bool,
    /// Imported orders earn loyalty points as if placed today (off: history earns nothing).
    pub award_points: bool,
    /// The sheet of a workbook to read (the first when none).
    pub sheet: Option<String>,
}

/// A column of an order file. One row is one order line, or a whole order when the file has
/// no product column (or the row's product is empty) and gives an order total.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderField {
    OrderNo,
    OrderExternalId,
    OrderedAt,
    Channel,
    CustomerExternalId,
    CustomerPhone,
    CustomerEmail,
    CustomerName,
    Sku,
    ProductName,
    ProductCategory,
    Quantity,
    UnitPrice,
    LineTotal,
    OrderTotal,
    Currency,
    Notes,
}

text_enum!(OrderField {
    OrderNo => "order_no", OrderExternalId => "order_external_id", OrderedAt => "ordered_at",
    Channel => "channel", CustomerExternalId => "customer_external_id",
    CustomerPhone => "customer_phone", CustomerEmail => "customer_email",
    CustomerName => "customer_name", Sku => "sku", ProductName => "product_name",
    ProductCategory => "product_category", Quantity => "quantity", UnitPrice => "unit_price",
    LineTotal => "line_total", OrderTotal => "order_total", Currency => "currency",
    Notes => "notes",
});

/// A column of an interaction file.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionField {
    CustomerExternalId,
    CustomerPhone,
    CustomerEmail,
    CustomerName,
    Kind,
    Direction,
    OccurredAt,
    Subject,
    Outcome,
    NextStep,
    NextStepDue,
    OwnerEmail,
}

text_enum!(InteractionField {
    CustomerExternalId => "customer_external_id", CustomerPhone => "customer_phone",
    CustomerEmail => "customer_email", CustomerName => "customer_name", Kind => "kind",
    Direction => "direction", OccurredAt => "occurred_at", Subject => "subject",
    Outcome => "outcome", NextStep => "next_step", NextStepDue => "next_step_due",
    OwnerEmail => "owner_email",
});

/// A header as compared: lower case, without a unit in brackets (`单价(元)`), spaces,
/// underscores, dashes or dots.
fn header_key(header: &str) -> String {
    let mut key = String::new();
    let mut depth = 0;
    for c in header.trim().to_lowercase().chars() {
        match c {
            '(' | '（' | '[' | '【' => depth += 1,
            ')' | '）' | ']' | '】' => depth = (depth - 1).max(0),
            ' ' | '_' | '-' | '/' | '.' => {}
            c if depth == 0 => key.push(c),
            _ => {}
        }
    }
    key
}

impl OrderField {
    /// The field a header most likely means, in Chinese or English.
    pub fn suggest(header: &str) -> Option<OrderField> {
        let h = header_key(header);
        let any = |words: &[&str]| words.contains(&h.as_str());
        use OrderField::*;
        Some(
            if any(&["orderno", "ordernumber", "order", "订单号", "订单编号", "单号", "订单"])
            {
                OrderNo
            } else if any(&[
                "orderexternalid",
                "orderid",
                "外部订单号",
                "平台订单号",
                "外部订单编号",
            ]) {
                OrderExternalId
            } else if any(&[
                "orderedat",
                "orderdate",
                "date",
                "time",
                "datetime",
                "下单时间",
                "下单日期",
                "订单日期",
                "日期",
                "时间",
                "成交日期",
            ]) {
                OrderedAt
            } else if any(&["channel", "渠道", "销售渠道", "下单渠道"]) {
                Channel
            } else if any(&[
                "customerexternalid",
                "customerid",
                "客户编号",
                "客户外部编号",
                "会员号",
                "会员编号",
            ]) {
                CustomerExternalId
            } else if any(&[
                "phone",
                "mobile",
                "tel",
                "customerphone",
                "电话",
                "手机",
                "手机号",
                "联系电话",
                "客户电话",
            ]) {
                CustomerPhone
            } else if any(&["email", "customeremail", "mail", "邮箱", "客户邮箱", "电子邮件"])
            {
                CustomerEmail
            } else if any(&[
                "customer",
                "customername",
                "company",
                "name",
                "客户",
                "客户名称",
                "公司",
                "公司名称",
                "姓名",
            ]) {
                CustomerName
            } else if any(&[
                "sku",
                "productcode",
                "itemcode",
                "产品编号",
                "商品编号",
                "货号",
                "产品编码",
                "商品编码",
            ]) {
                Sku
            } else if any(&[
                "product",
                "productname",
                "item",
                "产品",
                "产品名称",
                "商品",
                "商品名称",
            ]) {
                ProductName
            } else if any(&["category", "productcategory", "产品类别", "商品类别", "类别", "品类"])
            {
                ProductCategory
            } else if any(&["quantity", "qty", "数量", "件数"]) {
                Quantity
            } else if any(&["unitprice", "price", "单价", "价格"]) {
                UnitPrice
            } else if any(&["linetotal", "amount", "subtotal", "金额", "小计", "行金额"]) {
                LineTotal
            } else if any(&[
                "ordertotal",
                "total",
                "订单金额",
                "订单总额",
                "总金额",
                "合计",
                "实付金额",
            ]) {
                OrderTotal
            } else if any(&["currency", "币种", "货币"]) {
                Currency
            } else if any(&["notes", "note", "remark", "remarks", "备注"]) {
                Notes
            } else {
                return None;
            },
        )
    }
}

impl InteractionField {
    /// The field a header most likely means, in Chinese or English.
    pub fn suggest(header: &str) -> Option<InteractionField> {
        let h = header_key(header);
        let any = |words: &[&str]| words.contains(&h.as_str());
        use InteractionField::*;
        Some(
            if any(&["customerexternalid", "customerid", "客户编号", "客户外部编号", "会员号"])
            {
                CustomerExternalId
            } else if any(&[
                "phone",
                "mobile",
                "tel",
                "customerphone",
                "电话",
                "手机",
                "手机号",
                "联系电话",
            ]) {
                CustomerPhone
            } else if any(&["email", "customeremail", "邮箱", "客户邮箱"]) {
                CustomerEmail
            } else if any(&[
                "customer",
                "customername",
                "company",
                "客户",
                "客户名称",
                "公司",
                "公司名称",
            ]) {
                CustomerName
            } else if any(&["type", "kind", "方式", "类型", "沟通方式", "联系方式"]) {
                Kind
            } else if any(&["direction", "方向", "呼入呼出"]) {
                Direction
            } else if any(&[
                "occurredat",
                "date",
                "time",
                "datetime",
                "时间",
                "日期",
                "沟通时间",
                "联系时间",
            ]) {
                OccurredAt
            } else if any(&["subject", "title", "topic", "主题", "标题", "内容", "事由"]) {
                Subject
            } else if any(&["outcome", "result", "结果", "沟通结果"]) {
                Outcome
            } else if any(&["nextstep", "下一步", "后续", "跟进事项"]) {
                NextStep
            } else if any(&[
                "nextstepdue",
                "followupdate",
                "due",
                "跟进日期",
                "下次跟进",
                "下一步日期",
            ]) {
                NextStepDue
            } else if any(&[
                "owner",
                "owneremail",
                "salesrep",
                "负责人",
                "跟进人",
                "销售",
                "记录人",
            ]) {
                OwnerEmail
            } else {
                return None;
            },
        )
    }
}

/// Money as people write it in China, in minor units, never through a float: `1280`,
/// `1,280.00`, `¥1,280.00`, `￥1280`, `RMB 1280`, `1280元`, `1.28万`, `1.28万元`, `-35.5`
/// (a refund line). At most two decimals once read (`1.2345万` is 12,345.00).
pub fn parse_money(text: &str) -> Result<i64, crate::error::FieldError> {
    use crate::error::FieldError;
    let mut t: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' ' | '\u{a0}' | '¥' | '￥' | '$'))
        .collect();
    if t.is_empty() {
        return Err(FieldError::Required);
    }
    for prefix in ["RMB", "rmb", "CNY", "cny"] {
        if let Some(rest) = t.strip_prefix(prefix) {
            t = rest.to_owned();
        }
    }
    for suffix in ["元", "圆", "块"] {
        if let Some(rest) = t.strip_suffix(suffix) {
            t = rest.to_owned();
        }
    }
    let (t, scale) = match t.strip_suffix('万') {
        Some(rest) => (rest.to_owned(), 4u32),
        None => (t, 0),
    };
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.as_str()),
    };
    let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return Err(FieldError::InvalidNumber);
    }
    // Minor units are the digits with the decimal point moved right by 2 (+4 for 万).
    let shift = 2 + scale as usize;
    if fraction.len() > shift {
        return Err(FieldError::InvalidNumber);
    }
    let digits = format!("{whole}{fraction:0<shift$}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 17 {
        return Err(FieldError::InvalidNumber);
    }
    let value: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| FieldError::InvalidNumber)?
    };
    Ok(if negative { -value } else { value })
}

/// A date, with or without a time: `2026-03-01`, `2026/3/1`, `2026.3.1`, `2026年3月1日`,
/// `20260301`, each optionally followed by `14:30` or `14:30:05` (or `14时30分`), or an ISO
/// `2026-03-01T14:30`. The time is `None` when the cell has only a date.
pub fn parse_date_time(text: &str) -> Option<(NaiveDate, Option<NaiveTime>)> {
    let t = text.trim();
    let (date_part, time_part) = match t.find(['T', ' ']) {
        Some(at) => (&t[..at], Some(t[at + 1..].trim())),
        None => (t, None),
    };
    let date_text = date_part.replace(['年', '月', '/', '.'], "-").replace('日', "");
    let date = NaiveDate::parse_from_str(&date_text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&date_text, "%Y%m%d"))
        .ok()?;
    let time = match time_part.filter(|p| !p.is_empty()) {
        None => None,
        Some(time) => {
            let time = time.replace(['时', '点', '分'], ":").replace('秒', "");
            let time = time.trim_end_matches(':');
            let time = time.split(['.', '+', 'Z']).next().unwrap_or(time);
            Some(
                NaiveTime::parse_from_str(time, "%H:%M:%S")
                    .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M"))
                    .ok()?,
            )
        }
    };
    Some((date, time))
}

/// A date and time read as a wall-clock time, midnight when only the date is given.
pub fn parse_local_time(text: &str) -> Option<NaiveDateTime> {
    parse_date_time(text).map(|(date, time)| date.and_time(time.unwrap_or(NaiveTime::MIN)))
}

/// An order's channel as people write it; empty is "other" (history rarely says).
pub fn parse_channel(text: &str) -> Option<crate::orders::model::Channel> {
    use crate::orders::model::Channel::*;
    Some(match text.trim().to_lowercase().as_str() {
        "" | "other" | "其他" | "其它" => Other,
        "online" | "web" | "shop" | "线上" | "网店" | "电商" | "官网" | "天猫" | "淘宝"
        | "京东" => Online,
        "store" | "offline" | "门店" | "店铺" | "线下" | "实体店" => Store,
        "sales" | "direct" | "销售" | "直销" | "业务员" => Sales,
        "phone" | "电话" | "电话订购" => Phone,
        "wechat" | "微信" | "小程序" | "企业微信" => Wechat,
        "distributor" | "dealer" | "经销商" | "代理商" | "分销" => Distributor,
        _ => return None,
    })
}

/// A currency as people write it: an ISO code, or its Chinese name.
pub fn parse_currency(text: &str) -> Option<String> {
    let t = text.trim();
    let code = match t {
        "人民币" | "元" | "¥" | "￥" | "RMB" | "rmb" => "CNY",
        "美元" | "美金" | "$" => "USD",
        "欧元" | "€" => "EUR",
        "港币" | "港元" => "HKD",
        "日元" => "JPY",
        other => other,
    };
    (code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| code.to_ascii_uppercase())
}

/// An interaction's kind as people write it; empty is a call.
pub fn parse_interaction_kind(text: &str) -> Option<crate::interactions::model::InteractionKind> {
    use crate::interactions::model::InteractionKind::*;
    Some(match text.trim().to_lowercase().as_str() {
        "" | "call" | "phone" | "电话" | "通话" | "来电" | "去电" => Call,
        "email" | "mail" | "邮件" | "电子邮件" => Email,
        "meeting" | "会议" | "会面" | "开会" => Meeting,
        "visit" | "拜访" | "上门" | "走访" | "来访" => Visit,
        "wechat" | "微信" | "企业微信" => Wechat,
        "note" | "备注" | "记录" | "笔记" => Note,
        _ => return None,
    })
}

/// An interaction's direction as people write it; empty is outbound.
pub fn parse_direction(text: &str) -> Option<crate::interactions::model::Direction> {
    use crate::interactions::model::Direction::*;
    Some(match text.trim().to_lowercase().as_str() {
        "" | "outbound" | "out" | "呼出" | "去电" | "主动" | "外呼" => Outbound,
        "inbound" | "in" | "呼入" | "来电" | "客户主动" | "来访" => Inbound,
        "internal" | "内部" => Internal,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;

    #[test]
    fn money_is_read_the_way_people_write_it_in_china() {
        assert_eq!(parse_money("¥1,280.00"), Ok(128_000));
        assert_eq!(parse_money("￥1，280.5"), Ok(128_050));
        assert_eq!(parse_money("1280元"), Ok(128_000));
        assert_eq!(parse_money("1.28万"), Ok(1_280_000));
        assert_eq!(parse_money("1.28万元"), Ok(1_280_000));
        assert_eq!(parse_money("3万"), Ok(3_000_000));
        assert_eq!(parse_money("1.2345万"), Ok(1_234_500));
        assert_eq!(parse_money("RMB 99"), Ok(9_900));
        assert_eq!(parse_money("0.05"), Ok(5));
        assert_eq!(parse_money("-35.5"), Ok(-3_550));
        assert_eq!(parse_money(".5"), Ok(50));
        assert_eq!(parse_money("1.234"), Err(FieldError::InvalidNumber));
        assert_eq!(parse_money("1.234567万"), Ok(1_234_567));
        assert_eq!(parse_money("1.2345678万"), Err(FieldError::InvalidNumber));
        assert_eq!(parse_money("12abc"), Err(FieldError::InvalidNumber));
        assert_eq!(parse_money("99999999999999999999"), Err(FieldError::InvalidNumber));
        assert_eq!(parse_money("  "), Err(FieldError::Required));
        // Never through a float: 0.1 + 0.2 style errors cannot happen.
        assert_eq!(parse_money("0.29"), Ok(29));
        assert_eq!(parse_money("1234567890123.45"), Ok(123_456_789_012_345));
    }

    #[test]
    fn dates_with_and_without_times() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let at = |h, m, s| Some(NaiveTime::from_hms_opt(h, m, s).unwrap());
        assert_eq!(parse_date_time("2026-03-01"), Some((day, None)));
        assert_eq!(parse_date_time("2026/3/1"), Some((day, None)));
        assert_eq!(parse_date_time("2026年3月1日"), Some((day, None)));
        assert_eq!(parse_date_time("20260301"), Some((day, None)));
        assert_eq!(parse_date_time("2026-03-01 00:30"), Some((day, at(0, 30, 0))));
        assert_eq!(parse_date_time("2026-03-01T23:59:59"), Some((day, at(23, 59, 59))));
        assert_eq!(parse_date_time("2026年3月1日 14时30分"), Some((day, at(14, 30, 0))));
        assert_eq!(parse_date_time("2026-03-01 14:30:00.000"), Some((day, at(14, 30, 0))));
        assert_eq!(parse_date_time("2026-02-30"), None);
        assert_eq!(parse_date_time("yesterday"), None);
        assert_eq!(parse_date_time("2026-03-01 25:00"), None);
    }

    #[test]
    fn headers_suggest_their_field_in_either_language() {
        assert_eq!(OrderField::suggest("订单号"), Some(OrderField::OrderNo));
        assert_eq!(OrderField::suggest("Order No."), Some(OrderField::OrderNo));
        assert_eq!(OrderField::suggest("下单时间"), Some(OrderField::OrderedAt));
        assert_eq!(OrderField::suggest("客户名称"), Some(OrderField::CustomerName));
        assert_eq!(OrderField::suggest("手机"), Some(OrderField::CustomerPhone));
        assert_eq!(OrderField::suggest("SKU"), Some(OrderField::Sku));
        assert_eq!(OrderField::suggest("单价(元)"), Some(OrderField::UnitPrice));
        assert_eq!(OrderField::suggest("Amount"), Some(OrderField::LineTotal));
        assert_eq!(InteractionField::suggest("沟通方式"), Some(InteractionField::Kind));
        assert_eq!(InteractionField::suggest("Subject"), Some(InteractionField::Subject));
        assert_eq!(InteractionField::suggest("favourite colour"), None);
        for field in OrderField::ALL {
            assert_eq!(OrderField::parse(field.as_str()), Ok(*field));
        }
    }

    #[test]
    fn channels_kinds_and_currencies_in_either_language() {
        use crate::interactions::model::{Direction, InteractionKind};
        use crate::orders::model::Channel;
        assert_eq!(parse_channel("天猫"), Some(Channel::Online));
        assert_eq!(parse_channel(""), Some(Channel::Other));
        assert_eq!(parse_channel("carrier pigeon"), None);
        assert_eq!(parse_interaction_kind("拜访"), Some(InteractionKind::Visit));
        assert_eq!(parse_direction("来电"), Some(Direction::Inbound));
        assert_eq!(parse_currency("人民币").as_deref(), Some("CNY"));
        assert_eq!(parse_currency("usd").as_deref(), Some("USD"));
        assert_eq!(parse_currency("dollars"), None);
    }
}
