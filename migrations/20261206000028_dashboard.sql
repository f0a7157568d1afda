-- The home dashboard: each user's tiles in their order (the ones left out are hidden). A user
-- without a row sees their role's defaults; `version` detects a save from a stale page.
create table dashboard_layout (
    user_id bigint primary key references app_user (id),
    tiles text[] not null,
    version integer not null default 1,
    updated_at timestamptz not null default now()
);

-- The admin's "customers added and lost this month" tile counts a month of each without
-- reading every customer.
create index customer_created_idx on customer (created_at) where deleted_at is null;
create index customer_churned_idx on customer (churned_at)
    where churned_at is not null and deleted_at is null;
