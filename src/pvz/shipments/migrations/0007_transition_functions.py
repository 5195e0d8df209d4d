"""Helpers of the one-call scans on PostgreSQL (docs/adr/0006-scan-hot-path.md): what a shipment
transition writes besides the row, in SQL, for `pvz_acceptance_scan` (inbound 0006), `pvz_shipment_place`
(inbound 0007) and `pvz_return_zone_scan` (shipments 0008). Each mirrors one piece of Python, named in
its comment; the equivalence tests compare the whole paths.
"""

from django.db import migrations

from pvz.core.migration_sql import postgresql_only

FUNCTIONS = r"""
-- shipments.storage.storage_deadline with shipments.storage.storage_days: the end (23:59:59.999999, local)
-- of the Nth local day after the day of `p_now`, N the partner's period at the point.
CREATE FUNCTION pvz_storage_deadline(p_partner bigint, p_point bigint, p_now timestamptz)
RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_days integer;
    v_deadline timestamptz;
BEGIN
    SELECT coalesce(nullif(pp.storage_days, 0), pa.storage_days) INTO v_days
        FROM network_partner pa
        LEFT JOIN network_partnerpoint pp ON pp.partner_id = pa.id AND pp.point_id = p_point
        WHERE pa.id = p_partner;
    IF v_days < 1 THEN
        RAISE EXCEPTION 'storage period must be at least one day';
    END IF;
    SELECT (((p_now AT TIME ZONE p.timezone)::date + v_days) + time '23:59:59.999999') AT TIME ZONE p.timezone
        INTO v_deadline
        FROM network_pickuppoint p WHERE p.id = p_point;
    RETURN v_deadline;
END
$$;

-- shipments.services._record's event and webhooks.services.outbox_shipment_event's row, for a transition;
-- the event's id.
CREATE FUNCTION pvz_transition_record(
    p_shipment bigint, p_visit integer, p_actor bigint, p_point bigint, p_partner bigint, p_order bigint,
    p_barcode text, p_posting_number text, p_from text, p_to text, p_reason text, p_cell bigint, p_key text,
    p_details jsonb, p_now timestamptz, p_at text
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_event bigint;
BEGIN
    INSERT INTO shipments_shipmentevent (kind, shipment_id, visit, actor_id, point_id, from_status, to_status,
            reason, cell_id, idempotency_key, details, at)
        VALUES ('transition', p_shipment, p_visit, p_actor, p_point, p_from, p_to, p_reason, p_cell, p_key,
            p_details, p_now)
        RETURNING id INTO v_event;
    INSERT INTO webhooks_outboxevent (event_id, partner_id, type, ordering_key, payload, lookups, created_at)
        VALUES ('evt_' || replace(gen_random_uuid()::text, '-', ''), p_partner, 'shipment.status_changed',
            'shipment:' || p_shipment,
            jsonb_build_object(
                'shipment', jsonb_build_object('barcode', p_barcode, 'posting_number', p_posting_number),
                'from_status', p_from, 'to_status', p_to, 'reason', p_reason, 'visit', p_visit, 'at', p_at),
            jsonb_build_object('order_id', p_order, 'point_id', p_point), p_now);
    RETURN v_event;
END
$$;

-- What the "ready for pickup" SMS of a parcel's visit says, or NULL when the visit has one already.
CREATE FUNCTION pvz_ready_message(p_shipment bigint, p_visit integer, p_order bigint, p_point bigint,
    p_partner bigint, p_now timestamptz, p_deadline timestamptz)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    -- PL/pgSQL: its plan is kept for the connection (see pvz_cell_candidate, inbound 0006).
    RETURN (SELECT CASE WHEN EXISTS (SELECT 1 FROM notifications_notification n
                             WHERE n.dedup_key = 'shipment_ready:' || p_shipment || ':' || p_visit) THEN NULL
    ELSE (
        SELECT jsonb_build_object(
            'customer', jsonb_build_object('id', cu.id, 'phone', cu.phone, 'email', cu.email,
                'pickup_number', cu.pickup_number, 'name', cu.name),
            'order_number', o.number,
            'point', jsonb_build_object('name', p.name, 'address', p.address, 'timezone', p.timezone,
                'code', p.code),
            'partner', jsonb_build_object('name', pa.name, 'code', pa.code),
            'stored_at', p_now,
            'storage_deadline', p_deadline)
        FROM shipments_order o
        JOIN shipments_customer cu ON cu.id = o.customer_id
        JOIN network_pickuppoint p ON p.id = p_point
        JOIN network_partner pa ON pa.id = p_partner
        WHERE o.id = p_order) END);
END
$$;
"""

REVERSE = """
DROP FUNCTION IF EXISTS pvz_ready_message(bigint, integer, bigint, bigint, bigint, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS pvz_transition_record(
    bigint, integer, bigint, bigint, bigint, bigint, text, text, text, text, text, bigint, text, jsonb,
    timestamptz, text);
DROP FUNCTION IF EXISTS pvz_storage_deadline(bigint, bigint, timestamptz);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("shipments", "0006_counters"),
        ("webhooks", "0002_endpoint_previous_secret_due_index"),
        ("notifications", "0004_staff_notifications"),
        ("network", "0004_cell_held"),
    ]

    operations = [migrations.RunPython(postgresql_only(FUNCTIONS), postgresql_only(REVERSE))]
