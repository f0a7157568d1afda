//! The care calendar's SQL: tasks due, customers' occasions, and how the care rules' tasks were
//! done, each in a bounded number of queries whatever the period holds.

use super::{calendar::*, model::days_of_year_ahead};
use crate::{
    auth::model::UserId,
    clock,
    customers::model::CustomerId,
    error::{AppError, stored},
};
use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use sqlx::PgPool;
use std::collections::HashMap;

/// Who is shown: one person within the caller's scope, or everyone in it (`None`: everyone).
fn shown_owners(scope: Option<&[i64]>, person: Option<UserId>) -> Option<Vec<i64>> {
    match (scope, person) {
        (_, Some(person)) if scope.is_none_or(|ids| ids.contains(&person.0)) => {
            Some(vec![person.0])
        }
        // Someone outside the scope: no one.
        (_, Some(_)) => Some(Vec::new()),
        (scope, None) => scope.map(<[i64]>::to_vec),
    }
}

/// The period's calendar for the caller (`scope`: the owners they may see).
pub async fn calendar(
    pool: &PgPool,
    scope: Option<&[i64]>,
    caller: UserId,
    person: Option<UserId>,
    period: Period,
    today: NaiveDate,
    zone: Tz,
) -> Result<CareCalendar, AppError> {
    let owners = shown_owners(scope, person);
    let from = clock::start_of_day(period.first, zone);
    let to = clock::start_of_day(period.last + Duration::days(1), zone);
    let per_day = period.span.shown_per_day();

    let tasks =
        crate::tasks::service::due_between(pool, owners.as_deref(), from, to, per_day).await?;
    let task_ids: Vec<i64> = tasks.iter().map(|(task, _)| task.id.0).collect();
    let rule_of: HashMap<i64, String> = sqlx::query!(
        r#"select r.task_id as "task!", ar.name
           from automation_run r join automation_rule ar on ar.id = r.rule_id
           where r.task_id = any($1)"#,
        &task_ids,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.task, r.name))
    .collect();

    let occasions = occasions(pool, owners.as_deref(), &period, per_day).await?;
    let (by_rule, by_person) = completion(pool, owners.as_deref(), from, to).await?;
    // Someone who sees only their own has no one else to pick.
    let people = if scope.is_some_and(|ids| ids == [caller.0]) {
        Vec::new()
    } else {
        crate::auth::repo::visible_users(pool, scope).await?
    };

    let mut days: Vec<CareDay> = period
        .days()
        .map(|day| CareDay {
            day,
            tasks: Vec::new(),
            task_count: 0,
            occasions: Vec::new(),
            occasion_count: 0,
        })
        .collect();
    let index = |day: NaiveDate| usize::try_from((day - period.first).num_days()).ok();
    for (task, day_total) in tasks {
        let Some(day) = index(clock::local_date(task.due_at, zone)).and_then(|i| days.get_mut(i))
        else {
            continue;
        };
        day.task_count = day_total;
        day.tasks.push(DueTask {
            rule: rule_of.get(&task.id.0).cloned(),
            id: task.id,
            title: task.title,
            customer_id: task.customer_id,
            customer_name: task.customer_name,
            assignee_name: task.assignee_name,
            due_at: task.due_at,
            done: task.done_at.is_some(),
        });
    }
    for (occasion_day, occasion, day_total) in occasions {
        if let Some(day) = index(occasion_day).and_then(|i| days.get_mut(i)) {
            day.occasion_count = day_total;
            day.occasions.push(occasion);
        }
    }
    Ok(CareCalendar { period, today, days, person, people, by_rule, by_person })
}

/// Birthdays and anniversaries on the period's days of customers owned by `owners`: at most
/// `per_day` a day (by name), each with its day and the day's total. Found through the
/// month-and-day indexes, like the rules that greet them.
async fn occasions(
    pool: &PgPool,
    owners: Option<&[i64]>,
    period: &Period,
    per_day: i64,
) -> Result<Vec<(NaiveDate, Occasion, i64)>, AppError> {
    let span = i32::try_from((period.last - period.first).num_days()).unwrap_or(0);
    let (keys, days): (Vec<i32>, Vec<NaiveDate>) =
        days_of_year_ahead(period.first, span).into_iter().unzip();
    let rows = sqlx::query!(
        r#"select id as "id!", name as "name!", kind as "kind!", day as "day!: NaiveDate",
                  years as "years!", do_not_contact as "do_not_contact!", day_total as "day_total!"
           from (
               select o.*, row_number() over (partition by o.day order by o.name, o.id) as nth,
                      count(*) over (partition by o.day) as day_total
               from (
                   select c.id, c.name, 'birthday' as kind, d.day, c.do_not_contact,
                          (extract(year from d.day) - extract(year from c.birthday))::int as years
                   from unnest($1::int[], $2::date[]) as d(key, day)
                   join customer c
                     on (extract(month from c.birthday)::int * 100
                         + extract(day from c.birthday)::int) = d.key
                   where c.deleted_at is null and c.birthday is not null
                     and c.merged_into is null
                     and extract(year from c.birthday) < extract(year from d.day)
                     and ($3::bigint[] is null or c.owner_id = any($3))
                   union all
                   select c.id, c.name, 'anniversary', d.day, c.do_not_contact,
                          (extract(year from d.day) - extract(year from c.anniversary))::int
                   from unnest($1::int[], $2::date[]) as d(key, day)
                   join customer c
                     on (extract(month from c.anniversary)::int * 100
                         + extract(day from c.anniversary)::int) = d.key
                   where c.deleted_at is null and c.anniversary is not null
                     and c.merged_into is null
                     and extract(year from c.anniversary) < extract(year from d.day)
                     and ($3::bigint[] is null or c.owner_id = any($3))
               ) o
           ) ranked
           where nth <= $4
           order by day, nth"#,
        &keys,
        &days as &[NaiveDate],
        owners as _,
        per_day,
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let occasion = Occasion {
                customer_id: CustomerId(r.id),
                customer_name: r.name,
                kind: stored(OccasionKind::parse(&r.kind))?,
                years: r.years,
                do_not_contact: r.do_not_contact,
            };
            Ok((r.day, occasion, r.day_total))
        })
        .collect()
}

/// How the tasks the care rules made, due in the period, were done: per rule, then per person.
async fn completion(
    pool: &PgPool,
    owners: Option<&[i64]>,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Result<(Vec<Completion>, Vec<Completion>), AppError> {
    let rows = sqlx::query!(
        r#"select grouping(ar.id) = 0 as "by_rule!",
                  coalesce(ar.name, u.display_name) as "name!",
                  count(*) as "due!",
                  count(t.done_at) as "done!",
                  count(*) filter (where t.done_at <= t.due_at) as "on_time!",
                  count(*) filter (where t.done_at is null and t.due_at < now()) as "overdue!"
           from automation_run r
           join task t on t.id = r.task_id
           join automation_rule ar on ar.id = r.rule_id
           join app_user u on u.id = t.assignee_id
           where t.deleted_at is null and t.due_at >= $1 and t.due_at < $2
             and ($3::bigint[] is null or t.assignee_id = any($3))
           group by grouping sets ((ar.id, ar.name), (u.id, u.display_name))
           order by 2, 1"#,
        from as _,
        to as _,
        owners as _,
    )
    .fetch_all(pool)
    .await?;
    let (mut by_rule, mut by_person) = (Vec::new(), Vec::new());
    for r in rows {
        let line = Completion {
            name: r.name,
            due: r.due,
            done: r.done,
            on_time: r.on_time,
            overdue: r.overdue,
        };
        if r.by_rule { by_rule.push(line) } else { by_person.push(line) }
    }
    Ok((by_rule, by_person))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_person_is_shown_only_within_the_callers_scope() {
        let team = [1, 2, 3];
        assert_eq!(shown_owners(Some(&team), None), Some(vec![1, 2, 3]));
        assert_eq!(shown_owners(Some(&team), Some(UserId(2))), Some(vec![2]));
        assert_eq!(shown_owners(Some(&team), Some(UserId(9))), Some(vec![]));
        assert_eq!(shown_owners(None, Some(UserId(9))), Some(vec![9]));
        assert_eq!(shown_owners(None, None), None);
    }
}
