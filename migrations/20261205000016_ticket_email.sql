-- Email both ways on tickets: a reply is emailed to the customer, threaded by Message-ID; the
-- customer's emails, read from the desk's mailbox over IMAP, continue or open tickets.

-- The Message-ID a message travelled under (ours for a reply, the sender's for an email in),
-- so a later email's In-Reply-To / References find its ticket, and a message read twice is
-- stored once.
alter table ticket_message add column email_message_id text;
create unique index ticket_message_email_key on ticket_message (email_message_id)
    where email_message_id is not null;
-- A reply's delivery: 'queued', 'sent' or 'failed' (with the reason), none when the customer
-- has no address.
alter table ticket_message add column email_status text
    constraint ticket_message_email_status_check check (email_status in ('queued', 'sent', 'failed'));
alter table ticket_message add column email_error text;
-- Who an email in came from.
alter table ticket_message add column email_from text;

-- Files attached to an email in, kept with its message.
create table ticket_attachment (
    id bigint generated always as identity primary key,
    message_id bigint not null references ticket_message (id),
    file_name text not null,
    content_type text not null,
    size_bytes integer not null,
    content bytea not null,
    created_at timestamptz not null default now()
);
create index ticket_attachment_message_idx on ticket_attachment (message_id);

-- The desk's mailbox: where the poll got to and how it went, for the health line.
create table mailbox_state (
    id boolean primary key default true constraint mailbox_state_single check (id),
    uid_validity bigint,
    last_uid bigint not null default 0,
    last_poll_at timestamptz,
    last_success_at timestamptz,
    fetched bigint not null default 0,
    imported bigint not null default 0,
    last_error text,
    last_error_at timestamptz
);
insert into mailbox_state default values;

-- Emails from addresses that are no customer's wait here for an agent to triage them.
create table inbound_email (
    id bigint generated always as identity primary key,
    message_id text not null,
    from_address text not null,
    from_name text,
    subject text not null,
    body text not null,
    received_at timestamptz not null default now(),
    -- Set when an agent opened a ticket from it (or dismissed it).
    ticket_id bigint references ticket (id),
    handled_at timestamptz,
    handled_by bigint references app_user (id),
    constraint inbound_email_message_key unique (message_id)
);
create index inbound_email_open_idx on inbound_email (id) where handled_at is null;
