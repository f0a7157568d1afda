//! `/`: who you are and where to go.

use crate::{
    auth::{
        model::Role,
        views::{role_label, scope_label, use_auth_session},
    },
    i18n::{AdminText, CommonText, fill, use_i18n},
};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_auth_session();
    view! {
        <section class="page">
            {move || session.current().map(|user| {
                let greeting = {
                    let name = user.display_name.clone();
                    move || fill(i18n.text(CommonText::Welcome), &[("name", &name)])
                };
                let is_admin = user.role.includes(Role::Admin);
                view! {
                    <h1 data-testid="welcome">{greeting}</h1>
                    <div class="card">
                        <p>
                            {i18n.t(role_label(user.role))}
                            " · "
                            {i18n.t(scope_label(user.scope))}
                        </p>
                        <div class="quick-links">
                            <A href="/account">{i18n.t(CommonText::NavAccount)}</A>
                            <A href="/jobs">{i18n.t(CommonText::NavJobs)}</A>
                            {is_admin.then(|| view! {
                                <A href="/admin/users">{i18n.t(AdminText::UsersTitle)}</A>
                                <A href="/admin/audit">{i18n.t(AdminText::AuditTitle)}</A>
                            })}
                        </div>
                    </div>
                }
            })}
        </section>
    }
}
