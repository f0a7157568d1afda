-- Sales per product per day, kept in the transaction of every write that changes them, like
-- `sales_day`: the product report and a sales report narrowed to one product read summary rows
-- rather than millions of order lines.
--
-- A row holds what the order lines of one product bring in on one company day, per owner,
-- region and channel of the customers whose placed orders hold them: the units, the orders
-- holding the product, and the lines' totals less their share of the order's refunds. Only
-- placed orders of live customers count, as in `sales_day`.

-- A line's part of its order's refunds is in proportion to its part of the order's total:
-- what the line counts for after them, rounded to the minor unit.
create function order_line_net(line_total bigint, order_total bigint, refunded bigint)
    returns bigint
    language sql immutable parallel safe
    return case
        when refunded = 0 or order_total = 0 then line_total
        else round(line_total::numeric * (order_total - refunded) / order_total)::bigint
    end;

create table product_day (
    day date not null,
    -- A product goes only once no order line names it (an import's revert removes the products
    -- it created): its rows here are all zero by then and go with it.
    product_id bigint not null references product (id) on delete cascade,
    owner_id bigint references app_user (id),
    region text not null default '',
    channel text not null,
    orders integer not null default 0,
    units bigint not null default 0,
    revenue_minor bigint not null default 0,
    constraint product_day_key unique nulls not distinct (day, product_id, owner_id, region, channel)
);
-- Reports of a member or a team read their owners' rows of a range; the key serves everyone's.
create index product_day_owner_idx on product_day (owner_id, day);

-- A signed change to the summary's figures: the writers below turn the rows they touched into
-- these, and `product_day_add` sums them into the summary in one upsert.
create type product_day_change as (
    day date,
    product_id bigint,
    owner_id bigint,
    region text,
    channel text,
    orders integer,
    units bigint,
    revenue_minor bigint
);

-- Keys are written in one order, so two writers touching the same days wait for each other
-- rather than deadlock. These helpers are PL/pgSQL, whose statements keep their plans for the
-- session: Postgres 15 plans an SQL function's statements on every call, which cost about 2 ms
-- on each one-order write.
create function product_day_add(changes product_day_change[]) returns void
    language plpgsql
    as $$
begin
    insert into product_day as s (day, product_id, owner_id, region, channel, orders, units,
                                  revenue_minor)
    select day, product_id, owner_id, region, channel, sum(orders), sum(units),
           sum(revenue_minor)
    from unnest(changes)
    group by 1, 2, 3, 4, 5
    having sum(orders) <> 0 or sum(units) <> 0 or sum(revenue_minor) <> 0
    order by 1, 2, 3, 4, 5
    on conflict on constraint product_day_key do update
        set orders = s.orders + excluded.orders,
            units = s.units + excluded.units,
            revenue_minor = s.revenue_minor + excluded.revenue_minor;
end
$$;

-- What `orders` (as they stand, or stood) count for with their current lines, `sign` 1 to add
-- and -1 to take off, under their customers' current owner and region. Lines of one product in
-- one order are one order.
create function product_day_orders(sign integer, orders sales_order[]) returns void
    language plpgsql
    as $$
begin
    perform product_day_add(array(
        select row((o.ordered_at at time zone company_time_zone())::date, l.product_id,
                   c.owner_id, coalesce(c.region, ''), o.channel, sign,
                   sign * sum(l.quantity),
                   sign * sum(order_line_net(l.line_total_minor, o.total_minor,
                                             o.refunded_minor)))::product_day_change
        from unnest(orders) o
        join order_line l on l.order_id = o.id
        join customer c on c.id = o.customer_id
        where o.status = 'placed' and c.deleted_at is null
        group by o.id, o.ordered_at, o.channel, o.total_minor, o.refunded_minor, c.id,
                 l.product_id));
end
$$;

-- What lines `added` and `removed` by one statement change under their orders as they stand
-- now. An order holds a product while any of its lines does: it counts once, from its first line
-- of that product until its last one goes, however the lines come and go.
create function product_day_lines(added order_line[], removed order_line[]) returns void
    language plpgsql
    as $$
begin
    perform product_day_add(array(
        select row((o.ordered_at at time zone company_time_zone())::date, t.product_id,
                   c.owner_id, coalesce(c.region, ''), o.channel,
                   (held.lines > 0)::int - (held.lines - t.added + t.removed > 0)::int,
                   t.units, t.net_minor)::product_day_change
        from (
            select l.order_id, l.product_id,
                   count(*) filter (where l.sign = 1) as added,
                   count(*) filter (where l.sign = -1) as removed,
                   sum(l.sign * l.quantity) as units,
                   sum(l.sign * order_line_net(l.line_total_minor, o.total_minor,
                                               o.refunded_minor)) as net_minor
            from (select 1 as sign, * from unnest(added)
                  union all
                  select -1, * from unnest(removed)) l
            join sales_order o on o.id = l.order_id
            group by 1, 2
        ) t
        join sales_order o on o.id = t.order_id
        join customer c on c.id = o.customer_id
        cross join lateral (select count(*) as lines from order_line x
                            where x.product_id = t.product_id and x.order_id = t.order_id) held
        where o.status = 'placed' and c.deleted_at is null));
end
$$;

-- Lines added, removed or changed (an order's correction replaces its lines; an import adds a
-- batch in one statement). An order deleted outright takes its lines in a cascade that runs
-- once the order is gone: `product_day_order_deleted` has counted them off by then, and the
-- join to the order finds nothing here.
create function product_day_lines_changed() returns trigger
    language plpgsql
    as $$
declare
    added order_line[] := '{}';
    removed order_line[] := '{}';
begin
    if tg_op in ('INSERT', 'UPDATE') then
        added := array(select row(n.*)::order_line from new_lines n);
    end if;
    if tg_op in ('DELETE', 'UPDATE') then
        removed := array(select row(o.*)::order_line from old_lines o);
    end if;
    perform product_day_lines(added, removed);
    return null;
end
$$;

create trigger product_day_lines_inserted after insert on order_line
    referencing new table as new_lines
    for each statement execute function product_day_lines_changed();
create trigger product_day_lines_updated after update on order_line
    referencing old table as old_lines new table as new_lines
    for each statement execute function product_day_lines_changed();
create trigger product_day_lines_deleted after delete on order_line
    referencing old table as old_lines
    for each statement execute function product_day_lines_changed();

-- An order moved to another day, channel or customer, cancelled, refunded or re-priced: its
-- lines come off under the order as it was and go back under the order as it is. Only the
-- rows whose counted columns changed (editing an order's notes touches nothing).
create function product_day_orders_changed() returns trigger
    language plpgsql
    as $$
begin
    perform product_day_orders(-1, array(
        select row(o.*)::sales_order from orders_before o join orders_after n on n.id = o.id
        where (o.customer_id, o.ordered_at, o.channel, o.status, o.total_minor, o.refunded_minor)
              is distinct from
              (n.customer_id, n.ordered_at, n.channel, n.status, n.total_minor, n.refunded_minor)));
    perform product_day_orders(1, array(
        select row(n.*)::sales_order from orders_before o join orders_after n on n.id = o.id
        where (o.customer_id, o.ordered_at, o.channel, o.status, o.total_minor, o.refunded_minor)
              is distinct from
              (n.customer_id, n.ordered_at, n.channel, n.status, n.total_minor, n.refunded_minor)));
    return null;
end
$$;

create trigger product_day_orders_updated after update on sales_order
    referencing old table as orders_before new table as orders_after
    for each statement execute function product_day_orders_changed();

-- Before the order goes, while its lines are still there to count off (an import's revert
-- removes the lines first, in one statement, and finds none here).
create function product_day_order_deleted() returns trigger
    language plpgsql
    as $$
begin
    perform product_day_orders(-1, array[old]);
    return old;
end
$$;

create trigger product_day_order_deleted before delete on sales_order
    for each row when (old.status = 'placed')
    execute function product_day_order_deleted();

-- A customer whose owner or region changes, or who goes to the recycle bin or comes back,
-- takes its order lines' figures along. Row-level with a WHEN, as for `sales_day`.
create function product_day_customer_moved() returns trigger
    language plpgsql
    as $$
begin
    perform product_day_add(array(
        select row((o.ordered_at at time zone company_time_zone())::date, l.product_id,
                   side.owner_id, side.region, o.channel, side.sign,
                   side.sign * sum(l.quantity),
                   side.sign * sum(order_line_net(l.line_total_minor, o.total_minor,
                                                  o.refunded_minor)))::product_day_change
        from sales_order o
        join order_line l on l.order_id = o.id
        cross join (values
            (-1, old.owner_id, coalesce(old.region, ''), old.deleted_at is null),
            (1, new.owner_id, coalesce(new.region, ''), new.deleted_at is null))
            as side (sign, owner_id, region, live)
        where o.customer_id = new.id and o.status = 'placed' and side.live
        group by o.id, l.product_id, side.sign, side.owner_id, side.region));
    return null;
end
$$;

create trigger product_day_customer_moved after update on customer
    for each row
    when (old.owner_id is distinct from new.owner_id
          or old.region is distinct from new.region
          or (old.deleted_at is null) <> (new.deleted_at is null))
    execute function product_day_customer_moved();

-- Everything again from the order lines: at first, after a load that ran without triggers
-- (the benchmarks' bulk loader), and when the company's time zone changes.
create function product_day_rebuild() returns void
    language sql
    as $$
    delete from product_day;
    insert into product_day (day, product_id, owner_id, region, channel, orders, units,
                             revenue_minor)
    select day, product_id, owner_id, region, channel, count(*), sum(units), sum(net_minor)
    from (
        select (o.ordered_at at time zone company_time_zone())::date as day, l.product_id,
               c.owner_id, coalesce(c.region, '') as region, o.channel,
               sum(l.quantity) as units,
               sum(order_line_net(l.line_total_minor, o.total_minor, o.refunded_minor))
                   as net_minor
        from sales_order o
        join customer c on c.id = o.customer_id
        join order_line l on l.order_id = o.id
        where o.status = 'placed' and c.deleted_at is null
        group by o.id, c.id, l.product_id
    ) per_order
    group by 1, 2, 3, 4, 5;
    $$;

create function product_day_zone_changed() returns trigger
    language plpgsql
    as $$
begin
    perform product_day_rebuild();
    return null;
end
$$;

create trigger product_day_zone_changed after update of time_zone on company_settings
    for each row when (old.time_zone is distinct from new.time_zone)
    execute function product_day_zone_changed();

select product_day_rebuild();

-- The orders behind a product's figure are found through its lines; the order id beside the
-- product answers "which orders hold it" from the index alone.
create index order_line_product_order_idx on order_line (product_id, order_id);
drop index order_line_product_idx;
