//! Guanxi's application: every page, component and typed server function, shared by the WASM
//! client (`hydrate`) and the axum server (`ssr`). Each domain is a folder of the same shape:
//! `model` (shared types, pure rules), `api` (server functions), `repo`/`service` (server-only
//! SQL and transactions) and `views` (components).
// Release builds (no `erase_components`) nest view types deeply enough to need more than 128.
#![recursion_limit = "256"]

pub mod account;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod automation;
pub mod backups;
pub mod company;
pub mod composed;
pub mod customer_360;
pub mod customers;
pub mod enums;
pub mod error;
pub mod events;
pub mod exports;
pub mod home;
pub mod i18n;
pub mod imports;
pub mod interactions;
pub mod jobs;
pub mod leads;
pub mod loyalty;
pub mod money;
pub mod notifications;
pub mod orders;
pub mod pages;
pub mod paging;
pub mod pipeline;
pub mod recycling;
pub mod reports;
pub mod search;
mod shell;
pub mod surveys;
pub mod tasks;
pub mod tickets;
pub mod tiers;
pub mod ui;
pub mod users;

#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod download;
#[cfg(feature = "ssr")]
pub mod export_sources;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod memo;
#[cfg(feature = "ssr")]
pub mod registry;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;

use i18n::{CommonText, Locale, provide_i18n, use_i18n};
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

/// The language to render in: on the server the one the request resolved (account, cookie or
/// `Accept-Language`); in the browser the one the server rendered, read back from `<html lang>`.
pub(crate) fn initial_locale() -> Locale {
    #[cfg(feature = "ssr")]
    {
        auth::server::request_context_if_any().map(|context| context.locale).unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
                .and_then(|root| root.get_attribute("lang"))
                .and_then(|tag| Locale::from_tag(&tag))
                .unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        Locale::default()
    }
}

/// The company's time zone: on the server the one the request resolved; in the browser the
/// one the server rendered, read back from `<html data-zone>`.
fn initial_time_zone() -> String {
    #[cfg(feature = "ssr")]
    {
        auth::server::request_context_if_any()
            .map(|context| context.time_zone.name().to_owned())
            .unwrap_or_else(|| company::model::DEFAULT_TIME_ZONE.to_owned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
                .and_then(|root| root.get_attribute("data-zone"))
                .unwrap_or_else(|| company::model::DEFAULT_TIME_ZONE.to_owned())
        }
        #[cfg(not(feature = "hydrate"))]
        company::model::DEFAULT_TIME_ZONE.to_owned()
    }
}

/// The HTML document around the app, rendered by the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    let lang = initial_locale().tag();
    let zone = initial_time_zone();
    view! {
        <!DOCTYPE html>
        <html lang=lang data-zone=zone>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The policy for a rendered page: scripts run only from this response's nonce (the hydration
/// script) and what it loads, so an injected `<script>` or event handler attribute does not run.
#[cfg(feature = "ssr")]
fn page_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'"
    )
}

/// Gives this page render a fresh nonce (the hydration scripts carry it) and the policy naming it.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    leptos::nonce::provide_nonce();
    let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&page_security_policy(&nonce.to_string())) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The application: contexts shared by every page, and the routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let i18n = provide_i18n(initial_locale());
    ui::provide_company_zone(initial_time_zone());
    ui::Toasts::provide();
    events::ServerEvents::provide();
    auth::views::AuthSession::provide();
    provide_context(composed::REPORT_SECTIONS);
    // The server's title is a plain string: leptos_meta reads it after the page has rendered,
    // outside the request's reactive arena, where a signal read finds whichever request last ran
    // on that thread (under concurrent load: "already been disposed", a panic and a cut-off
    // response). In the browser it follows the language.
    #[cfg(feature = "ssr")]
    let title = TextProp::from(i18n.text(CommonText::AppTitle));
    #[cfg(not(feature = "ssr"))]
    let title = TextProp::from(move || i18n.text(CommonText::AppTitle));

    view! {
        <Title text=title/>
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/login") view={Lazy::<pages::SignIn>::new()}/>
                // A customer's survey link: public, no sign-in.
                <Route path=path!("/s/:token") view={Lazy::<pages::PublicSurvey>::new()} ssr=SsrMode::Async/>
                // Signed-in pages render in Async mode: the response waits for the session check,
                // so a signed-out visitor gets a real 302 rather than a streamed page that only
                // redirects once it runs in the browser.
                <ParentRoute path=path!("") view=shell::AppShell>
                    <Route path=path!("") view={Lazy::<pages::Home>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("account") view={Lazy::<pages::Account>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("customers") view={Lazy::<pages::Customers>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("customers/new") view={Lazy::<pages::NewCustomer>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("customers/import") view={Lazy::<pages::Import>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("imports") view={Lazy::<pages::Import>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("customers/duplicates") view={Lazy::<pages::Duplicates>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("customers/:id") view={Lazy::<pages::Customer>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("customers/:id/edit") view={Lazy::<pages::EditCustomer>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/products") view={Lazy::<pages::Products>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/customers") view={Lazy::<pages::CustomerSettings>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/recycle-bin") view={Lazy::<pages::RecycleBin>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/tiers") view={Lazy::<pages::Tiers>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/loyalty") view={Lazy::<pages::LoyaltySettings>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("segments") view={Lazy::<pages::Segments>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("insights/customers") view={Lazy::<pages::Distribution>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("jobs") view={Lazy::<pages::Jobs>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("exports") view={Lazy::<pages::Exports>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("pipeline") view={Lazy::<pages::Pipeline>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("opportunities/:id") view={Lazy::<pages::Opportunity>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("forecast") view={Lazy::<pages::Forecast>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("quotas") view={Lazy::<pages::Quotas>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("leads") view={Lazy::<pages::Leads>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("leads/:id") view={Lazy::<pages::Lead>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("tasks") view={Lazy::<pages::MyDay>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("tickets") view={Lazy::<pages::Tickets>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("tickets/triage") view={Lazy::<pages::Triage>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("tickets/:id") view={Lazy::<pages::Ticket>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("service") view={Lazy::<pages::ServiceReport>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/sales") view={Lazy::<pages::SalesReport>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/orders") view={Lazy::<pages::ReportOrders>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/cohorts") view={Lazy::<pages::CohortReport>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/cohorts/customers") view={Lazy::<pages::CohortCustomers>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/deals") view={Lazy::<pages::DealReport>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/deals/list") view={Lazy::<pages::ClosedDeals>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/funnel") view={Lazy::<pages::FunnelReport>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/funnel/leads") view={Lazy::<pages::FunnelLeads>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/churn") view={Lazy::<pages::ChurnReport>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/churn/customers") view={Lazy::<pages::ChurnedCustomers>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/statuses") view={Lazy::<pages::StatusReport>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/statuses/customers") view={Lazy::<pages::StatusCustomers>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/tiers") view={Lazy::<pages::TierMoves>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/tiers/customers") view={Lazy::<pages::CustomerMoves>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/value") view={Lazy::<pages::ValueReport>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports/value/customers") view={Lazy::<pages::ValueCustomers>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("surveys") view={Lazy::<pages::Surveys>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("surveys/:id") view={Lazy::<pages::Survey>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/service") view={Lazy::<pages::ServiceSettings>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/pipelines") view={Lazy::<pages::Pipelines>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/leads") view={Lazy::<pages::LeadSettings>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/users") view={Lazy::<pages::Users>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/teams") view={Lazy::<pages::Teams>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/access") view={Lazy::<pages::Access>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/audit") view={Lazy::<pages::AuditLog>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/company") view={Lazy::<pages::CompanySettings>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("admin/backups") view={Lazy::<pages::Backups>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("automation") view={Lazy::<pages::Automation>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("automation/:id") view={Lazy::<pages::AutomationRule>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("care") view={Lazy::<pages::CareCalendar>::new()} ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
        <ui::Toaster/>
    }
}

/// Marks the page live once the WASM has hydrated all of it, the lazily loaded page included
/// (end-to-end tests and the budget script wait for this).
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
        let _ = body.set_attribute("data-hydrated", "");
    }
}

/// Any path no route matches.
#[component]
fn NotFoundPage() -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <h1>{i18n.t(CommonText::NotFoundTitle)}</h1>
                <p><a href="/">{i18n.t(CommonText::BackHome)}</a></p>
            </div>
        </main>
    }
}
