-- Automation and care rules: when something happens to a customer (it turns silent, moves tier,
-- answers a survey as a detractor, a birthday comes near...), if it matches the rule's conditions, then act (a task for its owner, an email
-- in its language). Each act is logged once per rule, customer and occurrence, which is what
-- makes a rule idempotent however many processes evaluate it.

-- A customer who asked not to be contacted: no rule, care greeting or campaign reaches them.
alter table customer add column do_not_contact boolean not null default false;

create table automation_rule (
    id bigint generated always as identity primary key,
    name text not null,
    -- When: see the check below.
    trigger_kind text not null,
    -- Days ahead of a birthday or anniversary the rule acts (0: on the day); for 'no_contact',
    -- the days without an interaction after which the owner calls again.
    days integer not null default 0,
    -- For 'order_above': an order of at least this much.
    min_amount_minor bigint,
    -- If: every condition set narrows the customers acted on (tiers are retired, not deleted;
    -- a segment a rule names cannot be deleted).
    tier_id bigint references tier (id),
    stage text,
    segment_id bigint references segment (id),
    -- Then: 'task' (for the customer's owner) or 'email' (to the customer, in its language).
    action_kind text not null,
    -- Task title, with merge fields ({name}, ...); due this many days after the occurrence.
    task_title text not null default '',
    task_due_days integer not null default 0,
    email_subject_zh text not null default '',
    email_body_zh text not null default '',
    email_subject_en text not null default '',
    email_body_en text not null default '',
    active boolean not null default false,
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    constraint automation_rule_name_key unique (name),
    constraint automation_rule_name_not_blank check (btrim(name) <> ''),
    constraint automation_rule_trigger_check
        check (trigger_kind in ('turned_silent', 'turned_former', 'tier_up', 'tier_down',
                                'detractor', 'order_above', 'no_contact', 'birthday', 'anniversary')),
    constraint automation_rule_days_check check (days between 0 and 365),
    constraint automation_rule_amount_check
        check (trigger_kind <> 'order_above' or min_amount_minor > 0),
    constraint automation_rule_due_check check (task_due_days between 0 and 60),
    constraint automation_rule_stage_check
        check (stage is null or stage in ('potential', 'new', 'repeat', 'loyal')),
    constraint automation_rule_action_check check (action_kind in ('task', 'email')),
    constraint automation_rule_task_check
        check (action_kind <> 'task' or btrim(task_title) <> ''),
    constraint automation_rule_email_check
        check (action_kind <> 'email' or (btrim(email_subject_zh) <> '' and btrim(email_body_zh) <> ''
                                         and btrim(email_subject_en) <> '' and btrim(email_body_en) <> ''))
);

-- One row per rule, customer and occurrence (the day the customer turned silent, moved tier,
-- answered or ordered; the birthday acted on): the unique key is the idempotence.
create table automation_run (
    id bigint generated always as identity primary key,
    rule_id bigint not null references automation_rule (id) on delete cascade,
    customer_id bigint not null references customer (id),
    occurrence date not null,
    -- 'task_created', 'email_queued', 'email_sent', 'email_failed', 'skipped_do_not_contact',
    -- 'skipped_no_email'.
    outcome text not null,
    task_id bigint references task (id) on delete set null,
    detail text,
    acted_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint automation_run_once unique (rule_id, customer_id, occurrence),
    constraint automation_run_outcome_check check (outcome in (
        'task_created', 'email_queued', 'email_sent', 'email_failed', 'skipped_do_not_contact',
        'skipped_no_email'))
);
create index automation_run_rule_idx on automation_run (rule_id, id);
create index automation_run_customer_idx on automation_run (customer_id, id);

-- Birthdays and anniversaries by day of the year (month * 100 + day), so that the few
-- customers whose day is near are found through an index, not by reading every customer.
create index customer_birthday_day_idx
    on customer ((extract(month from birthday)::int * 100 + extract(day from birthday)::int))
    where deleted_at is null and birthday is not null;
create index customer_anniversary_day_idx
    on customer ((extract(month from anniversary)::int * 100 + extract(day from anniversary)::int))
    where deleted_at is null and anniversary is not null;
-- Detractor answers of the last days, for the rules that act on them.
create index survey_answer_created_idx on survey_answer (created_at);
