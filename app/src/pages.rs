//! Every page as a lazily loaded route, grouped by area. In the browser each area is one split
//! point of the WASM (`cargo leptos build --split`): a first visit downloads the frame and the
//! area of the page it opens, and another area's code when one of its pages is first opened.
//! An area rather than a page is the unit because the splitter puts code shared by any set of
//! split points into a chunk of its own: one split point per page made over a thousand chunks,
//! and a first visit to /customers fetched 335 of them. The server renders the same views directly
//! and names the chunks a page needs in its HTML, so the browser fetches them alongside the main
//! module.
//!
//! The split points are foreign functions that the WASM splitter rewrites, which the lint against
//! unsafe code sees as `unsafe` blocks.
#![allow(unsafe_code)]

use leptos::prelude::*;
use leptos_router::LazyRoute;

/// Declares an area: one lazily loaded function that renders any of its pages, and a route type
/// per page that calls it. `preload` (the name `#[lazy]` gives the function that only downloads
/// the chunk) lets hydration fetch the chunk first, so the page hydrates at once.
macro_rules! area {
    ($(#[$doc:meta])* $area:ident / $preload:ident { $($route:ident => $page:path;)* }) => {
        $(#[$doc])*
        #[leptos::lazy]
        fn $area(page: &'static str) -> AnyView {
            match page {
                $(stringify!($route) => $page().into_any(),)*
                _ => unreachable!("a page of another area"),
            }
        }

        $(
            #[derive(Clone, Copy, Debug)]
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_: Self) -> AnyView {
                    $area(stringify!($route)).await
                }

                async fn preload() {
                    // The server renders the area directly: there is nothing to download.
                    #[cfg(target_arch = "wasm32")]
                    $preload().await;
                }
            }
        )*
    };
}

area! {
    /// Signing in: the first page most visitors see.
    sign_in_area / __preload_sign_in_area { SignIn => crate::account::views::SignInPage; }
}
area! {
    /// A customer's survey link, opened on a phone without signing in.
    public_survey_area / __preload_public_survey_area { PublicSurvey => crate::surveys::views::PublicSurveyPage; }
}
area! {
    start_area / __preload_start_area {
        Home => crate::home::views::HomePage;
        Account => crate::account::views::AccountPage;
    }
}
area! {
    customers_area / __preload_customers_area {
        Customers => crate::customers::views::CustomersPage;
        NewCustomer => crate::customers::views::NewCustomerPage;
        Duplicates => crate::customers::views::DuplicatesPage;
        Customer => crate::customer_360::CustomerPage;
        EditCustomer => crate::customers::views::EditCustomerPage;
        CustomerSettings => crate::customers::views::CustomerSettingsPage;
    }
}
area! {
    data_area / __preload_data_area {
        Import => crate::imports::views::ImportPage;
        Exports => crate::exports::views::ExportsPage;
        Jobs => crate::jobs::views::JobsPage;
        Products => crate::orders::views::ProductsPage;
    }
}
area! {
    sales_area / __preload_sales_area {
        Pipeline => crate::pipeline::views::PipelinePage;
        Opportunity => crate::composed::OpportunityPage;
        Forecast => crate::pipeline::views::ForecastPage;
        Quotas => crate::pipeline::views::QuotasPage;
        Leads => crate::leads::views::LeadsPage;
        Lead => crate::leads::views::LeadPage;
        MyDay => crate::tasks::views::MyDayPage;
        Pipelines => crate::pipeline::views::PipelinesPage;
        LeadSettings => crate::leads::views::LeadSettingsPage;
    }
}
area! {
    service_area / __preload_service_area {
        Tickets => crate::tickets::views::TicketsPage;
        Ticket => crate::composed::TicketPage;
        Triage => crate::tickets::views::TriagePage;
        ServiceReport => crate::tickets::views::ServiceReportPage;
        Surveys => crate::surveys::views::SurveysPage;
        Survey => crate::surveys::views::SurveyPage;
        ServiceSettings => crate::tickets::views::ServiceSettingsPage;
    }
}
area! {
    /// Reports: read by managers on tablets, rarely beside the sales pages.
    reports_area / __preload_reports_area {
        SalesReport => crate::reports::views::SalesReportPage;
        ReportOrders => crate::reports::views::ReportOrdersPage;
        CohortReport => crate::reports::cohorts::views::CohortReportPage;
        CohortCustomers => crate::reports::cohorts::views::CohortCustomersPage;
        DealReport => crate::reports::deals::views::DealReportPage;
        ClosedDeals => crate::reports::deals::views::ClosedDealsPage;
        FunnelReport => crate::reports::funnel::views::FunnelReportPage;
        FunnelLeads => crate::reports::funnel::views::FunnelLeadsPage;
        ChurnReport => crate::reports::churn::views::ChurnReportPage;
        ChurnedCustomers => crate::reports::churn::views::ChurnedCustomersPage;
        StatusReport => crate::reports::statuses::views::StatusReportPage;
        StatusCustomers => crate::reports::statuses::views::StatusCustomersPage;
        TierMoves => crate::reports::moves::views::MovesReportPage;
        CustomerMoves => crate::reports::moves::views::CustomerMovesPage;
        ValueReport => crate::reports::value::views::ValueReportPage;
        ValueCustomers => crate::reports::value::views::ValueCustomersPage;
    }
}
area! {
    tiers_area / __preload_tiers_area {
        Tiers => crate::tiers::views::TiersPage;
        LoyaltySettings => crate::loyalty::views::LoyaltySettingsPage;
        Segments => crate::tiers::views::SegmentsPage;
        Distribution => crate::tiers::views::DistributionPage;
    }
}
area! {
    admin_area / __preload_admin_area {
        Users => crate::users::views::UsersPage;
        Teams => crate::users::views::TeamsPage;
        Access => crate::users::views::AccessPage;
        AuditLog => crate::audit_log::views::AuditLogPage;
        CompanySettings => crate::company::views::CompanySettingsPage;
        Backups => crate::backups::views::BackupsPage;
        RecycleBin => crate::composed::RecycleBinPage;
    }
}
area! {
    /// Automation and care rules: set up by admins, read by managers.
    automation_area / __preload_automation_area {
        Automation => crate::automation::views::AutomationPage;
        AutomationRule => crate::automation::views::RulePage;
        CareCalendar => crate::automation::calendar_views::CareCalendarPage;
    }
}
