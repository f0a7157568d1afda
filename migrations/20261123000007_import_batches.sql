-- What an import did, one row per batch of the file instead of one row per line.
--
-- A row per line cost a 100,000-line import 100,000 inserts in its check and again in the
-- import, each with two foreign-key checks: about 1.4 s of each pass. Nothing reads a single
-- line's outcome: the screen shows counts, the report lists rejected lines, a revert needs the
-- created customers and the fields updated ones had, and the duplicate scan needs both sets of
-- customers. A batch row keeps exactly that.
create table import_batch (
    import_id bigint not null references import_run (id) on delete cascade,
    -- 0-based offset of the batch's first data line in the file.
    first_row integer not null,
    created_count integer not null,
    updated_count integer not null,
    unchanged_count integer not null,
    rejected_count integer not null,
    -- Customers the batch created (empty for a check, whose customers are only simulated).
    created_ids bigint[] not null default '{}',
    -- Customers it changed, and what each had before, in the same order.
    updated_ids bigint[] not null default '{}',
    updated_before jsonb not null default '[]',
    -- [line number (1-based), [[column, error], ...]] for each refused line.
    rejected jsonb not null default '[]',
    primary key (import_id, first_row),
    constraint import_batch_updated_aligned check (
        cardinality(updated_ids) = jsonb_array_length(updated_before))
);

insert into import_batch (import_id, first_row, created_count, updated_count, unchanged_count,
                          rejected_count, created_ids, updated_ids, updated_before, rejected)
select import_id,
       (row_number - 1) / 1000 * 1000,
       count(*) filter (where outcome = 'created'),
       count(*) filter (where outcome = 'updated'),
       count(*) filter (where outcome = 'unchanged'),
       count(*) filter (where outcome = 'rejected'),
       coalesce(array_agg(customer_id order by row_number)
                filter (where outcome = 'created' and customer_id is not null), '{}'),
       coalesce(array_agg(customer_id order by row_number)
                filter (where outcome = 'updated' and customer_id is not null
                        and before is not null), '{}'),
       coalesce(jsonb_agg(before order by row_number)
                filter (where outcome = 'updated' and customer_id is not null
                        and before is not null), '[]'),
       coalesce(jsonb_agg(jsonb_build_array(row_number, errors) order by row_number)
                filter (where outcome = 'rejected' and errors is not null), '[]')
from import_row
group by 1, 2;

drop table import_row;
