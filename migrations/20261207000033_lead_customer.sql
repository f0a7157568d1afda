-- The funnel gives each order of a converted customer to the latest lead that customer
-- converted from before it: finding a customer's converted leads must not scan every lead.
create index lead_customer_idx on lead (customer_id) where customer_id is not null;
