-- The global search (Ctrl+K) looks for a fragment in leads, opportunities, tickets and products
-- the way the customer list does: n-gram keys in a GIN index narrow the candidates, a `like` on
-- the lower-cased text decides. Customers (and their contacts) keep their application-written
-- keys; these smaller tables compute theirs in stored generated columns, so every write path (the
-- forms, the web form, imports, email, demo seeding) keeps them current without code of its own.

-- `customers::model::index_keys` in SQL: every CJK character and pair of characters, every
-- trigram of other words, every 4-gram of digit runs, as `gram_key`s, sorted and distinct. A test
-- holds the two equal.
create function search_keys_of(body text) returns integer[]
language plpgsql immutable strict parallel safe as $$
declare
    keys integer[] := '{}';
    run text[] := '{}';
    run_class text := 'other';
    class text;
    c text;
    code integer;
    width integer;
    n integer;
begin
    -- A trailing space ends the last run.
    foreach c in array regexp_split_to_array(lower(body) || ' ', '') loop
        code := ascii(c);
        class := case
            when code between 13312 and 19903 or code between 19968 and 40959
                 or code between 63744 and 64255 or code between 131072 and 195103
                 or code between 12352 and 12543 then 'cjk'
            when c ~ '^[[:alnum:]]$' then 'word'
            else 'other'
        end;
        if class <> run_class then
            n := coalesce(array_length(run, 1), 0);
            if run_class = 'cjk' then
                for i in 1 .. n loop
                    keys := keys || gram_key(run[i]);
                    if i < n then
                        keys := keys || gram_key(run[i] || run[i + 1]);
                    end if;
                end loop;
            elsif run_class = 'word' then
                width := case when array_to_string(run, '') ~ '^[0-9]+$' then 4 else 3 end;
                for i in 1 .. n - width + 1 loop
                    keys := keys || gram_key(array_to_string(run[i:i + width - 1], ''));
                end loop;
            end if;
            run := '{}';
            run_class := class;
        end if;
        run := run || c;
    end loop;
    return array(select distinct k from unnest(keys) as k order by k);
end $$;

-- (`concat_ws` is only stable, which a generated column refuses.) Fields are joined by the same separator as `customers::model::SEARCH_SEPARATOR`, so a fragment
-- never matches across two of them.
alter table lead add column search_text text generated always as (
    lower((coalesce(name, '') || E' \x1f ' || coalesce(company, '') || E' \x1f ' || coalesce(phone_normalized, '') || E' \x1f ' || coalesce(email, '')))) stored;
alter table lead add column search_keys integer[] generated always as (
    search_keys_of((coalesce(name, '') || E' \x1f ' || coalesce(company, '') || E' \x1f ' || coalesce(phone_normalized, '') || E' \x1f ' || coalesce(email, '')))) stored;
create index lead_search_idx on lead using gin (search_keys);

alter table opportunity add column search_text text generated always as (
    lower((coalesce(title, '') || E' \x1f ' || coalesce(next_step, '')))) stored;
alter table opportunity add column search_keys integer[] generated always as (
    search_keys_of((coalesce(title, '') || E' \x1f ' || coalesce(next_step, '')))) stored;
create index opportunity_search_idx on opportunity using gin (search_keys);

alter table ticket add column search_text text generated always as (lower(subject)) stored;
alter table ticket add column search_keys integer[] generated always as (
    search_keys_of(subject)) stored;
create index ticket_search_idx on ticket using gin (search_keys);

alter table product add column search_text text generated always as (
    lower((coalesce(sku, '') || E' \x1f ' || coalesce(name, '') || E' \x1f ' || coalesce(category, '')))) stored;
alter table product add column search_keys integer[] generated always as (
    search_keys_of((coalesce(sku, '') || E' \x1f ' || coalesce(name, '') || E' \x1f ' || coalesce(category, '')))) stored;
create index product_search_idx on product using gin (search_keys);
