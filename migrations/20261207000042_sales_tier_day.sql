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

-- A customer graded for the first time, regraded into another tier, given an override or
-- relieved of one, or ungraded takes its placed orders' figures from the old tier columns to
-- the new ones. The tiers' recompute rewrites every score in batches: each score row before
-- is a -1 and each after a +1 at (customer, tier columns), and only the customers whose sum
-- is not zero moved (a batch of unchanged tiers reads no orders). No score row counts as in no
-- tier: an insert moves a customer from the nulls, a delete back to them.
create type sales_tier_move as (
    sign integer,
    customer_id bigint,
    computed_tier_id bigint,
    override_tier_id bigint,
    override_until date
);

create function sales_tier_day_scores_add(moves sales_tier_move[]) returns void
    language plpgsql
    as $$
begin
    perform sales_tier_day_add(array(
        select row((o.ordered_at at time zone company_time_zone())::date, c.owner_id,
                   coalesce(c.region, ''), o.channel, m.computed_tier_id, m.override_tier_id,
                   m.override_until, m.sign,
                   m.sign * (o.total_minor - o.refunded_minor))::sales_tier_change
        from (
            select customer_id, computed_tier_id, override_tier_id, override_until,
                   sum(sign)::integer as sign
            from unnest(moves)
            group by 1, 2, 3, 4
            having sum(sign) <> 0
        ) m
        join customer c on c.id = m.customer_id and c.deleted_at is null
        join sales_order o on o.customer_id = m.customer_id and o.status = 'placed'));
end
$$;

create function sales_tier_day_scores_changed() returns trigger
    language plpgsql
    as $$
begin
    if tg_op = 'INSERT' then
        perform sales_tier_day_scores_add(array(
            select row(side.sign, n.customer_id, side.computed_tier_id, side.override_tier_id,
                       side.override_until)::sales_tier_move
            from inserted_scores n
            cross join lateral (values
                (-1, null::bigint, null::bigint, null::date),
                (1, n.computed_tier_id, n.override_tier_id, n.override_until))
                as side (sign, computed_tier_id, override_tier_id, override_until)));
    elsif tg_op = 'DELETE' then
        perform sales_tier_day_scores_add(array(
            select row(side.sign, o.customer_id, side.computed_tier_id, side.override_tier_id,
                       side.override_until)::sales_tier_move
            from deleted_scores o
            cross join lateral (values
                (-1, o.computed_tier_id, o.override_tier_id, o.override_until),
                (1, null::bigint, null::bigint, null::date))
                as side (sign, computed_tier_id, override_tier_id, override_until)));
    else
        perform sales_tier_day_scores_add(array(
            select row(-1, o.customer_id, o.computed_tier_id, o.override_tier_id,
                       o.override_until)::sales_tier_move
            from scores_before o
            union all
            select row(1, n.customer_id, n.computed_tier_id, n.override_tier_id,
                       n.override_until)::sales_tier_move
            from scores_after n));
    end if;
    return null;
end
$$;

create trigger sales_tier_day_scores_inserted after insert on customer_score
    referencing new table as inserted_scores
    for each statement execute function sales_tier_day_scores_changed();
create trigger sales_tier_day_scores_updated after update on customer_score
    referencing old table as scores_before new table as scores_after
    for each statement execute function sales_tier_day_scores_changed();
create trigger sales_tier_day_scores_deleted after delete on customer_score
    referencing old table as deleted_scores
    for each statement execute function sales_tier_day_scores_changed();

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

select sales_tier_day_rebuild();
