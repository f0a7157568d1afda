-- An interaction logged by mistake (the wrong customer, a duplicate) goes to the recycle bin
-- instead of staying on the timeline for good, and comes back from it as it was; the nightly
-- purge removes it after the company's period.
alter table interaction
    add column deleted_at timestamptz,
    add column deleted_by bigint references app_user (id);
create index interaction_deleted_idx on interaction (deleted_at desc, id desc) where deleted_at is not null;
