//! The bell of the top bar, its list, and the preferences section of the account page.

use super::{
    api::{
        mark_notifications_read, my_notification_preferences, my_notifications,
        save_notification_preferences,
    },
    model::{Channel, Notification, Preferences, kind_label},
};
use crate::{
    events::{Topic, use_server_events},
    i18n::{CommonText, NotifyText, fill, use_i18n},
    ui::{ErrorNotice, Timestamp, ToastKind, use_toasts},
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// The bell: the unread count, kept current by the event stream, and the newest notifications
/// in a panel below it.
#[component]
pub fn NotificationBell() -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let changes = use_server_events().changes(Topic::Notification);
    let local = RwSignal::new(0u32);
    // Read in the browser only: the frame is the same for every page, and the count changes
    // while it is open.
    let inbox = LocalResource::new(move || {
        changes.track();
        local.track();
        my_notifications(None)
    });
    let unread =
        move || inbox.get().and_then(|answer| answer.ok()).map(|inbox| inbox.unread).unwrap_or(0);
    let marking = Action::new(move |ids: &Option<Vec<i64>>| {
        let ids = ids.clone();
        async move {
            let _ = mark_notifications_read(ids).await;
            local.update(|n| *n += 1);
        }
    });
    let navigate = use_navigate();
    let open_one = move |notification: &Notification| {
        if !notification.read {
            marking.dispatch(Some(vec![notification.id]));
        }
        open.set(false);
        navigate(&notification.href(), Default::default());
    };

    view! {
        <div class="bell" on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
            <button
                type="button"
                class="bell-button"
                data-testid="bell"
                aria-haspopup="true"
                aria-expanded=move || open.get().to_string()
                aria-controls="bell-panel"
                aria-label=move || {
                    let n = unread();
                    if n > 0 {
                        fill(i18n.text(NotifyText::BellUnread), &[("n", &n)])
                    } else {
                        i18n.text(NotifyText::Bell).to_owned()
                    }
                }
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                    <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"/>
                </svg>
                <Show when=move || { unread() > 0 }>
                    <span class="bell-count" data-testid="bell-count">{unread}</span>
                </Show>
            </button>
            <Show when=move || open.get()>
                <div id="bell-panel" class="bell-panel card" role="region" aria-label=move || i18n.text(NotifyText::Bell)>
                    <div class="bell-head">
                        <strong>{i18n.t(NotifyText::Bell)}</strong>
                        <button
                            type="button"
                            class="button ghost small"
                            data-testid="mark-all-read"
                            disabled=move || unread() == 0
                            on:click=move |_| { marking.dispatch(None); }
                        >
                            {i18n.t(NotifyText::MarkAllRead)}
                        </button>
                    </div>
                    {
                        let open_one = open_one.clone();
                        move || {
                            let open_one = open_one.clone();
                            match inbox.get() {
                                None => view! { <p class="muted">{i18n.t(CommonText::Loading)}</p> }.into_any(),
                                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                                Some(Ok(inbox)) if inbox.items.is_empty() => {
                                    view! { <p class="muted">{i18n.t(NotifyText::Empty)}</p> }.into_any()
                                }
                                Some(Ok(inbox)) => view! {
                                    <ul class="bell-list" data-testid="bell-list">
                                        {inbox.items.into_iter().map(|notification| {
                                            let open_one = open_one.clone();
                                            let id = notification.id;
                                            let read = notification.read;
                                            let sentence = {
                                                let notification = notification.clone();
                                                move || notification.sentence(i18n.locale())
                                            };
                                            let at = notification.created_at;
                                            view! {
                                                <li class="bell-item" class:unread=!read>
                                                    <a
                                                        href=notification.href()
                                                        on:click=move |ev| {
                                                            ev.prevent_default();
                                                            open_one(&notification);
                                                        }
                                                    >
                                                        <span class="bell-sentence">{sentence}</span>
                                                        <span class="muted bell-time"><Timestamp at/></span>
                                                    </a>
                                                    {(!read).then(|| view! {
                                                        <button
                                                            type="button"
                                                            class="button ghost small"
                                                            on:click=move |_| { marking.dispatch(Some(vec![id])); }
                                                        >
                                                            {i18n.t(NotifyText::MarkRead)}
                                                        </button>
                                                    })}
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any(),
                            }
                        }
                    }
                </div>
            </Show>
        </div>
    }
}

fn channel_label(channel: Channel) -> NotifyText {
    match channel {
        Channel::InApp => NotifyText::ChannelInApp,
        Channel::Email => NotifyText::ChannelEmail,
        Channel::Off => NotifyText::ChannelOff,
    }
}

/// The account page's section: a channel per kind and the digest switch.
#[component]
pub fn NotificationPreferences() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let loaded = LocalResource::new(my_notification_preferences);
    let saving = Action::new(move |preferences: &Preferences| {
        let preferences = preferences.clone();
        async move { save_notification_preferences(preferences).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = saving.value().get() {
            toasts.show(ToastKind::Success, |locale| {
                use crate::i18n::Text;
                NotifyText::Saved.text(locale).to_owned()
            });
        }
    });
    view! {
        <section class="card" data-testid="notification-preferences">
            <h2>{i18n.t(NotifyText::Preferences)}</h2>
            <p class="muted">{i18n.t(NotifyText::PreferencesHelp)}</p>
            {move || match loaded.get() {
                None => view! { <p class="muted">{i18n.t(CommonText::Loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                Some(Ok(preferences)) => {
                    let channels: Vec<_> = preferences
                        .channels
                        .iter()
                        .map(|(kind, channel)| (*kind, RwSignal::new(*channel)))
                        .collect();
                    let digest = RwSignal::new(preferences.digest);
                    let rows = channels.clone();
                    view! {
                        <form on:submit=move |ev| {
                            ev.prevent_default();
                            saving.dispatch(Preferences {
                                channels: channels.iter().map(|(k, c)| (*k, c.get_untracked())).collect(),
                                digest: digest.get_untracked(),
                            });
                        }>
                            <table class="table">
                                <thead><tr>
                                    <th>{i18n.t(NotifyText::Kind)}</th>
                                    {Channel::ALL.iter().map(|c| view! { <th>{i18n.t(channel_label(*c))}</th> }).collect_view()}
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|(kind, chosen)| view! {
                                        <tr>
                                            <td>{i18n.t(kind_label(kind))}</td>
                                            {Channel::ALL.iter().map(|&channel| view! {
                                                <td>
                                                    <input
                                                        type="radio"
                                                        name=format!("notify_{}", kind.as_str())
                                                        aria-label=move || format!("{} · {}", i18n.text(kind_label(kind)), i18n.text(channel_label(channel)))
                                                        prop:checked=move || chosen.get() == channel
                                                        on:change=move |_| chosen.set(channel)
                                                    />
                                                </td>
                                            }).collect_view()}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <label class="check">
                                <input type="checkbox" name="digest" prop:checked=move || digest.get() on:change=move |ev| digest.set(event_target_checked(&ev))/>
                                {i18n.t(NotifyText::Digest)}
                            </label>
                            <div class="actions">
                                <button type="submit" class="button" disabled=move || saving.pending().get()>{i18n.t(CommonText::Save)}</button>
                            </div>
                            {move || match saving.value().get() {
                                Some(Err(error)) => Some(view! { <ErrorNotice error/> }),
                                _ => None,
                            }}
                        </form>
                    }.into_any()
                }
            }}
        </section>
    }
}
