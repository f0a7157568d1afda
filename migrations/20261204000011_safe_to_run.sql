-- Undoing a merge puts back only what no one changed since: the survivor as the merge left it.
alter table customer_merge add column survivor_after jsonb;
