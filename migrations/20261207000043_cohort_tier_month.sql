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

-- A customer whose tier columns change takes its months from the old columns to the new, as
-- in `sales_tier_day_scores_add`: only the customers whose sum of -1s and +1s is not zero
-- moved, so a recompute batch whose tiers stay reads no months.
create function cohort_tier_scores_add(moves sales_tier_move[]) returns void
    language plpgsql
    as $$
begin
    perform cohort_tier_month_add(array(
        select row(cm.cohort, cm.month, c.owner_id, coalesce(c.region, ''), m.computed_tier_id,
                   m.override_tier_id, m.override_until, m.sign)::cohort_tier_change
        from (
            select customer_id, computed_tier_id, override_tier_id, override_until,
                   sum(sign)::integer as sign
            from unnest(moves)
            group by 1, 2, 3, 4
            having sum(sign) <> 0
        ) m
        join customer c on c.id = m.customer_id and c.deleted_at is null
        join customer_month cm on cm.customer_id = m.customer_id));
end
$$;

create function cohort_tier_scores_changed() returns trigger
    language plpgsql
    as $$
begin
    if tg_op = 'INSERT' then
        perform cohort_tier_scores_add(array(
            select row(side.sign, n.customer_id, side.computed_tier_id, side.override_tier_id,
                       side.override_until)::sales_tier_move
            from inserted_scores n
            cross join lateral (values
                (-1, null::bigint, null::bigint, null::date),
                (1, n.computed_tier_id, n.override_tier_id, n.override_until))
                as side (sign, computed_tier_id, override_tier_id, override_until)));
    elsif tg_op = 'DELETE' then
        perform cohort_tier_scores_add(array(
            select row(side.sign, o.customer_id, side.computed_tier_id, side.override_tier_id,
                       side.override_until)::sales_tier_move
            from deleted_scores o
            cross join lateral (values
                (-1, o.computed_tier_id, o.override_tier_id, o.override_until),
                (1, null::bigint, null::bigint, null::date))
                as side (sign, computed_tier_id, override_tier_id, override_until)));
    else
        perform cohort_tier_scores_add(array(
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

create trigger cohort_tier_scores_inserted after insert on customer_score
    referencing new table as inserted_scores
    for each statement execute function cohort_tier_scores_changed();
create trigger cohort_tier_scores_updated after update on customer_score
    referencing old table as scores_before new table as scores_after
    for each statement execute function cohort_tier_scores_changed();
create trigger cohort_tier_scores_deleted after delete on customer_score
    referencing old table as deleted_scores
    for each statement execute function cohort_tier_scores_changed();

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

select cohort_tier_month_rebuild();
