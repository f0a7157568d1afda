//! Account administration and the audit trail, against a real database.

use app::{
    audit::{model::AuditFilter, repo as audit},
    auth::model::{Role, ScopeKind, UserId},
    error::{AppError, FieldError},
    testing::TestDatabase,
    users::{
        model::{NewUser, RoleScope, UserUpdate},
        service,
    },
};

const PASSWORD: &str = "a long enough password";

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        display_name: "赵敏".into(),
        role: Some(Role::Member),
        team_id: None,
        password: PASSWORD.into(),
    }
}

#[tokio::test]
async fn a_second_editor_with_a_stale_version_gets_a_conflict_and_nothing_is_overwritten() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let admin_id = db.user("admin@example.com", Role::Admin, None, PASSWORD).await;
    let admin = db.caller(admin_id).await.unwrap();
    let created =
        service::create_user(&state, &admin, new_user("zhao.min@example.com")).await.unwrap();

    let first = UserUpdate {
        id: created.id,
        version: created.version,
        display_name: "赵敏 (华东)".into(),
        role: Role::Manager,
        team_id: None,
    };
    let second =
        UserUpdate { display_name: "Zhao Min".into(), role: Role::Member, ..first.clone() };
    let saved = service::update_user(&state, &admin, first).await.unwrap();
    assert_eq!(saved.version, created.version + 1);
    assert_eq!(service::update_user(&state, &admin, second).await.unwrap_err(), AppError::Conflict);

    let stored: (String, String) =
        sqlx::query_as("select display_name, role from app_user where id = $1")
            .bind(created.id.0)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(stored, ("赵敏 (华东)".into(), "manager".into()));

    let missing = UserUpdate { id: UserId(999_999), ..saved.clone().into_update() };
    assert_eq!(
        service::update_user(&state, &admin, missing).await.unwrap_err(),
        AppError::NotFound
    );
}

trait IntoUpdate {
    fn into_update(self) -> UserUpdate;
}

impl IntoUpdate for app::users::model::UserSummary {
    fn into_update(self) -> UserUpdate {
        UserUpdate {
            id: self.id,
            version: self.version,
            display_name: self.display_name,
            role: self.role,
            team_id: self.team_id,
        }
    }
}

#[tokio::test]
async fn field_errors_name_the_field_that_was_wrong() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let admin =
        db.caller(db.user("admin@example.com", Role::Admin, None, PASSWORD).await).await.unwrap();
    service::create_user(&state, &admin, new_user("taken@example.com")).await.unwrap();

    let duplicate =
        service::create_user(&state, &admin, new_user("TAKEN@example.com")).await.unwrap_err();
    assert_eq!(duplicate.field_errors().unwrap().get("email"), &[FieldError::AlreadyTaken]);

    let mut bad_team = new_user("teamless@example.com");
    bad_team.team_id = Some(app::auth::model::TeamId(424242));
    let error = service::create_user(&state, &admin, bad_team).await.unwrap_err();
    assert_eq!(error.field_errors().unwrap().get("team_id"), &[FieldError::UnknownReference]);

    let team_a = db.team("华东销售部").await;
    let _ = team_a;
    let error = service::create_team(&state, &admin, " 华东销售部 ").await.unwrap_err();
    assert_eq!(error.field_errors().unwrap().get("name"), &[FieldError::AlreadyTaken]);
}

#[tokio::test]
async fn an_admin_cannot_lock_themselves_out() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let admin_id = db.user("admin@example.com", Role::Admin, None, PASSWORD).await;
    let admin = db.caller(admin_id).await.unwrap();
    let me = app::users::repo::get(&db.pool, admin_id).await.unwrap();

    let demote = UserUpdate { role: Role::Member, ..me.clone().into_update() };
    let error = service::update_user(&state, &admin, demote).await.unwrap_err();
    assert_eq!(error.field_errors().unwrap().get("role"), &[FieldError::CannotChangeOwnAccess]);
    let error = service::set_active(&state, &admin, admin_id, me.version, false).await.unwrap_err();
    assert_eq!(error.field_errors().unwrap().get("active"), &[FieldError::CannotChangeOwnAccess]);
}

#[tokio::test]
async fn the_role_scope_decides_whose_records_a_caller_sees() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let east = db.team("East").await;
    let west = db.team("West").await;
    let admin =
        db.caller(db.user("admin@example.com", Role::Admin, None, PASSWORD).await).await.unwrap();
    let manager_id = db.user("manager@example.com", Role::Manager, Some(east), PASSWORD).await;
    let teammate = db.user("teammate@example.com", Role::Member, Some(east), PASSWORD).await;
    let outsider = db.user("outsider@example.com", Role::Member, Some(west), PASSWORD).await;

    // Defaults: admin all, manager team, member own.
    assert_eq!(admin.scope.visible_owners(), None);
    let manager = db.caller(manager_id).await.unwrap();
    assert_eq!(manager.scope.kind, ScopeKind::Team);
    let mut expected = vec![manager_id.0, teammate.0];
    expected.sort_unstable();
    assert_eq!(manager.scope.visible_owners(), Some(expected));
    assert!(!manager.scope.can_see_owner(Some(outsider)));
    let member = db.caller(teammate).await.unwrap();
    assert_eq!(member.scope.visible_owners(), Some(vec![teammate.0]));

    // An admin narrows managers to their own records: it applies on the next request.
    service::set_scope(&state, &admin, RoleScope { role: Role::Manager, scope: ScopeKind::Own })
        .await
        .unwrap();
    let manager = db.caller(manager_id).await.unwrap();
    assert_eq!(manager.scope.visible_owners(), Some(vec![manager_id.0]));
}

#[tokio::test]
async fn the_audit_log_filters_and_pages_newest_first() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let admin =
        db.caller(db.user("admin@example.com", Role::Admin, None, PASSWORD).await).await.unwrap();
    for n in 0..7 {
        service::create_user(&state, &admin, new_user(&format!("u{n}@example.com"))).await.unwrap();
    }
    service::create_team(&state, &admin, "Service").await.unwrap();

    let users_only = AuditFilter { entity_type: Some("user".into()), ..Default::default() };
    let first = audit::list(&db.pool, &users_only, None, 5).await.unwrap();
    assert_eq!(first.items.len(), 5);
    assert!(first.items.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert!(first.items.iter().all(|e| e.entity_type == "user"));
    let rest = audit::list(&db.pool, &users_only, first.next, 5).await.unwrap();
    assert_eq!(rest.items.len(), 2);
    assert_eq!(rest.next, None);

    let newest = &first.items[0];
    assert_eq!(newest.actor_name.as_deref(), Some("admin@example.com"));
    assert_eq!(newest.after.as_ref().unwrap()["email"], "u6@example.com");
    assert!(newest.after.as_ref().unwrap().get("password_hash").is_none(), "no secrets in the log");

    let teams = AuditFilter {
        entity_type: Some("team".into()),
        action: Some("create".into()),
        ..Default::default()
    };
    assert_eq!(audit::list(&db.pool, &teams, None, 50).await.unwrap().items.len(), 1);
    let tomorrow = app::testing::company_today(&db.pool).await + chrono::Duration::days(1);
    let future = AuditFilter { from: Some(tomorrow), ..Default::default() };
    assert!(audit::list(&db.pool, &future, None, 50).await.unwrap().items.is_empty());
}
