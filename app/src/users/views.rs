//! Admin pages: users, teams, and the data scope of each role.

use super::{
    api::{
        create_team, create_user, list_data_scopes, list_teams, list_users, rename_team,
        reset_user_password, set_data_scope, set_user_active, update_user,
    },
    model::{NewUser, RoleScope, TeamSummary, UserFilter, UserSummary, UserUpdate},
};
use crate::{
    auth::{
        model::{MIN_PASSWORD_CHARS, Role, ScopeKind, TeamId},
        views::{role_label, scope_label},
    },
    error::AppError,
    events::{Topic, use_server_events},
    i18n::{AdminText, AuthText, CommonText, fill, use_i18n},
    ui::{
        CheckboxField, ErrorNotice, Loading, MoreButton, PagedList, SelectField, TextField,
        field_message, use_toasts,
    },
};
use leptos::{prelude::*, task::spawn_local};

fn non_empty(value: String) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn team_options(
    teams: Option<Result<Vec<TeamSummary>, AppError>>,
    none_label: &str,
) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), none_label.to_owned())];
    if let Some(Ok(teams)) = teams {
        options.extend(teams.into_iter().map(|t| (t.id.0.to_string(), t.name)));
    }
    options
}

fn parse_team(value: &str) -> Option<TeamId> {
    value.parse().ok().map(TeamId)
}

/// `/admin/users`: find, create, edit, deactivate accounts and reset passwords.
#[component]
pub fn UsersPage() -> impl IntoView {
    let i18n = use_i18n();
    let events = use_server_events();
    let user_changes = events.changes(Topic::User);
    let search = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let status = RwSignal::new("active".to_owned());
    let list = PagedList::new(
        move || {
            let filter = UserFilter {
                search: non_empty(search.get()),
                role: Role::parse(&role.get()).ok(),
                team_id: None,
                active: match status.get().as_str() {
                    "active" => Some(true),
                    "inactive" => Some(false),
                    _ => None,
                },
            };
            (filter, user_changes.get())
        },
        |(filter, _), after| list_users(filter, after),
    );
    let teams = Resource::new(|| (), |_| list_teams());
    let editing = RwSignal::new(None::<UserSummary>);
    let creating = RwSignal::new(false);

    let role_options = move || {
        let mut options = vec![(String::new(), i18n.text(AdminText::AnyRole).to_owned())];
        options.extend(
            Role::ALL.map(|r| (r.as_str().to_owned(), i18n.text(role_label(r)).to_owned())),
        );
        options
    };
    let status_options = move || {
        vec![
            ("active".to_owned(), i18n.text(AdminText::Active).to_owned()),
            ("inactive".to_owned(), i18n.text(AdminText::Inactive).to_owned()),
            ("all".to_owned(), i18n.text(AdminText::AllStatuses).to_owned()),
        ]
    };

    let table = move || {
        list.rows().map(|rows| match rows {
            Err(error) => view! { <ErrorNotice error/> }.into_any(),
            Ok(users) if users.is_empty() => {
                view! { <p class="empty">{i18n.t(CommonText::NothingFound)}</p> }.into_any()
            }
            Ok(users) => view! { <UserTable users editing/> }.into_any(),
        })
    };

    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(AdminText::UsersTitle)}</h1>
                <button type="button" class="button primary" on:click=move |_| creating.set(true)>
                    {i18n.t(AdminText::NewUser)}
                </button>
            </div>
            <form class="filters" on:submit=|ev| ev.prevent_default()>
                <TextField label=i18n.t(CommonText::Search) name="search" value=search/>
                <SelectField label=i18n.t(AuthText::Role) name="role_filter" value=role options=Signal::derive(role_options)/>
                <SelectField label=i18n.t(AdminText::Status) name="status_filter" value=status options=Signal::derive(status_options)/>
            </form>
            // The forms' team menus read a resource: a Transition lets the server wait for it.
            <Transition fallback=|| view! { <Loading/> }>
                <Show when=move || creating.get()>
                    <CreateUserForm teams creating/>
                </Show>
                {move || editing.get().map(|user| view! { <EditUserForm user teams editing/> })}
            </Transition>
            <Transition fallback=|| view! { <Loading/> }>{table}</Transition>
            {move || list.failure().map(|error| view! { <ErrorNotice error/> })}
            <MoreButton
                visible=Signal::derive(move || list.has_more())
                pending=Signal::derive(move || list.loading_more())
                on_click=move || list.load_more()
            />
        </section>
    }
}

#[component]
fn UserTable(users: Vec<UserSummary>, editing: RwSignal<Option<UserSummary>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="users">
                <thead>
                    <tr>
                        <th>{i18n.t(AuthText::DisplayName)}</th>
                        <th>{i18n.t(AuthText::Email)}</th>
                        <th>{i18n.t(AuthText::Role)}</th>
                        <th>{i18n.t(AuthText::Team)}</th>
                        <th>{i18n.t(AdminText::Status)}</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {users
                        .into_iter()
                        .map(|user| {
                            let edit = user.clone();
                            view! {
                                <tr class:inactive=!user.active>
                                    <td>{user.display_name.clone()}</td>
                                    <td>{user.email.clone()}</td>
                                    <td>{i18n.t(role_label(user.role))}</td>
                                    <td>{user.team_name.clone().unwrap_or_default()}</td>
                                    <td>
                                        {if user.active {
                                            view! { <span class="badge ok">{i18n.t(AdminText::Active)}</span> }
                                        } else {
                                            view! { <span class="badge muted">{i18n.t(AdminText::Inactive)}</span> }
                                        }}
                                    </td>
                                    <td>
                                        <button
                                            type="button"
                                            class="button small"
                                            on:click=move |_| editing.set(Some(edit.clone()))
                                        >
                                            {i18n.t(CommonText::Edit)}
                                        </button>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn CreateUserForm(
    teams: Resource<Result<Vec<TeamSummary>, AppError>>,
    creating: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let email = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Member.as_str().to_owned());
    let team = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let save = Action::new(|input: &NewUser| create_user(input.clone()));
    let failure = Signal::derive(move || save.value().get().and_then(Result::err));
    Effect::new(move |_| match save.value().get() {
        Some(Ok(_)) => {
            toasts.success(AdminText::UserCreated);
            creating.set(false);
        }
        Some(Err(error)) if error.field_errors().is_none() => toasts.error(error),
        _ => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(NewUser {
            email: email.get_untracked(),
            display_name: display_name.get_untracked(),
            role: Role::parse(&role.get_untracked()).ok(),
            team_id: parse_team(&team.get_untracked()),
            password: password.get_untracked(),
        });
    };
    let role_options = move || {
        Role::ALL.map(|r| (r.as_str().to_owned(), i18n.text(role_label(r)).to_owned())).to_vec()
    };
    let hint = move || fill(i18n.text(AuthText::PasswordRule), &[("min", &MIN_PASSWORD_CHARS)]);
    view! {
        <form class="card form panel" on:submit=submit data-testid="create-user">
            <h2>{i18n.t(AdminText::NewUser)}</h2>
            <div class="grid-2">
                <TextField scope="new-" label=i18n.t(AuthText::Email) name="email" input_type="email" value=email error=field_message(failure, "email")/>
                <TextField scope="new-" label=i18n.t(AuthText::DisplayName) name="display_name" value=display_name error=field_message(failure, "display_name")/>
                <SelectField scope="new-" label=i18n.t(AuthText::Role) name="role" value=role options=Signal::derive(role_options) error=field_message(failure, "role")/>
                <SelectField scope="new-"
                    label=i18n.t(AuthText::Team)
                    name="team_id"
                    value=team
                    options=Signal::derive(move || team_options(teams.get(), i18n.text(AuthText::NoTeam)))
                    error=field_message(failure, "team_id")
                />
                <TextField scope="new-" label=i18n.t(AdminText::InitialPassword) name="password" input_type="password" value=password error=field_message(failure, "password")/>
            </div>
            <p class="hint">{hint}</p>
            <div class="actions">
                <button type="submit" class="button primary" disabled=move || save.pending().get()>
                    {i18n.t(CommonText::Create)}
                </button>
                <button type="button" class="button ghost" on:click=move |_| creating.set(false)>
                    {i18n.t(CommonText::Cancel)}
                </button>
            </div>
        </form>
    }
}

#[component]
fn EditUserForm(
    user: UserSummary,
    teams: Resource<Result<Vec<TeamSummary>, AppError>>,
    editing: RwSignal<Option<UserSummary>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let display_name = RwSignal::new(user.display_name.clone());
    let role = RwSignal::new(user.role.as_str().to_owned());
    let team = RwSignal::new(user.team_id.map(|t| t.0.to_string()).unwrap_or_default());
    let new_password = RwSignal::new(String::new());
    let active = RwSignal::new(user.active);
    let failure = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    let (id, version) = (user.id, user.version);

    let finish = move |result: Result<(), AppError>, done: AdminText, close: bool| {
        pending.set(false);
        match result {
            Ok(()) => {
                failure.set(None);
                toasts.success(done);
                if close {
                    editing.set(None);
                }
            }
            Err(error) => toasts.form_failed(failure, error),
        }
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        let update = UserUpdate {
            id,
            version,
            display_name: display_name.get_untracked(),
            role: Role::parse(&role.get_untracked()).unwrap_or(Role::Member),
            team_id: parse_team(&team.get_untracked()),
        };
        let wants_active = active.get_untracked();
        spawn_local(async move {
            let mut result = update_user(update).await;
            // Activation is its own audited change, made after the edit with the new version.
            if let Ok(saved) = &result
                && saved.active != wants_active
            {
                result = set_user_active(saved.id, saved.version, wants_active).await;
            }
            finish(result.map(|_| ()), AdminText::UserSaved, true);
        });
    };
    let reset = move |_| {
        pending.set(true);
        let password = new_password.get_untracked();
        spawn_local(async move {
            let result = reset_user_password(id, password).await;
            if result.is_ok() {
                new_password.set(String::new());
            }
            finish(result, AdminText::PasswordReset, false);
        });
    };
    let failure_signal = Signal::from(failure);
    let role_options = move || {
        Role::ALL.map(|r| (r.as_str().to_owned(), i18n.text(role_label(r)).to_owned())).to_vec()
    };
    view! {
        <form class="card form panel" on:submit=save data-testid="edit-user">
            <h2>{fill(i18n.text(AdminText::EditUser), &[("email", &user.email)])}</h2>
            <div class="grid-2">
                <TextField scope="edit-" label=i18n.t(AuthText::DisplayName) name="display_name" value=display_name error=field_message(failure_signal, "display_name")/>
                <SelectField scope="edit-" label=i18n.t(AuthText::Role) name="role" value=role options=Signal::derive(role_options) error=field_message(failure_signal, "role")/>
                <SelectField scope="edit-"
                    label=i18n.t(AuthText::Team)
                    name="team_id"
                    value=team
                    options=Signal::derive(move || team_options(teams.get(), i18n.text(AuthText::NoTeam)))
                    error=field_message(failure_signal, "team_id")
                />
                <div>
                    <CheckboxField label=i18n.t(AdminText::Active) name="active" checked=active/>
                    <span class="field-error">{field_message(failure_signal, "active")}</span>
                </div>
            </div>
            <div class="actions">
                <button type="submit" class="button primary" disabled=move || pending.get()>
                    {i18n.t(CommonText::Save)}
                </button>
                <button type="button" class="button ghost" on:click=move |_| editing.set(None)>
                    {i18n.t(CommonText::Close)}
                </button>
            </div>
            <div class="subform">
                <TextField scope="edit-"
                    label=i18n.t(AuthText::NewPassword)
                    name="new_password"
                    input_type="password"
                    autocomplete="new-password"
                    value=new_password
                    error=field_message(failure_signal, "new_password")
                />
                <button type="button" class="button" on:click=reset disabled=move || pending.get()>
                    {i18n.t(AdminText::ResetPassword)}
                </button>
            </div>
        </form>
    }
}

/// `/admin/teams`: create and rename teams.
#[component]
pub fn TeamsPage() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let teams = Resource::new(|| (), |_| list_teams());
    let name = RwSignal::new(String::new());
    let create = Action::new(|name: &String| create_team(name.clone()));
    let failure = Signal::derive(move || create.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            toasts.success(AdminText::TeamCreated);
            teams.refetch();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(name.get_untracked());
    };
    let list = move || {
        teams.get().map(|result| match result {
            Err(error) => view! { <ErrorNotice error/> }.into_any(),
            Ok(teams_list) => view! {
                <div class="table-wrap">
                    <table class="table" data-testid="teams">
                        <thead>
                            <tr>
                                <th>{i18n.t(AdminText::TeamName)}</th>
                                <th>{i18n.t(AdminText::Members)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {teams_list
                                .into_iter()
                                .map(|team| view! { <TeamRow team on_saved=move || teams.refetch()/> })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any(),
        })
    };
    view! {
        <section class="page">
            <h1>{i18n.t(AdminText::TeamsTitle)}</h1>
            <form class="card form inline-form" on:submit=submit>
                <TextField label=i18n.t(AdminText::TeamName) name="name" value=name error=field_message(failure, "name")/>
                <button type="submit" class="button primary" disabled=move || create.pending().get()>
                    {i18n.t(AdminText::NewTeam)}
                </button>
            </form>
            <Transition fallback=|| view! { <Loading/> }>{list}</Transition>
        </section>
    }
}

#[component]
fn TeamRow(team: TeamSummary, on_saved: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let name = RwSignal::new(team.name.clone());
    let failure = RwSignal::new(None::<AppError>);
    let (id, version) = (team.id, team.version);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new_name = name.get_untracked();
        spawn_local(async move {
            match rename_team(id, version, new_name).await {
                Ok(()) => {
                    failure.set(None);
                    toasts.success(AdminText::TeamSaved);
                    on_saved();
                }
                Err(error) => toasts.form_failed(failure, error),
            }
        });
    };
    view! {
        <tr>
            <td>
                <form class="inline-form" on:submit=save>
                    <TextField
                        label=i18n.t(AdminText::TeamName)
                        name="team_name"
                        value=name
                        error=field_message(failure.into(), "name")
                    />
                    <button type="submit" class="button small">{i18n.t(CommonText::Save)}</button>
                </form>
            </td>
            <td>{team.member_count}</td>
        </tr>
    }
}

/// `/admin/access`: which records each role sees.
#[component]
pub fn AccessPage() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let scopes = Resource::new(|| (), |_| list_data_scopes());
    let save = Action::new(|scope: &RoleScope| set_data_scope(scope.clone()));
    Effect::new(move |_| match save.value().get() {
        Some(Ok(())) => toasts.success(AdminText::AccessSaved),
        Some(Err(error)) => toasts.error(error),
        None => {}
    });
    let rows = move || {
        scopes.get().map(|result| match result {
            Err(error) => view! { <ErrorNotice error/> }.into_any(),
            Ok(list) => list
                .into_iter()
                .map(|RoleScope { role, scope }| {
                    let value = RwSignal::new(scope.as_str().to_owned());
                    let options = move || {
                        ScopeKind::ALL
                            .map(|s| (s.as_str().to_owned(), i18n.text(scope_label(s)).to_owned()))
                            .to_vec()
                    };
                    Effect::new(move |previous: Option<String>| {
                        let current = value.get();
                        if let (Some(previous), Ok(scope)) = (previous, ScopeKind::parse(&current))
                            && previous != current
                        {
                            save.dispatch(RoleScope { role, scope });
                        }
                        current
                    });
                    view! {
                        <div class="card scope-row" data-role=role.as_str()>
                            <SelectField
                                label=i18n.t(role_label(role))
                                name="scope"
                                value=value
                                options=Signal::derive(options)
                            />
                        </div>
                    }
                })
                .collect_view()
                .into_any(),
        })
    };
    view! {
        <section class="page">
            <h1>{i18n.t(AdminText::AccessTitle)}</h1>
            <p class="muted">{i18n.t(AdminText::AccessHelp)}</p>
            <Transition fallback=|| view! { <Loading/> }>{rows}</Transition>
        </section>
    }
}
