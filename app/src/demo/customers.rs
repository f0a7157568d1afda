//! Demo customers, products, orders and interactions: a small realistic set for `./guanxi run`,
//! and the same generator in bulk (COPY) for the million-customer benchmark.

use super::names::{self, INDUSTRIES, REGIONS};
use crate::{
    customers::model::{index_keys, name_key, normalize_phone, search_text},
    error::AppError,
};
use chrono::{DateTime, Duration, Utc};
use rand::{Rng, seq::SliceRandom};
use sqlx::PgPool;

/// (sku, name, category, price in fen)
// Prices are grouped yuan_fen (1_980_00 is ¥1,980.00), which reads better than clippy's grouping.
#[allow(clippy::inconsistent_digit_grouping)]
pub const PRODUCTS: [(&str, &str, &str, i64); 20] = [
    ("GX-CRM-BAS", "关系 CRM 基础版（年）", "软件订阅", 1_980_00),
    ("GX-CRM-PRO", "关系 CRM 专业版（年）", "软件订阅", 4_980_00),
    ("GX-CRM-ENT", "关系 CRM 企业版（年）", "软件订阅", 12_800_00),
    ("GX-SMS-10K", "短信包 1 万条", "增值服务", 450_00),
    ("GX-WX-MOD", "微信客服模块", "增值服务", 1_200_00),
    ("GX-TRAIN", "上门培训（天）", "专业服务", 3_000_00),
    ("GX-IMPL", "实施服务包", "专业服务", 8_800_00),
    ("GX-DATA", "数据迁移服务", "专业服务", 5_000_00),
    ("HW-POS-01", "收银终端 POS-01", "硬件", 2_399_00),
    ("HW-SCAN-02", "扫码枪 SC-02", "硬件", 399_00),
    ("HW-PRN-03", "小票打印机 PR-03", "硬件", 699_00),
    ("HW-TAB-10", "门店平板 10 寸", "硬件", 1_899_00),
    ("CS-SUP-STD", "标准支持（年）", "客户成功", 980_00),
    ("CS-SUP-PRM", "尊享支持（年）", "客户成功", 3_600_00),
    ("MK-CAMP", "营销活动代运营（月）", "营销服务", 6_000_00),
    ("MK-LOY", "会员积分模块", "营销服务", 2_400_00),
    ("BI-DASH", "经营分析看板", "数据分析", 3_200_00),
    ("BI-API", "开放 API 调用包", "数据分析", 1_500_00),
    ("TR-ONLINE", "在线课程年卡", "培训", 699_00),
    ("TR-CERT", "认证考试", "培训", 1_280_00),
];

/// Products often bought together, so recommendations have something to find.
const BUNDLES: [&[usize]; 6] = [
    &[0, 12, 5],
    &[1, 4, 13, 6],
    &[2, 6, 7, 13, 16],
    &[8, 9, 10, 11],
    &[14, 15, 3],
    &[16, 17, 18, 19],
];

const TAGS: [&str; 8] =
    ["VIP", "重点客户", "华东", "老客户", "渠道伙伴", "需回访", "Key account", "Trial"];
const SUBJECTS: [&str; 8] = [
    "首次电话沟通需求",
    "产品演示",
    "报价跟进",
    "续约提醒",
    "上门拜访",
    "微信回复咨询",
    "Quarterly review",
    "Follow-up on invoice",
];

/// A generated order: when, and lines of (index into `PRODUCTS`, quantity).
pub type DemoOrder = (DateTime<Utc>, Vec<(usize, i32)>);

/// One generated customer with its orders.
pub struct DemoCustomer {
    pub kind: &'static str,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub region: &'static str,
    pub industry: &'static str,
    pub source: &'static str,
    pub tags: Vec<String>,
    pub contact: (String, String),
    pub orders: Vec<DemoOrder>,
    pub churned: bool,
}

/// A customer: companies four times out of five; about a third have not ordered yet.
pub fn customer(rng: &mut impl Rng, n: usize, now: DateTime<Utc>) -> DemoCustomer {
    let company = rng.gen_ratio(4, 5);
    let person = names::person(rng);
    let name = if company { names::company(rng) } else { person.display_name.clone() };
    let (region, _) = *REGIONS.choose(rng).expect("regions");
    let (industry, _) = *INDUSTRIES.choose(rng).expect("industries");
    let contact = names::person(rng);
    let order_count = match rng.gen_range(0..100) {
        0..=32 => 0,
        33..=60 => 1,
        61..=85 => rng.gen_range(2..5),
        _ => rng.gen_range(5..14),
    };
    let bundle = BUNDLES.choose(rng).expect("bundles");
    let mut orders: Vec<DemoOrder> = (0..order_count)
        .map(|_| {
            let at = now
                - Duration::days(rng.gen_range(0..900))
                - Duration::minutes(rng.gen_range(0..1440));
            let lines = (0..rng.gen_range(1..=3))
                .map(|_| {
                    let product = if rng.gen_ratio(4, 5) {
                        *bundle.choose(rng).expect("bundle")
                    } else {
                        rng.gen_range(0..PRODUCTS.len())
                    };
                    (product, rng.gen_range(1..=5))
                })
                .collect();
            (at, lines)
        })
        .collect();
    orders.sort_by_key(|o| o.0);
    let tag_count = rng.gen_range(0..3);
    let mut tags: Vec<String> =
        TAGS.choose_multiple(rng, tag_count).map(|t| t.to_string()).collect();
    tags.sort();
    DemoCustomer {
        kind: if company { "company" } else { "individual" },
        name,
        phone: names::mobile(rng),
        email: format!(
            "{}.{n}@{}",
            person.email_local,
            if company { "example.cn" } else { "mail.example.com" }
        ),
        region,
        industry,
        source: ["website", "social", "referral", "event", "sales_visit", "service_desk"]
            .choose(rng)
            .expect("sources"),
        tags,
        contact: (contact.display_name, names::mobile(rng)),
        churned: order_count > 0 && rng.gen_ratio(1, 12),
        orders,
    }
}

/// Inserts the catalogue; returns product ids in `PRODUCTS` order.
pub async fn seed_products(pool: &PgPool) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::new();
    for (sku, name, category, price) in PRODUCTS {
        let id = sqlx::query_scalar!(
            "insert into product (sku, name, category, unit_price_minor) values ($1, $2, $3, $4)
             on conflict (sku) do update set name = excluded.name returning id",
            sku,
            name,
            category,
            price
        )
        .fetch_one(pool)
        .await?;
        ids.push(id);
    }
    Ok(ids)
}

/// Inserts `count` customers (with contact, orders, a few interactions and their timeline)
/// owned round-robin by `owners`.
pub async fn seed_customers(
    pool: &PgPool,
    rng: &mut impl Rng,
    count: usize,
    owners: &[i64],
    products: &[i64],
) -> Result<(), AppError> {
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    for n in 0..count {
        let c = customer(rng, n, now);
        let owner = owners[n % owners.len()];
        let text = search_text(
            &c.name,
            Some(&c.phone),
            Some(&c.email),
            None,
            [(c.contact.0.as_str(), Some(c.contact.1.as_str()))],
        );
        let total: i64 =
            c.orders.iter().flat_map(|o| &o.1).map(|(p, q)| PRODUCTS[*p].3 * i64::from(*q)).sum();
        let customer_type = match (c.orders.is_empty(), c.churned) {
            (true, _) => "potential",
            (false, true) => "former",
            (false, false) => "existing",
        };
        let created_at = c
            .orders
            .first()
            .map(|o| o.0 - Duration::days(rng.gen_range(1..60)))
            .unwrap_or(now - Duration::days(rng.gen_range(0..120)));
        let id = sqlx::query_scalar!(
            r#"
            insert into customer (kind, name, customer_type, churn_reason, churned_at, phone,
                phone_normalized, email, email_normalized, region, industry, source, owner_id, tags,
                order_count, total_spend_minor, first_order_at, last_order_at, search_text,
                search_keys, name_key, created_by, created_at)
            values ($1, $2, $3, case when $3 = 'former' then '价格原因转向竞品' end,
                case when $3 = 'former' then now() end, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12,
                $13, $14, $15, $16, $17, $18, $10, $19)
            returning id
            "#,
            c.kind,
            c.name,
            customer_type,
            c.phone,
            normalize_phone(&c.phone),
            c.email,
            c.region,
            c.industry,
            c.source,
            owner,
            &c.tags,
            c.orders.len() as i32,
            total,
            c.orders.first().map(|o| o.0) as _,
            c.orders.last().map(|o| o.0) as _,
            text,
            &index_keys(&text),
            name_key(&c.name),
            created_at as _,
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query!(
            "insert into contact (customer_id, name, phone, phone_normalized, is_primary)
             values ($1, $2, $3, $4, true)",
            id,
            c.contact.0,
            c.contact.1,
            normalize_phone(&c.contact.1),
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "insert into timeline_event (customer_id, at, kind, actor_id) values ($1, $2, 'created', $3)",
            id,
            created_at as _,
            owner
        )
        .execute(&mut *tx)
        .await?;
        for (k, (at, lines)) in c.orders.iter().enumerate() {
            let order_total: i64 = lines.iter().map(|(p, q)| PRODUCTS[*p].3 * i64::from(*q)).sum();
            let order_no = format!("SO-DEMO-{id:06}-{k:02}");
            let order_id = sqlx::query_scalar!(
                "insert into sales_order (customer_id, order_no, ordered_at, channel, total_minor, created_by)
                 values ($1, $2, $3, $4, $5, $6) returning id",
                id,
                order_no,
                *at as _,
                ["online", "store", "sales", "wechat"][k % 4],
                order_total,
                owner
            )
            .fetch_one(&mut *tx)
            .await?;
            for (p, q) in lines {
                sqlx::query!(
                    "insert into order_line (order_id, product_id, quantity, unit_price_minor, line_total_minor)
                     values ($1, $2, $3, $4, $5)",
                    order_id,
                    products[*p],
                    q,
                    PRODUCTS[*p].3,
                    PRODUCTS[*p].3 * i64::from(*q)
                )
                .execute(&mut *tx)
                .await?;
            }
            let data = serde_json::json!({ "order_no": order_no, "total_minor": order_total, "currency": "CNY", "lines": lines.len() });
            sqlx::query!(
                "insert into timeline_event (customer_id, at, kind, ref_id, data, actor_id) values ($1, $2, 'order', $3, $4, $5)",
                id,
                *at as _,
                order_id,
                data,
                owner
            )
            .execute(&mut *tx)
            .await?;
        }
        for _ in 0..rng.gen_range(0..3) {
            let subject = *SUBJECTS.choose(rng).expect("subjects");
            let at = now - Duration::days(rng.gen_range(0..200));
            let kind = *["call", "meeting", "visit", "wechat", "email"].choose(rng).expect("kinds");
            let interaction = sqlx::query_scalar!(
                "insert into interaction (customer_id, kind, direction, occurred_at, subject, outcome, created_by)
                 values ($1, $2, 'outbound', $3, $4, '客户有兴趣，待报价', $5) returning id",
                id,
                kind,
                at as _,
                subject,
                owner
            )
            .fetch_one(&mut *tx)
            .await?;
            let data = serde_json::json!({ "kind": kind, "subject": subject });
            sqlx::query!(
                "insert into timeline_event (customer_id, at, kind, ref_id, data, actor_id) values ($1, $2, 'interaction', $3, $4, $5)",
                id,
                at as _,
                interaction,
                data,
                owner
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
