-- A revert must not overwrite what people changed after the import: it restores or deletes a
-- customer only while the customer still has the version the import left it with.
--
-- The version each updated customer had after the batch's write, aligned with `updated_ids`.
-- Null for batches recorded before this column (and for checks, which write nothing): those
-- customers are reverted without the check, as before.
alter table import_batch add column updated_versions integer[];
alter table import_batch add constraint import_batch_versions_aligned check (
    updated_versions is null or cardinality(updated_versions) = cardinality(updated_ids));

-- Customers a revert left as they were because they had changed since the import.
alter table import_run add column revert_kept_ids bigint[] not null default '{}';
