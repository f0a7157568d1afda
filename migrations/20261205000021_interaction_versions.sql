-- Interactions are corrected after the fact (a wrong contact, a typo in the outcome): each
-- carries the version its editor read, so two editors cannot overwrite each other.
alter table interaction
    add column version integer not null default 1,
    add column updated_at timestamptz;
