//! `/care`: the care calendar, a month or a week of what is due, per person or for the team,
//! and how the care rules' tasks were done. Everything it shows is in its address, so a
//! bookmark or a refresh opens the same month, week and person.

use super::{api::get_care_calendar, calendar::*, text::AutomationText};
use crate::{
    auth::model::UserId,
    i18n::{I18n, fill, use_i18n},
    ui::{ResourceView, SelectField},
};
use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

/// The calendar's address for a span, a day within it and a person.
fn calendar_href(span: Span, day: NaiveDate, person: Option<UserId>) -> String {
    let mut href = format!("/care?span={}&day={day}", span.as_str());
    if let Some(person) = person {
        href.push_str(&format!("&person={}", person.0));
    }
    href
}

fn nth_name(i18n: I18n, names: AutomationText, n: usize) -> String {
    i18n.text(names).split(',').nth(n).unwrap_or_default().to_owned()
}

fn period_title(i18n: I18n, period: &Period) -> String {
    match period.span {
        Span::Month => fill(
            i18n.text(AutomationText::MonthTitle),
            &[
                ("year", &period.anchor.year()),
                (
                    "month",
                    &nth_name(i18n, AutomationText::MonthNames, period.anchor.month0() as usize),
                ),
            ],
        ),
        Span::Week => fill(
            i18n.text(AutomationText::WeekTitle),
            &[("first", &period.first), ("last", &period.last)],
        ),
    }
}

#[component]
pub fn CareCalendarPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let asked = move || {
        query.with(|q| {
            let span = q.get("span").and_then(|s| Span::parse(&s).ok()).unwrap_or_default();
            let day = q.get("day").and_then(|d| d.parse::<NaiveDate>().ok());
            let person = q.get("person").and_then(|p| p.parse().ok()).map(UserId);
            (span, day, person)
        })
    };
    let calendar = Resource::new(asked, |(span, day, person)| get_care_calendar(span, day, person));
    view! {
        <section class="page care-page">
            <h1>{i18n.t(AutomationText::CareCalendar)}</h1>
            <p class="muted">{i18n.t(AutomationText::CareIntro)}</p>
            <ResourceView resource=calendar let:calendar>
                <CalendarHead calendar=calendar.clone()/>
                <CalendarGrid calendar=calendar.clone()/>
                <CompletionTables calendar/>
            </ResourceView>
        </section>
    }
}

/// The period's title, the way to the periods around it, month or week, and whose calendar.
#[component]
fn CalendarHead(calendar: CareCalendar) -> impl IntoView {
    let i18n = use_i18n();
    let CareCalendar { period, today, person, people, .. } = calendar;
    let at = move |span: Span, day: NaiveDate| calendar_href(span, day, person);
    let has_people = !people.is_empty();
    // From a month, the week of today when it is in that month, else the month's first week.
    let week_from_month = match period.span {
        Span::Month if (period.anchor..period.next).contains(&today) => today,
        _ => period.anchor,
    };
    let chosen = RwSignal::new(person.map(|p| p.0.to_string()).unwrap_or_default());
    let navigate = leptos_router::hooks::use_navigate();
    Effect::watch(
        move || chosen.get(),
        move |chosen, _, _| {
            let person = chosen.parse().ok().map(UserId);
            navigate(&calendar_href(period.span, period.anchor, person), Default::default());
        },
        false,
    );
    let options = Signal::derive(move || {
        let mut options = vec![(String::new(), i18n.text(AutomationText::Everyone).to_owned())];
        options.extend(people.iter().map(|(id, name)| (id.0.to_string(), name.clone())));
        options
    });
    view! {
        <div class="page-head care-head">
            <h2 data-testid="care-period">{move || period_title(i18n, &period)}</h2>
            // Plain links: the router's own mark every link to this path as the current page,
            // whatever their span or day.
            <nav class="actions">
                <a href=at(period.span, period.previous) class="button" data-testid="care-previous">{i18n.t(AutomationText::Previous)}</a>
                <a href=at(period.span, today) class="button">{i18n.t(AutomationText::Today)}</a>
                <a href=at(period.span, period.next) class="button" data-testid="care-next">{i18n.t(AutomationText::Next)}</a>
                <a href=at(Span::Month, period.anchor) class="button" class:primary=period.span == Span::Month>{i18n.t(AutomationText::Month)}</a>
                <a href=at(Span::Week, week_from_month) class="button" class:primary=period.span == Span::Week
                    data-testid="care-week">{i18n.t(AutomationText::Week)}</a>
            </nav>
        </div>
        {has_people.then(|| view! {
            <div class="care-person">
                <SelectField label=i18n.t(AutomationText::Whose) name="person" value=chosen options/>
            </div>
        })}
    }
}

/// Seven columns, Monday first, one cell per day shown.
#[component]
fn CalendarGrid(calendar: CareCalendar) -> impl IntoView {
    let i18n = use_i18n();
    let CareCalendar { period, today, days, person, .. } = calendar;
    view! {
        <div class="care-grid" class:care-week=period.span == Span::Week data-testid="care-grid">
            {(0..7).map(|n| view! {
                <div class="care-weekday">{move || nth_name(i18n, AutomationText::WeekdayNames, n)}</div>
            }).collect_view()}
            {days.into_iter().map(|day| view! {
                <DayCell day period today person/>
            }).collect_view()}
        </div>
    }
}

#[component]
fn DayCell(
    day: CareDay,
    period: Period,
    today: NaiveDate,
    person: Option<UserId>,
) -> impl IntoView {
    let i18n = use_i18n();
    let more = day.task_count + day.occasion_count - (day.tasks.len() + day.occasions.len()) as i64;
    let week_of_day = calendar_href(Span::Week, day.day, person);
    view! {
        <div class="care-day" class:care-out=!period.in_focus(day.day) class:care-today=day.day == today
            data-testid="care-day" data-day=day.day.to_string()>
            <div class="care-date">{day.day.day()}</div>
            <ul class="plain-list">
                {day.occasions.into_iter().map(|o| view! { <OccasionLine occasion=o/> }).collect_view()}
                {day.tasks.into_iter().map(|task| view! { <TaskLine task/> }).collect_view()}
            </ul>
            {(more > 0).then(|| view! {
                <A href=week_of_day attr:class="small care-more">
                    {move || fill(i18n.text(AutomationText::More), &[("n", &more)])}
                </A>
            })}
        </div>
    }
}

#[component]
fn OccasionLine(occasion: Occasion) -> impl IntoView {
    let i18n = use_i18n();
    let text = match occasion.kind {
        OccasionKind::Birthday => AutomationText::Birthday,
        OccasionKind::Anniversary => AutomationText::Anniversary,
    };
    let href = format!("/customers/{}", occasion.customer_id.0);
    let (name, years) = (occasion.customer_name, occasion.years);
    view! {
        <li class="care-occasion" data-testid="care-occasion">
            <A href=href>{move || fill(i18n.text(text), &[("name", &name), ("years", &years)])}</A>
            {occasion.do_not_contact.then(|| view! {
                " "<span class="badge danger">{i18n.t(crate::i18n::CustomerText::DoNotContactShort)}</span>
            })}
        </li>
    }
}

#[component]
fn TaskLine(task: DueTask) -> impl IntoView {
    let i18n = use_i18n();
    let overdue = !task.done && task.due_at < chrono::Utc::now();
    view! {
        <li class="care-task" class:care-done=task.done class:care-overdue=overdue data-testid="care-task">
            <span class="care-title">{task.title}</span>
            {task.customer_id.zip(task.customer_name).map(|(id, name)| view! {
                " · "<A href=format!("/customers/{}", id.0)>{name}</A>
            })}
            <div class="small muted">
                {task.assignee_name}
                {task.rule.map(|rule| view! { " · "<span class="badge">{rule}</span> })}
                {task.done.then(|| view! { " · "{i18n.t(AutomationText::Done)} })}
                {overdue.then(|| view! { " · "<span class="care-late">{i18n.t(AutomationText::Overdue)}</span> })}
            </div>
        </li>
    }
}

/// Per rule and per person: tasks the care rules made, due in the period, and how many were done.
#[component]
fn CompletionTables(calendar: CareCalendar) -> impl IntoView {
    let i18n = use_i18n();
    let CareCalendar { by_rule, by_person, .. } = calendar;
    let empty = by_rule.is_empty();
    view! {
        <div class="card care-completion" data-testid="care-completion">
            <h2>{i18n.t(AutomationText::Completion)}</h2>
            <p class="small muted">{i18n.t(AutomationText::CompletionIntro)}</p>
            <Show when=move || !empty fallback=move || view! { <p class="muted">{i18n.t(AutomationText::NoCareTasks)}</p> }>
                <CompletionTable heading=AutomationText::ByRule lines=by_rule.clone() testid="completion-by-rule"/>
                <CompletionTable heading=AutomationText::ByPerson lines=by_person.clone() testid="completion-by-person"/>
            </Show>
        </div>
    }
}

#[component]
fn CompletionTable(
    heading: AutomationText,
    lines: Vec<Completion>,
    testid: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <table class="table" data-testid=testid>
            <thead>
                <tr>
                    <th>{i18n.t(heading)}</th>
                    <th class="num">{i18n.t(AutomationText::Due)}</th>
                    <th class="num">{i18n.t(AutomationText::Done)}</th>
                    <th class="num">{i18n.t(AutomationText::OnTime)}</th>
                    <th class="num">{i18n.t(AutomationText::Overdue)}</th>
                    <th class="num">{i18n.t(AutomationText::Rate)}</th>
                </tr>
            </thead>
            <tbody>
                {lines.into_iter().map(|line| {
                    let rate = line.rate().map(|r| format!("{r}%")).unwrap_or_default();
                    view! {
                        <tr>
                            <td>{line.name}</td>
                            <td class="num">{line.due}</td>
                            <td class="num">{line.done}</td>
                            <td class="num">{line.on_time}</td>
                            <td class="num">{line.overdue}</td>
                            <td class="num" data-testid="completion-rate">{rate}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
