-- The tier a customer is in: their override while it lasts (through the last day it names, in
-- the company's time zone), else the tier their scores earned. The customer list's filter, the
-- distribution page, the dashboard's tier tile and the value report each spelled this rule out;
-- now they call it. A `stable` SQL function whose body is one expression is inlined by the
-- planner into the query that calls it, so it costs no call of its own per row (the company's
-- zone is read only for rows with an override, as in the spelled-out expression).
create function tier_in_force(computed_tier_id bigint, override_tier_id bigint,
                              override_until date)
    returns bigint
    language sql stable parallel safe
    return case
        when override_tier_id is not null
             and (override_until is null
                  or override_until >= (now() at time zone company_time_zone())::date)
        then override_tier_id
        else computed_tier_id
    end;
