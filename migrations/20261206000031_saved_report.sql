-- Reports a user saved to their dashboard as tiles: which report, the query its page carried
-- (the same address query a bookmark holds), and whether its dates stay as saved or roll with
-- the company's today. A tile is read with its owner's scope at read time, so it never shows
-- more than they may see now. The dashboard's layout names it as `report:<id>`.
create table saved_report (
    id bigint generated always as identity primary key,
    user_id bigint not null references app_user (id),
    report text not null check (report in ('sales', 'cohorts')),
    title text not null check (length(title) between 1 and 80),
    query text not null check (length(query) <= 2000),
    dates text not null,
    created_at timestamptz not null default now()
);

create index saved_report_user_idx on saved_report (user_id, id);
