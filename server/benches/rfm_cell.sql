-- Customer value at a million customers: what the value report's statements read, and what
-- keeping rfm_cell adds to a recompute batch and to one rescore. Run on a freshly migrated,
-- empty database (it loads its own data):
--     psql -d <db> -f server/benches/rfm_cell.sql
-- Figures in the README ("Customer value at a million customers").
\timing on
\echo == load: 1M customers over 20 reps and 31 regions, 900k graded
insert into team (name) values ('东区'), ('西区');
insert into app_user (email, display_name, password_hash, role, team_id)
select 'rep' || g || '@bench.test', '销售' || g, 'x', 'member', (select min(id) from team) + g % 2
from generate_series(1, 20) g;
insert into customer (name, owner_id, region, total_spend_minor)
select '客户' || g, (select min(id) from app_user) + g % 20, '区域' || (g % 31), (g % 997) * 1000
from generate_series(1, 1000000) g;
insert into customer_score (customer_id, recency_days, frequency, monetary_minor, r, f, m,
                            computed_tier_id)
select id, (id % 400)::int, (id % 9)::int, (id % 997) * 1000, 1 + (id % 5), 1 + ((id / 5) % 5),
       1 + ((id / 25) % 5), (select min(id) from tier) + (id % 3)
from customer where id % 10 <> 0;
select count(*) as rfm_cells from rfm_cell;
vacuum analyze;
\echo == reads: the grid and spend by tier (everyone; one rep), top 20, the first page of a cell
select s.r, s.f, tier_in_force(s.computed_tier_id, s.override_tier_id, s.override_until) as tier,
       sum(s.customers)::bigint, sum(s.customers * s.m)::bigint, sum(s.monetary_minor)::bigint
from rfm_cell s where true group by 1, 2, 3 having sum(s.customers) <> 0 \g /dev/null
select s.r, s.f, tier_in_force(s.computed_tier_id, s.override_tier_id, s.override_until) as tier,
       sum(s.customers)::bigint, sum(s.customers * s.m)::bigint, sum(s.monetary_minor)::bigint
from rfm_cell s where true group by 1, 2, 3 having sum(s.customers) <> 0 \g /dev/null
select s.r, s.f, tier_in_force(s.computed_tier_id, s.override_tier_id, s.override_until) as tier,
       sum(s.customers)::bigint, sum(s.customers * s.m)::bigint, sum(s.monetary_minor)::bigint
from rfm_cell s where s.owner_id = any(array[(select min(id) from app_user)])
group by 1, 2, 3 having sum(s.customers) <> 0 \g /dev/null
select c.id, c.name, c.total_spend_minor, s.r, s.f, s.m, t.id
from customer c left join customer_score s on s.customer_id = c.id
left join tier t on t.id = tier_in_force(s.computed_tier_id, s.override_tier_id, s.override_until)
where c.deleted_at is null and c.total_spend_minor > 0
order by c.total_spend_minor desc, c.id desc limit 20 \g /dev/null
select c.id, c.name, s.r, s.f, s.m from customer_score s join customer c on c.id = s.customer_id
where c.deleted_at is null and s.r = 3 and s.f = 2 order by s.customer_id limit 51 \g /dev/null
\echo == writes: 9,900 scores changed in one statement (a recompute batch), three times each way
\echo -- with tier_count and rfm_cell kept
begin;
update customer_score set r = 1 + (r % 5), m = 1 + (m % 5) where customer_id between 100001 and 111000;
rollback;
begin;
update customer_score set r = 1 + (r % 5), m = 1 + (m % 5) where customer_id between 200001 and 211000;
rollback;
begin;
update customer_score set r = 1 + (r % 5), m = 1 + (m % 5) where customer_id between 300001 and 311000;
rollback;
\echo -- without rfm_cell (tier_count still kept)
alter table customer_score disable trigger rfm_cell_scores_updated;
begin;
update customer_score set r = 1 + (r % 5), m = 1 + (m % 5) where customer_id between 100001 and 111000;
rollback;
begin;
update customer_score set r = 1 + (r % 5), m = 1 + (m % 5) where customer_id between 200001 and 211000;
rollback;
begin;
update customer_score set r = 1 + (r % 5), m = 1 + (m % 5) where customer_id between 300001 and 311000;
rollback;
alter table customer_score enable trigger rfm_cell_scores_updated;
\echo -- one rescore (an order), with and without rfm_cell
begin;
update customer_score set r = 1 + (r % 5) where customer_id = 500001;
rollback;
begin;
update customer_score set r = 1 + (r % 5) where customer_id = 500002;
rollback;
alter table customer_score disable trigger rfm_cell_scores_updated;
begin;
update customer_score set r = 1 + (r % 5) where customer_id = 500001;
rollback;
begin;
update customer_score set r = 1 + (r % 5) where customer_id = 500002;
rollback;
alter table customer_score enable trigger rfm_cell_scores_updated;
