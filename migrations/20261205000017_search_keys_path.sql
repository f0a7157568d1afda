-- `search_keys_of` computes generated columns, so it also runs while a backup is restored, when
-- pg_restore empties the search path: it then finds `gram_key` only through a path of its own,
-- the one it was created under.
alter function search_keys_of(text) set search_path from current;
