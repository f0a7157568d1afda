-- Value tiers from RFM scores, saved segments, and loyalty points with membership levels.
--
-- Scores live in their own narrow table rather than on `customer`: recomputing a million of
-- them must not rewrite the wide customer rows and their search indexes.

create table tier_settings (
    id boolean primary key default true,
    -- Frequency and monetary value count the orders of this many days.
    window_days integer not null default 365,
    version integer not null default 1,
    updated_at timestamptz not null default now(),
    updated_by bigint references app_user (id),
    constraint tier_settings_single_row check (id),
    constraint tier_settings_window_check check (window_days between 30 and 3650)
);
insert into tier_settings default values;

-- The tiers in order: the first whose rule matches wins; the last one (rule empty) catches the
-- rest.
create table tier (
    id bigint generated always as identity primary key,
    position integer not null,
    name_zh text not null,
    name_en text not null,
    color text not null,
    rule text not null default '',
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint tier_color_check check (color ~ '^#[0-9a-fA-F]{6}$')
);
create unique index tier_position_key on tier (position) where active;
insert into tier (position, name_zh, name_en, color, rule) values
    (1, '高价值', 'High', '#b91c1c', 'M >= 4 and F >= 3'),
    (2, '中价值', 'Medium', '#d97706', 'M >= 2 or F >= 2'),
    (3, '低价值', 'Low', '#6b7280', '');

-- The quantile cut points of the last full computation, so one customer's new order can be
-- scored on the same scale without recomputing everyone.
create table rfm_breakpoints (
    metric text primary key,
    cuts double precision[] not null,
    computed_at timestamptz not null default now(),
    constraint rfm_breakpoints_metric_check check (metric in ('r', 'f', 'm'))
);

create table customer_score (
    customer_id bigint primary key references customer (id),
    recency_days integer,
    frequency integer not null default 0,
    monetary_minor bigint not null default 0,
    r smallint not null default 0,
    f smallint not null default 0,
    m smallint not null default 0,
    computed_tier_id bigint references tier (id),
    override_tier_id bigint references tier (id),
    override_reason text,
    override_until date,
    override_by bigint references app_user (id),
    computed_at timestamptz not null default now(),
    constraint customer_score_override_reason check (override_tier_id is null or override_reason is not null)
);
create index customer_score_tier_idx on customer_score (computed_tier_id, customer_id);
create index customer_score_override_idx on customer_score (override_tier_id, customer_id)
    where override_tier_id is not null;

-- Every tier move, for the distribution view's movement over time (the customer timeline
-- carries the same moves with their reasons).
create table tier_change (
    id bigint generated always as identity primary key,
    customer_id bigint not null references customer (id),
    at timestamptz not null default now(),
    from_tier_id bigint references tier (id),
    to_tier_id bigint references tier (id)
);
create index tier_change_at_idx on tier_change (at);

create table segment (
    id bigint generated always as identity primary key,
    name text not null,
    description text,
    filter jsonb not null,
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    constraint segment_name_key unique (name),
    constraint segment_name_not_blank check (btrim(name) <> '')
);

create table loyalty_settings (
    id boolean primary key default true,
    -- Points earned per 100 of the currency spent (e.g. 1 point per ¥100).
    points_per_hundred integer not null default 1,
    -- Earned points expire after this many days (0: never).
    expiry_days integer not null default 365,
    version integer not null default 1,
    updated_at timestamptz not null default now(),
    updated_by bigint references app_user (id),
    constraint loyalty_settings_single_row check (id),
    constraint loyalty_settings_rate_check check (points_per_hundred between 0 and 10000),
    constraint loyalty_settings_expiry_check check (expiry_days between 0 and 3650)
);
insert into loyalty_settings default values;

create table membership_level (
    id bigint generated always as identity primary key,
    name_zh text not null,
    name_en text not null,
    benefits_zh text not null default '',
    benefits_en text not null default '',
    min_points bigint not null default 0,
    min_spend_minor bigint not null default 0,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    constraint membership_level_thresholds check (min_points >= 0 and min_spend_minor >= 0)
);
insert into membership_level (name_zh, name_en, benefits_zh, benefits_en, min_points, min_spend_minor) values
    ('银卡会员', 'Silver', '生日礼券，积分兑换', 'Birthday voucher, points redemption', 100, 0),
    ('金卡会员', 'Gold', '专属客户经理，免费上门培训一次', 'Dedicated account manager, one free on-site training', 1000, 5000000),
    ('白金会员', 'Platinum', '7×24 优先支持，新功能优先体验', '24/7 priority support, early access to new features', 5000, 20000000);

-- The points ledger: the balance is the sum of `delta`, never a stored number. Entries that add
-- points (earned, or a positive adjustment) are lots carrying `remaining`, what has not yet been
-- redeemed or expired, so redemption and expiry take the oldest points first; lots change only
-- in the same transaction as the ledger entry that consumes them.
create table points_entry (
    id bigint generated always as identity primary key,
    customer_id bigint not null references customer (id),
    at timestamptz not null default now(),
    delta bigint not null,
    kind text not null,
    reason text,
    order_id bigint references sales_order (id),
    expires_at timestamptz,
    remaining bigint,
    created_by bigint references app_user (id),
    constraint points_entry_kind_check check (kind in ('earn', 'redeem', 'adjust', 'expire')),
    constraint points_entry_sign check (
        (kind = 'earn' and delta > 0 and remaining between 0 and delta)
        or (kind in ('redeem', 'expire') and delta < 0 and remaining is null)
        or (kind = 'adjust' and delta > 0 and reason is not null and remaining between 0 and delta)
        or (kind = 'adjust' and delta < 0 and reason is not null and remaining is null)),
    constraint points_entry_order_key unique (order_id)
);
create index points_entry_customer_idx on points_entry (customer_id, at desc, id desc);
create index points_entry_lots_idx on points_entry (customer_id, at, id) where remaining > 0;
create index points_entry_expiry_idx on points_entry (expires_at)
    where remaining > 0 and expires_at is not null;
