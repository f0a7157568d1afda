-- A company's history in, everything out: the company's time zone, external ids, order and
-- interaction imports (revertible), and files produced by export jobs.

-- The company's own settings. Days, weeks and months are counted in its time zone (an IANA
-- name, so daylight saving follows the zone's rules), not in UTC.
create table company_settings (
    id boolean primary key default true,
    time_zone text not null default 'Asia/Shanghai',
    version integer not null default 1,
    updated_at timestamptz not null default now(),
    updated_by bigint references app_user (id),
    constraint company_settings_single_row check (id)
);
insert into company_settings default values;

-- The zone as SQL reads it: `date_trunc('month', t at time zone company_time_zone())`.
create function company_time_zone() returns text
    language sql stable parallel safe
    as $$ select time_zone from company_settings $$;

-- The service calendar counted business hours at a fixed UTC offset; it now follows the
-- company's zone. A calendar that was moved off the default keeps its offset as a fixed zone
-- (`Etc/GMT-8` is UTC+8: POSIX signs are inverted).
update company_settings set time_zone = c.zone
from (
    select case
               when utc_offset_minutes = 480 then 'Asia/Shanghai'
               when utc_offset_minutes = 0 then 'UTC'
               when utc_offset_minutes % 60 = 0 and abs(utc_offset_minutes / 60) <= 12
                   then 'Etc/GMT' || case when utc_offset_minutes > 0 then '-' else '+' end
                        || abs(utc_offset_minutes / 60)
               else 'Asia/Shanghai'
           end as zone
    from service_calendar
    limit 1
) c;
alter table service_calendar drop column utc_offset_minutes;

-- The id a record has in the shop, ERP or old CRM it came from: unique per kind, matched
-- first by imports. Unique among live customers only, so a deleted one does not block
-- importing its successor (restoring it then asks for the id to be freed).
alter table customer add column external_id text;
create unique index customer_external_id_key on customer (external_id)
    where deleted_at is null and external_id is not null;
alter table product add column external_id text;
create unique index product_external_id_key on product (external_id) where external_id is not null;
alter table sales_order add column external_id text;
create unique index sales_order_external_id_key on sales_order (external_id)
    where external_id is not null;
-- Product names are matched when a file has no SKU.
create index product_name_idx on product (lower(name));

-- What a history import brought in, so its revert takes out exactly that.
alter table sales_order add column import_id bigint references import_run (id);
create index sales_order_import_idx on sales_order (import_id) where import_id is not null;
alter table interaction add column import_id bigint references import_run (id);
create index interaction_import_idx on interaction (import_id) where import_id is not null;

-- Imports of three kinds, from CSV or Excel.
alter table import_run
    add column kind text not null default 'customers',
    add column options jsonb not null default '{}',
    -- The sheets of an Excel file (the one read is in `options`).
    add column sheets text[] not null default '{}',
    -- Orders, customers and products a run created (or, for a check, would create).
    add column new_orders integer not null default 0,
    add column new_customers integer not null default 0,
    add column new_products integer not null default 0,
    add constraint import_run_kind_check check (kind in ('customers', 'orders', 'interactions'));
-- Uploads are stored uncompressed, so a job can read a large one a piece at a time
-- (`substring` of a compressed value decompresses it whole).
alter table import_run alter column content set storage external;
alter table import_run drop constraint import_run_status_check;
alter table import_run add constraint import_run_status_check check (status in (
    'uploaded', 'checking', 'checked', 'importing', 'refreshing', 'imported', 'failed',
    'reverting', 'reverted'));

alter table import_batch
    add column new_orders integer not null default 0,
    add column new_customers integer not null default 0,
    add column new_products integer not null default 0,
    add column created_product_ids bigint[] not null default '{}';

-- Each customer an order import touched, as it was before: its type (which moves from potential
-- or former to existing) and its order aggregates (whose change of lifecycle stage goes on the
-- timeline once per customer, however many orders the file had). A revert puts the type back
-- while the customer has no other orders that explain the change.
create table import_customer_before (
    import_id bigint not null references import_run (id) on delete cascade,
    customer_id bigint not null references customer (id),
    customer_type text not null,
    churn_reason text,
    churned_at timestamptz,
    order_count integer not null,
    first_order_at timestamptz,
    last_order_at timestamptz,
    primary key (import_id, customer_id)
);

-- Files made by export jobs (a whole company's archive), kept in the database in chunks so
-- any server process can send one, and none holds a whole file in memory.
create table export_file (
    id bigint generated always as identity primary key,
    name text not null,
    content_type text not null,
    size_bytes bigint not null default 0,
    job_id bigint references job (id) on delete set null,
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    completed_at timestamptz,
    expires_at timestamptz not null default now() + interval '7 days'
);
create index export_file_expiry_idx on export_file (expires_at);
create index export_file_creator_idx on export_file (created_by, id desc);

create table export_file_chunk (
    file_id bigint not null references export_file (id) on delete cascade,
    position integer not null,
    data bytea not null,
    primary key (file_id, position)
);
-- Chunks are already compressed (zip): storing them as they are saves the CPU of a second try.
alter table export_file_chunk alter column data set storage external;
