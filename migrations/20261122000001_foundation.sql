-- Foundation: teams, users, role data scopes, sign-in sessions and throttling, the audit log,
-- the job queue. Roles and scopes are text with check constraints rather than enum types so that
-- adding a value later is a plain constraint change.

create extension if not exists pg_trgm;

create table team (
    id bigint generated always as identity primary key,
    name text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    constraint team_name_key unique (name),
    constraint team_name_not_blank check (btrim(name) <> '')
);

create table app_user (
    id bigint generated always as identity primary key,
    email text not null,
    display_name text not null,
    password_hash text not null,
    role text not null,
    team_id bigint references team (id),
    locale text not null default 'zh-CN',
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    constraint app_user_role_check check (role in ('admin', 'manager', 'member')),
    constraint app_user_locale_check check (locale in ('zh-CN', 'en')),
    constraint app_user_email_lowercase check (email = lower(btrim(email)))
);
create unique index app_user_email_key on app_user (email);
create index app_user_team_idx on app_user (team_id) where team_id is not null;

-- Which records of other people each role sees. One row per role, always present.
create table role_data_scope (
    role text primary key,
    scope text not null,
    updated_at timestamptz not null default now(),
    updated_by bigint references app_user (id),
    constraint role_data_scope_role_check check (role in ('admin', 'manager', 'member')),
    constraint role_data_scope_scope_check check (scope in ('own', 'team', 'all'))
);
insert into role_data_scope (role, scope) values
    ('admin', 'all'),
    ('manager', 'team'),
    ('member', 'own');

-- A signed-in browser. tower-sessions keeps the cookie's session data; this row is what the
-- session points at, so a user can list and end their sessions and a password change can end
-- all others. `expires_at` is the absolute limit; idle expiry is the cookie session's.
create table user_session (
    id uuid primary key,
    user_id bigint not null references app_user (id) on delete cascade,
    created_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    expires_at timestamptz not null,
    user_agent text,
    client_ip inet
);
create index user_session_user_idx on user_session (user_id, created_at desc);
create index user_session_expires_idx on user_session (expires_at);

-- Failed sign-ins, counted per account and per client address over a sliding window.
create table login_failure (
    id bigint generated always as identity primary key,
    email text not null,
    client_ip inet,
    failed_at timestamptz not null default now()
);
create index login_failure_email_idx on login_failure (email, failed_at);
create index login_failure_ip_idx on login_failure (client_ip, failed_at) where client_ip is not null;

-- Who changed what, when, with the record before and after. Written in the same transaction as
-- the change it describes.
create table audit_log (
    id bigint generated always as identity primary key,
    at timestamptz not null default now(),
    actor_id bigint references app_user (id),
    action text not null,
    entity_type text not null,
    entity_id text not null,
    before jsonb,
    after jsonb,
    client_ip inet
);
create index audit_log_entity_idx on audit_log (entity_type, entity_id, id desc);
create index audit_log_actor_idx on audit_log (actor_id, id desc);
create index audit_log_action_idx on audit_log (action, id desc);

-- Background work shared by every server process. Workers claim with FOR UPDATE SKIP LOCKED and
-- hold a lease (`locked_until`); a job whose lease ran out (its worker died) is claimed again and
-- resumes from `checkpoint`.
create table job (
    id bigint generated always as identity primary key,
    kind text not null,
    payload jsonb not null default '{}',
    status text not null default 'queued',
    attempts integer not null default 0,
    max_attempts integer not null default 5,
    run_at timestamptz not null default now(),
    locked_by text,
    locked_until timestamptz,
    progress_done bigint not null default 0,
    progress_total bigint,
    checkpoint jsonb,
    last_error text,
    dedupe_key text,
    created_by bigint references app_user (id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    finished_at timestamptz,
    constraint job_status_check
        check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled'))
);
create index job_claim_idx on job (run_at, id) where status in ('queued', 'running');
create index job_recent_idx on job (id desc);
-- At most one unfinished job per dedupe key (scheduled maintenance from several processes).
create unique index job_dedupe_key on job (kind, dedupe_key)
    where dedupe_key is not null and status in ('queued', 'running');
