//! Pages of one area that show another area's section, composed at the root so that neither
//! area names the other: an opportunity or a ticket with its tasks (tasks name the records they
//! hang on, so those records' pages cannot name tasks back), and the recycle bin with each
//! area's deleted records, and the other areas' reports among the reports' tabs. The customer
//! 360 page is `customer_360`.

use crate::{
    auth::model::Role,
    i18n::{ReportText, Text},
    pipeline::model::OpportunityId,
    reports::views::{ReportSection, ReportSections},
    tasks::views::TaskSection,
    tickets::model::TicketId,
};
use leptos::prelude::*;

/// The reports of other areas shown among the reports' tabs, in order: an area with a report
/// of its own (the market section of campaigns) adds its line here.
pub const REPORT_SECTIONS: ReportSections = ReportSections(&[ReportSection {
    path: "/service",
    label: |locale| ReportText::ServiceQuality.text(locale),
    role: Role::Manager,
}]);

/// `/opportunities/:id`.
#[component]
pub fn OpportunityPage() -> impl IntoView {
    view! { <crate::pipeline::views::OpportunityPage beside=opportunity_sections/> }
}

fn opportunity_sections(id: OpportunityId) -> AnyView {
    view! { <TaskSection opportunity_id=Some(id) customer_id=None/> }.into_any()
}

/// `/tickets/:id`.
#[component]
pub fn TicketPage() -> impl IntoView {
    view! { <crate::tickets::views::TicketPage beside=ticket_sections/> }
}

fn ticket_sections(id: TicketId) -> AnyView {
    view! {
        <div class="ticket-tasks">
            <TaskSection ticket_id=Some(id) customer_id=None opportunity_id=None/>
        </div>
    }
    .into_any()
}

/// `/admin/recycle-bin`: each area's deleted records, restorable by admins until the nightly
/// purge.
#[component]
pub fn RecycleBinPage() -> impl IntoView {
    use crate::{
        i18n::{CustomerText, LeadText, OrderText, SalesText, TaskText, TicketText, use_i18n},
        interactions::api::{list_deleted_interactions, restore_interaction},
        leads::{
            api::{list_deleted_leads, restore_lead},
            model::LeadId,
        },
        pipeline::api::{list_deleted_opportunities, restore_opportunity},
        recycling::BinSection,
        tasks::{
            api::{list_deleted_tasks, restore_task},
            model::TaskId,
        },
        tickets::api::{list_deleted_tickets, restore_ticket},
    };
    let i18n = use_i18n();
    view! {
        <section class="page">
            <h1>{i18n.t(CustomerText::RecycleBin)}</h1>
            <crate::customers::views::DeletedCustomersSection/>
            <BinSection title=i18n.t(TaskText::Tasks) person=i18n.t(TaskText::Assignee)
                testid="recycle-bin-tasks" restored=TaskText::Restored
                list=list_deleted_tasks restore=|id| restore_task(TaskId(id))/>
            <BinSection title=i18n.t(LeadText::Leads) person=i18n.t(SalesText::Owner)
                testid="recycle-bin-leads" restored=LeadText::LeadRestored
                list=list_deleted_leads restore=|id| restore_lead(LeadId(id))/>
            <BinSection title=i18n.t(SalesText::Opportunities) person=i18n.t(SalesText::Owner)
                testid="recycle-bin-opportunities" restored=SalesText::OpportunityRestored
                list=list_deleted_opportunities restore=|id| restore_opportunity(OpportunityId(id))/>
            <BinSection title=i18n.t(TicketText::Tickets) person=i18n.t(TicketText::Assignee)
                testid="recycle-bin-tickets" restored=TicketText::TicketRestored
                list=list_deleted_tickets restore=|id| restore_ticket(TicketId(id))/>
            <BinSection title=i18n.t(OrderText::Interactions) person=i18n.t(OrderText::LoggedBy)
                testid="recycle-bin-interactions" restored=OrderText::InteractionRestored
                list=list_deleted_interactions restore=restore_interaction/>
        </section>
    }
}

/// The nightly `recycle_purge` job: removes for good what has been in each area's recycle bin
/// longer than the company keeps it, a batch per transaction with its audit entry. Tasks go
/// first: a lead or an opportunity waits for the tasks that name it.
#[cfg(feature = "ssr")]
pub async fn purge_recycle_bin(
    mut ctx: crate::jobs::context::JobContext,
) -> Result<(), crate::jobs::context::JobError> {
    const BATCH: i64 = 500;
    let pool = ctx.state.pool.clone();
    let days = crate::company::repo::settings(&pool).await?.recycle_bin_days;
    let mut done = 0;
    // Each area's bin in batches, each batch committed with its audit entry.
    macro_rules! drain {
        ($purge:path) => {
            loop {
                let mut tx = pool.begin().await?;
                let n = $purge(&mut tx, days, BATCH).await?;
                tx.commit().await?;
                done += n as i64;
                ctx.progress(done, None, None).await?;
                if n < BATCH as u64 {
                    break;
                }
            }
        };
    }
    drain!(crate::tasks::service::purge_deleted);
    drain!(crate::interactions::service::purge_deleted);
    drain!(crate::tickets::service::purge_deleted);
    drain!(crate::pipeline::service::purge_deleted);
    drain!(crate::leads::service::purge_deleted);
    Ok(())
}
