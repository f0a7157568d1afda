//! The sign-in page, the page that asks for a new password, the account page and the language
//! switch.

use super::api::{ChangePassword, SignIn, SignOutOtherSessions, list_my_sessions, set_locale};
use crate::{
    auth::{
        model::{CurrentUser, MIN_PASSWORD_CHARS, SessionSummary},
        views::{role_label, scope_label, use_auth_session},
    },
    i18n::{AuthText, CommonText, Locale, Text, fill, use_i18n},
    ui::{
        Column, ErrorNotice, ResourceView, Table, TextField, Timestamp, ToastKind, field_message,
        server_submission, use_toasts,
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// Switches the UI language and saves the choice.
#[component]
pub fn LocaleSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let save = Action::new(|locale: &Locale| set_locale(*locale));
    view! {
        <div class="locale-switch" role="group" aria-label=move || i18n.text(CommonText::Language)>
            {Locale::ALL
                .into_iter()
                .map(|locale| {
                    view! {
                        <button
                            type="button"
                            class="locale-option"
                            lang=locale.tag()
                            aria-pressed=move || (i18n.locale() == locale).to_string()
                            on:click=move |_| {
                                i18n.set_locale(locale);
                                save.dispatch(locale);
                            }
                        >
                            {locale.endonym()}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// `/login`: email and password. Works as a plain form before the page hydrates.
#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_auth_session();
    let sign_in = ServerAction::<SignIn>::new();
    let failure = Signal::derive(move || sign_in.value().get().and_then(Result::err));
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());

    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(user)) = sign_in.value().get() {
            i18n.set_locale(user.locale);
            session.signed_in(user);
            navigate("/", Default::default());
        }
    });
    // Someone already signed in has nothing to do here (the browser runs effects only).
    let navigate_home = use_navigate();
    Effect::new(move |_| {
        if session.current().is_some() {
            navigate_home("/", Default::default());
        }
    });

    let form_error = move || {
        failure
            .get()
            .filter(|e| e.field_errors().is_none())
            .map(|error| view! { <ErrorNotice error/> })
    };

    view! {
        <AuthCard>
            <h1>{i18n.t(AuthText::SignInTitle)}</h1>
            <p class="muted">{i18n.t(AuthText::SignInSubtitle)}</p>
            <ActionForm action=sign_in attr:class="form auth-form">
                <TextField
                    label=i18n.t(AuthText::Email)
                    name="email"
                    input_type="email"
                    autocomplete="username"
                    value=email
                    error=field_message(failure, "email")
                    required=true
                />
                <TextField
                    label=i18n.t(AuthText::Password)
                    name="password"
                    input_type="password"
                    autocomplete="current-password"
                    value=password
                    error=field_message(failure, "password")
                    required=true
                />
                {form_error}
                <button type="submit" class="button primary" disabled=move || sign_in.pending().get()>
                    {move || {
                        if sign_in.pending().get() {
                            i18n.text(AuthText::SigningIn)
                        } else {
                            i18n.text(AuthText::SignIn)
                        }
                    }}
                </button>
            </ActionForm>
        </AuthCard>
    }
}

/// The card of the pages shown before the app: the brand and the language switch above
/// `children`.
#[component]
fn AuthCard(children: Children) -> impl IntoView {
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <div class="auth-top">
                    <div class="brand">
                        <span class="brand-mark">"关系"</span>
                        <span class="brand-name">"Guanxi"</span>
                    </div>
                    <LocaleSwitch/>
                </div>
                {children()}
            </div>
        </main>
    }
}

/// Shown in place of every signed-in page until a user whose password an admin reset has chosen
/// their own (the server refuses everything else meanwhile).
#[component]
pub fn ChooseNewPasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <AuthCard>
            <h1>{i18n.t(AuthText::ChooseNewPasswordTitle)}</h1>
            <p class="muted">{i18n.t(AuthText::ChooseNewPasswordHelp)}</p>
            <ChangePasswordForm reload_when_done=true/>
        </AuthCard>
    }
}

/// `/account`: one's profile, language, password and open sessions.
#[component]
pub fn AccountPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_auth_session();
    view! {
        <section class="page">
            <h1>{i18n.t(AuthText::AccountTitle)}</h1>
            {move || session.current().map(|user| view! { <ProfileCard user/> })}
            <div class="grid-2">
                <ChangePasswordForm/>
                <LanguageCard/>
            </div>
            <crate::notifications::views::NotificationPreferences/>
            <SessionsCard/>
        </section>
    }
}

#[component]
fn ProfileCard(user: CurrentUser) -> impl IntoView {
    let i18n = use_i18n();
    let team = user.team_name.clone();
    view! {
        <div class="card">
            <dl class="facts">
                <div><dt>{i18n.t(AuthText::DisplayName)}</dt><dd>{user.display_name.clone()}</dd></div>
                <div><dt>{i18n.t(AuthText::Email)}</dt><dd>{user.email.clone()}</dd></div>
                <div><dt>{i18n.t(AuthText::Role)}</dt><dd>{i18n.t(role_label(user.role))}</dd></div>
                <div>
                    <dt>{i18n.t(AuthText::Team)}</dt>
                    <dd>{move || team.clone().unwrap_or_else(|| i18n.text(AuthText::NoTeam).to_owned())}</dd>
                </div>
                <div><dt>{i18n.t(AuthText::DataScope)}</dt><dd>{i18n.t(scope_label(user.scope))}</dd></div>
            </dl>
        </div>
    }
}

#[component]
fn LanguageCard() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="card">
            <h2>{i18n.t(CommonText::Language)}</h2>
            <p class="muted">{i18n.t(AuthText::LanguageHelp)}</p>
            <LocaleSwitch/>
        </div>
    }
}

/// `reload_when_done`: after a forced change, load the app afresh (the session's user changed).
#[component]
fn ChangePasswordForm(#[prop(optional)] reload_when_done: bool) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let change = ServerAction::<ChangePassword>::new();
    let failure = Signal::derive(move || change.value().get().and_then(Result::err));
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());

    Effect::new(move |_| match change.value().get() {
        Some(Ok(ended)) => {
            if reload_when_done {
                #[cfg(feature = "hydrate")]
                if let Some(window) = web_sys::window() {
                    let _ = window.location().set_href("/");
                }
            }
            current.set(String::new());
            new.set(String::new());
            confirm.set(String::new());
            toasts.show(ToastKind::Success, move |locale| {
                fill(AuthText::PasswordChanged.text(locale), &[("count", &ended)])
            });
        }
        Some(Err(error)) if error.field_errors().is_none() => toasts.error(error),
        _ => {}
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        change.dispatch(ChangePassword {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
            confirm_password: confirm.get_untracked(),
        });
    };
    let hint = move || fill(i18n.text(AuthText::PasswordRule), &[("min", &MIN_PASSWORD_CHARS)]);

    view! {
        <form class="card form" on:submit=submit>
            <h2>{i18n.t(AuthText::ChangePassword)}</h2>
            <TextField
                label=i18n.t(AuthText::CurrentPassword)
                name="current_password"
                input_type="password"
                autocomplete="current-password"
                value=current
                error=field_message(failure, "current_password")
            />
            <TextField
                label=i18n.t(AuthText::NewPassword)
                name="new_password"
                input_type="password"
                autocomplete="new-password"
                value=new
                error=field_message(failure, "new_password")
            />
            <p class="hint">{hint}</p>
            <TextField
                label=i18n.t(AuthText::ConfirmPassword)
                name="confirm_password"
                input_type="password"
                autocomplete="new-password"
                value=confirm
                error=field_message(failure, "confirm_password")
            />
            <button type="submit" class="button primary" disabled=move || change.pending().get()>
                {i18n.t(AuthText::ChangePassword)}
            </button>
        </form>
    }
}

#[component]
fn SessionsCard() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let ended = RwSignal::new(0u32);
    let sessions = Resource::new(move || ended.get(), |_| list_my_sessions());
    let end_others = server_submission::<SignOutOtherSessions>().on_success(move |count| {
        ended.update(|n| *n += 1);
        toasts.show(ToastKind::Success, move |locale| {
            fill(AuthText::OtherSessionsEnded.text(locale), &[("count", &count)])
        });
    });
    view! {
        <div class="card">
            <div class="card-head">
                <h2>{i18n.t(AuthText::Sessions)}</h2>
                <button
                    class="button"
                    on:click=move |_| end_others.submit(SignOutOtherSessions {})
                    disabled=move || end_others.pending().get()
                >
                    {i18n.t(AuthText::SignOutOthers)}
                </button>
            </div>
            <ResourceView resource=sessions let:sessions>
                <SessionTable sessions/>
            </ResourceView>
        </div>
    }
}

#[component]
fn SessionTable(sessions: Vec<SessionSummary>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
            <Table testid="sessions" columns=vec![
                Column::new(i18n.t(AuthText::Device)),
                Column::new(i18n.t(AuthText::Address)),
                Column::new(i18n.t(AuthText::SignedInAt)),
                Column::new(i18n.t(AuthText::LastActive)),
            ]>
                    {sessions
                        .into_iter()
                        .map(|s| {
                            let device = s.user_agent.as_deref().map(short_agent).unwrap_or("-").to_owned();
                            view! {
                                <tr class:current=s.is_current>
                                    <td>
                                        {device}
                                        {s.is_current.then(|| view! {
                                            <span class="badge">{i18n.t(AuthText::ThisDevice)}</span>
                                        })}
                                    </td>
                                    <td>{s.client_ip.unwrap_or_else(|| "-".into())}</td>
                                    <td><Timestamp at=s.created_at/></td>
                                    <td><Timestamp at=s.last_seen_at/></td>
                                </tr>
                            }
                        })
                        .collect_view()}
            </Table>
    }
}

/// The browser family and platform out of a user-agent string, for a readable device column.
pub fn short_agent(agent: &str) -> &str {
    // Most specific first: Chrome's agent also names Safari, headless Chrome names Chrome.
    const KNOWN: [&str; 6] = ["HeadlessChrome", "Edg", "Firefox", "Chrome", "Safari", "curl"];
    KNOWN.iter().find(|name| agent.contains(**name)).copied().unwrap_or(agent)
}

#[cfg(test)]
mod tests {
    use super::short_agent;

    #[test]
    fn short_agent_names_the_browser() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36";
        assert_eq!(short_agent(chrome), "Chrome");
        assert_eq!(short_agent("Mozilla/5.0 Firefox/121.0"), "Firefox");
        assert_eq!(short_agent("custom"), "custom");
    }
}
