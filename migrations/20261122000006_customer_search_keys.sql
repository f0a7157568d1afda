-- Customer search n-grams become 32-bit integer keys (FNV-1a of each gram's UTF-8), computed by
-- the application (`customers::model::gram_key`). An import writes about fifty grams per
-- customer: integer keys make the GIN index smaller and far cheaper to maintain and search than
-- text compared under a collation. A shared key between two grams only widens the index's
-- candidates; `search_text` decides.

-- The same function in SQL, kept so existing rows are converted here and a test can hold the two
-- definitions equal.
create function gram_key(gram text) returns integer
language plpgsql immutable strict parallel safe as $$
declare
    bytes bytea := convert_to(gram, 'UTF8');
    hash bigint := 2166136261;
begin
    for i in 0 .. length(bytes) - 1 loop
        hash := ((hash # get_byte(bytes, i)) * 16777619) % 4294967296;
    end loop;
    return (case when hash >= 2147483648 then hash - 4294967296 else hash end)::integer;
end $$;

alter table customer add column search_keys integer[] not null default '{}';
update customer
set search_keys = array(select distinct gram_key(g) from unnest(search_grams) as g order by 1)
where search_grams <> '{}';
drop index customer_grams_idx;
alter table customer drop column search_grams;

-- GIN indexes take new entries into a pending list and merge them into the tree when it fills.
-- Merging is far cheaper per entry in large batches (40,000 inserts into a million-row text-gram
-- index: 10.5 s with the default 4 MB list, 4.2 s with one merge at the end, 2.5 s with integer
-- keys), so the customer's GIN indexes keep a larger list and imports merge it themselves every
-- 10,000 rows (`gin_clean_pending_list`), which keeps the list short enough that searches, which
-- read all of it, stay fast.
--
-- The owner leads the index (btree_gin) so a member's or a team's search narrows to their own
-- customers inside the index rather than by reading every matching customer's row.
create extension if not exists btree_gin;
create index customer_search_keys_idx on customer using gin (owner_id, search_keys)
    with (gin_pending_list_limit = 65536) where deleted_at is null;
alter index customer_name_key_trgm_idx set (gin_pending_list_limit = 65536);
alter index customer_tags_idx set (gin_pending_list_limit = 65536);
alter index customer_custom_idx set (gin_pending_list_limit = 65536);

-- The primary key already serves "live customers, newest first" (deleted ones are few); one index
-- less to maintain on every customer write.
drop index customer_live_idx;

-- Lists sorted by last order put customers who never ordered last; the sort key treats "never"
-- as the earliest time (`customers::repo::LAST_ORDER_KEY`), so a page position is one range in
-- these indexes. Region is the filter most often combined with that sort.
create index customer_region_last_order_idx
    on customer (region, (coalesce(last_order_at, '-infinity'::timestamptz)), id)
    where deleted_at is null;

drop index customer_last_order_idx;
create index customer_last_order_idx on customer ((coalesce(last_order_at, '-infinity'::timestamptz)), id)
    where deleted_at is null;

-- Lists fetch a page's ids first; the spend index carries the columns that status, stage, type
-- and scope filters read, so a page sorted by spend is found without reading skipped customers'
-- rows (e.g. "repeat customers by spend": the top spenders are loyal and get skipped).
drop index customer_spend_idx;
create index customer_spend_idx on customer (total_spend_minor, id)
    include (owner_id, customer_type, order_count, first_order_at, last_order_at)
    where deleted_at is null;
