-- Graded customers by owner, region, R, F and M score and tier, kept in the transaction of every
-- write that changes one, so the customer value report (the RFM grid, revenue by tier) reads a
-- few thousand rows instead of joining a million customers to their scores. Like `tier_count`,
-- a row keeps the computed tier and any override with its end date: which tier is in force is
-- decided when reading, so an override that ends at midnight needs no write. Only customers
-- with a score row count (a customer is graded on its first recompute or order).
create table rfm_cell (
    owner_id bigint references app_user (id),
    region text,
    r smallint not null,
    f smallint not null,
    m smallint not null,
    computed_tier_id bigint,
    override_tier_id bigint,
    override_until date,
    customers integer not null default 0,
    -- Their spend in the scoring window (`customer_score.monetary_minor`).
    monetary_minor bigint not null default 0,
    constraint rfm_cell_key unique nulls not distinct
        (owner_id, region, r, f, m, computed_tier_id, override_tier_id, override_until)
);

-- The customers behind a cell, a page at a time.
create index customer_score_rf_idx on customer_score (r, f, customer_id);

-- One change of the table: each score row before is a -1 at its key and each row after a +1 at
-- its own (an unchanged row cancels out in the sum), summed per key and written in key order,
-- so two writers touching the same keys wait for each other rather than deadlock.
create type rfm_cell_change as (
    sign integer,
    customer_id bigint,
    r smallint,
    f smallint,
    m smallint,
    computed_tier_id bigint,
    override_tier_id bigint,
    override_until date,
    monetary_minor bigint
);

-- PL/pgSQL rather than SQL: Postgres 15 plans a SQL function's body again on every call.
create function rfm_cell_add(changes rfm_cell_change[]) returns void
    language plpgsql
    as $$
begin
    insert into rfm_cell as t (owner_id, region, r, f, m, computed_tier_id, override_tier_id,
                               override_until, customers, monetary_minor)
    select c.owner_id, c.region, d.r, d.f, d.m, d.computed_tier_id, d.override_tier_id,
           d.override_until, sum(d.sign), sum(d.sign * d.monetary_minor)
    from unnest(changes) d
    -- A lookup per row through the key (transition rows carry no statistics, and a join hashed
    -- the whole customer table for `tier_count`).
    cross join lateral (select owner_id, region from customer c
                        where c.id = d.customer_id and c.deleted_at is null offset 0) c
    group by 1, 2, 3, 4, 5, 6, 7, 8
    having sum(d.sign) <> 0 or sum(d.sign * d.monetary_minor) <> 0
    order by 1, 2, 3, 4, 5, 6, 7, 8
    on conflict on constraint rfm_cell_key do update
        set customers = t.customers + excluded.customers,
            monetary_minor = t.monetary_minor + excluded.monetary_minor;
end
$$;

create function rfm_cell_scores_inserted() returns trigger
    language plpgsql
    as $$
begin
    perform rfm_cell_add(array(
        select row(1, n.customer_id, n.r, n.f, n.m, n.computed_tier_id, n.override_tier_id,
                   n.override_until, n.monetary_minor)::rfm_cell_change
        from inserted_scores n));
    return null;
end
$$;

create function rfm_cell_scores_updated() returns trigger
    language plpgsql
    as $$
begin
    perform rfm_cell_add(array(
        select row(-1, o.customer_id, o.r, o.f, o.m, o.computed_tier_id, o.override_tier_id,
                   o.override_until, o.monetary_minor)::rfm_cell_change
        from scores_before o
        union all
        select row(1, n.customer_id, n.r, n.f, n.m, n.computed_tier_id, n.override_tier_id,
                   n.override_until, n.monetary_minor)::rfm_cell_change
        from scores_after n));
    return null;
end
$$;

create function rfm_cell_scores_deleted() returns trigger
    language plpgsql
    as $$
begin
    perform rfm_cell_add(array(
        select row(-1, o.customer_id, o.r, o.f, o.m, o.computed_tier_id, o.override_tier_id,
                   o.override_until, o.monetary_minor)::rfm_cell_change
        from deleted_scores o));
    return null;
end
$$;

create trigger rfm_cell_scores_inserted after insert on customer_score
    referencing new table as inserted_scores
    for each statement execute function rfm_cell_scores_inserted();
create trigger rfm_cell_scores_updated after update on customer_score
    referencing old table as scores_before new table as scores_after
    for each statement execute function rfm_cell_scores_updated();
create trigger rfm_cell_scores_deleted after delete on customer_score
    referencing old table as deleted_scores
    for each statement execute function rfm_cell_scores_deleted();

-- A graded customer whose owner or region changes, or who goes to the recycle bin or comes back,
-- moves between cells. Row-level with a WHEN, so the many customer updates that change none of
-- these (aggregates, search text) cost nothing here. The lookup in `rfm_cell_add` cannot see
-- the row before, so both sides are written here.
create function rfm_cell_customer_moved() returns trigger
    language plpgsql
    as $$
begin
    insert into rfm_cell as t (owner_id, region, r, f, m, computed_tier_id, override_tier_id,
                               override_until, customers, monetary_minor)
    select side.owner_id, side.region, s.r, s.f, s.m, s.computed_tier_id, s.override_tier_id,
           s.override_until, sum(side.sign), sum(side.sign * s.monetary_minor)
    from (values (-1, old.owner_id, old.region, old.deleted_at is null),
                 (1, new.owner_id, new.region, new.deleted_at is null))
        as side (sign, owner_id, region, live)
    join customer_score s on s.customer_id = new.id
    where side.live
    group by 1, 2, 3, 4, 5, 6, 7, 8
    having sum(side.sign) <> 0
    order by 1, 2, 3, 4, 5, 6, 7, 8
    on conflict on constraint rfm_cell_key do update
        set customers = t.customers + excluded.customers,
            monetary_minor = t.monetary_minor + excluded.monetary_minor;
    return null;
end
$$;

create trigger rfm_cell_customer_moved after update on customer
    for each row
    when (old.owner_id is distinct from new.owner_id
          or old.region is distinct from new.region
          or (old.deleted_at is null) <> (new.deleted_at is null))
    execute function rfm_cell_customer_moved();

-- Everything again from the live customers' scores: at first, and after a load that ran without
-- triggers (the benchmarks' bulk loader).
create function rfm_cell_rebuild() returns void
    language plpgsql
    as $$
begin
    delete from rfm_cell;
    insert into rfm_cell (owner_id, region, r, f, m, computed_tier_id, override_tier_id,
                          override_until, customers, monetary_minor)
    select c.owner_id, c.region, s.r, s.f, s.m, s.computed_tier_id, s.override_tier_id,
           s.override_until, count(*), sum(s.monetary_minor)
    from customer c join customer_score s on s.customer_id = c.id
    where c.deleted_at is null
    group by 1, 2, 3, 4, 5, 6, 7, 8;
end
$$;

select rfm_cell_rebuild();

