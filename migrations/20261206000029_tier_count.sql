-- Customers per tier, kept in the transaction of every write that moves one, so the dashboard's
-- "customers per tier" reads a few hundred rows instead of joining a million customers to
-- their scores (236 ms p95 for an admin at a million customers, over the tiles' 200 ms budget,
-- with the scores table still empty).
--
-- A row counts the live customers of one owner that share a computed tier and an override
-- (tier and end date): which tier is in force is decided when reading, so an override that
-- ends at midnight needs no write. Customers without a score row count under no tier.
create table tier_count (
    owner_id bigint references app_user (id),
    computed_tier_id bigint,
    override_tier_id bigint,
    override_until date,
    customers integer not null default 0,
    constraint tier_count_key
        unique nulls not distinct (owner_id, computed_tier_id, override_tier_id, override_until)
);

-- Statement-level, like the daily sales summary: the recompute grades customers in batches,
-- and each batch is one aggregate and one upsert here (about 10-20 µs per score written at a
-- million customers). Every row becomes a -1 at its old key and a +1 at its new one; keys are written in one order, so two writers touching the
-- same keys wait for each other rather than deadlock. Postgres gives each event its own
-- transition tables, hence one function per event.
create function tier_count_scores_inserted() returns trigger
    language plpgsql
    as $$
begin
    insert into tier_count as t (owner_id, computed_tier_id, override_tier_id, override_until, customers)
    select c.owner_id, side.computed_tier_id, side.override_tier_id, side.override_until, sum(side.sign)
    from inserted_scores s
    cross join lateral (select owner_id from customer c
                        where c.id = s.customer_id and c.deleted_at is null offset 0) c
    -- A new score takes its customer out of "no score".
    cross join lateral (values
        (-1, null::bigint, null::bigint, null::date),
        (1, s.computed_tier_id, s.override_tier_id, s.override_until))
        as side (sign, computed_tier_id, override_tier_id, override_until)
    group by 1, 2, 3, 4
    having sum(side.sign) <> 0
    order by 1, 2, 3, 4
    on conflict on constraint tier_count_key do update
        set customers = t.customers + excluded.customers;
    return null;
end
$$;

create function tier_count_scores_updated() returns trigger
    language plpgsql
    as $$
begin
    -- The rows before and after are not joined (transition tables have no index, and a join
    -- of a 10,000-row batch to itself took 11.6 s): each row before is a -1 at its key and each
    -- row after a +1 at its own, so an unchanged score cancels out in the sum.
    insert into tier_count as t (owner_id, computed_tier_id, override_tier_id, override_until, customers)
    select c.owner_id, d.computed_tier_id, d.override_tier_id, d.override_until, sum(d.sign)
    from (
        select -1 as sign, o.customer_id, o.computed_tier_id, o.override_tier_id, o.override_until
        from scores_before o
        union all
        select 1, n.customer_id, n.computed_tier_id, n.override_tier_id, n.override_until
        from scores_after n
    ) d
    -- A lookup per row through the key: without statistics on the transition tables, a plain
    -- join hashed the whole customer table (0.7-1.1 s per batch of 10,000).
    cross join lateral (select owner_id from customer c
                        where c.id = d.customer_id and c.deleted_at is null offset 0) c
    group by 1, 2, 3, 4
    having sum(d.sign) <> 0
    order by 1, 2, 3, 4
    on conflict on constraint tier_count_key do update
        set customers = t.customers + excluded.customers;
    return null;
end
$$;

create function tier_count_scores_deleted() returns trigger
    language plpgsql
    as $$
begin
    insert into tier_count as t (owner_id, computed_tier_id, override_tier_id, override_until, customers)
    select c.owner_id, side.computed_tier_id, side.override_tier_id, side.override_until, sum(side.sign)
    from deleted_scores s
    cross join lateral (select owner_id from customer c
                        where c.id = s.customer_id and c.deleted_at is null offset 0) c
    -- Without its score, the customer is back under "no score".
    cross join lateral (values
        (-1, s.computed_tier_id, s.override_tier_id, s.override_until),
        (1, null::bigint, null::bigint, null::date))
        as side (sign, computed_tier_id, override_tier_id, override_until)
    group by 1, 2, 3, 4
    having sum(side.sign) <> 0
    order by 1, 2, 3, 4
    on conflict on constraint tier_count_key do update
        set customers = t.customers + excluded.customers;
    return null;
end
$$;

create trigger tier_count_scores_inserted after insert on customer_score
    referencing new table as inserted_scores
    for each statement execute function tier_count_scores_inserted();
create trigger tier_count_scores_updated after update on customer_score
    referencing old table as scores_before new table as scores_after
    for each statement execute function tier_count_scores_updated();
create trigger tier_count_scores_deleted after delete on customer_score
    referencing old table as deleted_scores
    for each statement execute function tier_count_scores_deleted();

-- New customers count under "no score" (an import's batch is one statement); a customer leaves
-- the count when deleted for good (its score row is gone by then, so "no score" too).
create function tier_count_customers_inserted() returns trigger
    language plpgsql
    as $$
begin
    insert into tier_count as t (owner_id, computed_tier_id, override_tier_id, override_until, customers)
    select c.owner_id, null, null, null, count(*)
    from inserted_customers c
    where c.deleted_at is null
    group by 1
    order by 1
    on conflict on constraint tier_count_key do update
        set customers = t.customers + excluded.customers;
    return null;
end
$$;

create function tier_count_customers_deleted() returns trigger
    language plpgsql
    as $$
begin
    insert into tier_count as t (owner_id, computed_tier_id, override_tier_id, override_until, customers)
    select c.owner_id, s.computed_tier_id, s.override_tier_id, s.override_until, -count(*)
    from deleted_customers c
    left join customer_score s on s.customer_id = c.id
    where c.deleted_at is null
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict on constraint tier_count_key do update
        set customers = t.customers + excluded.customers;
    return null;
end
$$;

create trigger tier_count_customers_inserted after insert on customer
    referencing new table as inserted_customers
    for each statement execute function tier_count_customers_inserted();
create trigger tier_count_customers_deleted after delete on customer
    referencing old table as deleted_customers
    for each statement execute function tier_count_customers_deleted();

-- A customer whose owner changes, or who goes to the recycle bin or comes back, moves between
-- owners' counts. Row-level with a WHEN, so the many customer updates that change neither
-- (aggregates, search text) cost nothing here.
create function tier_count_customer_moved() returns trigger
    language plpgsql
    as $$
begin
    insert into tier_count as t (owner_id, computed_tier_id, override_tier_id, override_until, customers)
    select side.owner_id, s.computed_tier_id, s.override_tier_id, s.override_until, sum(side.sign)
    from (values (-1, old.owner_id, old.deleted_at is null), (1, new.owner_id, new.deleted_at is null))
        as side (sign, owner_id, live)
    left join customer_score s on s.customer_id = new.id
    where side.live
    group by 1, 2, 3, 4
    having sum(side.sign) <> 0
    order by 1, 2, 3, 4
    on conflict on constraint tier_count_key do update
        set customers = t.customers + excluded.customers;
    return null;
end
$$;

create trigger tier_count_customer_moved after update on customer
    for each row
    when (old.owner_id is distinct from new.owner_id
          or (old.deleted_at is null) <> (new.deleted_at is null))
    execute function tier_count_customer_moved();

-- Everything again from the customers and their scores: at first, and after a load that ran
-- without triggers (the benchmarks' bulk loader).
create function tier_count_rebuild() returns void
    language sql
    as $$
    delete from tier_count;
    insert into tier_count (owner_id, computed_tier_id, override_tier_id, override_until, customers)
    select c.owner_id, s.computed_tier_id, s.override_tier_id, s.override_until, count(*)
    from customer c left join customer_score s on s.customer_id = c.id
    where c.deleted_at is null
    group by 1, 2, 3, 4;
    $$;

select tier_count_rebuild();
