-- Every backup the server took (nightly, or when an admin asked) or `server backup` wrote, so an
-- admin sees when the last one was made, how big it is and whether restoring it was verified.
create table backup_run (
    id bigserial primary key,
    origin text not null check (origin in ('nightly', 'admin', 'command')),
    requested_by bigint references app_user (id) on delete set null,
    -- The job that runs it; a retried job closes its interrupted run first.
    job_id bigint references job (id) on delete set null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    folder text,
    dump_bytes bigint,
    table_count integer,
    row_count bigint,
    -- running: not finished; passed/failed: a restore into a scratch database was compared with
    -- the manifest; unverified: written, restore check switched off; error: no backup written.
    outcome text not null default 'running'
        check (outcome in ('running', 'passed', 'failed', 'unverified', 'error')),
    error text
);

create index backup_run_job on backup_run (job_id) where finished_at is null;
