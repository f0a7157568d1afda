//! Admin pages: users, teams, and the data scope of each role.

use super::{
    api::{
        CreateTeam, CreateUser, RenameTeam, SetDataScope, list_data_scopes, list_teams, list_users,
        reset_user_password, set_user_active, update_user,
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
        CheckboxField, Column, EnumFilter, EnumSelect, FormButtons, Loading, PagedList, PagedTable,
        ResourceView, SelectField, Submission, Table, TextField, server_submission, use_toasts,
    },
};
use leptos::prelude::*;

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
    let role = RwSignal::new(None::<Role>);
    let status = RwSignal::new("active".to_owned());
    let list = PagedList::new(
        move || {
            let filter = UserFilter {
                search: non_empty(search.get()),
                role: role.get(),
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

    let status_options = move || {
        vec![
            ("active".to_owned(), i18n.text(AdminText::Active).to_owned()),
            ("inactive".to_owned(), i18n.text(AdminText::Inactive).to_owned()),
            ("all".to_owned(), i18n.text(AdminText::AllStatuses).to_owned()),
        ]
    };
    let columns = vec![
        Column::new(i18n.t(AuthText::DisplayName)),
        Column::new(i18n.t(AuthText::Email)),
        Column::new(i18n.t(AuthText::Role)),
        Column::new(i18n.t(AuthText::Team)),
        Column::new(i18n.t(AdminText::Status)),
        Column::blank(),
    ];

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
                <EnumFilter label=i18n.t(AuthText::Role) name="role_filter" value=role text=role_label any=AdminText::AnyRole/>
                <SelectField label=i18n.t(AdminText::Status) name="status_filter" value=status options=Signal::derive(status_options)/>
            </form>
            // The forms' team menus read a resource: a Transition lets the server wait for it.
            <Transition fallback=|| view! { <Loading/> }>
                <Show when=move || creating.get()>
                    <CreateUserForm teams creating/>
                </Show>
                {move || editing.get().map(|user| view! { <EditUserForm user teams editing/> })}
            </Transition>
            <PagedTable list columns testid="users" row=move |user| view! { <UserRow user editing/> }/>
        </section>
    }
}

#[component]
fn UserRow(user: UserSummary, editing: RwSignal<Option<UserSummary>>) -> impl IntoView {
    let i18n = use_i18n();
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
                <button type="button" class="button small" on:click=move |_| editing.set(Some(edit.clone()))>
                    {i18n.t(CommonText::Edit)}
                </button>
            </td>
        </tr>
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
    let role = RwSignal::new(Role::Member);
    let team = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let save = server_submission::<CreateUser>().on_success(move |_| {
        toasts.success(AdminText::UserCreated);
        creating.set(false);
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.submit(CreateUser {
            input: NewUser {
                email: email.get_untracked(),
                display_name: display_name.get_untracked(),
                role: Some(role.get_untracked()),
                team_id: parse_team(&team.get_untracked()),
                password: password.get_untracked(),
            },
        });
    };
    let hint = move || fill(i18n.text(AuthText::PasswordRule), &[("min", &MIN_PASSWORD_CHARS)]);
    view! {
        <form class="card form panel" on:submit=submit data-testid="create-user">
            <h2>{i18n.t(AdminText::NewUser)}</h2>
            <div class="grid-2">
                <TextField scope="new-" label=i18n.t(AuthText::Email) name="email" input_type="email" value=email error=save.field("email")/>
                <TextField scope="new-" label=i18n.t(AuthText::DisplayName) name="display_name" value=display_name error=save.field("display_name")/>
                <EnumSelect scope="new-" label=i18n.t(AuthText::Role) name="role" value=role text=role_label error=save.field("role")/>
                <SelectField scope="new-"
                    label=i18n.t(AuthText::Team)
                    name="team_id"
                    value=team
                    options=Signal::derive(move || team_options(teams.get(), i18n.text(AuthText::NoTeam)))
                    error=save.field("team_id")
                />
                <TextField scope="new-" label=i18n.t(AdminText::InitialPassword) name="password" input_type="password" value=password error=save.field("password")/>
            </div>
            <p class="hint">{hint}</p>
            <FormButtons submit=i18n.t(CommonText::Create) pending=save.pending() on_cancel=move |_| creating.set(false)/>
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
    let role = RwSignal::new(user.role);
    let team = RwSignal::new(user.team_id.map(|t| t.0.to_string()).unwrap_or_default());
    let new_password = RwSignal::new(String::new());
    let active = RwSignal::new(user.active);
    let (id, version) = (user.id, user.version);

    let save = Submission::new(|(update, wants_active): &(UserUpdate, bool)| {
        let (update, wants_active) = (update.clone(), *wants_active);
        async move {
            let saved = update_user(update).await?;
            // Activation is its own audited change, made after the edit with the new version.
            if saved.active != wants_active {
                set_user_active(saved.id, saved.version, wants_active).await?;
            }
            Ok(())
        }
    })
    .on_success(move |()| {
        toasts.success(AdminText::UserSaved);
        editing.set(None);
    });
    let reset = Submission::new(move |password: &String| reset_user_password(id, password.clone()))
        .on_success(move |()| {
            new_password.set(String::new());
            toasts.success(AdminText::PasswordReset);
        });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let update = UserUpdate {
            id,
            version,
            display_name: display_name.get_untracked(),
            role: role.get_untracked(),
            team_id: parse_team(&team.get_untracked()),
        };
        save.submit((update, active.get_untracked()));
    };
    let pending = Signal::derive(move || save.pending().get() || reset.pending().get());
    view! {
        <form class="card form panel" on:submit=submit data-testid="edit-user">
            <h2>{fill(i18n.text(AdminText::EditUser), &[("email", &user.email)])}</h2>
            <div class="grid-2">
                <TextField scope="edit-" label=i18n.t(AuthText::DisplayName) name="display_name" value=display_name error=save.field("display_name")/>
                <EnumSelect scope="edit-" label=i18n.t(AuthText::Role) name="role" value=role text=role_label error=save.field("role")/>
                <SelectField scope="edit-"
                    label=i18n.t(AuthText::Team)
                    name="team_id"
                    value=team
                    options=Signal::derive(move || team_options(teams.get(), i18n.text(AuthText::NoTeam)))
                    error=save.field("team_id")
                />
                <div>
                    <CheckboxField label=i18n.t(AdminText::Active) name="active" checked=active/>
                    <span class="field-error">{save.field("active")}</span>
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
                    error=reset.field("new_password")
                />
                <button type="button" class="button" on:click=move |_| reset.submit(new_password.get_untracked()) disabled=move || pending.get()>
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
    let create = server_submission::<CreateTeam>().on_success(move |_| {
        name.set(String::new());
        toasts.success(AdminText::TeamCreated);
        teams.refetch();
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.submit(CreateTeam { name: name.get_untracked() });
    };
    view! {
        <section class="page">
            <h1>{i18n.t(AdminText::TeamsTitle)}</h1>
            <form class="card form inline-form" on:submit=submit>
                <TextField label=i18n.t(AdminText::TeamName) name="name" value=name error=create.field("name")/>
                <button type="submit" class="button primary" disabled=move || create.pending().get()>
                    {i18n.t(AdminText::NewTeam)}
                </button>
            </form>
            <ResourceView resource=teams let:teams_list>
                <Table testid="teams" columns=vec![Column::new(i18n.t(AdminText::TeamName)), Column::new(i18n.t(AdminText::Members))]>
                    {teams_list
                        .into_iter()
                        .map(|team| view! { <TeamRow team on_saved=move || teams.refetch()/> })
                        .collect_view()}
                </Table>
            </ResourceView>
        </section>
    }
}

#[component]
fn TeamRow(team: TeamSummary, on_saved: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let name = RwSignal::new(team.name.clone());
    let (id, version) = (team.id, team.version);
    let rename = server_submission::<RenameTeam>().on_success(move |()| {
        toasts.success(AdminText::TeamSaved);
        on_saved();
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        rename.submit(RenameTeam { id, version, name: name.get_untracked() });
    };
    view! {
        <tr>
            <td>
                <form class="inline-form" on:submit=save>
                    <TextField
                        label=i18n.t(AdminText::TeamName)
                        name="team_name"
                        value=name
                        error=rename.field("name")
                    />
                    <button type="submit" class="button small" disabled=move || rename.pending().get()>{i18n.t(CommonText::Save)}</button>
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
    let save = server_submission::<SetDataScope>()
        .on_success(move |()| toasts.success(AdminText::AccessSaved));
    view! {
        <section class="page">
            <h1>{i18n.t(AdminText::AccessTitle)}</h1>
            <p class="muted">{i18n.t(AdminText::AccessHelp)}</p>
            <ResourceView resource=scopes let:list>
                {list
                    .into_iter()
                    .map(|RoleScope { role, scope }| {
                        let value = RwSignal::new(scope);
                        // Saved as soon as it changes: the first run only records the value read.
                        Effect::new(move |previous: Option<ScopeKind>| {
                            let current = value.get();
                            if previous.is_some_and(|previous| previous != current) {
                                save.submit(SetDataScope { scope: RoleScope { role, scope: current } });
                            }
                            current
                        });
                        view! {
                            <div class="card scope-row" data-role=role.as_str()>
                                <EnumSelect label=i18n.t(role_label(role)) name="scope" value text=scope_label/>
                            </div>
                        }
                    })
                    .collect_view()}
            </ResourceView>
        </section>
    }
}
