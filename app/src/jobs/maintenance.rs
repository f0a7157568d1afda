//! The hourly clean-up job.

use super::{
    context::{JobContext, JobError},
    queue,
};

/// Deletes what has expired: sessions past their absolute limit, idle cookie sessions, sign-in
/// failures older than a day, finished jobs older than thirty days, and expired archives.
pub async fn run(mut ctx: JobContext) -> Result<(), JobError> {
    const STEPS: i64 = 4;
    let pool = ctx.state.pool.clone();
    ctx.progress(0, Some(STEPS), None).await?;

    sqlx::query!("delete from user_session where expires_at < now()").execute(&pool).await?;
    ctx.progress(1, Some(STEPS), None).await?;

    sqlx::query!("delete from login_failure where failed_at < now() - interval '1 day'")
        .execute(&pool)
        .await?;
    ctx.progress(2, Some(STEPS), None).await?;

    // The session store creates its own table at server start-up; it is absent in databases
    // that never served (tests of this job), hence the existence check and the unchecked query.
    let store_exists: bool =
        sqlx::query_scalar("select to_regclass('tower_sessions.session') is not null")
            .fetch_one(&pool)
            .await?;
    if store_exists {
        sqlx::query("delete from tower_sessions.session where expiry_date < now()")
            .execute(&pool)
            .await?;
    }
    ctx.progress(3, Some(STEPS), None).await?;

    queue::purge_finished_before(&pool, chrono::Utc::now() - chrono::Duration::days(30)).await?;
    // Archives hold everyone's data: gone once they expire.
    sqlx::query!("delete from export_file where expires_at < now()").execute(&pool).await?;
    ctx.progress(STEPS, Some(STEPS), None).await?;
    Ok(())
}
