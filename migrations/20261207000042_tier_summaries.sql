-- Reports narrowed to a value tier (sales and cohorts) read two more summaries, kept like the
-- ones they mirror plus the customers' tier columns; one trigger on scores moves a customer's
-- figures in both when its tier changes.
--
-- The daily sales summary once more, with the tier of the customers that placed the orders, so
-- the sales report can narrow to a value tier without reading orders. A separate table rather
-- than more columns on `sales_day`: only a report narrowed to a tier reads it, and the
-- unnarrowed reports (the defaults, the dashboard's tiles) keep reading a table several times
-- smaller.
--
-- Like `rfm_cell`, a row keeps the computed tier and any override with its end date, not the
-- tier in force: which tier is in force is decided when reading (`tier_in_force()`), so an
-- override that ends at midnight needs no write. Customers without a score are in no tier (all
-- three null). The figures are `sales_day`'s: summed over the tiers, a day's rows equal it.
create table sales_tier_day (
    day date not null,
    owner_id bigint references app_user (id),
    region text not null default '',
    channel text not null,
    computed_tier_id bigint,
    override_tier_id bigint,
    override_until date,
    orders integer not null default 0,
    revenue_minor bigint not null default 0,
    constraint sales_tier_day_key unique nulls not distinct
        (day, owner_id, region, channel, computed_tier_id, override_tier_id, override_until)
);
-- Reports of a member or a team read their owners' rows of a range.
create index sales_tier_day_owner_idx on sales_tier_day (owner_id, day);

create type sales_tier_change as (
    day date,
    owner_id bigint,
    region text,
    channel text,
    computed_tier_id bigint,
    override_tier_id bigint,
    override_until date,
    orders integer,
    revenue_minor bigint
);

-- Every writer below turns its rows into signed changes at their keys; they are summed per key
-- (a row that moved nowhere cancels out) and written in key order, so two writers touching the
-- same keys wait for each other rather than deadlock. PL/pgSQL rather than SQL: Postgres 15
-- plans a SQL function's body again on every call.
create function sales_tier_day_add(changes sales_tier_change[]) returns void
    language plpgsql
    as $$
begin
    insert into sales_tier_day as s (day, owner_id, region, channel, computed_tier_id,
                                     override_tier_id, override_until, orders, revenue_minor)
    select day, owner_id, region, channel, computed_tier_id, override_tier_id, override_until,
           sum(orders), sum(revenue_minor)
    from unnest(changes)
    group by 1, 2, 3, 4, 5, 6, 7
    having sum(orders) <> 0 or sum(revenue_minor) <> 0
    order by 1, 2, 3, 4, 5, 6, 7
    on conflict on constraint sales_tier_day_key do update
        set orders = s.orders + excluded.orders,
            revenue_minor = s.revenue_minor + excluded.revenue_minor;
end
$$;

-- Signed order figures, before their customer is looked up.
create type sales_tier_order as (
    sign integer,
    customer_id bigint,
    ordered_at timestamptz,
    channel text,
    net_minor bigint
);

-- Placed orders' figures under their customer's current owner, region and tier. The customer
-- is looked up per row through its key: transition rows carry no statistics, and a join hashed
-- the whole customer table for `tier_count`. Orders of a customer in the recycle bin count
-- nowhere, as in `sales_day`.
create function sales_tier_day_orders_add(orders sales_tier_order[]) returns void
    language plpgsql
    as $$
begin
    perform sales_tier_day_add(array(
        select row((d.ordered_at at time zone company_time_zone())::date, c.owner_id,
                   coalesce(c.region, ''), d.channel, c.computed_tier_id, c.override_tier_id,
                   c.override_until, d.sign, d.sign * d.net_minor)::sales_tier_change
        from unnest(orders) d
        cross join lateral (
            select c.owner_id, c.region, s.computed_tier_id, s.override_tier_id,
                   s.override_until
            from customer c left join customer_score s on s.customer_id = c.id
            where c.id = d.customer_id and c.deleted_at is null
            offset 0
        ) c));
end
$$;

-- Orders placed, corrected, cancelled, refunded, imported, deleted or moved by a merge. An
-- update counts only the rows whose counted columns changed (editing an order's notes touches
-- nothing), as `sales_day` does.
create function sales_tier_day_orders_changed() returns trigger
    language plpgsql
    as $$
begin
    if tg_op = 'INSERT' then
        perform sales_tier_day_orders_add(array(
            select row(1, n.customer_id, n.ordered_at, n.channel,
                       n.total_minor - n.refunded_minor)::sales_tier_order
            from inserted_orders n where n.status = 'placed'));
    elsif tg_op = 'DELETE' then
        perform sales_tier_day_orders_add(array(
            select row(-1, o.customer_id, o.ordered_at, o.channel,
                       o.total_minor - o.refunded_minor)::sales_tier_order
            from deleted_orders o where o.status = 'placed'));
    else
        perform sales_tier_day_orders_add(array(
            select row(side.sign, side.customer_id, side.ordered_at, side.channel,
                       side.net_minor)::sales_tier_order
            from orders_before o join orders_after n on n.id = o.id
            cross join lateral (values
                (-1, o.customer_id, o.ordered_at, o.channel, o.status,
                 o.total_minor - o.refunded_minor),
                (1, n.customer_id, n.ordered_at, n.channel, n.status,
                 n.total_minor - n.refunded_minor))
                as side (sign, customer_id, ordered_at, channel, status, net_minor)
            where side.status = 'placed'
              and (o.customer_id, o.ordered_at, o.channel, o.status, o.total_minor,
                   o.refunded_minor)
                  is distinct from
                  (n.customer_id, n.ordered_at, n.channel, n.status, n.total_minor,
                   n.refunded_minor)));
    end if;
    return null;
end
$$;

create trigger sales_tier_day_orders_inserted after insert on sales_order
    referencing new table as inserted_orders
    for each statement execute function sales_tier_day_orders_changed();
create trigger sales_tier_day_orders_updated after update on sales_order
    referencing old table as orders_before new table as orders_after
    for each statement execute function sales_tier_day_orders_changed();
create trigger sales_tier_day_orders_deleted after delete on sales_order
    referencing old table as deleted_orders
    for each statement execute function sales_tier_day_orders_changed();

-- A customer whose owner or region changes, or who goes to the recycle bin or comes back,
-- takes its orders' figures along (its tier stays). Row-level with a WHEN, so the many customer
-- updates that change none of these cost nothing here.
create function sales_tier_day_customer_moved() returns trigger
    language plpgsql
    as $$
begin
    perform sales_tier_day_add(array(
        select row((o.ordered_at at time zone company_time_zone())::date, side.owner_id,
                   side.region, o.channel, s.computed_tier_id, s.override_tier_id,
                   s.override_until, side.sign,
                   side.sign * (o.total_minor - o.refunded_minor))::sales_tier_change
        from sales_order o
        cross join lateral (values
            (-1, old.owner_id, coalesce(old.region, ''), old.deleted_at is null),
            (1, new.owner_id, coalesce(new.region, ''), new.deleted_at is null))
            as side (sign, owner_id, region, live)
        left join customer_score s on s.customer_id = new.id
        where o.customer_id = new.id and o.status = 'placed' and side.live));
    return null;
end
$$;

create trigger sales_tier_day_customer_moved after update on customer
    for each row
    when (old.owner_id is distinct from new.owner_id
          or old.region is distinct from new.region
          or (old.deleted_at is null) <> (new.deleted_at is null))
    execute function sales_tier_day_customer_moved();

-- Everything again from the orders and scores: at first, after a load that ran without
-- triggers (the benchmarks' bulk loader), and when the company's time zone changes.
create function sales_tier_day_rebuild() returns void
    language plpgsql
    as $$
begin
    delete from sales_tier_day;
    insert into sales_tier_day (day, owner_id, region, channel, computed_tier_id,
                                override_tier_id, override_until, orders, revenue_minor)
    select (o.ordered_at at time zone company_time_zone())::date, c.owner_id,
           coalesce(c.region, ''), o.channel, s.computed_tier_id, s.override_tier_id,
           s.override_until, count(*), sum(o.total_minor - o.refunded_minor)
    from sales_order o
    join customer c on c.id = o.customer_id
    left join customer_score s on s.customer_id = c.id
    where o.status = 'placed' and c.deleted_at is null
    group by 1, 2, 3, 4, 5, 6, 7
    -- In key order, as writes at the time of the orders lay them: a range's rows lie together.
    order by 1, 2, 3, 4, 5, 6, 7;
end
$$;

create function sales_tier_day_zone_changed() returns trigger
    language plpgsql
    as $$
begin
    perform sales_tier_day_rebuild();
    return null;
end
$$;

create trigger sales_tier_day_zone_changed after update of time_zone on company_settings
    for each row when (old.time_zone is distinct from new.time_zone)
    execute function sales_tier_day_zone_changed();

-- Cohort retention narrowed to a value tier: `cohort_month` once more, with the tier columns of
-- the customers counted (computed tier, override and its end date, as `sales_tier_day` keeps
-- them: the tier in force is decided when reading). Read only when a report asks for a tier.
--
-- Kept from `customer_month` rather than from the orders: every change of a customer's months
-- or cohort, however the cohort function works it out, is a row of `customer_month` inserted,
-- updated or deleted, and statement triggers there turn those rows into counts. Customers move
-- between keys when their owner, region, recycle bin state or tier columns change.
create table cohort_tier_month (
    cohort date not null,
    month date not null,
    owner_id bigint references app_user (id),
    region text not null default '',
    computed_tier_id bigint,
    override_tier_id bigint,
    override_until date,
    customers integer not null default 0,
    constraint cohort_tier_month_key unique nulls not distinct
        (cohort, month, owner_id, region, computed_tier_id, override_tier_id, override_until)
)
-- Most writes change a count in place (see `cohort_month`).
with (fillfactor = 70);
create index cohort_tier_month_owner_idx on cohort_tier_month (owner_id, cohort);

create type cohort_tier_change as (
    cohort date,
    month date,
    owner_id bigint,
    region text,
    computed_tier_id bigint,
    override_tier_id bigint,
    override_until date,
    customers integer
);

-- Signed counts summed per key (a row that moved nowhere cancels out) and written in key
-- order, so two writers touching the same keys wait for each other rather than deadlock.
create function cohort_tier_month_add(changes cohort_tier_change[]) returns void
    language plpgsql
    as $$
begin
    insert into cohort_tier_month as s (cohort, month, owner_id, region, computed_tier_id,
                                        override_tier_id, override_until, customers)
    select cohort, month, owner_id, region, computed_tier_id, override_tier_id, override_until,
           sum(customers)
    from unnest(changes)
    group by 1, 2, 3, 4, 5, 6, 7
    having sum(customers) <> 0
    order by 1, 2, 3, 4, 5, 6, 7
    on conflict on constraint cohort_tier_month_key do update
        set customers = s.customers + excluded.customers;
end
$$;

-- A customer's month with orders, signed, before its customer is looked up.
create type cohort_tier_row as (
    sign integer,
    customer_id bigint,
    cohort date,
    month date
);

-- Rows of `customer_month` under their live customer's current owner, region and tier, looked
-- up per row through the keys (transition rows carry no statistics).
create function cohort_tier_rows_add(months cohort_tier_row[]) returns void
    language plpgsql
    as $$
begin
    perform cohort_tier_month_add(array(
        select row(m.cohort, m.month, c.owner_id, coalesce(c.region, ''), c.computed_tier_id,
                   c.override_tier_id, c.override_until, m.sign)::cohort_tier_change
        from unnest(months) m
        cross join lateral (
            select c.owner_id, c.region, s.computed_tier_id, s.override_tier_id,
                   s.override_until
            from customer c left join customer_score s on s.customer_id = c.id
            where c.id = m.customer_id and c.deleted_at is null
            offset 0
        ) c));
end
$$;

-- A row before is a -1 and a row after a +1: an update that kept a row's cohort cancels out.
-- The two transition tables are never joined (see `cohort_orders_changed`).
create function cohort_tier_months_changed() returns trigger
    language plpgsql
    as $$
begin
    if tg_op = 'INSERT' then
        perform cohort_tier_rows_add(array(
            select row(1, n.customer_id, n.cohort, n.month)::cohort_tier_row
            from inserted_months n));
    elsif tg_op = 'DELETE' then
        perform cohort_tier_rows_add(array(
            select row(-1, o.customer_id, o.cohort, o.month)::cohort_tier_row
            from deleted_months o));
    else
        perform cohort_tier_rows_add(array(
            select row(-1, o.customer_id, o.cohort, o.month)::cohort_tier_row
            from months_before o
            union all
            select row(1, n.customer_id, n.cohort, n.month)::cohort_tier_row
            from months_after n));
    end if;
    return null;
end
$$;

create trigger cohort_tier_months_inserted after insert on customer_month
    referencing new table as inserted_months
    for each statement execute function cohort_tier_months_changed();
create trigger cohort_tier_months_updated after update on customer_month
    referencing old table as months_before new table as months_after
    for each statement execute function cohort_tier_months_changed();
create trigger cohort_tier_months_deleted after delete on customer_month
    referencing old table as deleted_months
    for each statement execute function cohort_tier_months_changed();

-- A customer whose owner or region changes, or who goes to the recycle bin or comes back,
-- takes its counts along (its tier stays). Row-level with a WHEN, like `cohort_month`'s.
create function cohort_tier_customer_moved() returns trigger
    language plpgsql
    as $$
begin
    perform cohort_tier_month_add(array(
        select row(m.cohort, m.month, side.owner_id, side.region, s.computed_tier_id,
                   s.override_tier_id, s.override_until, side.sign)::cohort_tier_change
        from customer_month m
        cross join lateral (values
            (-1, old.owner_id, coalesce(old.region, ''), old.deleted_at is null),
            (1, new.owner_id, coalesce(new.region, ''), new.deleted_at is null))
            as side (sign, owner_id, region, live)
        left join customer_score s on s.customer_id = new.id
        where m.customer_id = new.id and side.live));
    return null;
end
$$;

create trigger cohort_tier_customer_moved after update on customer
    for each row
    when (old.owner_id is distinct from new.owner_id
          or old.region is distinct from new.region
          or (old.deleted_at is null) <> (new.deleted_at is null))
    execute function cohort_tier_customer_moved();

-- Everything again from `customer_month`: at first, and after a load that ran without triggers
-- (the benchmarks' bulk loader). A change of time zone rebuilds `customer_month`, whose
-- statement triggers count this table again on the way.
create function cohort_tier_month_rebuild() returns void
    language plpgsql
    as $$
begin
    delete from cohort_tier_month;
    insert into cohort_tier_month (cohort, month, owner_id, region, computed_tier_id,
                                   override_tier_id, override_until, customers)
    select m.cohort, m.month, c.owner_id, coalesce(c.region, ''), s.computed_tier_id,
           s.override_tier_id, s.override_until, count(*)
    from customer_month m
    join customer c on c.id = m.customer_id
    left join customer_score s on s.customer_id = c.id
    where c.deleted_at is null
    group by 1, 2, 3, 4, 5, 6, 7
    order by 1, 2, 3, 4, 5, 6, 7;
end
$$;

-- A customer graded for the first time, regraded into another tier, given an override or
-- relieved of one, or ungraded takes its placed orders and its months with orders from the old
-- tier columns to the new ones. The tiers' recompute rewrites every score in batches: each
-- score row before is a -1 and each after a +1 at (customer, tier columns), and only the
-- customers whose sum is not zero moved (a batch of unchanged tiers reads no orders). No score
-- row counts as in no tier: an insert moves a customer from the nulls, a delete back to them.
-- One statement trigger nets the moves once and hands them to both summaries.
create type tier_move as (
    sign integer,
    customer_id bigint,
    computed_tier_id bigint,
    override_tier_id bigint,
    override_until date
);

-- Net moves (at most one -1 and one +1 per customer) of live customers' placed orders.
create function sales_tier_day_moved(moves tier_move[]) returns void
    language plpgsql
    as $$
begin
    perform sales_tier_day_add(array(
        select row((o.ordered_at at time zone company_time_zone())::date, c.owner_id,
                   coalesce(c.region, ''), o.channel, m.computed_tier_id, m.override_tier_id,
                   m.override_until, m.sign,
                   m.sign * (o.total_minor - o.refunded_minor))::sales_tier_change
        from unnest(moves) m
        join customer c on c.id = m.customer_id and c.deleted_at is null
        join sales_order o on o.customer_id = m.customer_id and o.status = 'placed'));
end
$$;

-- The same moves for live customers' months with orders.
create function cohort_tier_month_moved(moves tier_move[]) returns void
    language plpgsql
    as $$
begin
    perform cohort_tier_month_add(array(
        select row(cm.cohort, cm.month, c.owner_id, coalesce(c.region, ''), m.computed_tier_id,
                   m.override_tier_id, m.override_until, m.sign)::cohort_tier_change
        from unnest(moves) m
        join customer c on c.id = m.customer_id and c.deleted_at is null
        join customer_month cm on cm.customer_id = m.customer_id));
end
$$;

create function customer_tiers_moved(moves tier_move[]) returns void
    language plpgsql
    as $$
declare
    moved tier_move[];
begin
    moved := array(
        select row(sum(sign)::integer, customer_id, computed_tier_id, override_tier_id,
                   override_until)::tier_move
        from unnest(moves)
        group by customer_id, computed_tier_id, override_tier_id, override_until
        having sum(sign) <> 0);
    if cardinality(moved) > 0 then
        perform sales_tier_day_moved(moved);
        perform cohort_tier_month_moved(moved);
    end if;
end
$$;

create function customer_scores_changed() returns trigger
    language plpgsql
    as $$
begin
    if tg_op = 'INSERT' then
        perform customer_tiers_moved(array(
            select row(side.sign, n.customer_id, side.computed_tier_id, side.override_tier_id,
                       side.override_until)::tier_move
            from inserted_scores n
            cross join lateral (values
                (-1, null::bigint, null::bigint, null::date),
                (1, n.computed_tier_id, n.override_tier_id, n.override_until))
                as side (sign, computed_tier_id, override_tier_id, override_until)));
    elsif tg_op = 'DELETE' then
        perform customer_tiers_moved(array(
            select row(side.sign, o.customer_id, side.computed_tier_id, side.override_tier_id,
                       side.override_until)::tier_move
            from deleted_scores o
            cross join lateral (values
                (-1, o.computed_tier_id, o.override_tier_id, o.override_until),
                (1, null::bigint, null::bigint, null::date))
                as side (sign, computed_tier_id, override_tier_id, override_until)));
    else
        perform customer_tiers_moved(array(
            select row(-1, o.customer_id, o.computed_tier_id, o.override_tier_id,
                       o.override_until)::tier_move
            from scores_before o
            union all
            select row(1, n.customer_id, n.computed_tier_id, n.override_tier_id,
                       n.override_until)::tier_move
            from scores_after n));
    end if;
    return null;
end
$$;

create trigger customer_tiers_inserted after insert on customer_score
    referencing new table as inserted_scores
    for each statement execute function customer_scores_changed();
create trigger customer_tiers_updated after update on customer_score
    referencing old table as scores_before new table as scores_after
    for each statement execute function customer_scores_changed();
create trigger customer_tiers_deleted after delete on customer_score
    referencing old table as deleted_scores
    for each statement execute function customer_scores_changed();

select sales_tier_day_rebuild();
select cohort_tier_month_rebuild();
