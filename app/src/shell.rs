//! The signed-in frame: sidebar navigation, top bar, and the page outlet.

use crate::{
    account::{
        api::sign_out,
        views::{ChooseNewPasswordPage, LocaleSwitch},
    },
    auth::{
        model::{CurrentUser, Role},
        views::{role_label, use_auth_session},
    },
    error::AppError,
    events::use_server_events,
    i18n::{
        AdminText, AuthText, CommonText, CompanyText, CustomerText, ExportText, LeadText,
        LoyaltyText, ReportText, SalesText, SurveyText, TaskText, TicketText, TierText, use_i18n,
    },
    ui::ErrorNotice,
};
use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};

/// Every signed-in page sits in here; signed-out visitors are sent to `/login`. The user is
/// known before the page is drawn (see `AuthSession`), so nothing here waits: the frame and the
/// page under it are built once per request.
#[component]
pub fn AppShell() -> impl IntoView {
    let session = use_auth_session();
    move || match session.current() {
        Some(user) if user.must_change_password => view! { <ChooseNewPasswordPage/> }.into_any(),
        Some(user) => view! { <Layout user/> }.into_any(),
        None => view! { <Redirect path="/login"/> }.into_any(),
    }
}

/// Pages under `/admin/` configure the whole company: admins only.
pub fn is_admin_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

#[component]
fn Layout(user: CurrentUser) -> impl IntoView {
    let i18n = use_i18n();
    let nav_open = RwSignal::new(false);

    #[cfg(feature = "hydrate")]
    {
        let events = use_server_events();
        Effect::new(move |_| crate::events::connect_server_events(events));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = use_server_events;

    let signing_out = Action::new(|_: &()| sign_out());
    Effect::new(move |_| {
        if signing_out.value().get().is_some() {
            // A full load drops every piece of the signed-in state (resources, event stream).
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys::window() {
                let _ = window.location().set_href("/login");
            }
        }
    });

    let is_admin = user.role.includes(Role::Admin);
    let location = leptos_router::hooks::use_location();
    let is_manager = user.role.includes(Role::Manager);
    let name = user.display_name.clone();
    let role = user.role;
    view! {
        <div class="shell" class:nav-open=move || nav_open.get()>
            <aside class="sidebar" id="sidebar" aria-label=move || i18n.text(CommonText::Navigation)>
                <div class="brand">
                    <span class="brand-mark">"关系"</span>
                    <span class="brand-name">"Guanxi"</span>
                </div>
                // Choosing a page from the slide-over menu (tablets) also closes it.
                <nav class="nav" on:click=move |_| nav_open.set(false)>
                    <A href="/" exact=true>{i18n.t(CommonText::NavHome)}</A>
                    <A href="/customers">{i18n.t(CustomerText::Customers)}</A>
                    <A href="/leads">{i18n.t(LeadText::Leads)}</A>
                    <A href="/pipeline">{i18n.t(SalesText::Pipeline)}</A>
                    <A href="/forecast">{i18n.t(SalesText::Forecast)}</A>
                    <A href="/reports/sales">{i18n.t(ReportText::Reports)}</A>
                    {is_manager.then(|| view! { <A href="/quotas">{i18n.t(SalesText::Quotas)}</A> })}
                    <A href="/tasks">{i18n.t(TaskText::MyDay)}</A>
                    <A href="/care">{i18n.t(crate::automation::text::AutomationText::CareCalendar)}</A>
                    <A href="/tickets">{i18n.t(TicketText::Tickets)}</A>
                    <A href="/surveys">{i18n.t(SurveyText::Surveys)}</A>
                    {is_manager.then(|| view! { <A href="/service">{i18n.t(TicketText::Report)}</A> })}
                    <A href="/segments">{i18n.t(TierText::Segments)}</A>
                    {is_manager.then(|| view! { <A href="/insights/customers">{i18n.t(TierText::Distribution)}</A> })}
                    {is_manager.then(|| view! { <A href="/automation">{i18n.t(crate::automation::text::AutomationText::Title)}</A> })}
                    <A href="/exports">{i18n.t(ExportText::Exports)}</A>
                    <A href="/jobs">{i18n.t(CommonText::NavJobs)}</A>
                    <A href="/account">{i18n.t(CommonText::NavAccount)}</A>
                    {is_admin.then(|| view! {
                        <div class="nav-section">{i18n.t(CommonText::NavAdmin)}</div>
                        <A href="/admin/company">{i18n.t(CompanyText::Title)}</A>
                        <A href="/admin/users">{i18n.t(AdminText::UsersTitle)}</A>
                        <A href="/admin/teams">{i18n.t(AdminText::TeamsTitle)}</A>
                        <A href="/admin/access">{i18n.t(AdminText::AccessTitle)}</A>
                        <A href="/admin/audit">{i18n.t(AdminText::AuditTitle)}</A>
                        <A href="/admin/backups">{i18n.t(AdminText::BackupsTitle)}</A>
                        <A href="/admin/customers">{i18n.t(CustomerText::Settings)}</A>
                        <A href="/admin/pipelines">{i18n.t(SalesText::Pipelines)}</A>
                        <A href="/admin/service">{i18n.t(TicketText::Settings)}</A>
                        <A href="/admin/leads">{i18n.t(LeadText::Settings)}</A>
                        <A href="/admin/tiers">{i18n.t(TierText::Tiers)}</A>
                        <A href="/admin/loyalty">{i18n.t(LoyaltyText::Settings)}</A>
                        <A href="/admin/products">{i18n.t(CustomerText::Products)}</A>
                        <A href="/admin/recycle-bin">{i18n.t(CustomerText::RecycleBin)}</A>
                    })}
                </nav>
            </aside>
            <div class="scrim" on:click=move |_| nav_open.set(false)></div>
            <div class="main">
                <header class="topbar">
                    <button
                        type="button"
                        class="nav-toggle"
                        aria-controls="sidebar"
                        aria-expanded=move || nav_open.get().to_string()
                        aria-label=move || i18n.text(CommonText::Menu)
                        on:click=move |_| nav_open.update(|open| *open = !*open)
                    >
                        <span></span><span></span><span></span>
                    </button>
                    <crate::search::views::GlobalSearch/>
                    <div class="topbar-fill"></div>
                    <crate::notifications::views::NotificationBell/>
                    <LocaleSwitch/>
                    <div class="user-chip">
                        <span class="user-name" data-testid="user-name">{name}</span>
                        <span class="user-role">{i18n.t(role_label(role))}</span>
                    </div>
                    <button
                        type="button"
                        class="button ghost"
                        on:click=move |_| { signing_out.dispatch(()); }
                    >
                        {i18n.t(AuthText::SignOut)}
                    </button>
                </header>
                <main class="content">
                    // Administration pages are refused as a whole to other roles (403 when
                    // opened directly), rather than drawn with parts that fail one by one.
                    <Show
                        when=move || is_admin || !is_admin_path(&location.pathname.get())
                        fallback=|| view! { <section class="page"><ErrorNotice error=AppError::Forbidden/></section> }
                    >
                        <Outlet/>
                    </Show>
                    <crate::tasks::views::TaskReminders/>
                </main>
            </div>
        </div>
    }
}
