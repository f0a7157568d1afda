-- The win/loss report and the deals behind it read the opportunities closed in a range of days,
-- latest first: a range scan here rather than every opportunity.
create index opportunity_closed_idx on opportunity (closed_at, id)
    where closed_at is not null and deleted_at is null;
