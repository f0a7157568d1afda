-- Undoing a merge puts back only what no one changed since: the survivor as the merge left it.
alter table customer_merge add column survivor_after jsonb;

-- After an admin's password reset the user chooses their own before doing anything else.
alter table app_user add column must_change_password boolean not null default false;
