-- Tasks go to the recycle bin instead of being deleted, and come back from it with their links
-- intact; a nightly job purges what has been there longer than the company keeps deleted records.
alter table task
    add column deleted_at timestamptz,
    add column deleted_by bigint references app_user (id);

drop index task_open_idx;
create index task_open_idx on task (assignee_id, due_at, id) where done_at is null and deleted_at is null;
-- The recycle bin, newest deletion first, and the purge by age.
create index task_deleted_idx on task (deleted_at desc, id desc) where deleted_at is not null;

alter table company_settings
    add column recycle_bin_days integer not null default 30,
    add constraint company_settings_recycle_bin_days_check check (recycle_bin_days between 1 and 3650);

-- A ticket's conversation records changes to the ticket itself (priority, category, customer,
-- assignee) beside replies and notes, as JSON the page shows in the reader's language.
alter table ticket_message drop constraint ticket_message_kind_check,
    add constraint ticket_message_kind_check check (kind in ('reply', 'note', 'customer', 'change'));
