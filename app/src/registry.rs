//! Where the root composes what the shared machinery runs on every area's behalf: the handler
//! of each job kind and the loops areas keep running (for the queue), and the exportable lists
//! (for downloads and archives). Areas enqueue jobs by kind; only this file names them all, so
//! an area's long work is one line here and nothing in the queue.

use crate::{
    error::AppError,
    exports::{
        model::ExportEntity,
        source::{ExportSources, Request, Rows, Who},
    },
    i18n::Locale,
    jobs::{
        context::{Handler, JobRegistry},
        model::kinds,
    },
    state::AppState,
};
use futures::future::BoxFuture;
use sqlx::PgPool;

/// The registry every worker of this build runs with.
pub const JOBS: JobRegistry = JobRegistry { handler_for, standing_loops };

/// Every area's exportable lists, for downloads (a request extension) and archives.
pub const EXPORTS: ExportSources =
    ExportSources { columns: crate::export_sources::columns, produce: produce_rows };

fn produce_rows<'a>(
    pool: &'a PgPool,
    who: &'a Who,
    entity: ExportEntity,
    request: &'a Request,
    locale: Locale,
    out: &'a Rows,
) -> BoxFuture<'a, Result<u64, AppError>> {
    Box::pin(crate::export_sources::produce(pool, who, entity, request, locale, out))
}

fn handler_for(kind: &str) -> Option<Handler> {
    match kind {
        kinds::DUPLICATE_SCAN => Some(|ctx| Box::pin(crate::customers::dedupe::scan(ctx))),
        kinds::PRODUCT_AFFINITY => {
            Some(|ctx| Box::pin(crate::orders::service::recompute_affinity(ctx)))
        }
        kinds::CUSTOMER_IMPORT => Some(|ctx| Box::pin(crate::imports::service::run(ctx))),
        kinds::IMPORT_REVERT => Some(|ctx| Box::pin(crate::imports::service::revert(ctx))),
        kinds::TIER_RECOMPUTE => Some(|ctx| Box::pin(crate::tiers::service::recompute(ctx))),
        kinds::TIER_RESCORE => Some(|ctx| Box::pin(crate::tiers::service::rescore(ctx))),
        kinds::POINTS_EXPIRY => Some(|ctx| Box::pin(crate::loyalty::service::expire(ctx))),
        kinds::FORECAST_SNAPSHOT => {
            Some(|ctx| Box::pin(crate::pipeline::service::snapshot_job(ctx)))
        }
        kinds::SURVEY_SEND => Some(|ctx| Box::pin(crate::surveys::service::deliver(ctx))),
        kinds::SURVEY_AFTER_RESOLUTION => {
            Some(|ctx| Box::pin(crate::surveys::service::after_resolution(ctx)))
        }
        kinds::COMPANY_ARCHIVE => {
            Some(|ctx| Box::pin(crate::exports::archive::build(ctx, EXPORTS)))
        }
        kinds::BACKUP => Some(|ctx| Box::pin(crate::backups::service::run(ctx))),
        kinds::RECYCLE_PURGE => Some(|ctx| Box::pin(crate::composed::purge_recycle_bin(ctx))),
        kinds::NOTIFICATION_EMAIL => {
            Some(|ctx| Box::pin(crate::notifications::service::send_email(ctx)))
        }
        kinds::TICKET_REPLY_EMAIL => Some(|ctx| Box::pin(crate::tickets::email::send_reply(ctx))),
        kinds::AUTOMATION_RUN => {
            Some(|ctx| Box::pin(crate::automation::service::evaluate_all(ctx)))
        }
        kinds::AUTOMATION_EMAIL => {
            Some(|ctx| Box::pin(crate::automation::service::send_email(ctx)))
        }
        kinds::NOTIFICATION_DIGEST => {
            Some(|ctx| Box::pin(crate::notifications::service::send_digests(ctx)))
        }
        _ => None,
    }
}

fn standing_loops(state: AppState) -> Vec<BoxFuture<'static, ()>> {
    vec![
        Box::pin(crate::tasks::service::remind_due(state.clone())),
        Box::pin(crate::tickets::service::sweep_breaches(state.clone())),
        Box::pin(crate::tickets::email::poll_mailbox(state)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_but_the_queues_own_has_a_handler() {
        for kind in kinds::ALL.iter().filter(|kind| **kind != kinds::MAINTENANCE) {
            assert!(handler_for(kind).is_some(), "{kind} has no handler");
        }
        assert!(handler_for(kinds::MAINTENANCE).is_none(), "maintenance is the queue's own");
        assert!(handler_for("no_such_kind").is_none());
    }
}
