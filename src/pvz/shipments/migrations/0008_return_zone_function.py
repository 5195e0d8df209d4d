"""The return-zone scan as one PostgreSQL function (docs/adr/0006-scan-hot-path.md).

`pvz_return_zone_scan` does what `shipments.services.shipment_to_return_zone_as` does in Python: the
caller's access to the point (`point_for` with "operate"), finding the parcel by its code at the point
(`shipment_find`: barcode or posting number, the latest changed first), the point's return zone, the
replay check of the event key, the lock, "already" for a parcel awaiting dispatch, expiring a STORED
parcel past its deadline (the job's event and key), the transition into the return zone with its event
and webhook row. It defers to Python for a replayed key and for a point without a return zone (Python
creates the special places). Refusals come back as codes before anything is written.
tests/shipments/test_return_zone_equivalence.py compares it with the Python path.
"""

from django.db import migrations

from pvz.core.migration_sql import postgresql_only

FUNCTIONS = r"""
CREATE FUNCTION pvz_return_zone_scan(
    p_point bigint,
    p_actor bigint,
    p_platform boolean,
    p_operate_roles text[],
    p_grant_roles text[],
    p_code text,             -- the scan as normalised (not empty)
    p_key text,              -- the event's idempotency key
    p_now timestamptz,
    p_at text
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_point record;
    v_found bigint;
    v_zone bigint;
    v_zone_address text;
    sh record;
    v_from text;
    v_from_cell text;
    v_reason text;
    v_event bigint;
BEGIN
    SELECT p.id, p.is_active, p.timezone INTO v_point FROM network_pickuppoint p WHERE p.id = p_point;
    IF NOT FOUND OR NOT v_point.is_active OR NOT (p_platform OR EXISTS (
        SELECT 1 FROM accounts_membership m
        WHERE m.user_id = p_actor AND m.point_id = p_point AND m.is_active
    )) THEN
        RETURN jsonb_build_object('error', 'NOT_FOUND');
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM accounts_membership m
        WHERE m.user_id = p_actor AND m.point_id = p_point AND m.is_active
          AND (m.role = ANY (p_operate_roles) OR (m.role = ANY (p_grant_roles) AND EXISTS (
              SELECT 1 FROM staff_permissiongrant g WHERE g.membership_id = m.id AND g.perm = 'operate'
          )))
    ) THEN
        RETURN jsonb_build_object('error', 'PERMISSION_DENIED');
    END IF;
    SELECT s.id INTO v_found FROM shipments_shipment s
        WHERE s.point_id = p_point AND (s.barcode = lower(p_code) OR s.posting_number = p_code)
        ORDER BY s.updated_at DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'SHIPMENT_UNKNOWN');
    END IF;
    SELECT c.id, c.address INTO v_zone, v_zone_address FROM network_cell c
        WHERE c.point_id = p_point AND c.kind = 'return_zone' AND c.is_active ORDER BY c.id LIMIT 1;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('defer', 'no_zone');
    END IF;
    IF EXISTS (SELECT 1 FROM shipments_shipmentevent e WHERE e.idempotency_key = p_key) THEN
        RETURN jsonb_build_object('defer', 'replay');
    END IF;

    SELECT s.id, s.status, s.point_id, s.partner_id, s.order_id, s.cell_id, s.visit, s.barcode,
           s.posting_number, s.version, s.storage_deadline
        INTO sh FROM shipments_shipment s WHERE s.id = v_found FOR UPDATE;
    IF sh.status = 'AWAITING_DISPATCH' THEN
        RETURN jsonb_build_object(
            'outcome', 'already',
            'shipment', jsonb_build_object('id', sh.id, 'status', sh.status,
                'posting_number', sh.posting_number, 'version', sh.version, 'cell_id', sh.cell_id),
            'cell', (SELECT jsonb_build_object('id', c.id, 'address', c.address) FROM network_cell c
                     WHERE c.id = sh.cell_id));
    END IF;
    IF sh.status = 'STORED' THEN
        -- shipments.services._expire_on_scan: within the deadline (now <= deadline) it stays.
        IF sh.storage_deadline IS NULL OR p_now <= sh.storage_deadline THEN
            RETURN jsonb_build_object('error', 'STORAGE_NOT_EXPIRED',
                'storage_deadline', sh.storage_deadline, 'timezone', v_point.timezone);
        END IF;
        UPDATE shipments_shipment SET status = 'EXPIRED', version = version + 1,
                updated_at = clock_timestamp()
            WHERE id = sh.id;
        PERFORM pvz_transition_record(sh.id, sh.visit, NULL, sh.point_id, sh.partner_id, sh.order_id,
            sh.barcode, sh.posting_number, 'STORED', 'EXPIRED', 'storage_deadline_passed', sh.cell_id,
            'expire:' || sh.id || ':' || sh.visit, '{}'::jsonb, p_now, p_at);
        sh.status := 'EXPIRED';
        sh.version := sh.version + 1;
    END IF;
    v_from := sh.status;
    -- shipments.services.RETURN_ZONE_REASONS
    v_reason := CASE v_from
        WHEN 'EXPIRED' THEN 'expired_to_return_zone'
        WHEN 'CANCELLED' THEN 'cancelled_to_return_zone'
        WHEN 'REFUSED' THEN 'refused_to_return_zone'
        WHEN 'DAMAGED' THEN 'damaged_to_return_zone'
    END;
    IF v_reason IS NULL THEN
        RETURN jsonb_build_object('error', 'INVALID_TRANSITION', 'status', v_from);
    END IF;
    SELECT c.address INTO v_from_cell FROM network_cell c WHERE c.id = sh.cell_id;
    UPDATE shipments_shipment SET status = 'AWAITING_DISPATCH', cell_id = v_zone, version = version + 1,
            updated_at = clock_timestamp()
        WHERE id = sh.id;
    v_event := pvz_transition_record(sh.id, sh.visit, p_actor, sh.point_id, sh.partner_id, sh.order_id,
        sh.barcode, sh.posting_number, v_from, 'AWAITING_DISPATCH', v_reason, v_zone, p_key,
        jsonb_build_object('from_cell', v_from_cell), p_now, p_at);
    RETURN jsonb_build_object(
        'outcome', 'moved',
        'shipment', jsonb_build_object('id', sh.id, 'status', 'AWAITING_DISPATCH',
            'posting_number', sh.posting_number, 'version', sh.version + 1, 'cell_id', v_zone),
        'cell', jsonb_build_object('id', v_zone, 'address', v_zone_address),
        'from_status', v_from,
        'from_cell', v_from_cell,
        'event_id', v_event);
END
$$;
"""

REVERSE = """
DROP FUNCTION IF EXISTS pvz_return_zone_scan(bigint, bigint, boolean, text[], text[], text, text, timestamptz, text);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("shipments", "0007_transition_functions"),
        ("accounts", "0003_code_purposes"),
        ("staff", "0001_initial"),
    ]

    operations = [migrations.RunPython(postgresql_only(FUNCTIONS), postgresql_only(REVERSE))]
