-- Service: tickets in queues with SLA clocks over business hours, and satisfaction surveys
-- (CSAT / NPS) sent by email whose detractor answers open follow-up tickets.

-- The language a customer reads: survey emails and answer pages use it.
alter table customer add column locale text not null default 'zh-CN'
    constraint customer_locale_check check (locale in ('zh-CN', 'en'));

-- When the service desk works. One row: SLA clocks that respect business hours only run inside
-- these hours, in the desk's own UTC offset (China keeps no daylight saving time).
create table service_calendar (
    id integer primary key default 1 constraint service_calendar_single check (id = 1),
    utc_offset_minutes integer not null default 480
        constraint service_calendar_offset_check check (utc_offset_minutes between -720 and 840),
    -- ISO weekdays, 1 = Monday.
    work_days integer[] not null default '{1,2,3,4,5}',
    day_start_minute integer not null default 540,
    day_end_minute integer not null default 1080,
    version integer not null default 1,
    updated_at timestamptz not null default now(),
    constraint service_calendar_hours_check
        check (day_start_minute >= 0 and day_start_minute < day_end_minute and day_end_minute <= 1440),
    constraint service_calendar_days_check
        check (cardinality(work_days) > 0 and work_days <@ '{1,2,3,4,5,6,7}')
);
insert into service_calendar default values;

create table service_holiday (
    day date primary key,
    name text not null
);

-- Targets per priority; a row for a tier overrides the general row (tier_id null) for that
-- tier's customers, so the top tier can get VIP service.
create table sla_policy (
    id bigint generated always as identity primary key,
    priority text not null,
    tier_id bigint references tier (id),
    first_response_minutes integer not null,
    resolution_minutes integer not null,
    business_hours boolean not null default true,
    updated_at timestamptz not null default now(),
    constraint sla_policy_priority_check check (priority in ('low', 'normal', 'high', 'urgent')),
    constraint sla_policy_minutes_check
        check (first_response_minutes > 0 and resolution_minutes >= first_response_minutes)
);
create unique index sla_policy_key on sla_policy (priority, coalesce(tier_id, 0));

insert into sla_policy (priority, tier_id, first_response_minutes, resolution_minutes, business_hours)
select p.priority, null, p.first_response, p.resolution, p.business_hours
from (values
    ('low', 480, 2400, true),
    ('normal', 240, 1440, true),
    ('high', 60, 480, true),
    ('urgent', 30, 240, false)
) as p(priority, first_response, resolution, business_hours);

-- The top tier (position 1 of the default tiers) gets tighter targets.
insert into sla_policy (priority, tier_id, first_response_minutes, resolution_minutes, business_hours)
select p.priority, t.id, p.first_response, p.resolution, p.business_hours
from tier t, (values
    ('low', 120, 960, true),
    ('normal', 60, 480, true),
    ('high', 30, 240, true),
    ('urgent', 15, 120, false)
) as p(priority, first_response, resolution, business_hours)
where t.position = 1 and t.active;

create table ticket (
    id bigint generated always as identity primary key,
    customer_id bigint not null references customer (id),
    contact_id bigint references contact (id),
    channel text not null,
    category text not null,
    priority text not null,
    status text not null default 'new',
    assignee_id bigint references app_user (id),
    team_id bigint references team (id),
    subject text not null,
    -- The tier and policy in force when the ticket was opened: the SLA a ticket got stays
    -- explainable after the customer's tier changes.
    tier_id bigint references tier (id),
    sla_policy_id bigint references sla_policy (id),
    first_response_due timestamptz not null,
    resolution_due timestamptz not null,
    first_responded_at timestamptz,
    resolved_at timestamptz,
    closed_at timestamptz,
    -- While waiting on the customer the resolution clock stops; the pause is added on resume.
    paused_at timestamptz,
    reopen_count integer not null default 0,
    first_response_breached boolean not null default false,
    resolution_breached boolean not null default false,
    -- The survey answer this ticket follows up (a detractor's), if any.
    survey_answer_id bigint,
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    -- The deadline the queues sort by: the first response until there is one, then the
    -- resolution; none while paused or once resolved.
    sla_due_at timestamptz generated always as (
        case
            when status in ('resolved', 'closed') or paused_at is not null then null
            when first_responded_at is null then least(first_response_due, resolution_due)
            else resolution_due
        end
    ) stored,
    constraint ticket_subject_not_blank check (btrim(subject) <> ''),
    constraint ticket_channel_check
        check (channel in ('phone', 'email', 'web_form', 'wechat', 'walk_in', 'survey')),
    constraint ticket_category_check
        check (category in ('question', 'fault', 'complaint', 'suggestion')),
    constraint ticket_priority_check check (priority in ('low', 'normal', 'high', 'urgent')),
    constraint ticket_status_check
        check (status in ('new', 'open', 'waiting', 'resolved', 'closed', 'reopened'))
);
-- One index per queue, each in the queue's own order (deadline, then id for the keyset).
create index ticket_due_idx on ticket (sla_due_at, id) where sla_due_at is not null;
create index ticket_assignee_due_idx on ticket (assignee_id, sla_due_at, id) where sla_due_at is not null;
create index ticket_unassigned_due_idx on ticket (sla_due_at, id)
    where sla_due_at is not null and assignee_id is null;
create index ticket_team_due_idx on ticket (team_id, sla_due_at, id) where sla_due_at is not null;
create index ticket_waiting_idx on ticket (assignee_id, paused_at, id) where paused_at is not null;
create index ticket_customer_idx on ticket (customer_id, created_at desc, id desc);
create index ticket_created_idx on ticket (created_at, id);
-- The breach sweep looks only at running clocks past their deadline.
create index ticket_open_first_response_idx on ticket (first_response_due)
    where first_responded_at is null and not first_response_breached and sla_due_at is not null;
create index ticket_open_resolution_idx on ticket (resolution_due)
    where not resolution_breached and sla_due_at is not null;

-- The conversation: public replies (to the customer), internal notes, and the customer's words.
create table ticket_message (
    id bigint generated always as identity primary key,
    ticket_id bigint not null references ticket (id),
    kind text not null,
    author_id bigint references app_user (id),
    body text not null,
    created_at timestamptz not null default now(),
    constraint ticket_message_kind_check check (kind in ('reply', 'note', 'customer')),
    constraint ticket_message_body_not_blank check (btrim(body) <> '')
);
create index ticket_message_ticket_idx on ticket_message (ticket_id, id);

create table sla_breach (
    id bigint generated always as identity primary key,
    ticket_id bigint not null references ticket (id),
    kind text not null,
    due_at timestamptz not null,
    recorded_at timestamptz not null default now(),
    constraint sla_breach_kind_check check (kind in ('first_response', 'resolution'))
);
create unique index sla_breach_key on sla_breach (ticket_id, kind, due_at);

create table survey (
    id bigint generated always as identity primary key,
    name_zh text not null,
    name_en text not null,
    intro_zh text not null default '',
    intro_en text not null default '',
    -- Sent by itself to the customer of every resolved ticket.
    send_on_ticket_resolved boolean not null default false,
    link_valid_days integer not null default 14
        constraint survey_link_days_check check (link_valid_days between 1 and 365),
    active boolean not null default true,
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1
);
create unique index survey_on_resolve_key on survey (send_on_ticket_resolved)
    where send_on_ticket_resolved and active;

create table survey_question (
    id bigint generated always as identity primary key,
    survey_id bigint not null references survey (id),
    position integer not null,
    kind text not null,
    text_zh text not null,
    text_en text not null,
    -- Choices of single and multiple questions: [{"zh": .., "en": ..}].
    options jsonb not null default '[]',
    required boolean not null default true,
    constraint survey_question_kind_check
        check (kind in ('csat', 'nps', 'single', 'multiple', 'text'))
);
create unique index survey_question_position_key on survey_question (survey_id, position);

-- One sending: to a customer, a segment, or the customer of a resolved ticket.
create table survey_send (
    id bigint generated always as identity primary key,
    survey_id bigint not null references survey (id),
    target text not null,
    segment_id bigint references segment (id),
    ticket_id bigint references ticket (id),
    recipients integer not null default 0,
    skipped_without_email integer not null default 0,
    job_id bigint,
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    constraint survey_send_target_check check (target in ('customer', 'segment', 'ticket'))
);
create index survey_send_survey_idx on survey_send (survey_id, id desc);

-- A recipient's single-use link: only a hash of the token is kept, the token itself exists
-- only in the email.
create table survey_recipient (
    id bigint generated always as identity primary key,
    send_id bigint not null references survey_send (id),
    survey_id bigint not null references survey (id),
    customer_id bigint not null references customer (id),
    ticket_id bigint references ticket (id),
    email text not null,
    locale text not null,
    token_hash bytea,
    expires_at timestamptz,
    status text not null default 'queued',
    attempts integer not null default 0,
    last_error text,
    sent_at timestamptz,
    answered_at timestamptz,
    created_at timestamptz not null default now(),
    constraint survey_recipient_status_check
        check (status in ('queued', 'sent', 'failed', 'answered'))
);
create unique index survey_recipient_token_key on survey_recipient (token_hash);
create index survey_recipient_send_idx on survey_recipient (send_id, status, id);
create index survey_recipient_survey_idx on survey_recipient (survey_id, status);
-- A resolved ticket is surveyed once, however often it is resolved again.
create unique index survey_recipient_ticket_key on survey_recipient (survey_id, ticket_id)
    where ticket_id is not null;

create table survey_answer (
    id bigint generated always as identity primary key,
    recipient_id bigint not null unique references survey_recipient (id),
    survey_id bigint not null references survey (id),
    customer_id bigint not null references customer (id),
    ticket_id bigint references ticket (id),
    -- Who served the customer, and their tier, at answer time: the results by agent and tier.
    agent_id bigint references app_user (id),
    tier_id bigint references tier (id),
    -- The survey's first CSAT and NPS answers, kept apart for the results.
    csat integer constraint survey_answer_csat_check check (csat between 1 and 5),
    nps integer constraint survey_answer_nps_check check (nps between 0 and 10),
    answers jsonb not null,
    followup_ticket_id bigint references ticket (id),
    created_at timestamptz not null default now()
);
create index survey_answer_survey_idx on survey_answer (survey_id, created_at);
create index survey_answer_customer_idx on survey_answer (customer_id, created_at desc);

alter table ticket add constraint ticket_survey_answer_fk
    foreign key (survey_answer_id) references survey_answer (id);

-- Tasks can follow up a ticket.
alter table task add column ticket_id bigint references ticket (id);

-- A CSAT survey ready to send after each resolved ticket.
with s as (
    insert into survey (name_zh, name_en, intro_zh, intro_en, send_on_ticket_resolved)
    values ('服务满意度', 'Service satisfaction',
            '感谢您联系我们。请花一分钟告诉我们这次服务如何。',
            'Thank you for contacting us. Please take a minute to tell us how we did.', true)
    returning id
)
insert into survey_question (survey_id, position, kind, text_zh, text_en, required)
select s.id, q.position, q.kind, q.text_zh, q.text_en, q.required
from s, (values
    (1, 'csat', '您对这次服务满意吗？', 'How satisfied are you with the service you received?', true),
    (2, 'nps', '您有多大可能向朋友或同事推荐我们？', 'How likely are you to recommend us to a friend or colleague?', false),
    (3, 'text', '还有什么想告诉我们的吗？', 'Anything else you would like to tell us?', false)
) as q(position, kind, text_zh, text_en, required);
