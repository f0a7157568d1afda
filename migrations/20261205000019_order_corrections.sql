-- Orders can be corrected, cancelled and refunded. An order is never deleted by a person: what
-- it was, what changed and why stay readable. Only a placed order counts towards a customer's
-- aggregates, scores and points, with what was refunded taken off its total; a cancelled or
-- fully refunded order no longer counts at all.
alter table sales_order
    add column status text not null default 'placed',
    add column refunded_minor bigint not null default 0,
    add column cancel_reason text,
    add column cancelled_at timestamptz,
    add column version integer not null default 1,
    add column updated_at timestamptz,
    add constraint sales_order_status_check check (status in ('placed', 'cancelled', 'refunded')),
    add constraint sales_order_refunded_check check (refunded_minor between 0 and total_minor),
    add constraint sales_order_cancel_reason_check check (
        (status = 'cancelled') = (cancel_reason is not null and btrim(cancel_reason) <> ''));

-- Each refund as it was given: amount, reason, when and by whom.
create table order_refund (
    id bigint generated always as identity primary key,
    order_id bigint not null references sales_order (id) on delete cascade,
    amount_minor bigint not null,
    reason text not null,
    refunded_at timestamptz not null default now(),
    created_by bigint references app_user (id),
    constraint order_refund_amount_check check (amount_minor > 0),
    constraint order_refund_reason_check check (btrim(reason) <> '')
);
create index order_refund_order_idx on order_refund (order_id, id);

-- An order earns once, but a correction, cancellation or refund adjusts what it earned with
-- further entries naming the same order.
alter table points_entry drop constraint points_entry_order_key;
create unique index points_entry_order_earn_key on points_entry (order_id) where kind = 'earn';
create index points_entry_order_idx on points_entry (order_id) where order_id is not null;
