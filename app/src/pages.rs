//! Every page as a lazily loaded route. In the browser each page's view is a split point of the
//! WASM (`cargo leptos build --split`): a first visit downloads the frame and the page it opens,
//! and any other page's code when it is first opened (shared code goes into shared chunks). The
//! server renders the same views directly and names the chunks a page needs in its HTML, so the
//! browser fetches them alongside the main module.
//!
//! The split points are foreign functions that the WASM splitter rewrites, which the lint against
//! unsafe code sees as `unsafe` blocks.
#![allow(unsafe_code)]

use crate::{
    audit, auth, backups, company, customers, exports, home, imports, jobs, leads, loyalty, orders,
    pipeline, surveys, tasks, tickets, tiers, users,
};
use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// A unit struct per page: its data is loaded by the page itself, inside its view.
macro_rules! lazy_pages {
    ($($route:ident => $page:path;)*) => {$(
        #[derive(Clone, Copy, Debug)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(this: Self) -> AnyView {
                let $route = this;
                $page().into_any()
            }
        }
    )*};
}

lazy_pages! {
    SignIn => auth::views::SignInPage;
    PublicSurvey => surveys::views::PublicSurveyPage;
    Home => home::views::HomePage;
    Account => auth::views::AccountPage;
    Customers => customers::views::CustomersPage;
    NewCustomer => customers::views::NewCustomerPage;
    Import => imports::views::ImportPage;
    Duplicates => customers::views::DuplicatesPage;
    Customer => customers::views::CustomerPage;
    EditCustomer => customers::views::EditCustomerPage;
    Products => orders::views::ProductsPage;
    CustomerSettings => customers::views::CustomerSettingsPage;
    RecycleBin => customers::views::RecycleBinPage;
    Tiers => tiers::views::TiersPage;
    LoyaltySettings => loyalty::views::LoyaltySettingsPage;
    Segments => tiers::views::SegmentsPage;
    Distribution => tiers::views::DistributionPage;
    Jobs => jobs::views::JobsPage;
    Exports => exports::views::ExportsPage;
    Pipeline => pipeline::views::PipelinePage;
    Opportunity => pipeline::views::OpportunityPage;
    Forecast => pipeline::views::ForecastPage;
    Leads => leads::views::LeadsPage;
    MyDay => tasks::views::MyDayPage;
    Tickets => tickets::views::TicketsPage;
    Ticket => tickets::views::TicketPage;
    ServiceReport => tickets::views::ServiceReportPage;
    Surveys => surveys::views::SurveysPage;
    Survey => surveys::views::SurveyPage;
    ServiceSettings => tickets::views::ServiceSettingsPage;
    Pipelines => pipeline::views::PipelinesPage;
    LeadSettings => leads::views::LeadSettingsPage;
    Users => users::views::UsersPage;
    Teams => users::views::TeamsPage;
    Access => users::views::AccessPage;
    AuditLog => audit::views::AuditLogPage;
    CompanySettings => company::views::CompanySettingsPage;
    Backups => backups::views::BackupsPage;
}
