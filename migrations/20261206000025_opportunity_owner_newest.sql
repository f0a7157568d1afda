-- The global search reads a member's newest opportunities first for a short or common fragment:
-- in id order, from their own rows, without visiting the rows of the others.
create index opportunity_owner_newest_idx on opportunity (owner_id, id desc) where deleted_at is null;
