//! "My day", the task forms (new and edit), a record's tasks, the task recycle bin, and the
//! in-app reminder when a task falls due.

use super::{api::*, model::*};
use crate::{
    customers::model::CustomerId,
    events::{Topic, use_server_events},
    i18n::CommonText,
    i18n::{TaskText, Text, fill, use_i18n},
    pipeline::model::OpportunityId,
    tickets::model::TicketId,
    ui::{
        Dialog, EditDialog, EnumSelect, FormButtons, ResourceView, SelectField, TextField,
        Timestamp, ToastKind, server_submission, use_toasts,
    },
};
use chrono::{DateTime, Utc};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

/// A `datetime-local` value, read as the company's wall-clock time.
fn local_to_utc(value: &str) -> Option<DateTime<Utc>> {
    let local = chrono::NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%dT%H:%M").ok()?;
    Some(crate::ui::zone_to_utc(local, &crate::ui::company_zone()))
}

/// The last minute of today in the company's zone.
fn end_of_today() -> DateTime<Utc> {
    let zone = crate::ui::company_zone();
    let today = crate::ui::local_date(Utc::now(), &zone);
    today
        .and_hms_opt(23, 59, 59)
        .map(|end| crate::ui::zone_to_utc(end, &zone))
        .unwrap_or_else(Utc::now)
}

pub fn priority_label(priority: Priority) -> TaskText {
    match priority {
        Priority::Low => TaskText::PriorityLow,
        Priority::Normal => TaskText::PriorityNormal,
        Priority::High => TaskText::PriorityHigh,
    }
}

/// A `datetime-local` value for `at`, in the company's wall-clock time.
fn utc_to_local(at: DateTime<Utc>) -> String {
    crate::ui::wall_clock(at, &crate::ui::company_zone()).format("%Y-%m-%dT%H:%M").to_string()
}

/// The edit dialog of a page's tasks, outside the lists' own loading: a live reload of a list
/// redraws its rows, never the form someone is typing in. Rows open it with their task.
#[component]
fn TaskEditDialog(editing: EditDialog<Task>, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Dialog open=editing.open title=i18n.t(TaskText::EditTask) testid="task-edit">
            {move || editing.snapshot().map(|task| view! {
                <TaskEditForm task on_done=Callback::new(move |saved: bool| {
                    editing.close();
                    if saved { on_done.run(()); }
                })/>
            })}
        </Dialog>
    }
}

/// A list of tasks; "edit" on a row opens the page's [`TaskEditDialog`] with that task.
#[component]
fn TaskList(
    tasks: Vec<Task>,
    on_done: Callback<()>,
    editing: EditDialog<Task>,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    view! {
        <ul class="plain-list tasks" data-testid=(!testid.is_empty()).then_some(testid)>
            {tasks.into_iter().map(|task| view! { <TaskItem task on_done editing/> }).collect_view()}
        </ul>
    }
}

#[component]
fn TaskItem(task: Task, on_done: Callback<()>, editing: EditDialog<Task>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let (id, version) = (task.id, task.version);
    let complete = server_submission::<CompleteTask>()
        .on_success(move |next| {
            toasts.success(if next.is_some() { TaskText::DoneAndRepeated } else { TaskText::Done });
            on_done.run(());
        })
        .on_failure(move || on_done.run(()));
    let done = move |_| complete.submit(CompleteTask { id, version });
    let delete = server_submission::<DeleteTask>()
        .on_success(move |()| {
            toasts.success(TaskText::Deleted);
            on_done.run(());
        })
        .on_failure(move || on_done.run(()));
    let priority = task.priority;
    let for_edit = task.clone();
    view! {
        <li class="task" data-testid="task" class:high=priority == Priority::High>
            <label class="field-checkbox">
                <input type="checkbox" aria-label=move || i18n.text(TaskText::MarkDone) on:change=done/>
                <span class="task-title">{task.title.clone()}</span>
            </label>
            <span class="muted small"><Timestamp at=task.due_at/></span>
            {(priority != Priority::Normal).then(|| view! { <span class="badge">{move || priority_label(priority).text(i18n.locale())}</span> })}
            {task.repeat_days.map(|d| view! { <span class="muted small">{move || fill(i18n.text(TaskText::EveryDays), &[("n", &d)])}</span> })}
            {task.customer_id.zip(task.customer_name.clone()).map(|(id, name)| view! { <A href=format!("/customers/{}", id.0)>{name}</A> })}
            {task.opportunity_id.zip(task.opportunity_title.clone()).map(|(id, title)| view! { <A href=format!("/opportunities/{}", id.0)>{title}</A> })}
            {task.ticket_id.zip(task.ticket_subject.clone()).map(|(id, subject)| view! { <A href=format!("/tickets/{}", id.0)>{subject}</A> })}
            <span class="task-actions">
                <button type="button" class="button small ghost" data-testid="edit-task" on:click=move |_| editing.open_with(for_edit.clone())>{i18n.t(CommonText::Edit)}</button>
                <button type="button" class="button small ghost" data-testid="delete-task" disabled=move || delete.pending().get()
                    on:click=move |_| delete.submit(DeleteTask { id, version })>{i18n.t(CommonText::Delete)}</button>
            </span>
        </li>
    }
}

/// The form for a new task, optionally tied to a customer and an opportunity.
#[component]
pub fn TaskForm(
    customer_id: Option<CustomerId>,
    opportunity_id: Option<OpportunityId>,
    #[prop(default = None)] ticket_id: Option<TicketId>,
    on_done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let title = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let priority = RwSignal::new(Priority::Normal);
    let save = server_submission::<CreateTask>().on_success(move |_| {
        title.set(String::new());
        toasts.success(TaskText::Created);
        on_done.run(());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = TaskInput {
            title: title.get_untracked(),
            customer_id,
            opportunity_id,
            ticket_id,
            due_at: local_to_utc(&due.get_untracked()),
            priority: priority.get_untracked(),
            repeat_days: repeat.get_untracked(),
            ..Default::default()
        };
        save.submit(CreateTask { input });
    };
    view! {
        <form class="form task-form" data-testid="task-form" on:submit=submit>
            <div class="grid-2">
                <TextField label=i18n.t(TaskText::Title) name="task_title" value=title error=save.field("title")/>
                <TextField label=i18n.t(TaskText::Due) name="task_due" input_type="datetime-local" value=due error=save.field("due_at")/>
                <EnumSelect label=i18n.t(TaskText::Priority) name="task_priority" value=priority text=priority_label error=save.field("priority")/>
                <TextField label=i18n.t(TaskText::RepeatDays) name="task_repeat" input_type="number" value=repeat error=save.field("repeat_days")/>
            </div>
            <div class="actions">
                <button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(TaskText::AddTask)}</button>
            </div>
        </form>
    }
}

/// Edits a task: what it says, when it is due, how it repeats and who does it. The form keeps
/// what it was opened with; saving over someone else's change is refused with their name.
#[component]
fn TaskEditForm(task: Task, on_done: Callback<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let title = RwSignal::new(task.title.clone());
    let notes = RwSignal::new(task.notes.clone().unwrap_or_default());
    let due = RwSignal::new(utc_to_local(task.due_at));
    let repeat = RwSignal::new(task.repeat_days.map(|d| d.to_string()).unwrap_or_default());
    let priority = RwSignal::new(task.priority);
    let assignee = RwSignal::new(task.assignee_id.0.to_string());
    let options = Resource::new(|| (), |_| crate::customers::api::get_customer_options());
    let current = (task.assignee_id, task.assignee_name.clone());
    let assignee_options = Signal::derive(move || {
        let mut list = vec![(current.0.0.to_string(), current.1.clone())];
        if let Some(Ok(o)) = options.get() {
            list.extend(
                o.owners
                    .into_iter()
                    .filter(|(id, _)| *id != current.0)
                    .map(|(id, name)| (id.0.to_string(), name)),
            );
        }
        list
    });
    let (id, version) = (task.id, task.version);
    let save = server_submission::<UpdateTask>().on_success(move |()| {
        toasts.success(TaskText::Saved);
        on_done.run(true);
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = TaskInput {
            title: title.get_untracked(),
            notes: notes.get_untracked(),
            due_at: local_to_utc(&due.get_untracked()),
            priority: priority.get_untracked(),
            repeat_days: repeat.get_untracked(),
            assignee_id: assignee.get_untracked().parse().ok().map(crate::auth::model::UserId),
            ..Default::default()
        };
        save.submit(UpdateTask { id, version, input });
    };
    view! {
        <form class="form" data-testid="task-edit-form" on:submit=submit>
            <div class="grid-2">
                <TextField label=i18n.t(TaskText::Title) name="edit_task_title" value=title error=save.field("title")/>
                <TextField label=i18n.t(TaskText::Due) name="edit_task_due" input_type="datetime-local" value=due error=save.field("due_at")/>
                <EnumSelect label=i18n.t(TaskText::Priority) name="edit_task_priority" value=priority text=priority_label error=save.field("priority")/>
                <TextField label=i18n.t(TaskText::RepeatDays) name="edit_task_repeat" input_type="number" value=repeat error=save.field("repeat_days")/>
                <Transition fallback=|| ()>
                    <SelectField label=i18n.t(TaskText::Assignee) name="edit_task_assignee" value=assignee options=assignee_options error=save.field("assignee_id")/>
                </Transition>
                <TextField label=i18n.t(TaskText::Notes) name="edit_task_notes" value=notes error=save.field("notes")/>
            </div>
            <FormButtons submit=i18n.t(CommonText::Save) pending=save.pending() on_cancel=Callback::new(move |_| on_done.run(false))/>
        </form>
    }
}

/// `/tasks`: my day.
#[component]
pub fn MyDayPage() -> impl IntoView {
    let i18n = use_i18n();
    let changes = use_server_events().changes(Topic::Task);
    let local = RwSignal::new(0u32);
    let day = Resource::new(move || (changes.get(), local.get()), |_| get_my_day(end_of_today()));
    let refresh = Callback::new(move |_| local.update(|n| *n += 1));
    let editing = EditDialog::<Task>::new();
    let section = move |label: TaskText, tasks: Vec<Task>, testid: &'static str| {
        view! {
            <div class="card">
                <h2>{move || label.text(i18n.locale())}" "<span class="muted small">{tasks.len()}</span></h2>
                {if tasks.is_empty() {
                    view! { <p class="muted small">{i18n.t(TaskText::Nothing)}</p> }.into_any()
                } else {
                    view! { <TaskList tasks on_done=refresh editing testid/> }.into_any()
                }}
            </div>
        }
    };
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(TaskText::MyDay)}</h1>
                <div class="actions">
                    <crate::exports::views::ExportLinks entity=crate::exports::model::ExportEntity::Tasks
                        filter=Signal::derive(|| None)/>
                </div>
            </div>
            <div class="card"><TaskForm customer_id=None opportunity_id=None on_done=refresh/></div>
            <TaskEditDialog editing on_done=refresh/>
            <ResourceView resource=day let:day>
                <div class="grid-3">
                    {section(TaskText::Overdue, day.overdue, "tasks-overdue")}
                    {section(TaskText::Today, day.today, "tasks-today")}
                    {section(TaskText::Upcoming, day.upcoming, "tasks-upcoming")}
                </div>
            </ResourceView>
        </section>
    }
}

/// A record's open tasks with a way to add one (opportunity page, customer 360).
#[component]
pub fn TaskSection(
    opportunity_id: Option<OpportunityId>,
    customer_id: Option<CustomerId>,
    #[prop(default = None)] ticket_id: Option<TicketId>,
) -> impl IntoView {
    let i18n = use_i18n();
    let changes = use_server_events().changes(Topic::Task);
    let local = RwSignal::new(0u32);
    let adding = RwSignal::new(false);
    let tasks = Resource::new(
        move || (changes.get(), local.get()),
        move |_| list_record_tasks(customer_id, opportunity_id, ticket_id),
    );
    let editing = EditDialog::<Task>::new();
    let refresh = Callback::new(move |_| {
        local.update(|n| *n += 1);
        adding.set(false);
    });
    view! {
        <div class="card" data-testid="record-tasks">
            <div class="card-head">
                <h2>{i18n.t(TaskText::Tasks)}</h2>
                <button type="button" class="button small" on:click=move |_| adding.update(|a| *a = !*a)>{i18n.t(TaskText::AddTask)}</button>
            </div>
            <Show when=move || adding.get()>
                <TaskForm customer_id opportunity_id ticket_id on_done=refresh/>
            </Show>
            <TaskEditDialog editing on_done=refresh/>
            <ResourceView resource=tasks let:list>
                {if list.is_empty() {
                    view! { <p class="muted small">{i18n.t(TaskText::Nothing)}</p> }.into_any()
                } else {
                    view! { <TaskList tasks=list on_done=refresh editing/> }.into_any()
                }}
            </ResourceView>
        </div>
    }
}

/// Shows a reminder when one of the user's tasks falls due (the server announces it once).
#[component]
pub fn TaskReminders() -> impl IntoView {
    let toasts = use_toasts();
    let events = use_server_events().last();
    let shown = StoredValue::new(Vec::<TaskId>::new());
    Effect::new(move |_| {
        let Some(event) = events.get() else { return };
        if event.topic != Topic::Task {
            return;
        }
        spawn_local(async move {
            let Ok(due) = get_due_reminders().await else { return };
            for task in due {
                if shown.with_value(|s| s.contains(&task.id)) {
                    continue;
                }
                shown.update_value(|s| s.push(task.id));
                let title = task.title.clone();
                toasts.show(ToastKind::Success, move |locale| {
                    fill(TaskText::Reminder.text(locale), &[("title", &title)])
                });
            }
        });
    });
}
