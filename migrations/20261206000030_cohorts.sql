-- Cohort retention: of the customers whose first order fell in a month (their cohort), how many
-- ordered again in each later month. Counting it from 5 million orders per request takes
-- seconds; two tables kept in the transaction of every order write make it a read of a few
-- thousand rows.
--
-- `customer_month`: the months in which a customer placed orders (placed orders only, months
-- of the company's calendar), each row carrying the customer's cohort (their first such month),
-- so the customers behind one cell of the report are one index range. It holds no count: when
-- a month's orders change, whether any placed order is left is asked of the orders themselves.
create table customer_month (
    customer_id bigint not null references customer (id),
    month date not null,
    cohort date not null,
    primary key (customer_id, month)
);
create index customer_month_cell_idx on customer_month (month, cohort, customer_id);

-- `cohort_month`: live customers per cohort and month of ordering, under each customer's current
-- owner and region (as the sales summary, so a report stays within the caller's scope and a
-- reassigned customer's history moves with it). A customer counts in their cohort's own month
-- too: that cell is the cohort's size.
create table cohort_month (
    cohort date not null,
    month date not null,
    owner_id bigint references app_user (id),
    region text not null default '',
    customers integer not null default 0,
    constraint cohort_month_key unique nulls not distinct (cohort, month, owner_id, region)
)
-- Almost every write changes a count in place: room on each page lets the new version stay
-- there without touching the indexes (an import's upserts took a third less time).
with (fillfactor = 70);
create index cohort_month_owner_idx on cohort_month (owner_id, cohort);

-- The placed orders of some customers changed in some months (`touched`, customer and month
-- pairs, `gained` where the month has more placed orders than before): whether a month that
-- lost orders still holds one is read from the orders (by `sales_order_customer_idx`), each
-- affected customer's months and cohort are worked out again,
-- and only what differs is written: a second order in a month already counted writes nothing,
-- and a customer whose cohort moves (an earlier order, or a first month that emptied) moves
-- with all its months. One statement; keys are written in one order, so two writers touching
-- the same customers wait for each other rather than deadlock.
--
-- A statement may touch one customer or 40,000. Planned for the large ones, joins hashed the
-- whole of `customer_month` (3.6 s for 9,828 orders in one statement at 5 M orders, against
-- 0.6 s for the daily sales summary); every join here follows a key, so hash and merge joins
-- are off inside this function, and CTEs are only ever combined by union, never joined. That
-- plan suits one customer as well as 40,000, so it is planned once per session rather than for
-- each call (planning it took 1 ms of a single order's 2 ms). Some estimates are large enough
-- to start JIT compilation, which took 0.9 s of a 10,000-order statement: off too.
create function cohort_months_touched(touched_customers bigint[], touched_months date[],
                                      touched_gained boolean[])
    returns void
    language plpgsql
    set enable_hashjoin = off
    set enable_mergejoin = off
    set plan_cache_mode = force_generic_plan
    set jit = off
    as $$
begin
    -- Two statements touching one customer at once would each read its months before the
    -- other's were committed, and count it twice. Customers are locked first, by one of 256
    -- buckets of their ids (in order, so two writers wait rather than deadlock), and the
    -- statement below then reads what the other committed. Locking the customers' rows instead
    -- wrote every customer's page again: 0.7 s more per 10,000 orders of an import; a bucket
    -- costs a person's order at most a wait for an import batch to commit.
    perform pg_advisory_xact_lock(hashtext('guanxi.cohort_months'), b.bucket)
    from (select distinct (t.id % 256)::integer as bucket
          from unnest(touched_customers) as t (id)) b
    order by b.bucket;
    with touched as (
        select t.customer_id, t.month, bool_or(t.gained) as gained
        from unnest(touched_customers, touched_months, touched_gained)
            as t (customer_id, month, gained)
        group by 1, 2),
    before as (
        select m.customer_id, m.month, m.cohort
        from (select distinct customer_id from touched) a
        join customer_month m on m.customer_id = a.customer_id),
    candidates as (
        select customer_id, month, bool_or(is_touched) as is_touched, bool_or(gained) as gained
        from (select customer_id, month, false as is_touched, false as gained from before
              union all
              select customer_id, month, true, gained from touched) both_sides
        group by 1, 2),
    after_months as (
        select c.customer_id, c.month
        from candidates c
        where not c.is_touched
           or c.gained
           or exists (select 1 from sales_order o
                      where o.customer_id = c.customer_id and o.status = 'placed'
                        and o.ordered_at >= c.month::timestamp at time zone company_time_zone()
                        and o.ordered_at < (c.month + interval '1 month')
                                           at time zone company_time_zone())),
    diff as (
        select customer_id, month,
               max(cohort) filter (where side = 0) as old_cohort,
               max(cohort) filter (where side = 1) as new_cohort
        from (select customer_id, month, cohort, 0 as side from before
              union all
              select customer_id, month, min(month) over (partition by customer_id), 1
              from after_months) both_sides
        group by 1, 2
        having max(cohort) filter (where side = 0)
               is distinct from max(cohort) filter (where side = 1)),
    counted as (
        insert into cohort_month as s (cohort, month, owner_id, region, customers)
        select g.cohort, g.month, c.owner_id, coalesce(c.region, ''), sum(g.sign)
        from (select customer_id, old_cohort as cohort, month, -1 as sign
              from diff where old_cohort is not null
              union all
              select customer_id, new_cohort, month, 1 from diff where new_cohort is not null) g
        join customer c on c.id = g.customer_id
        where c.deleted_at is null
        group by 1, 2, 3, 4
        having sum(g.sign) <> 0
        order by 1, 2, 3, 4
        on conflict on constraint cohort_month_key do update
            set customers = s.customers + excluded.customers),
    emptied as (
        delete from customer_month m
        using diff d
        where d.new_cohort is null and m.customer_id = d.customer_id and m.month = d.month)
    insert into customer_month as m (customer_id, month, cohort)
    select customer_id, month, new_cohort from diff where new_cohort is not null
    order by 1, 2
    on conflict (customer_id, month) do update set cohort = excluded.cohort;
end
$$;

-- Statement-level on orders, one call per statement (an import of 40,000 orders is one). An
-- update counts its placed rows before as -1 and after as +1 per customer and month, so rows
-- whose customer, month and status did not change cancel out and touch nothing. The two
-- transition tables are never joined: they have no index or statistics, and a join of them is
-- planned badly.
create function cohort_orders_changed() returns trigger
    language plpgsql
    as $$
declare
    customers bigint[];
    months date[];
    gained boolean[];
begin
    if tg_op = 'INSERT' then
        select array_agg(customer_id), array_agg(month), array_agg(true)
        into customers, months, gained
        from (select distinct o.customer_id,
                     date_trunc('month', o.ordered_at at time zone company_time_zone())::date as month
              from inserted_orders o where o.status = 'placed') d;
    elsif tg_op = 'DELETE' then
        select array_agg(customer_id), array_agg(month), array_agg(false)
        into customers, months, gained
        from (select distinct o.customer_id,
                     date_trunc('month', o.ordered_at at time zone company_time_zone())::date as month
              from deleted_orders o where o.status = 'placed') d;
    else
        select array_agg(customer_id), array_agg(month), array_agg(net > 0)
        into customers, months, gained
        from (select side.customer_id,
                     date_trunc('month', side.ordered_at at time zone company_time_zone())::date as month,
                     sum(side.sign) as net
              from (select o.customer_id, o.ordered_at, -1 as sign
                    from orders_before o where o.status = 'placed'
                    union all
                    select o.customer_id, o.ordered_at, 1
                    from orders_after o where o.status = 'placed') side
              group by 1, 2
              having sum(side.sign) <> 0) d;
    end if;
    if customers is not null then
        perform cohort_months_touched(customers, months, gained);
    end if;
    return null;
end
$$;

create trigger cohort_orders_inserted after insert on sales_order
    referencing new table as inserted_orders
    for each statement execute function cohort_orders_changed();
create trigger cohort_orders_updated after update on sales_order
    referencing old table as orders_before new table as orders_after
    for each statement execute function cohort_orders_changed();
create trigger cohort_orders_deleted after delete on sales_order
    referencing old table as deleted_orders
    for each statement execute function cohort_orders_changed();

-- A customer whose owner or region changes, or who goes to the recycle bin or comes back,
-- takes its counts along. Row-level with a WHEN, like the sales summary's.
create function cohort_customer_moved() returns trigger
    language plpgsql
    as $$
begin
    insert into cohort_month as s (cohort, month, owner_id, region, customers)
    select m.cohort, m.month, side.owner_id, side.region, sum(side.sign)
    from customer_month m
    cross join lateral (values
        (-1, old.owner_id, coalesce(old.region, ''), old.deleted_at is null),
        (1, new.owner_id, coalesce(new.region, ''), new.deleted_at is null))
        as side (sign, owner_id, region, live)
    where m.customer_id = new.id and side.live
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict on constraint cohort_month_key do update
        set customers = s.customers + excluded.customers;
    return null;
end
$$;

create trigger cohort_customer_moved after update on customer
    for each row
    when (old.owner_id is distinct from new.owner_id
          or old.region is distinct from new.region
          or (old.deleted_at is null) <> (new.deleted_at is null))
    execute function cohort_customer_moved();

-- Everything again from the orders: at first, after a load without triggers, and when the
-- company's time zone changes (its months begin at other hours).
create function cohort_rebuild() returns void
    language sql
    as $$
    delete from cohort_month;
    delete from customer_month;
    insert into customer_month (customer_id, month, cohort)
    select customer_id, month, min(month) over (partition by customer_id)
    from (select distinct o.customer_id,
                 date_trunc('month', o.ordered_at at time zone company_time_zone())::date as month
          from sales_order o where o.status = 'placed') d;
    insert into cohort_month (cohort, month, owner_id, region, customers)
    select m.cohort, m.month, c.owner_id, coalesce(c.region, ''), count(*)
    from customer_month m join customer c on c.id = m.customer_id
    where c.deleted_at is null
    group by 1, 2, 3, 4;
    $$;

create function cohort_zone_changed() returns trigger
    language plpgsql
    as $$
begin
    perform cohort_rebuild();
    return null;
end
$$;

create trigger cohort_zone_changed after update of time_zone on company_settings
    for each row when (old.time_zone is distinct from new.time_zone)
    execute function cohort_zone_changed();

select cohort_rebuild();
