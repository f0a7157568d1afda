-- Leads go to the recycle bin instead of being deleted (spam, duplicates, tests), and come back
-- from it as they were; the nightly purge removes them for good after the company's period.
alter table lead
    add column deleted_at timestamptz,
    add column deleted_by bigint references app_user (id);
create index lead_deleted_idx on lead (deleted_at desc, id desc) where deleted_at is not null;
