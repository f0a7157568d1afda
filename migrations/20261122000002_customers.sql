-- Customers and everything that hangs off them: contacts, the product catalogue, orders with
-- line items, interactions, the customer timeline, custom fields, saved views, duplicate review,
-- merges (undoable), imports (revertible) and product affinities for recommendations.
--
-- Activity status and lifecycle stage are not stored: they are computed on read from the order
-- aggregates below and the admin's settings, so they stay right as time passes without a job.

create table customer_settings (
    id boolean primary key default true,
    active_window_days integer not null default 180,
    loyal_min_orders integer not null default 5,
    loyal_min_span_days integer not null default 365,
    default_currency text not null default 'CNY',
    updated_at timestamptz not null default now(),
    updated_by bigint references app_user (id),
    version integer not null default 1,
    constraint customer_settings_single_row check (id),
    constraint customer_settings_window_check check (active_window_days between 1 and 3650),
    constraint customer_settings_loyal_orders_check check (loyal_min_orders between 2 and 1000),
    constraint customer_settings_loyal_span_check check (loyal_min_span_days between 0 and 3650)
);
insert into customer_settings default values;

create table custom_field (
    id bigint generated always as identity primary key,
    key text not null,
    label_zh text not null,
    label_en text not null,
    field_type text not null,
    choices text[] not null default '{}',
    position integer not null default 0,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    constraint custom_field_key_key unique (key),
    constraint custom_field_key_format check (key ~ '^[a-z][a-z0-9_]{0,39}$'),
    constraint custom_field_type_check check (field_type in ('text', 'number', 'date', 'choice'))
);

create table product (
    id bigint generated always as identity primary key,
    sku text not null,
    name text not null,
    category text,
    unit_price_minor bigint not null,
    currency text not null default 'CNY',
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    constraint product_sku_key unique (sku),
    constraint product_price_check check (unit_price_minor >= 0)
);

create table customer (
    id bigint generated always as identity primary key,
    kind text not null default 'company',
    name text not null,
    customer_type text not null default 'potential',
    churn_reason text,
    churned_at timestamptz,
    phone text,
    phone_normalized text,
    email text,
    email_normalized text,
    address text,
    region text,
    industry text,
    source text not null default 'manual',
    owner_id bigint references app_user (id),
    tags text[] not null default '{}',
    birthday date,
    anniversary date,
    notes text,
    custom_fields jsonb not null default '{}',
    -- Order aggregates, maintained in the transaction of every order write.
    order_count integer not null default 0,
    total_spend_minor bigint not null default 0,
    currency text not null default 'CNY',
    first_order_at timestamptz,
    last_order_at timestamptz,
    -- Search: lower-cased text of name, phone, email and contact names, and its n-grams (CJK
    -- unigrams and bigrams, alphanumeric trigrams) computed by the application, so a one- or
    -- two-character Chinese fragment is found through an index whatever the database locale.
    search_text text not null default '',
    search_grams text[] not null default '{}',
    -- The name reduced for duplicate detection (case, spaces, punctuation, company suffixes).
    name_key text not null default '',
    merged_into bigint references customer (id),
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    deleted_at timestamptz,
    deleted_by bigint references app_user (id),
    constraint customer_kind_check check (kind in ('company', 'individual')),
    constraint customer_name_not_blank check (btrim(name) <> ''),
    constraint customer_type_check check (customer_type in ('potential', 'existing', 'former')),
    constraint customer_former_reason check (customer_type <> 'former' or churn_reason is not null),
    constraint customer_source_check check (source in (
        'website', 'social', 'referral', 'event', 'sales_visit', 'service_desk', 'import',
        'manual', 'other'))
);
create index customer_live_idx on customer (id) where deleted_at is null;
create index customer_owner_idx on customer (owner_id, id) where deleted_at is null;
create index customer_grams_idx on customer using gin (search_grams) where deleted_at is null;
create index customer_phone_idx on customer (phone_normalized)
    where deleted_at is null and phone_normalized is not null;
create index customer_email_idx on customer (email_normalized)
    where deleted_at is null and email_normalized is not null;
create index customer_last_order_idx on customer (last_order_at, id) where deleted_at is null;
create index customer_spend_idx on customer (total_spend_minor, id) where deleted_at is null;
create index customer_region_idx on customer (region, id) where deleted_at is null;
create index customer_industry_idx on customer (industry, id) where deleted_at is null;
create index customer_tags_idx on customer using gin (tags) where deleted_at is null;
create index customer_custom_idx on customer using gin (custom_fields jsonb_path_ops)
    where deleted_at is null;
create index customer_name_key_trgm_idx on customer using gin (name_key gin_trgm_ops)
    where deleted_at is null;
create index customer_deleted_idx on customer (deleted_at desc, id) where deleted_at is not null;

create table contact (
    id bigint generated always as identity primary key,
    customer_id bigint not null references customer (id),
    name text not null,
    title text,
    phone text,
    phone_normalized text,
    email text,
    email_normalized text,
    is_primary boolean not null default false,
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    deleted_at timestamptz,
    constraint contact_name_not_blank check (btrim(name) <> '')
);
create index contact_customer_idx on contact (customer_id) where deleted_at is null;
create index contact_phone_idx on contact (phone_normalized) where phone_normalized is not null;

create table sales_order (
    id bigint generated always as identity primary key,
    customer_id bigint not null references customer (id),
    order_no text not null,
    ordered_at timestamptz not null,
    channel text not null default 'sales',
    currency text not null default 'CNY',
    total_minor bigint not null,
    notes text,
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    constraint sales_order_no_key unique (order_no),
    constraint sales_order_total_check check (total_minor >= 0),
    constraint sales_order_channel_check check (channel in (
        'online', 'store', 'sales', 'phone', 'wechat', 'distributor', 'other'))
);
create index sales_order_customer_idx on sales_order (customer_id, ordered_at desc, id desc);

create table order_line (
    id bigint generated always as identity primary key,
    order_id bigint not null references sales_order (id) on delete cascade,
    product_id bigint not null references product (id),
    quantity integer not null,
    unit_price_minor bigint not null,
    line_total_minor bigint not null,
    constraint order_line_quantity_check check (quantity > 0),
    constraint order_line_price_check check (unit_price_minor >= 0)
);
create index order_line_order_idx on order_line (order_id);
create index order_line_product_idx on order_line (product_id);

create table interaction (
    id bigint generated always as identity primary key,
    customer_id bigint not null references customer (id),
    contact_id bigint references contact (id),
    kind text not null,
    direction text not null default 'outbound',
    occurred_at timestamptz not null,
    subject text not null,
    outcome text,
    next_step text,
    next_step_due date,
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    constraint interaction_kind_check check (kind in (
        'call', 'email', 'meeting', 'visit', 'wechat', 'note')),
    constraint interaction_direction_check check (direction in ('inbound', 'outbound', 'internal')),
    constraint interaction_subject_not_blank check (btrim(subject) <> '')
);
create index interaction_customer_idx on interaction (customer_id, occurred_at desc, id desc);

-- One timeline per customer, written by every domain's writes: the 360 page reads only this.
create table timeline_event (
    id bigint generated always as identity primary key,
    customer_id bigint not null references customer (id),
    at timestamptz not null,
    kind text not null,
    ref_id bigint,
    data jsonb not null default '{}',
    actor_id bigint references app_user (id)
);
create index timeline_customer_idx on timeline_event (customer_id, at desc, id desc);

create table saved_view (
    id bigint generated always as identity primary key,
    user_id bigint not null references app_user (id) on delete cascade,
    page text not null,
    name text not null,
    filter jsonb not null,
    created_at timestamptz not null default now(),
    constraint saved_view_name_key unique (user_id, page, name),
    constraint saved_view_name_not_blank check (btrim(name) <> '')
);

create table duplicate_pair (
    id bigint generated always as identity primary key,
    customer_a bigint not null references customer (id),
    customer_b bigint not null references customer (id),
    reason text not null,
    score real not null,
    status text not null default 'open',
    detected_at timestamptz not null default now(),
    resolved_at timestamptz,
    resolved_by bigint references app_user (id),
    constraint duplicate_pair_key unique (customer_a, customer_b),
    constraint duplicate_pair_order check (customer_a < customer_b),
    constraint duplicate_pair_reason_check check (reason in ('phone', 'email', 'name')),
    constraint duplicate_pair_status_check check (status in ('open', 'dismissed', 'merged'))
);
create index duplicate_pair_open_idx on duplicate_pair (score desc, id) where status = 'open';
create index duplicate_pair_b_idx on duplicate_pair (customer_b);

-- A merge, kept so it can be undone: both records as they were, and every row that moved.
create table customer_merge (
    id bigint generated always as identity primary key,
    survivor_id bigint not null references customer (id),
    merged_id bigint not null references customer (id),
    survivor_before jsonb not null,
    merged_before jsonb not null,
    moved jsonb not null,
    merged_by bigint references app_user (id),
    merged_at timestamptz not null default now(),
    undone_at timestamptz,
    undone_by bigint references app_user (id)
);
create index customer_merge_recent_idx on customer_merge (merged_at desc);

-- Customers who bought one product also bought the other: recomputed by a job.
create table product_affinity (
    product_id bigint not null references product (id),
    related_product_id bigint not null references product (id),
    customers integer not null,
    primary key (product_id, related_product_id)
);

create table import_run (
    id bigint generated always as identity primary key,
    file_name text not null,
    encoding text not null,
    content bytea not null,
    headers text[] not null,
    sample jsonb not null default '[]',
    row_count integer not null,
    mapping jsonb not null default '{}',
    mode text not null default 'skip_bad',
    status text not null default 'uploaded',
    dry_run boolean not null default false,
    created_count integer not null default 0,
    updated_count integer not null default 0,
    unchanged_count integer not null default 0,
    rejected_count integer not null default 0,
    job_id bigint references job (id),
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    constraint import_run_mode_check check (mode in ('all_or_nothing', 'skip_bad')),
    constraint import_run_status_check check (status in (
        'uploaded', 'checking', 'checked', 'importing', 'imported', 'failed', 'reverted'))
);

-- What each row of an import did, for the rejected-rows report and for reverting.
create table import_row (
    import_id bigint not null references import_run (id) on delete cascade,
    row_number integer not null,
    outcome text not null,
    customer_id bigint references customer (id),
    errors jsonb,
    before jsonb,
    primary key (import_id, row_number),
    constraint import_row_outcome_check check (outcome in (
        'created', 'updated', 'unchanged', 'rejected'))
);
create index import_row_customer_idx on import_row (customer_id) where customer_id is not null;

-- Imports match existing customers on the reduced company name as well as phone and email.
create index customer_name_key_idx on customer (name_key) where deleted_at is null;
