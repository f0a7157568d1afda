-- The notification centre: what concerns a user (an assignment, a task falling due, a ticket
-- close to breaching or breached, a detractor to follow up, a mention), shown under the bell and,
-- by the user's preference, emailed one by one or in a daily digest.

create table notification (
    id bigint generated always as identity primary key,
    user_id bigint not null references app_user (id),
    kind text not null,
    -- The record it is about, which the notification opens.
    entity_type text not null,
    entity_id bigint not null,
    -- What the text needs (the record's name, who did it), rendered in the reader's language.
    data jsonb not null default '{}',
    -- One notification per user and event, however often the event is seen (sweeps run in every
    -- process, a retried write runs twice): e.g. `task_due:42:2026-12-05T09:00:00Z`.
    event_key text not null,
    actor_id bigint references app_user (id),
    created_at timestamptz not null default now(),
    read_at timestamptz,
    -- Email: null when none is due (in-app only, or off); 'queued', 'digest' (waits for the
    -- daily digest), 'sent' or 'failed'; the reason of a failure.
    email_status text,
    email_error text,
    emailed_at timestamptz,
    constraint notification_kind_check check (kind in (
        'lead_assigned', 'customer_assigned', 'opportunity_assigned', 'ticket_assigned',
        'task_assigned', 'task_due', 'ticket_breaching', 'ticket_breached', 'detractor_follow_up',
        'mention')),
    constraint notification_email_status_check
        check (email_status in ('queued', 'digest', 'sent', 'failed'))
);
create unique index notification_event_key on notification (user_id, event_key);
-- The bell: a user's newest first, and the unread count.
create index notification_user_idx on notification (user_id, id desc);
create index notification_unread_idx on notification (user_id) where read_at is null;
create index notification_digest_idx on notification (user_id, id) where email_status = 'digest';

-- Per user and kind: 'in_app' (the bell only), 'email' (the bell and an email) or 'off'.
-- No row: the kind's default (`notifications::model::NotificationKind::default_channel`).
create table notification_preference (
    user_id bigint not null references app_user (id),
    kind text not null,
    channel text not null,
    primary key (user_id, kind),
    constraint notification_preference_channel_check check (channel in ('in_app', 'email', 'off'))
);

-- Emails gathered into one a day instead of one per notification.
alter table app_user add column notification_digest boolean not null default false;

-- A ticket is "close to breaching" once this share of the time to its next deadline is used.
alter table company_settings add column sla_warning_percent integer not null default 80
    constraint company_settings_sla_warning_check check (sla_warning_percent between 10 and 99);

-- The sweep notifies each ticket once per deadline: it remembers which deadline it warned about.
alter table ticket add column warned_due_at timestamptz;

-- Breaches are notified once, by whichever process's sweep sees them first; those recorded
-- before notifications existed are not announced now.
alter table sla_breach add column notified_at timestamptz;
update sla_breach set notified_at = now();
create index sla_breach_unnotified_idx on sla_breach (id) where notified_at is null;
