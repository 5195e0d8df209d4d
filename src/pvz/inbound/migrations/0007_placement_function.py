"""Placing an accepted parcel (the API's `place`) as one PostgreSQL function, like the acceptance scan
(migration 0006, docs/adr/0006-scan-hot-path.md).

`pvz_shipment_place` does what `api.placement.shipment_place_post` and `inbound.placement.shipment_place`
do in Python: the caller's access to the parcel's point, the named cell (when given), the replay check of
the event key, the lock, the transition ACCEPTED → STORED into the given cell (with the checks of
`shipments.services._check_cell_fits`) or the suggested one (`pvz_cell_take`), the event with its webhook
row, and what the "ready" SMS says. A replayed key it leaves to Python. Refusals come back as codes before
anything is written. tests/inbound/test_place_equivalence.py compares it with the Python path.
"""

from django.db import migrations

from pvz.core.migration_sql import postgresql_only

FUNCTIONS = r"""
CREATE FUNCTION pvz_shipment_place(
    p_shipment bigint,
    p_actor bigint,
    p_platform boolean,
    p_operate_roles text[],
    p_grant_roles text[],
    p_cell_address text,       -- the cell scanned, as normalised; NULL: the suggested cell
    p_key text,                -- the event's idempotency key
    p_now timestamptz,
    p_at text,
    p_take_attempts integer
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    sh record;
    v_point_active boolean;
    v_cell bigint;
    v_cell_point bigint;
    v_cell_active boolean;
    v_cell_kind text;
    v_cell_size text;
    v_cell_capacity integer;
    v_cell_held integer;
    v_customer bigint;
    v_sizes text[];
    v_own bigint;
    v_deadline timestamptz;
    v_version integer;
    v_event bigint;
BEGIN
    SELECT s.point_id, p.is_active INTO sh FROM shipments_shipment s
        JOIN network_pickuppoint p ON p.id = s.point_id WHERE s.id = p_shipment;
    IF NOT FOUND OR NOT sh.is_active OR NOT (p_platform OR EXISTS (
        SELECT 1 FROM accounts_membership m
        WHERE m.user_id = p_actor AND m.point_id = sh.point_id AND m.is_active
    )) THEN
        RETURN jsonb_build_object('error', 'NOT_FOUND');
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM accounts_membership m
        WHERE m.user_id = p_actor AND m.point_id = sh.point_id AND m.is_active
          AND (m.role = ANY (p_operate_roles) OR (m.role = ANY (p_grant_roles) AND EXISTS (
              SELECT 1 FROM staff_permissiongrant g WHERE g.membership_id = m.id AND g.perm = 'operate'
          )))
    ) THEN
        RETURN jsonb_build_object('error', 'PERMISSION_DENIED', 'point_id', sh.point_id);
    END IF;
    IF p_cell_address IS NOT NULL THEN
        SELECT c.id INTO v_cell FROM network_cell c
            WHERE c.point_id = sh.point_id AND c.address = p_cell_address;
        IF NOT FOUND THEN
            RETURN jsonb_build_object('error', 'CELL_UNKNOWN');
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM shipments_shipmentevent e WHERE e.idempotency_key = p_key) THEN
        RETURN jsonb_build_object('defer', 'replay');
    END IF;

    SELECT s.id, s.status, s.point_id, s.partner_id, s.order_id, s.cell_id, s.visit, s.size_class, s.barcode,
           s.posting_number, s.version
        INTO sh FROM shipments_shipment s WHERE s.id = p_shipment FOR UPDATE;
    IF sh.status <> 'ACCEPTED' THEN
        RETURN jsonb_build_object('error', 'INVALID_TRANSITION', 'from', sh.status);
    END IF;
    -- The parcel counts in its own cell, if it has one (an ACCEPTED parcel taken off a shelf again).
    v_own := sh.cell_id;
    IF v_cell IS NOT NULL THEN
        -- shipments.services._place_checked: the cell locked, then _check_cell_fits.
        SELECT c.point_id, c.is_active, c.kind, c.size_class, c.capacity, c.held
            INTO v_cell_point, v_cell_active, v_cell_kind, v_cell_size, v_cell_capacity, v_cell_held
            FROM network_cell c WHERE c.id = v_cell FOR UPDATE;
        IF v_cell_point <> sh.point_id OR NOT v_cell_active THEN
            RETURN jsonb_build_object('error', 'CELL_NOT_HERE');
        END IF;
        IF v_cell_kind <> 'regular' THEN
            RETURN jsonb_build_object('error', 'CELL_SPECIAL');
        END IF;
        IF array_position(ARRAY['S', 'M', 'L', 'XL'], sh.size_class::text)
                > array_position(ARRAY['S', 'M', 'L', 'XL'], v_cell_size::text) THEN
            RETURN jsonb_build_object('error', 'CELL_TOO_SMALL', 'size_class', sh.size_class);
        END IF;
        IF v_cell_held - (CASE WHEN v_cell = v_own THEN 1 ELSE 0 END) >= v_cell_capacity THEN
            RETURN jsonb_build_object('error', 'CELL_FULL', 'capacity', v_cell_capacity);
        END IF;
    ELSE
        v_sizes := (ARRAY['S', 'M', 'L', 'XL'])[array_position(ARRAY['S', 'M', 'L', 'XL'], sh.size_class::text):];
        SELECT o.customer_id INTO v_customer FROM shipments_order o WHERE o.id = sh.order_id;
        v_cell := pvz_cell_take(sh.point_id, v_sizes, v_customer, v_own, p_take_attempts);
        IF v_cell IS NULL THEN
            RETURN jsonb_build_object('error', 'NO_FREE_CELL', 'size_class', sh.size_class);
        END IF;
    END IF;

    v_deadline := pvz_storage_deadline(sh.partner_id, sh.point_id, p_now);
    UPDATE shipments_shipment SET status = 'STORED', cell_id = v_cell, stored_at = p_now,
            storage_deadline = v_deadline, version = version + 1, updated_at = clock_timestamp()
        WHERE id = sh.id
        RETURNING version INTO v_version;
    v_event := pvz_transition_record(sh.id, sh.visit, p_actor, sh.point_id, sh.partner_id, sh.order_id,
        sh.barcode, sh.posting_number, 'ACCEPTED', 'STORED', 'placed', v_cell, p_key, '{}'::jsonb, p_now, p_at);
    RETURN jsonb_build_object(
        'shipment', jsonb_build_object(
            'id', sh.id, 'status', 'STORED', 'point_id', sh.point_id, 'partner_id', sh.partner_id,
            'order_id', sh.order_id, 'visit', sh.visit, 'size_class', sh.size_class, 'barcode', sh.barcode,
            'posting_number', sh.posting_number, 'version', v_version, 'cell_id', v_cell),
        'cell', (SELECT jsonb_build_object('id', c.id, 'address', c.address) FROM network_cell c
                 WHERE c.id = v_cell),
        'event_id', v_event,
        'suggested', p_cell_address IS NULL,
        'ready', pvz_ready_message(sh.id, sh.visit, sh.order_id, sh.point_id, sh.partner_id, p_now, v_deadline)
    );
END
$$;
"""

REVERSE = """
DROP FUNCTION IF EXISTS pvz_shipment_place(
    bigint, bigint, boolean, text[], text[], text, text, timestamptz, text, integer);
"""


class Migration(migrations.Migration):
    dependencies = [("inbound", "0006_acceptance_scan_function")]

    operations = [migrations.RunPython(postgresql_only(FUNCTIONS), postgresql_only(REVERSE))]
