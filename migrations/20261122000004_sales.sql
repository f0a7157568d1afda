-- Sales: pipelines and their stages, opportunities with their stage history, leads with web
-- forms and routing, quotas and weekly forecast snapshots, and tasks.

create table pipeline (
    id bigint generated always as identity primary key,
    name_zh text not null,
    name_en text not null,
    is_default boolean not null default false,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1
);
create unique index pipeline_default_key on pipeline (is_default) where is_default;

-- Open stages carry a win probability; `won` and `lost` are the final ones (exactly one each).
create table pipeline_stage (
    id bigint generated always as identity primary key,
    pipeline_id bigint not null references pipeline (id),
    position integer not null,
    name_zh text not null,
    name_en text not null,
    probability integer not null,
    color text not null default '#2563eb',
    kind text not null default 'open',
    active boolean not null default true,
    constraint pipeline_stage_kind_check check (kind in ('open', 'won', 'lost')),
    constraint pipeline_stage_probability_check check (probability between 0 and 100),
    constraint pipeline_stage_color_check check (color ~ '^#[0-9a-fA-F]{6}$')
);
create unique index pipeline_stage_position_key on pipeline_stage (pipeline_id, position) where active;

with p as (
    insert into pipeline (name_zh, name_en, is_default) values ('标准销售流程', 'Standard sales', true)
    returning id
)
insert into pipeline_stage (pipeline_id, position, name_zh, name_en, probability, color, kind)
select p.id, s.position, s.name_zh, s.name_en, s.probability, s.color, s.kind
from p, (values
    (1, '初步接洽', 'Prospecting', 10, '#64748b', 'open'),
    (2, '需求确认', 'Qualification', 25, '#0ea5e9', 'open'),
    (3, '方案报价', 'Proposal', 50, '#6366f1', 'open'),
    (4, '商务谈判', 'Negotiation', 75, '#d97706', 'open'),
    (5, '赢单', 'Won', 100, '#15803d', 'won'),
    (6, '输单', 'Lost', 0, '#b91c1c', 'lost')
) as s(position, name_zh, name_en, probability, color, kind);

create table opportunity (
    id bigint generated always as identity primary key,
    customer_id bigint not null references customer (id),
    title text not null,
    amount_minor bigint not null default 0,
    currency text not null default 'CNY',
    expected_close date not null,
    owner_id bigint references app_user (id),
    pipeline_id bigint not null references pipeline (id),
    stage_id bigint not null references pipeline_stage (id),
    stage_entered_at timestamptz not null default now(),
    next_step text,
    lost_reason text,
    closed_at timestamptz,
    lead_id bigint,
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    constraint opportunity_title_not_blank check (btrim(title) <> ''),
    constraint opportunity_amount_check check (amount_minor >= 0)
);
-- A board column: the cards of one stage, longest in the stage first, page by page.
create index opportunity_column_idx on opportunity (stage_id, stage_entered_at, id);
create index opportunity_owner_idx on opportunity (owner_id, stage_id);
create index opportunity_customer_idx on opportunity (customer_id);
create index opportunity_close_idx on opportunity (expected_close) where closed_at is null;

create table opportunity_product (
    opportunity_id bigint not null references opportunity (id),
    product_id bigint not null references product (id),
    quantity integer not null,
    unit_price_minor bigint not null,
    primary key (opportunity_id, product_id),
    constraint opportunity_product_quantity_check check (quantity > 0)
);

-- Every stage move, with how long the opportunity had sat in the stage it left.
create table opportunity_stage_change (
    id bigint generated always as identity primary key,
    opportunity_id bigint not null references opportunity (id),
    from_stage_id bigint references pipeline_stage (id),
    to_stage_id bigint not null references pipeline_stage (id),
    at timestamptz not null default now(),
    seconds_in_stage bigint,
    by_user bigint references app_user (id)
);
create index opportunity_stage_change_opportunity_idx on opportunity_stage_change (opportunity_id, at);
create index opportunity_stage_change_at_idx on opportunity_stage_change (at, to_stage_id);

-- Public web forms that create leads; the key is the form's unguessable address.
create table lead_form (
    id bigint generated always as identity primary key,
    name text not null,
    key text not null,
    active boolean not null default true,
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    constraint lead_form_key_key unique (key)
);

create table lead (
    id bigint generated always as identity primary key,
    name text not null,
    company text,
    phone text,
    phone_normalized text,
    email text,
    region text,
    source text not null default 'manual',
    status text not null default 'new',
    disqualify_reason text,
    owner_id bigint references app_user (id),
    form_id bigint references lead_form (id),
    message text,
    -- Where a web-form lead came from, to slow down anyone flooding a form.
    client_ip inet,
    first_contacted_at timestamptz,
    customer_id bigint references customer (id),
    opportunity_id bigint references opportunity (id),
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    constraint lead_name_not_blank check (btrim(name) <> ''),
    constraint lead_status_check check (status in ('new', 'contacted', 'qualified', 'disqualified', 'converted')),
    constraint lead_source_check check (source in ('manual', 'web_form', 'import', 'event', 'referral', 'social', 'phone')),
    constraint lead_disqualify_reason check (status <> 'disqualified' or disqualify_reason is not null)
);
create index lead_list_idx on lead (created_at desc, id desc);
create index lead_owner_idx on lead (owner_id, created_at desc, id desc);
create index lead_open_idx on lead (created_at) where status in ('new', 'contacted');
-- Imports skip leads already on file (same phone or email).
create index lead_phone_idx on lead (phone_normalized) where phone_normalized is not null;
create index lead_email_idx on lead (email) where email is not null;
create index lead_form_ip_idx on lead (form_id, client_ip, created_at) where form_id is not null;
alter table opportunity add constraint opportunity_lead_fkey foreign key (lead_id) references lead (id);

-- Who gets new leads: round-robin over these users in order, or by region rules first.
create table lead_routing (
    id boolean primary key default true,
    follow_up_hours integer not null default 24,
    next_position integer not null default 0,
    version integer not null default 1,
    constraint lead_routing_single_row check (id),
    constraint lead_routing_hours_check check (follow_up_hours between 1 and 720)
);
insert into lead_routing default values;
create table lead_routing_member (
    user_id bigint primary key references app_user (id),
    position integer not null
);
create table lead_routing_rule (
    id bigint generated always as identity primary key,
    region text not null,
    user_id bigint not null references app_user (id),
    constraint lead_routing_rule_region_key unique (region)
);

-- Monthly sales targets per owner.
create table quota (
    owner_id bigint not null references app_user (id),
    month date not null,
    amount_minor bigint not null,
    primary key (owner_id, month),
    constraint quota_month_check check (extract(day from month) = 1)
);

-- The forecast as it stood each week, to compare with what was actually won.
create table forecast_snapshot (
    taken_on date not null,
    month date not null,
    owner_id bigint not null references app_user (id),
    weighted_minor bigint not null,
    historical_minor bigint not null,
    committed_minor bigint not null,
    best_case_minor bigint not null,
    primary key (taken_on, month, owner_id)
);

create table task (
    id bigint generated always as identity primary key,
    title text not null,
    notes text,
    customer_id bigint references customer (id),
    lead_id bigint references lead (id),
    opportunity_id bigint references opportunity (id),
    assignee_id bigint not null references app_user (id),
    due_at timestamptz not null,
    priority text not null default 'normal',
    repeat_days integer,
    done_at timestamptz,
    reminded_at timestamptz,
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    constraint task_title_not_blank check (btrim(title) <> ''),
    constraint task_priority_check check (priority in ('low', 'normal', 'high')),
    constraint task_repeat_check check (repeat_days is null or repeat_days between 1 and 365)
);
create index task_open_idx on task (assignee_id, due_at, id) where done_at is null;
create index task_customer_idx on task (customer_id) where customer_id is not null;
create index task_opportunity_idx on task (opportunity_id) where opportunity_id is not null;
