-- Revenue per day, kept in the transaction of every write that changes it, so reports and
-- dashboards read a few thousand summary rows rather than millions of orders.
--
-- A row holds what the placed orders of one day (in the company's time zone) bring in, per
-- owner, region and channel of the customers that placed them: the number of orders and their
-- totals less what was refunded. Cancelled and fully refunded orders do not count, as they do
-- not count towards a customer's aggregates; neither do orders of a customer in the recycle bin
-- (a merged customer's orders move to the one it was merged into).
--
-- Owner and region are the customer's current ones, as every list scopes by them: a member's
-- report covers exactly the customers their lists show, and a reassigned customer's history
-- moves with it.
create table sales_day (
    day date not null,
    owner_id bigint references app_user (id),
    region text not null default '',
    channel text not null,
    orders integer not null default 0,
    revenue_minor bigint not null default 0,
    -- Unowned customers' sales are one group per day, region and channel.
    constraint sales_day_key unique nulls not distinct (day, owner_id, region, channel)
);
-- Reports of a member or a team read their owners' rows of a range.
create index sales_day_owner_idx on sales_day (owner_id, day);

-- Statement-level, with the rows a statement changed: an import of 40,000 orders is one
-- aggregate and one upsert, not 40,000. An update counts only the rows whose counted columns
-- changed (editing an order's notes touches nothing). Each branch turns the rows into signed
-- deltas under their customers' current owner and region; keys are written in one order, so
-- two writers touching the same days wait for each other rather than deadlock.
create function sales_day_orders_changed() returns trigger
    language plpgsql
    as $$
begin
    if tg_op = 'INSERT' then
        insert into sales_day as s (day, owner_id, region, channel, orders, revenue_minor)
        select (o.ordered_at at time zone company_time_zone())::date, c.owner_id,
               coalesce(c.region, ''), o.channel, count(*), sum(o.total_minor - o.refunded_minor)
        from inserted_orders o join customer c on c.id = o.customer_id
        where o.status = 'placed' and c.deleted_at is null
        group by 1, 2, 3, 4
        order by 1, 2, 3, 4
        on conflict on constraint sales_day_key do update
            set orders = s.orders + excluded.orders,
                revenue_minor = s.revenue_minor + excluded.revenue_minor;
    elsif tg_op = 'DELETE' then
        insert into sales_day as s (day, owner_id, region, channel, orders, revenue_minor)
        select (o.ordered_at at time zone company_time_zone())::date, c.owner_id,
               coalesce(c.region, ''), o.channel, -count(*), -sum(o.total_minor - o.refunded_minor)
        from deleted_orders o join customer c on c.id = o.customer_id
        where o.status = 'placed' and c.deleted_at is null
        group by 1, 2, 3, 4
        order by 1, 2, 3, 4
        on conflict on constraint sales_day_key do update
            set orders = s.orders + excluded.orders,
                revenue_minor = s.revenue_minor + excluded.revenue_minor;
    else
        insert into sales_day as s (day, owner_id, region, channel, orders, revenue_minor)
        select (d.ordered_at at time zone company_time_zone())::date, c.owner_id,
               coalesce(c.region, ''), d.channel, sum(d.sign), sum(d.sign * d.net_minor)
        from (
            select side.*
            from orders_before o join orders_after n on n.id = o.id
            cross join lateral (values
                (-1, o.customer_id, o.ordered_at, o.channel, o.status,
                 o.total_minor - o.refunded_minor),
                (1, n.customer_id, n.ordered_at, n.channel, n.status,
                 n.total_minor - n.refunded_minor))
                as side (sign, customer_id, ordered_at, channel, status, net_minor)
            where (o.customer_id, o.ordered_at, o.channel, o.status, o.total_minor,
                   o.refunded_minor)
                  is distinct from
                  (n.customer_id, n.ordered_at, n.channel, n.status, n.total_minor,
                   n.refunded_minor)
        ) d
        join customer c on c.id = d.customer_id
        where d.status = 'placed' and c.deleted_at is null
        group by 1, 2, 3, 4
        order by 1, 2, 3, 4
        on conflict on constraint sales_day_key do update
            set orders = s.orders + excluded.orders,
                revenue_minor = s.revenue_minor + excluded.revenue_minor;
    end if;
    return null;
end
$$;

create trigger sales_day_orders_inserted after insert on sales_order
    referencing new table as inserted_orders
    for each statement execute function sales_day_orders_changed();
create trigger sales_day_orders_updated after update on sales_order
    referencing old table as orders_before new table as orders_after
    for each statement execute function sales_day_orders_changed();
create trigger sales_day_orders_deleted after delete on sales_order
    referencing old table as deleted_orders
    for each statement execute function sales_day_orders_changed();

-- A customer whose owner or region changes, or who goes to the recycle bin or comes back,
-- takes its orders' figures along. Row-level with a WHEN, so the many customer updates that
-- change neither (aggregates, scores, tiers) cost nothing here.
create function sales_day_customer_moved() returns trigger
    language plpgsql
    as $$
begin
    insert into sales_day as s (day, owner_id, region, channel, orders, revenue_minor)
    select (o.ordered_at at time zone company_time_zone())::date, side.owner_id, side.region,
           o.channel, sum(side.sign), sum(side.sign * (o.total_minor - o.refunded_minor))
    from sales_order o
    cross join lateral (values
        (-1, old.owner_id, coalesce(old.region, ''), old.deleted_at is null),
        (1, new.owner_id, coalesce(new.region, ''), new.deleted_at is null))
        as side (sign, owner_id, region, live)
    where o.customer_id = new.id and o.status = 'placed' and side.live
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict on constraint sales_day_key do update
        set orders = s.orders + excluded.orders,
            revenue_minor = s.revenue_minor + excluded.revenue_minor;
    return null;
end
$$;

create trigger sales_day_customer_moved after update on customer
    for each row
    when (old.owner_id is distinct from new.owner_id
          or old.region is distinct from new.region
          or (old.deleted_at is null) <> (new.deleted_at is null))
    execute function sales_day_customer_moved();

-- Everything again from the orders: at first, and when the company's time zone changes (its
-- days begin at other hours).
create function sales_day_rebuild() returns void
    language sql
    as $$
    delete from sales_day;
    insert into sales_day (day, owner_id, region, channel, orders, revenue_minor)
    select (o.ordered_at at time zone company_time_zone())::date, c.owner_id,
           coalesce(c.region, ''), o.channel, count(*), sum(o.total_minor - o.refunded_minor)
    from sales_order o join customer c on c.id = o.customer_id
    where o.status = 'placed' and c.deleted_at is null
    group by 1, 2, 3, 4;
    $$;

create function sales_day_zone_changed() returns trigger
    language plpgsql
    as $$
begin
    perform sales_day_rebuild();
    return null;
end
$$;

create trigger sales_day_zone_changed after update of time_zone on company_settings
    for each row when (old.time_zone is distinct from new.time_zone)
    execute function sales_day_zone_changed();

select sales_day_rebuild();

-- The orders behind a report's bar: a period's orders, newest first.
create index sales_order_ordered_idx on sales_order (ordered_at desc, id desc);
