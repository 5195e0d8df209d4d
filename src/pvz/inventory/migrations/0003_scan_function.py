"""The inventory scans (a cell label, a parcel) as one PostgreSQL function (docs/adr/0006-scan-hot-path.md).

`pvz_inventory_scan` does what `inventory.services.inventory_scan_as` does in Python: the caller's access
to the count's point (`count_get`, then "operate" there), the count's lock, its state, then for a cell
label the point's cell (`_scope_cell`: unknown, retired, out of the count's zone) and for a parcel the
operator's current cell (`current_cell`), the parcel (`_find_parcel`, locked) and its classification
(`_classify`: FOUND, UNKNOWN with its reason, REPEAT), the scan row and the count's progress
(`count_progress`). It defers to Python for a replayed scan id and for a MISPLACED parcel (the move goes
through `shipment_move` and its placement rules). Refusals come back as codes before anything is written.
tests/inventory/test_scan_equivalence.py compares it with the Python path.
"""

from django.db import migrations

from pvz.core.migration_sql import postgresql_only

FUNCTIONS = r"""
CREATE FUNCTION pvz_inventory_scan(
    p_count bigint,
    p_actor bigint,
    p_platform boolean,
    p_operate_roles text[],
    p_grant_roles text[],
    p_kind text,             -- 'cell' or 'parcel'
    p_code text,             -- the scan as normalised (a cell: upper case), not empty
    p_raw_code text,
    p_scan_id uuid,
    p_at_point text[],       -- shipments.statuses.AT_POINT
    p_now timestamptz
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    cnt record;
    v_status text;
    v_cell record;
    sh record;
    v_shipment bigint;
    v_shipment_status text := '';
    v_posting text;
    v_outcome text;
    v_reason text := '';
    v_progress jsonb;
    v_scan bigint;
BEGIN
    SELECT c.id, c.point_id, c.zone, p.is_active AS point_active INTO cnt
        FROM inventory_inventorycount c JOIN network_pickuppoint p ON p.id = c.point_id
        WHERE c.id = p_count;
    IF NOT FOUND OR NOT cnt.point_active OR NOT (p_platform OR EXISTS (
        SELECT 1 FROM accounts_membership m
        WHERE m.user_id = p_actor AND m.point_id = cnt.point_id AND m.is_active
    )) THEN
        RETURN jsonb_build_object('error', 'NOT_FOUND');
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM accounts_membership m
        WHERE m.user_id = p_actor AND m.point_id = cnt.point_id AND m.is_active
          AND (m.role = ANY (p_operate_roles) OR (m.role = ANY (p_grant_roles) AND EXISTS (
              SELECT 1 FROM staff_permissiongrant g WHERE g.membership_id = m.id AND g.perm = 'operate'
          )))
    ) THEN
        RETURN jsonb_build_object('error', 'PERMISSION_DENIED', 'point_id', cnt.point_id);
    END IF;

    -- Locked before looking for the scan id, so a resent scan that raced its original waits for it.
    SELECT c.status INTO v_status FROM inventory_inventorycount c WHERE c.id = p_count FOR UPDATE;
    IF EXISTS (SELECT 1 FROM inventory_inventoryscan s WHERE s.scan_id = p_scan_id) THEN
        RETURN jsonb_build_object('defer', 'replay');
    END IF;
    IF v_status <> 'open' THEN
        RETURN jsonb_build_object('error', 'INVENTORY_CLOSED', 'status', v_status);
    END IF;

    IF p_kind = 'cell' THEN
        SELECT c.id, c.address, c.is_active, c.kind INTO v_cell FROM network_cell c
            WHERE c.point_id = cnt.point_id AND c.address = p_code;
        IF NOT FOUND THEN
            RETURN jsonb_build_object('error', 'CELL_NOT_FOUND');
        END IF;
        IF NOT v_cell.is_active THEN
            RETURN jsonb_build_object('error', 'CELL_RETIRED', 'cell', v_cell.address);
        END IF;
        IF cnt.zone <> '' AND NOT (v_cell.kind = 'regular' AND starts_with(v_cell.address, cnt.zone || '-')) THEN
            RETURN jsonb_build_object('error', 'CELL_OUT_OF_SCOPE', 'cell', v_cell.address, 'zone', cnt.zone);
        END IF;
        v_outcome := 'CELL';
    ELSE
        -- The operator's current cell: their last cell scan in this count.
        SELECT c.id, c.address, c.is_active INTO v_cell
            FROM inventory_inventoryscan s JOIN network_cell c ON c.id = s.cell_id
            WHERE s.count_id = p_count AND s.operator_id = p_actor AND s.kind = 'cell'
            ORDER BY s.at DESC, s.id DESC LIMIT 1;
        IF NOT FOUND THEN
            RETURN jsonb_build_object('error', 'NO_CURRENT_CELL');
        END IF;
        IF NOT v_cell.is_active THEN
            RETURN jsonb_build_object('error', 'CELL_RETIRED', 'cell', v_cell.address, 'current', true);
        END IF;
        -- Barcodes are unique per partner only: a parcel of this point wins over a namesake elsewhere.
        SELECT s.id, s.point_id, s.status, s.cell_id, s.posting_number INTO sh
            FROM shipments_shipment s
            WHERE s.barcode = lower(p_code) OR s.posting_number = p_code
            ORDER BY CASE WHEN s.point_id = cnt.point_id THEN 0 ELSE 1 END, s.id
            LIMIT 1
            FOR UPDATE OF s;
        IF NOT FOUND THEN
            v_outcome := 'UNKNOWN';
            v_reason := 'not_found';
        ELSIF sh.point_id <> cnt.point_id THEN
            v_outcome := 'UNKNOWN';
            v_reason := 'other_point';
        ELSE
            v_shipment := sh.id;
            v_shipment_status := sh.status;
            v_posting := sh.posting_number;
            IF NOT (sh.status = ANY (p_at_point)) THEN
                v_outcome := 'UNKNOWN';
                v_reason := 'off_shelf_status';
            ELSIF sh.status = 'ACCEPTED' AND sh.cell_id IS NULL THEN
                v_outcome := 'UNKNOWN';
                v_reason := 'not_placed';
            END IF;
        END IF;
        IF v_outcome = 'UNKNOWN' THEN
            IF EXISTS (SELECT 1 FROM inventory_inventoryscan s
                       WHERE s.count_id = p_count AND s.kind = 'parcel' AND s.code = p_code
                         AND s.outcome <> 'REPEAT') THEN
                v_outcome := 'REPEAT';
            END IF;
        ELSIF EXISTS (SELECT 1 FROM inventory_inventoryscan s
                      WHERE s.count_id = p_count AND s.kind = 'parcel' AND s.shipment_id = sh.id
                        AND s.cell_id = v_cell.id) THEN
            v_outcome := 'REPEAT';
        ELSIF sh.cell_id = v_cell.id THEN
            v_outcome := 'FOUND';
        ELSE
            -- MISPLACED: the move follows the placement rules (Python).
            RETURN jsonb_build_object('defer', 'misplaced');
        END IF;
    END IF;

    INSERT INTO inventory_inventoryscan (count_id, kind, operator_id, cell_id, raw_code, code, outcome,
            shipment_id, shipment_status, reason, from_cell_id, moved, problem_code, problem, scan_id, at)
        VALUES (p_count, p_kind, p_actor, v_cell.id, p_raw_code, p_code, v_outcome, v_shipment,
            v_shipment_status, v_reason, NULL, false, '', '', p_scan_id, p_now)
        RETURNING id INTO v_scan;

    -- inventory.selectors.count_progress (the count's counters were just kept by the scan's trigger)
    SELECT jsonb_build_object(
            'cells_in_scope', count(*) FILTER (WHERE c.is_active AND (cnt.zone = ''
                OR (c.kind = 'regular' AND starts_with(c.address, cnt.zone || '-')))),
            'parcels_expected', coalesce(sum(c.held) FILTER (WHERE c.is_active AND (cnt.zone = ''
                OR (c.kind = 'regular' AND starts_with(c.address, cnt.zone || '-')))), 0),
            'retired_scanned', count(*) FILTER (WHERE NOT c.is_active AND EXISTS (
                SELECT 1 FROM inventory_inventoryscan s
                WHERE s.count_id = p_count AND s.kind = 'cell' AND s.cell_id = c.id)))
        INTO v_progress
        FROM network_cell c WHERE c.point_id = cnt.point_id;
    SELECT v_progress - 'retired_scanned' || jsonb_build_object(
            'cells_scanned', k.cells_scanned - (v_progress ->> 'retired_scanned')::int,
            'parcels_found', k.found_parcels,
            'misplaced', k.misplaced_parcels,
            'unknown', k.unknown_scans)
        INTO v_progress
        FROM inventory_inventorycount k WHERE k.id = p_count;

    RETURN jsonb_build_object(
        'id', v_scan,
        'outcome', v_outcome,
        'reason', v_reason,
        'point_id', cnt.point_id,
        'zone', cnt.zone,
        'cell', jsonb_build_object('id', v_cell.id, 'address', v_cell.address),
        'shipment_id', v_shipment,
        'shipment_status', v_shipment_status,
        'posting_number', v_posting,
        'progress', v_progress);
END
$$;
"""

REVERSE = """
DROP FUNCTION IF EXISTS pvz_inventory_scan(bigint, bigint, boolean, text[], text[], text, text, text, uuid,
    text[], timestamptz);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0002_progress_counters"),
        ("network", "0004_cell_held"),
        ("shipments", "0008_return_zone_function"),
        ("accounts", "0003_code_purposes"),
        ("staff", "0001_initial"),
    ]

    operations = [migrations.RunPython(postgresql_only(FUNCTIONS), postgresql_only(REVERSE))]
