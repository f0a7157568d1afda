-- The files an unknown sender emails wait with the email for triage, then move to the first
-- message of the ticket opened from it; a dismissed email takes them with it.
alter table ticket_attachment
    alter column message_id drop not null,
    add column inbound_email_id bigint references inbound_email (id),
    add constraint ticket_attachment_owner_check
        check ((message_id is null) <> (inbound_email_id is null));
create index ticket_attachment_inbound_idx on ticket_attachment (inbound_email_id)
    where inbound_email_id is not null;
