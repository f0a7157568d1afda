-- Open opportunities go to the recycle bin instead of being deleted (a duplicate, a deal typed
-- on the wrong customer), and come back from it as they were; won and lost ones stay, as part
-- of the results. The nightly purge removes them for good after the company's period.
alter table opportunity
    add column deleted_at timestamptz,
    add column deleted_by bigint references app_user (id);
create index opportunity_deleted_idx on opportunity (deleted_at desc, id desc)
    where deleted_at is not null;
