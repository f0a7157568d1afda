//! Tier, segment and loyalty server functions over HTTP: each refuses a lesser role, and a
//! member cannot reach another member's customer through them.

mod common;

use app::{
    auth::model::Role,
    customers::{
        api::CreateCustomer,
        model::{CustomerFilter, CustomerId, CustomerInput},
    },
    error::AppError,
    loyalty::{
        api::{AdjustPoints, GetLoyaltySetup, GetMembership, RedeemPoints, SaveLoyaltySettings},
        model::LoyaltySettings,
    },
    tiers::{
        api::{
            CountCustomers, GetDistribution, ListTiers, LoadTierEditor, PreviewTiers, SaveSegment,
            SaveTiers, SetTierOverride, StartTierRecompute,
        },
        model::{Tier, TierInput, TierSettings},
    },
};
use common::{TestServer, app_error};
use reqwest::StatusCode;

fn as_inputs(tiers: &[Tier]) -> Vec<TierInput> {
    tiers
        .iter()
        .map(|t| TierInput {
            id: Some(t.id),
            name_zh: t.name_zh.clone(),
            name_en: t.name_en.clone(),
            color: t.color.clone(),
            rule: t.rule.clone(),
        })
        .collect()
}

#[tokio::test]
async fn tier_and_loyalty_administration_refuses_lesser_roles() {
    let server = TestServer::start().await;
    let team = server.db.team("East").await;
    server.db.user("member@example.com", Role::Member, Some(team), common::PASSWORD).await;
    server.db.user("manager@example.com", Role::Manager, Some(team), common::PASSWORD).await;
    server.user("admin@example.com", Role::Admin).await;
    let member = server.signed_in("member@example.com").await;
    let manager = server.signed_in("manager@example.com").await;
    let admin = server.signed_in("admin@example.com").await;

    // Everyone reads the tiers (they show on every customer); only admins edit them.
    let (tiers, settings): (Vec<Tier>, TierSettings) = member.ok(&ListTiers {}).await;
    assert_eq!(tiers.len(), 3);
    let inputs = as_inputs(&tiers);
    let forbidden = |response| async move { app_error(response).await };
    for browser in [&member, &manager] {
        assert_eq!(forbidden(browser.call(&LoadTierEditor {}).await).await.1, AppError::Forbidden);
        let preview = browser.call(&PreviewTiers { tiers: inputs.clone() }).await;
        assert_eq!(forbidden(preview).await.1, AppError::Forbidden);
        let save = browser
            .call(&SaveTiers {
                tiers: inputs.clone(),
                window_days: settings.window_days,
                version: settings.version,
            })
            .await;
        assert_eq!(forbidden(save).await, (StatusCode::FORBIDDEN, AppError::Forbidden));
        let recompute = browser.call(&StartTierRecompute {}).await;
        assert_eq!(forbidden(recompute).await.1, AppError::Forbidden);
        assert_eq!(forbidden(browser.call(&GetLoyaltySetup {}).await).await.1, AppError::Forbidden);
        let loyalty = browser
            .call(&SaveLoyaltySettings {
                settings: LoyaltySettings { points_per_hundred: 50, expiry_days: 0, version: 1 },
            })
            .await;
        assert_eq!(forbidden(loyalty).await.1, AppError::Forbidden);
    }
    let (tiers, _, preview): (Vec<Tier>, TierSettings, app::tiers::model::Preview) =
        admin.ok(&LoadTierEditor {}).await;
    assert_eq!(preview.counts.len(), tiers.len(), "the first preview comes with the tiers");

    // Managers set overrides, adjust points, see distributions and save segments; members not.
    let customer: CustomerId = member
        .ok(&CreateCustomer {
            input: CustomerInput { name: "积分客户".into(), ..Default::default() },
            contacts: vec![],
        })
        .await;
    let override_ = SetTierOverride {
        customer_id: customer,
        tier_id: Some(tiers[0].id),
        reason: "战略客户".into(),
        until: None,
    };
    assert_eq!(forbidden(member.call(&override_).await).await.1, AppError::Forbidden);
    let adjust = AdjustPoints { customer_id: customer, delta: 100, reason: "补偿".into() };
    assert_eq!(forbidden(member.call(&adjust).await).await.1, AppError::Forbidden);
    assert_eq!(forbidden(member.call(&GetDistribution {}).await).await.1, AppError::Forbidden);
    let segment = SaveSegment {
        id: None,
        version: 0,
        name: "华东大客户".into(),
        description: String::new(),
        filter: CustomerFilter::default(),
    };
    assert_eq!(forbidden(member.call(&segment).await).await.1, AppError::Forbidden);

    let () = manager.ok(&override_).await;
    let balance: i64 = manager.ok(&adjust).await;
    assert_eq!(balance, 100);
    let redeemed: i64 =
        member.ok(&RedeemPoints { customer_id: customer, points: 30, reason: "兑换".into() }).await;
    assert_eq!(redeemed, 70);
    let count: i64 = member.ok(&CountCustomers { filter: CustomerFilter::default() }).await;
    assert_eq!(count, 1);

    // Another team's member sees none of it.
    let west = server.db.team("West").await;
    server.db.user("bob@example.com", Role::Member, Some(west), common::PASSWORD).await;
    let bob = server.signed_in("bob@example.com").await;
    let (status, error) = app_error(bob.call(&GetMembership { customer_id: customer }).await).await;
    assert_eq!((status, error), (StatusCode::NOT_FOUND, AppError::NotFound));
    let steal = RedeemPoints { customer_id: customer, points: 70, reason: "冒领".into() };
    assert_eq!(app_error(bob.call(&steal).await).await.1, AppError::NotFound);
    let balance: i64 = sqlx::query_scalar(
        "select coalesce(sum(delta), 0)::bigint from points_entry where customer_id = $1",
    )
    .bind(customer.0)
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    assert_eq!(balance, 70, "untouched");
}
