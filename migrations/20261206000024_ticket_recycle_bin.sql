-- A ticket opened twice for one request, or by mistake, goes to the recycle bin instead of
-- staying in the queues, reports and the customer's 360 page; it comes back from it as it was,
-- and the nightly purge removes it (with its conversation) after the company's period.
alter table ticket
    add column deleted_at timestamptz,
    add column deleted_by bigint references app_user (id);
create index ticket_deleted_idx on ticket (deleted_at desc, id desc) where deleted_at is not null;
