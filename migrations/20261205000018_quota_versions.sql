-- Quotas are edited on a page of their own: two managers editing the same cell must not
-- silently overwrite each other, so each quota carries the version its editor read.
alter table quota add column version integer not null default 1;
