//! Rules on the server: saving them, counting whom they would act on, and acting, once per
//! rule, customer and occurrence.
//!
//! Evaluation is set-based: one statement finds a rule's customers and logs their occurrences
//! (`on conflict do nothing` on the run's unique key), and only the rows it logged get a task
//! or an email job, in the same transaction. Two processes evaluating the same rule at the same
//! moment therefore act once: the second's insert waits on the first's keys and then skips them.

use super::model::*;
use crate::{
    audit::repo::{Change, record},
    auth::server::{Actor, Authenticated},
    customers::model::{CustomerFilter, CustomerId, CustomerSettings, LifecycleStage},
    error::{AppError, FieldError},
    i18n::Locale,
    jobs::context::{JobContext, JobError},
    paging::Page,
    state::AppState,
};
use chrono::{Duration, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

const RULE_COLUMNS: &str = "r.id, r.name, r.trigger_kind, r.days, r.min_amount_minor, r.tier_id, r.stage, \
     r.segment_id, r.action_kind, r.task_title, r.task_due_days, r.email_subject_zh, \
     r.email_body_zh, r.email_subject_en, r.email_body_en, r.active, r.version, r.created_by";

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: i64,
    name: String,
    trigger_kind: String,
    days: i32,
    min_amount_minor: Option<i64>,
    tier_id: Option<i64>,
    stage: Option<String>,
    segment_id: Option<i64>,
    action_kind: String,
    task_title: String,
    task_due_days: i32,
    email_subject_zh: String,
    email_body_zh: String,
    email_subject_en: String,
    email_body_en: String,
    active: bool,
    version: i32,
    created_by: Option<i64>,
}

impl RuleRow {
    fn input(&self) -> RuleInput {
        RuleInput {
            name: self.name.clone(),
            trigger: TriggerKind::parse(&self.trigger_kind).unwrap_or_default(),
            days: self.days.to_string(),
            min_amount: self.min_amount_minor.map(crate::money::money_text).unwrap_or_default(),
            tier_id: self.tier_id,
            stage: self.stage.as_deref().and_then(|s| LifecycleStage::parse(s).ok()),
            segment_id: self.segment_id,
            action: ActionKind::parse(&self.action_kind).unwrap_or_default(),
            task_title: self.task_title.clone(),
            task_due_days: self.task_due_days.to_string(),
            email_subject_zh: self.email_subject_zh.clone(),
            email_body_zh: self.email_body_zh.clone(),
            email_subject_en: self.email_subject_en.clone(),
            email_body_en: self.email_body_en.clone(),
            active: self.active,
        }
    }
}

/// Every rule, by name, with how often it acted.
pub async fn rules(pool: &PgPool) -> Result<Vec<Rule>, AppError> {
    let sql = format!(
        "select {RULE_COLUMNS}, coalesce(x.runs, 0) as runs, coalesce(x.skipped, 0) as skipped,
                x.last_run_at
         from automation_rule r
         left join (select rule_id, count(*) as runs,
                           count(*) filter (where outcome like 'skipped%') as skipped,
                           max(acted_at) as last_run_at
                    from automation_run group by rule_id) x on x.rule_id = r.id
         order by r.name"
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        rule: RuleRow,
        runs: i64,
        skipped: i64,
        last_run_at: Option<chrono::DateTime<Utc>>,
    }
    let rows: Vec<Row> = sqlx::query_as(&sql).fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .map(|r| Rule {
            id: RuleId(r.rule.id),
            input: r.rule.input(),
            version: r.rule.version,
            runs: r.runs,
            skipped: r.skipped,
            last_run_at: r.last_run_at,
        })
        .collect())
}

async fn rule_row(conn: &mut PgConnection, id: RuleId) -> Result<Option<RuleRow>, AppError> {
    let sql = format!("select {RULE_COLUMNS} from automation_rule r where r.id = $1");
    Ok(sqlx::query_as(&sql).bind(id.0).fetch_optional(conn).await?)
}

/// Creates (`id` none) or updates a rule, checking its version.
///
/// Errors: `Validation` (the form's fields; `name` taken; `tier_id`, `segment_id` unknown),
/// `Conflict`, `NotFound`.
pub async fn save(
    state: &AppState,
    caller: &Authenticated,
    id: Option<RuleId>,
    version: i32,
    input: &RuleInput,
) -> Result<RuleId, AppError> {
    let rule = input.validate()?;
    let mut tx = state.pool.begin().await?;
    let refused = |e: sqlx::Error| match crate::error::violated_constraint(&e) {
        Some("automation_rule_name_key") => AppError::validation("name", FieldError::AlreadyTaken),
        Some("automation_rule_tier_id_fkey") => {
            AppError::validation("tier_id", FieldError::UnknownReference)
        }
        Some("automation_rule_segment_id_fkey") => {
            AppError::validation("segment_id", FieldError::UnknownReference)
        }
        _ => e.into(),
    };
    let [subject_zh, body_zh, subject_en, body_en] = &rule.email;
    let saved = match id {
        None => sqlx::query_scalar!(
            "insert into automation_rule (name, trigger_kind, days, tier_id, stage, segment_id,
                 action_kind, task_title, task_due_days, email_subject_zh, email_body_zh,
                 email_subject_en, email_body_en, active, created_by, min_amount_minor)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
             returning id",
            rule.name,
            rule.trigger.as_str(),
            rule.days,
            rule.tier_id,
            rule.stage.map(|s| s.as_str()),
            rule.segment_id,
            rule.action.as_str(),
            rule.task_title,
            rule.task_due_days,
            subject_zh,
            body_zh,
            subject_en,
            body_en,
            rule.active,
            caller.id().0,
            rule.min_amount_minor,
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(refused)?,
        Some(id) => sqlx::query_scalar!(
            "update automation_rule set name = $3, trigger_kind = $4, days = $5, tier_id = $6,
                 stage = $7, segment_id = $8, action_kind = $9, task_title = $10,
                 task_due_days = $11, email_subject_zh = $12, email_body_zh = $13,
                 email_subject_en = $14, email_body_en = $15, active = $16,
                 min_amount_minor = $17, version = version + 1, updated_at = now()
             where id = $1 and version = $2 returning id",
            id.0,
            version,
            rule.name,
            rule.trigger.as_str(),
            rule.days,
            rule.tier_id,
            rule.stage.map(|s| s.as_str()),
            rule.segment_id,
            rule.action.as_str(),
            rule.task_title,
            rule.task_due_days,
            subject_zh,
            body_zh,
            subject_en,
            body_en,
            rule.active,
            rule.min_amount_minor,
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(refused)?
        .ok_or(AppError::Conflict)?,
    };
    record(
        &mut *tx,
        caller.actor(),
        Change::new(if id.is_some() { "update" } else { "create" }, "automation_rule", saved)
            .after(&serde_json::json!({
                "name": rule.name, "trigger": rule.trigger.as_str(), "action": rule.action.as_str(),
                "active": rule.active,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(RuleId(saved))
}

/// The filter a segment stands for.
async fn segment_filter(conn: &mut PgConnection, segment: i64) -> Result<CustomerFilter, AppError> {
    let filter = sqlx::query_scalar!("select filter from segment where id = $1", segment)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::validation("segment_id", FieldError::UnknownReference))?;
    serde_json::from_value(filter).map_err(AppError::internal)
}

/// `(<day>)::timestamp at time zone company_time_zone()`: when a company day starts.
fn push_day_start(query: &mut QueryBuilder<'_, Postgres>, day: NaiveDate) {
    query.push("(").push_bind(day).push("::date)::timestamp at time zone company_time_zone()");
}

/// What a rule's customers are selected with: the trigger, its day, and the conditions.
struct Selection {
    rule: ValidRule,
    today: NaiveDate,
    settings: CustomerSettings,
    segment: Option<CustomerFilter>,
}

impl Selection {
    async fn new(
        conn: &mut PgConnection,
        rule: ValidRule,
        today: NaiveDate,
    ) -> Result<Self, AppError> {
        let settings = crate::customers::repo::settings(&mut *conn).await?;
        let segment = match rule.segment_id {
            Some(segment) => Some(segment_filter(conn, segment).await?),
            None => None,
        };
        Ok(Selection { rule, today, settings, segment })
    }

    /// `<occurrence> as occurrence from customer c ... where ...`: the customers the rule's
    /// trigger and conditions select today, each with the occurrence acted on.
    fn push_from(&self, query: &mut QueryBuilder<'_, Postgres>) {
        let zone = "company_time_zone()";
        // Events of the last days: a morning missed is caught up.
        let caught_up_from = self.today - Duration::days(CATCH_UP_DAYS);
        match self.rule.trigger {
            // Silent from the day after the window's last day: a last order on day d leaves
            // the window on d + window + 1.
            TriggerKind::TurnedSilent => {
                let key = crate::customers::repo::LAST_ORDER_KEY;
                let window = i64::from(self.settings.active_window_days);
                query.push(format!(
                    "(c.last_order_at at time zone {zone})::date + {} as occurrence
                     from customer c
                     where c.customer_type <> 'former' and {key} >= ",
                    window + 1
                ));
                push_day_start(query, caught_up_from - Duration::days(window + 1));
                query.push(format!(" and {key} < "));
                push_day_start(query, self.today - Duration::days(window));
            }
            TriggerKind::TurnedFormer => {
                query.push(format!(
                    "(c.churned_at at time zone {zone})::date as occurrence
                     from customer c
                     where c.customer_type = 'former' and c.churned_at >= "
                ));
                push_day_start(query, caught_up_from);
            }
            TriggerKind::TierUp | TriggerKind::TierDown => {
                // Up: into a tier placed before the one left, or into one from none.
                let moved = if self.rule.trigger == TriggerKind::TierUp {
                    "tt.id is not null and (ft.id is null or tt.position < ft.position)"
                } else {
                    "ft.id is not null and (tt.id is null or tt.position > ft.position)"
                };
                query.push(format!(
                    "(tc.at at time zone {zone})::date as occurrence
                     from tier_change tc
                     join customer c on c.id = tc.customer_id
                     left join tier ft on ft.id = tc.from_tier_id
                     left join tier tt on tt.id = tc.to_tier_id
                     where {moved} and tc.at >= "
                ));
                push_day_start(query, caught_up_from);
            }
            TriggerKind::Detractor => {
                query.push(format!(
                    "(a.created_at at time zone {zone})::date as occurrence
                     from survey_answer a
                     join customer c on c.id = a.customer_id
                     where a.nps between 0 and 6 and a.created_at >= "
                ));
                push_day_start(query, caught_up_from);
            }
            TriggerKind::OrderAbove => {
                query
                    .push(format!(
                        "(o.ordered_at at time zone {zone})::date as occurrence
                         from sales_order o
                         join customer c on c.id = o.customer_id
                         where o.status = 'placed' and o.total_minor >= "
                    ))
                    .push_bind(self.rule.min_amount_minor.unwrap_or(i64::MAX))
                    .push(" and o.ordered_at >= ");
                push_day_start(query, caught_up_from);
            }
            // The gap since the last interaction (or since the customer was created) reached
            // `days` on the occurrence. No catch-up limit: how many customers that is shows in
            // the preview before the rule is switched on.
            TriggerKind::NoContact => {
                let days = i64::from(self.rule.days.max(1));
                query.push(format!(
                    "(coalesce(li.last, c.created_at) at time zone {zone})::date + {days}
                         as occurrence
                     from customer c
                     left join lateral (
                         select max(i.occurred_at) as last from interaction i
                         where i.customer_id = c.id and i.deleted_at is null) li on true
                     where c.customer_type <> 'former' and coalesce(li.last, c.created_at) < "
                ));
                push_day_start(query, self.today - Duration::days(days - 1));
            }
            TriggerKind::Birthday | TriggerKind::Anniversary => {
                let column = if self.rule.trigger == TriggerKind::Birthday {
                    "birthday"
                } else {
                    "anniversary"
                };
                let (keys, days): (Vec<i32>, Vec<NaiveDate>) =
                    days_of_year_ahead(self.today, self.rule.days).into_iter().unzip();
                // Written as the index's expression, so the few customers whose day is near
                // are found through it.
                query
                    .push(
                        "d.day as occurrence
                         from customer c
                         join unnest(",
                    )
                    .push_bind(keys)
                    .push("::int[], ")
                    .push_bind(days)
                    .push(format!(
                        "::date[]) as d(key, day)
                           on (extract(month from c.{column})::int * 100
                               + extract(day from c.{column})::int) = d.key
                         where c.{column} is not null
                           and extract(year from c.{column}) < extract(year from d.day)"
                    ));
            }
        }
        query.push(" and c.merged_into is null");
        let conditions = CustomerFilter {
            tier_id: self.rule.tier_id,
            stage: self.rule.stage,
            ..Default::default()
        };
        crate::customers::repo::push_filters(query, &conditions, None, &self.settings);
        if let Some(segment) = &self.segment {
            crate::customers::repo::push_filters(query, segment, None, &self.settings);
        }
    }

    /// `select distinct c.id, <outcome> as outcome, <occurrence> as occurrence from ...`: the
    /// selected customers with what the rule's action would become for each. Do-not-contact
    /// (and, for an email, a missing address) is a skip, logged like an act: the occurrence
    /// was seen, and honoured, once.
    fn push_candidates(&self, query: &mut QueryBuilder<'_, Postgres>) {
        let outcome = match self.rule.action {
            ActionKind::Task => {
                "case when c.do_not_contact then 'skipped_do_not_contact' else 'task_created' end"
            }
            ActionKind::Email => {
                "case when c.do_not_contact then 'skipped_do_not_contact'
                      when coalesce(btrim(c.email), '') = '' then 'skipped_no_email'
                      else 'email_queued' end"
            }
        };
        query.push(format!("select distinct c.id, {outcome} as outcome, "));
        self.push_from(query);
    }
}

/// How many customers `rule` would act on today: those it selects whose occurrence has not been
/// acted on yet (by the saved rule `id`, when it is one), leaving out those it would skip (do
/// not contact; no address, for an email).
pub async fn preview(
    pool: &PgPool,
    id: Option<RuleId>,
    rule: ValidRule,
    today: NaiveDate,
) -> Result<i64, AppError> {
    let mut conn = pool.acquire().await?;
    let selection = Selection::new(&mut conn, rule, today).await?;
    let mut query = QueryBuilder::new("select count(*) from (");
    selection.push_candidates(&mut query);
    query
        .push(
            ") k where k.outcome not like 'skipped%'
               and not exists (select 1 from automation_run r where r.rule_id = ",
        )
        .push_bind(id.map(|id| id.0))
        .push(" and r.customer_id = k.id and r.occurrence = k.occurrence)");
    Ok(query.build_query_scalar().fetch_one(&mut *conn).await?)
}

/// What one evaluation of a rule did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Acted {
    pub tasks: i64,
    pub emails: i64,
    pub skipped: i64,
}

/// Whom a run addresses and what its merge fields say.
struct Addressee {
    run: i64,
    customer: i64,
    /// The customer's owner, else the fallback.
    assignee: Option<i64>,
    occurrence: NaiveDate,
    /// The reader's language: the customer's for an email, the assignee's for a task.
    locale: Locale,
    values: MergeValues,
}

/// The runs' customers, addressed, in run order.
async fn addressees(
    conn: &mut PgConnection,
    runs: &[i64],
    fallback_assignee: Option<i64>,
    reader_is_customer: bool,
) -> Result<Vec<Addressee>, AppError> {
    let rows = sqlx::query!(
        r#"select r.id as "run!", c.id as "customer!", c.name as "name!",
                  r.occurrence as "occurrence!: NaiveDate",
                  coalesce(c.owner_id, $2) as owner_id, u.display_name as "owner?",
                  c.locale as "customer_locale!", coalesce(u.locale, a.locale) as reader_locale,
                  t.name_zh as "tier_zh?", t.name_en as "tier_en?",
                  (select coalesce(sum(p.delta), 0) from points_entry p
                   where p.customer_id = c.id)::bigint as "points!"
           from automation_run r
           join customer c on c.id = r.customer_id
           left join app_user u on u.id = c.owner_id
           left join app_user a on a.id = $2
           left join customer_score s on s.customer_id = c.id
           left join tier t
             on t.id = tier_in_force(s.computed_tier_id, s.override_tier_id, s.override_until)
           where r.id = any($1)
           order by r.id"#,
        runs,
        fallback_assignee,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let locale = Locale::from_stored(if reader_is_customer {
                &r.customer_locale
            } else {
                r.reader_locale.as_deref().unwrap_or_default()
            });
            let tier = match locale {
                Locale::ZhCn => r.tier_zh,
                Locale::En => r.tier_en,
            };
            Addressee {
                run: r.run,
                customer: r.customer,
                assignee: r.owner_id,
                occurrence: r.occurrence,
                locale,
                values: MergeValues {
                    name: r.name,
                    owner: r.owner.unwrap_or_default(),
                    tier: tier.unwrap_or_default(),
                    points: r.points,
                },
            }
        })
        .collect())
}

/// Evaluates one rule today: logs each selected customer's occurrence not yet acted on, and
/// acts on the ones logged, all in one transaction.
pub async fn evaluate(
    pool: &PgPool,
    actor: Actor,
    id: RuleId,
    today: NaiveDate,
) -> Result<Acted, AppError> {
    let mut tx = pool.begin().await?;
    let row = rule_row(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let rule = row.input().validate()?;
    let action = rule.action;
    let (task_title, due_days) = (rule.task_title.clone(), rule.task_due_days);
    let selection = Selection::new(&mut tx, rule, today).await?;
    let mut query = QueryBuilder::new(
        "insert into automation_run (rule_id, customer_id, occurrence, outcome) select ",
    );
    query.push_bind(id.0).push(", k.id, k.occurrence, k.outcome from (");
    selection.push_candidates(&mut query);
    query.push(
        ") k on conflict (rule_id, customer_id, occurrence) do nothing returning id, outcome",
    );
    let logged: Vec<(i64, String)> = query.build_query_as().fetch_all(&mut *tx).await?;
    let mut acted = Acted::default();
    let acting: Vec<i64> = logged
        .iter()
        .filter(|(_, outcome)| !outcome.starts_with("skipped"))
        .map(|(run, _)| *run)
        .collect();
    acted.skipped = (logged.len() - acting.len()) as i64;
    match action {
        ActionKind::Task if !acting.is_empty() => {
            let zone = crate::clock::time_zone(&mut *tx).await?;
            let (mut customers, mut assignees, mut titles, mut dues) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let mut runs = Vec::new();
            for to in addressees(&mut tx, &acting, row.created_by, false).await? {
                let Some(assignee) = to.assignee else { continue };
                // Due at the end of the occurrence's day (today for one in the past).
                let day = to.occurrence.max(today) + Duration::days(i64::from(due_days));
                runs.push(to.run);
                customers.push(to.customer);
                assignees.push(assignee);
                titles.push(merge(&task_title, &to.values));
                dues.push(
                    crate::clock::start_of_day(day + Duration::days(1), zone)
                        - Duration::minutes(1),
                );
            }
            sqlx::query!(
                "with made as (
                     insert into task (title, customer_id, assignee_id, due_at, priority)
                     select title, customer, assignee, due, 'normal'
                     from unnest($2::text[], $3::bigint[], $4::bigint[], $5::timestamptz[])
                          as n(title, customer, assignee, due)
                     returning id, customer_id)
                 update automation_run r set task_id = made.id, updated_at = now()
                 from made where r.id = any($1) and r.customer_id = made.customer_id",
                &runs,
                &titles,
                &customers,
                &assignees,
                &dues as _,
            )
            .execute(&mut *tx)
            .await?;
            acted.tasks = runs.len() as i64;
        }
        ActionKind::Email if !acting.is_empty() => {
            let kind = crate::jobs::model::kinds::AUTOMATION_EMAIL;
            crate::jobs::queue::enqueue_per_id(&mut tx, kind, "run", &acting).await?;
            acted.emails = acting.len() as i64;
        }
        _ => {}
    }
    if !logged.is_empty() {
        record(
            &mut *tx,
            actor,
            Change::new("run", "automation_rule", id.0).after(&serde_json::json!({
                "tasks": acted.tasks, "emails": acted.emails, "skipped": acted.skipped,
            })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(acted)
}

/// The `automation_run` job: evaluates every active rule, each in its own transaction.
pub async fn evaluate_all(mut ctx: JobContext) -> Result<(), JobError> {
    let pool = ctx.state.pool.clone();
    let today = crate::clock::today(ctx.state.clock.zone(&pool).await);
    let active: Vec<i64> =
        sqlx::query_scalar!("select id from automation_rule where active order by id")
            .fetch_all(&pool)
            .await?;
    let total = active.len() as i64;
    ctx.progress(0, Some(total), None).await?;
    for (done, id) in active.into_iter().enumerate() {
        evaluate(&pool, ctx.actor(), RuleId(id), today).await?;
        ctx.progress(done as i64 + 1, Some(total), None).await?;
    }
    Ok(())
}

/// Queues an evaluation of every active rule now.
pub async fn evaluate_now(state: &AppState, caller: &Authenticated) -> Result<i64, AppError> {
    let mut conn = state.pool.acquire().await?;
    let mut job = crate::jobs::queue::NewJob::new(
        crate::jobs::model::kinds::AUTOMATION_RUN,
        serde_json::json!({}),
    );
    job.created_by = Some(caller.id());
    crate::jobs::queue::enqueue(&mut conn, job).await?.ok_or(AppError::Conflict)
}

/// The `automation_email` job: emails one run's customer (`{"run": id}`) in its language,
/// unless it asked not to be contacted meanwhile.
pub async fn send_email(ctx: JobContext) -> Result<(), JobError> {
    #[derive(serde::Deserialize)]
    struct Payload {
        run: i64,
    }
    let payload: Payload = ctx.payload()?;
    let state = ctx.state.clone();
    let mut tx = state.pool.begin().await?;
    let Some(run) = sqlx::query!(
        "select r.outcome, r.rule_id, c.email, c.do_not_contact
         from automation_run r join customer c on c.id = r.customer_id
         where r.id = $1 for update of r",
        payload.run
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(());
    };
    if run.outcome != Outcome::EmailQueued.as_str() {
        return Ok(());
    }
    let mark = async |tx: &mut PgConnection, outcome: Outcome, detail: Option<String>| {
        sqlx::query!(
            "update automation_run set outcome = $2, detail = $3, updated_at = now() where id = $1",
            payload.run,
            outcome.as_str(),
            detail
        )
        .execute(tx)
        .await
    };
    let address = run.email.as_deref().map(str::trim).unwrap_or_default().to_owned();
    if run.do_not_contact || address.is_empty() {
        let outcome =
            if run.do_not_contact { Outcome::SkippedDoNotContact } else { Outcome::SkippedNoEmail };
        mark(&mut *tx, outcome, None).await?;
        tx.commit().await?;
        return Ok(());
    }
    let row = rule_row(&mut tx, RuleId(run.rule_id)).await?.ok_or(AppError::NotFound)?;
    let rule = row.input().validate()?;
    let Some(to) = addressees(&mut tx, &[payload.run], None, true).await?.into_iter().next() else {
        return Ok(());
    };
    let mailer = match crate::mail::Mailer::from_settings(&state.settings) {
        Ok(mailer) => mailer,
        Err(reason) => {
            // No server to send through: said on the run, not retried.
            mark(&mut *tx, Outcome::EmailFailed, Some(reason)).await?;
            tx.commit().await?;
            return Ok(());
        }
    };
    let (subject, body) = email_in(&rule.email, to.locale);
    match mailer.send(&address, &merge(subject, &to.values), merge(body, &to.values)).await {
        Ok(()) => {
            mark(&mut *tx, Outcome::EmailSent, None).await?;
            tx.commit().await?;
            Ok(())
        }
        Err(reason) if ctx.job.attempts >= ctx.job.max_attempts => {
            mark(&mut *tx, Outcome::EmailFailed, Some(reason)).await?;
            tx.commit().await?;
            Ok(())
        }
        Err(reason) => {
            // Kept queued for the job's next attempt; the reason shows what was refused.
            sqlx::query!(
                "update automation_run set detail = $2 where id = $1",
                payload.run,
                reason
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Err(JobError::Retry(reason))
        }
    }
}

/// A rule's runs of the customers `visible_owners` own (all when none), newest first, a page at
/// a time (keyed by id).
pub async fn runs(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    id: RuleId,
    before: Option<i64>,
    limit: i64,
) -> Result<Page<Run>, AppError> {
    let rows = sqlx::query!(
        r#"select r.id, r.customer_id, c.name, r.occurrence as "occurrence: NaiveDate", r.outcome,
                  r.task_id, r.detail, r.acted_at as "acted_at: chrono::DateTime<Utc>"
           from automation_run r join customer c on c.id = r.customer_id
           where r.rule_id = $1 and ($2::bigint is null or r.id < $2)
             and ($4::bigint[] is null or c.owner_id = any($4))
           order by r.id desc limit $3"#,
        id.0,
        before,
        limit + 1,
        visible_owners as _,
    )
    .fetch_all(pool)
    .await?;
    let runs = rows
        .into_iter()
        .map(|r| Run {
            id: r.id,
            customer_id: CustomerId(r.customer_id),
            customer_name: r.name,
            occurrence: r.occurrence,
            outcome: Outcome::parse(&r.outcome).unwrap_or(Outcome::EmailFailed),
            task_id: r.task_id,
            detail: r.detail,
            acted_at: r.acted_at,
        })
        .collect();
    Ok(Page::from_overfetch(runs, limit, |r: &Run| r.id))
}
