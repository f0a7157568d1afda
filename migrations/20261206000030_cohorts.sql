-- Cohort retention: of the customers whose first order fell in a month (their cohort), how many
-- ordered again in each later month. Counting it from 5 million orders per request takes
-- seconds; two tables kept in the transaction of every order write make it a read of a few
-- thousand rows.
--
-- `customer_month`: the months in which a customer placed orders (placed orders only, months
-- of the company's calendar), each row carrying the customer's cohort (their first such month),
-- so the customers behind one cell of the report are one index range.
create table customer_month (
    customer_id bigint not null references customer (id),
    month date not null,
    orders integer not null,
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
);
create index cohort_month_owner_idx on cohort_month (owner_id, cohort);

-- What the given customers count for in `cohort_month` now, added `sign` times: called with -1
-- before their months change and +1 after.
create function cohort_month_count(customers bigint[], sign integer) returns void
    language sql
    as $$
    insert into cohort_month as s (cohort, month, owner_id, region, customers)
    select m.cohort, m.month, c.owner_id, coalesce(c.region, ''), sign * count(*)
    from unnest(customers) as a (id)
    join customer_month m on m.customer_id = a.id
    join customer c on c.id = a.id
    where c.deleted_at is null
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict on constraint cohort_month_key do update
        set customers = s.customers + excluded.customers;
    $$;

-- Orders added to (or, negative, taken from) customers' months: the customers' counts come out
-- of `cohort_month`, their months change (a first month that empties or an earlier order moves
-- the whole customer to another cohort), and their counts go back in. Keys are written in one
-- order, so two writers touching the same customers wait for each other rather than deadlock.
create function cohort_orders_moved(moved_customers bigint[], moved_months date[], moved_orders integer[])
    returns void
    language plpgsql
    as $$
declare
    affected bigint[];
begin
    select array_agg(distinct id order by id) into affected from unnest(moved_customers) as a (id);
    perform cohort_month_count(affected, -1);
    insert into customer_month as m (customer_id, month, orders, cohort)
    select d.customer_id, d.month, sum(d.orders), d.month
    from unnest(moved_customers, moved_months, moved_orders) as d (customer_id, month, orders)
    group by 1, 2
    order by 1, 2
    on conflict (customer_id, month) do update set orders = m.orders + excluded.orders;
    delete from customer_month m
    using unnest(affected) as a (id)
    where m.customer_id = a.id and m.orders <= 0;
    update customer_month m set cohort = f.first
    from (select m.customer_id, min(m.month) as first
          from unnest(affected) as a (id) join customer_month m on m.customer_id = a.id
          group by 1) f
    where m.customer_id = f.customer_id and m.cohort <> f.first;
    perform cohort_month_count(affected, 1);
end
$$;

-- Statement-level on orders, one call per statement (an import of 40,000 orders is one). An
-- update turns its rows before into -1 and after into +1 per customer and month; rows whose
-- customer, month and status did not change cancel out. The two transition tables are never
-- joined: they have no index or statistics, and a join of them is planned badly.
create function cohort_orders_changed() returns trigger
    language plpgsql
    as $$
declare
    customers bigint[];
    months date[];
    counts integer[];
begin
    if tg_op = 'INSERT' then
        select array_agg(customer_id), array_agg(month), array_agg(n)
        into customers, months, counts
        from (select o.customer_id,
                     date_trunc('month', o.ordered_at at time zone company_time_zone())::date as month,
                     count(*)::integer as n
              from inserted_orders o where o.status = 'placed' group by 1, 2) d;
    elsif tg_op = 'DELETE' then
        select array_agg(customer_id), array_agg(month), array_agg(n)
        into customers, months, counts
        from (select o.customer_id,
                     date_trunc('month', o.ordered_at at time zone company_time_zone())::date as month,
                     -count(*)::integer as n
              from deleted_orders o where o.status = 'placed' group by 1, 2) d;
    else
        select array_agg(customer_id), array_agg(month), array_agg(n)
        into customers, months, counts
        from (select customer_id, month, sum(sign)::integer as n
              from (select o.customer_id, o.ordered_at, -1 as sign
                    from orders_before o where o.status = 'placed'
                    union all
                    select o.customer_id, o.ordered_at, 1
                    from orders_after o where o.status = 'placed') side
              cross join lateral (select date_trunc('month', side.ordered_at
                                      at time zone company_time_zone())::date as month) m
              group by 1, 2
              having sum(sign) <> 0) d;
    end if;
    if customers is not null then
        perform cohort_orders_moved(customers, months, counts);
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
    insert into customer_month (customer_id, month, orders, cohort)
    select customer_id, month, n, min(month) over (partition by customer_id)
    from (select o.customer_id,
                 date_trunc('month', o.ordered_at at time zone company_time_zone())::date as month,
                 count(*)::integer as n
          from sales_order o where o.status = 'placed' group by 1, 2) d;
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
