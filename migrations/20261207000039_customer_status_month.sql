-- Customers active, silent and former month by month. Active and silent are derived from order
-- days with the admin's window, so a past month's figures cannot be read off the customers as
-- they are now; counting them from 5 million orders per request takes seconds. Two tables kept
-- in the transaction of every write that changes them make the report a read of a few thousand
-- rows.
--
-- `customer_status_change`: each customer's timeline, one row per company day on which its
-- status changed, holding the status from that day on. Active from an order's day through the
-- window's last day (as the customer list counts it); silent from the day after; former from
-- the day it was marked former (the current mark: a customer won back by an order is no longer
-- former, and its months as former are not kept). Former outranks the others: a customer marked
-- former stays former whatever its orders say, until an order wins it back.
create table customer_status_change (
    customer_id bigint not null references customer (id),
    day date not null,
    status text not null,
    primary key (customer_id, day),
    constraint customer_status_change_status_check check (status in ('active', 'silent', 'former'))
);
-- The customers that turned to a status on some days, or that were in it on a day, latest first.
create index customer_status_change_status_day_idx
    on customer_status_change (status, day, customer_id);

-- `status_month`: per month, owner and region (the customer's current ones, as the other
-- summaries), how many customers turned to each status (`entered`) and how many left it
-- (`exited`). The customers in a status at a month's end are the sum of `entered - exited` over
-- every month up to it. Timelines run ahead of today (a customer without a new order turns
-- silent on a known day), so rows for coming months exist; a report reads months up to the last
-- complete one here, and the current month's days up to today from `status_day`.
create table status_month (
    month date not null,
    owner_id bigint references app_user (id),
    region text not null default '',
    status text not null,
    entered integer not null default 0,
    exited integer not null default 0,
    constraint status_month_key unique nulls not distinct (month, owner_id, region, status)
)
-- Almost every write changes counts in place (see `cohort_month`).
with (fillfactor = 70);
create index status_month_owner_idx on status_month (owner_id, month);

-- The same counts per company day, for the current month up to today: reading those days'
-- changes from the timelines instead meant a customer lookup per change (12,000 in a month's
-- first week at a million customers, 0.2 s). Only days from the month of the write on are kept
-- (earlier days are never read again): an import of past orders writes few of them.
create table status_day (
    day date not null,
    owner_id bigint references app_user (id),
    region text not null default '',
    status text not null,
    entered integer not null default 0,
    exited integer not null default 0,
    constraint status_day_key unique nulls not distinct (day, owner_id, region, status)
)
with (fillfactor = 70);

-- The timelines of some customers, worked out from their placed orders, their former mark, the
-- window and the company's zone. Islands of order days closer than the window (plus the day
-- after it) make one active stretch; a mark as former ends the timeline. PL/pgSQL: a SQL
-- function's body is planned again on every call.
create function customer_status_timeline(touched bigint[], window_days integer, zone text)
    returns table (customer_id bigint, day date, status text)
    language plpgsql stable
    as $$
begin
    return query
    with ids as (select distinct t.id from unnest(touched) as t (id)),
    order_days as (
        select distinct o.customer_id, (o.ordered_at at time zone zone)::date as day
        from ids join sales_order o on o.customer_id = ids.id
        where o.status = 'placed'),
    gaps as (
        select d.customer_id, d.day,
               case when d.day - lag(d.day) over w <= window_days + 1 then 0 else 1 end as starts
        from order_days d
        window w as (partition by d.customer_id order by d.day)),
    numbered as (
        select g.customer_id, g.day,
               sum(g.starts) over (partition by g.customer_id order by g.day) as island
        from gaps g),
    islands as (
        select n.customer_id, min(n.day) as began, max(n.day) + window_days + 1 as lapsed
        from numbered n group by n.customer_id, n.island),
    candidates as (
        select i.customer_id, i.began as day, 'active'::text as status from islands i
        union all
        select i.customer_id, i.lapsed, 'silent' from islands i
        union all
        select c.id, (c.churned_at at time zone zone)::date, 'former'
        from ids join customer c on c.id = ids.id
        where c.customer_type = 'former' and c.churned_at is not null),
    ranked as (
        select x.customer_id, x.day, x.status,
               min(x.day) filter (where x.status = 'former')
                   over (partition by x.customer_id) as former_from
        from candidates x)
    select r.customer_id, r.day, r.status
    from ranked r
    where r.former_from is null or r.day < r.former_from or r.status = 'former';
end
$$;

-- The timelines of some customers worked out again, and only what differs written: the
-- summaries gain each new change (+1 to the status entered, +1 exited from the one before) and
-- lose each old one, per month and per day under the customer's owner and region. One
-- statement; keys are written in one order, so two writers wait for each other rather than
-- deadlock. Every join follows a key, and a single order's customer is planned like an
-- import's 10,000 (see `cohort_months_touched` for why hash and merge joins and JIT are off).
create function customer_statuses_touched(touched bigint[])
    returns void
    language plpgsql
    set enable_hashjoin = off
    set enable_mergejoin = off
    set plan_cache_mode = force_generic_plan
    set jit = off
    as $$
declare
    window_days integer := (select active_window_days from customer_settings);
    zone text := company_time_zone();
    this_month date := date_trunc('month', now() at time zone company_time_zone())::date;
begin
    -- Two statements touching one customer at once would each read its old timeline; buckets
    -- of ids locked in order, as for the cohorts.
    perform pg_advisory_xact_lock(hashtext('guanxi.customer_status'), b.bucket)
    from (select distinct (t.id % 256)::integer as bucket from unnest(touched) as t (id)) b
    order by b.bucket;
    with ids as (select distinct t.id from unnest(touched) as t (id)),
    sides as (
        select 0 as side, s.customer_id, s.day, s.status,
               lag(s.status) over (partition by s.customer_id order by s.day) as previous
        from ids join customer_status_change s on s.customer_id = ids.id
        union all
        select 1, n.customer_id, n.day, n.status,
               lag(n.status) over (partition by n.customer_id order by n.day)
        from customer_status_timeline(touched, window_days, zone) n),
    changes as (
        select g.day, c.owner_id, coalesce(c.region, '') as region, g.status, g.entered,
               g.exited
        from (select x.customer_id, x.day, x.status,
                     case x.side when 1 then 1 else -1 end as entered, 0 as exited
              from sides x
              union all
              select x.customer_id, x.day, x.previous, 0, case x.side when 1 then 1 else -1 end
              from sides x where x.previous is not null) g
        join customer c on c.id = g.customer_id
        where c.deleted_at is null),
    counted as (
        insert into status_month as s (month, owner_id, region, status, entered, exited)
        select date_trunc('month', g.day::timestamp)::date, g.owner_id, g.region, g.status,
               sum(g.entered), sum(g.exited)
        from changes g
        group by 1, 2, 3, 4
        having sum(g.entered) <> 0 or sum(g.exited) <> 0
        order by 1, 2, 3, 4
        on conflict on constraint status_month_key do update
            set entered = s.entered + excluded.entered, exited = s.exited + excluded.exited),
    counted_days as (
        insert into status_day as s (day, owner_id, region, status, entered, exited)
        select g.day, g.owner_id, g.region, g.status, sum(g.entered), sum(g.exited)
        from changes g
        where g.day >= this_month
        group by 1, 2, 3, 4
        having sum(g.entered) <> 0 or sum(g.exited) <> 0
        order by 1, 2, 3, 4
        on conflict on constraint status_day_key do update
            set entered = s.entered + excluded.entered, exited = s.exited + excluded.exited),
    diff as (
        select x.customer_id, x.day,
               max(x.status) filter (where x.side = 0) as old_status,
               max(x.status) filter (where x.side = 1) as new_status
        from sides x
        group by 1, 2
        having max(x.status) filter (where x.side = 0)
               is distinct from max(x.status) filter (where x.side = 1)),
    emptied as (
        delete from customer_status_change s
        using diff d
        where d.new_status is null and s.customer_id = d.customer_id and s.day = d.day)
    insert into customer_status_change as s (customer_id, day, status)
    select d.customer_id, d.day, d.new_status from diff d where d.new_status is not null
    order by 1, 2
    on conflict (customer_id, day) do update set status = excluded.status;
end
$$;

-- Statement-level on orders, one call per statement, for the customers whose placed order days
-- changed (an update's rows before count -1 and after +1 per customer and day, so rows whose
-- customer, day and status stayed cancel out). Transition tables are never joined.
create function customer_status_orders_changed() returns trigger
    language plpgsql
    as $$
declare
    zone text := company_time_zone();
    customers bigint[];
begin
    if tg_op = 'INSERT' then
        select array_agg(distinct o.customer_id) into customers
        from inserted_orders o where o.status = 'placed';
    elsif tg_op = 'DELETE' then
        select array_agg(distinct o.customer_id) into customers
        from deleted_orders o where o.status = 'placed';
    else
        select array_agg(distinct d.customer_id) into customers
        from (select side.customer_id
              from (select o.customer_id, (o.ordered_at at time zone zone)::date as day, -1 as sign
                    from orders_before o where o.status = 'placed'
                    union all
                    select o.customer_id, (o.ordered_at at time zone zone)::date, 1
                    from orders_after o where o.status = 'placed') side
              group by side.customer_id, side.day
              having sum(side.sign) <> 0) d;
    end if;
    if customers is not null then
        perform customer_statuses_touched(customers);
    end if;
    return null;
end
$$;

create trigger customer_status_orders_inserted after insert on sales_order
    referencing new table as inserted_orders
    for each statement execute function customer_status_orders_changed();
create trigger customer_status_orders_updated after update on sales_order
    referencing old table as orders_before new table as orders_after
    for each statement execute function customer_status_orders_changed();
create trigger customer_status_orders_deleted after delete on sales_order
    referencing old table as deleted_orders
    for each statement execute function customer_status_orders_changed();

-- A customer whose owner or region changes, or who goes to the recycle bin or comes back, takes
-- its counts along: each change of its timeline leaves the old owner and region and joins the
-- new ones. Row-level with a WHEN, like the cohorts'; it runs before the statement trigger
-- below, which then reads the customer as it is now.
create function customer_status_customer_moved() returns trigger
    language plpgsql
    as $$
begin
    with changes as (
        select g.day, side.owner_id, side.region, g.status, side.sign * g.entered as entered,
               side.sign * g.exited as exited
        from (select t.day, t.status, 1 as entered, 0 as exited
              from customer_status_change t where t.customer_id = new.id
              union all
              select t.day, t.previous, 0, 1
              from (select p.day, lag(p.status) over (order by p.day) as previous
                    from customer_status_change p where p.customer_id = new.id) t
              where t.previous is not null) g
        cross join lateral (values
            (-1, old.owner_id, coalesce(old.region, ''), old.deleted_at is null),
            (1, new.owner_id, coalesce(new.region, ''), new.deleted_at is null))
            as side (sign, owner_id, region, live)
        where side.live),
    counted as (
        insert into status_month as s (month, owner_id, region, status, entered, exited)
        select date_trunc('month', g.day::timestamp)::date, g.owner_id, g.region, g.status,
               sum(g.entered), sum(g.exited)
        from changes g
        group by 1, 2, 3, 4
        having sum(g.entered) <> 0 or sum(g.exited) <> 0
        order by 1, 2, 3, 4
        on conflict on constraint status_month_key do update
            set entered = s.entered + excluded.entered, exited = s.exited + excluded.exited)
    insert into status_day as s (day, owner_id, region, status, entered, exited)
    select g.day, g.owner_id, g.region, g.status, sum(g.entered), sum(g.exited)
    from changes g
    where g.day >= date_trunc('month', now() at time zone company_time_zone())::date
    group by 1, 2, 3, 4
    having sum(g.entered) <> 0 or sum(g.exited) <> 0
    order by 1, 2, 3, 4
    on conflict on constraint status_day_key do update
        set entered = s.entered + excluded.entered, exited = s.exited + excluded.exited;
    return null;
end
$$;

create trigger customer_status_customer_moved after update on customer
    for each row
    when (old.owner_id is distinct from new.owner_id
          or old.region is distinct from new.region
          or (old.deleted_at is null) <> (new.deleted_at is null))
    execute function customer_status_customer_moved();

-- Customers marked former, or no longer: statement-level, so an import that wins back 10,000
-- customers makes one call. A customer whose mark is the same on both sides appears once in the
-- union and is left alone.
create function customer_status_marks_changed() returns trigger
    language plpgsql
    as $$
declare
    customers bigint[];
begin
    select array_agg(m.id) into customers
    from (select x.id
          from (select o.id, o.customer_type = 'former' as former, o.churned_at
                from customers_before o
                union
                select n.id, n.customer_type = 'former', n.churned_at
                from customers_after n) x
          group by x.id
          having count(*) > 1) m;
    if customers is not null then
        perform customer_statuses_touched(customers);
    end if;
    return null;
end
$$;

create trigger customer_status_marks_changed after update on customer
    referencing old table as customers_before new table as customers_after
    for each statement execute function customer_status_marks_changed();

-- Everything again: at first, after a load without triggers, and when the window or the
-- company's zone changes (every day of every timeline moves).
create function customer_status_rebuild() returns void
    language plpgsql
    as $$
begin
    delete from status_day;
    delete from status_month;
    delete from customer_status_change;
    insert into customer_status_change (customer_id, day, status)
    select t.customer_id, t.day, t.status
    from customer_status_timeline(array(select id from customer),
                                  (select active_window_days from customer_settings),
                                  company_time_zone()) t;
    with changes as (
        select g.day, c.owner_id, coalesce(c.region, '') as region, g.status, g.entered,
               g.exited
        from (select t.customer_id, t.day, t.status, 1 as entered, 0 as exited
              from customer_status_change t
              union all
              select t.customer_id, t.day, t.previous, 0, 1
              from (select p.customer_id, p.day,
                           lag(p.status) over (partition by p.customer_id order by p.day)
                               as previous
                    from customer_status_change p) t
              where t.previous is not null) g
        join customer c on c.id = g.customer_id
        where c.deleted_at is null),
    counted as (
        insert into status_month (month, owner_id, region, status, entered, exited)
        select date_trunc('month', g.day::timestamp)::date, g.owner_id, g.region, g.status,
               sum(g.entered), sum(g.exited)
        from changes g
        group by 1, 2, 3, 4)
    insert into status_day (day, owner_id, region, status, entered, exited)
    select g.day, g.owner_id, g.region, g.status, sum(g.entered), sum(g.exited)
    from changes g
    where g.day >= date_trunc('month', now() at time zone company_time_zone())::date
    group by 1, 2, 3, 4;
end
$$;

create function customer_status_settings_changed() returns trigger
    language plpgsql
    as $$
begin
    perform customer_status_rebuild();
    return null;
end
$$;

create trigger customer_status_window_changed after update of active_window_days
    on customer_settings
    for each row when (old.active_window_days is distinct from new.active_window_days)
    execute function customer_status_settings_changed();
create trigger customer_status_zone_changed after update of time_zone on company_settings
    for each row when (old.time_zone is distinct from new.time_zone)
    execute function customer_status_settings_changed();

select customer_status_rebuild();
