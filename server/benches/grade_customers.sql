-- Grades the reports bench's customers, so the reports narrowed to a value tier read a spread
-- of tiers rather than one: the bulk loader leaves customers ungraded. Run on the loaded bench
-- database before `cargo bench -p server --bench reports` (which then reuses it):
--     psql -d guanxi_bench_1000000 -f server/benches/grade_customers.sql
-- 90% of customers graded: a tenth of them in the first tier, three tenths in the second, the
-- rest in the third; 1% with an override to the first tier, 1% with one that ended yesterday.
\timing on
alter table customer_score disable trigger user;
delete from customer_score;
insert into customer_score (customer_id, recency_days, frequency, monetary_minor, r, f, m,
                            computed_tier_id, override_tier_id, override_reason, override_until)
select c.id, (c.id % 400)::int, (c.id % 9)::int, (c.id % 997) * 1000, 1 + (c.id % 5),
       1 + ((c.id / 5) % 5), 1 + ((c.id / 25) % 5),
       case when c.id % 10 = 1 then t.first
            when c.id % 10 in (2, 3, 4) then t.second
            else t.third end,
       case when c.id % 100 in (7, 8) then t.first end,
       case when c.id % 100 in (7, 8) then '重点维护' end,
       case when c.id % 100 = 8 then (now() at time zone company_time_zone())::date - 1 end
from customer c
cross join (select min(id) filter (where position = 1) as first,
                   min(id) filter (where position = 2) as second,
                   min(id) filter (where position = 3) as third
            from tier) t
where c.id % 10 <> 0;
alter table customer_score enable trigger user;
select tier_count_rebuild();
select rfm_cell_rebuild();
select sales_tier_day_rebuild();
select cohort_tier_month_rebuild();
vacuum analyze customer_score, tier_count, rfm_cell, sales_tier_day, cohort_tier_month;
select (select count(*) from sales_day) as sales_day_rows,
       (select count(*) from sales_tier_day) as sales_tier_day_rows,
       (select count(*) from cohort_month) as cohort_month_rows,
       (select count(*) from cohort_tier_month) as cohort_tier_month_rows;
