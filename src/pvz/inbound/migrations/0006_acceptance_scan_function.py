"""The acceptance scan of a parcel as one PostgreSQL function: one round trip instead of twenty statements.

`pvz_acceptance_scan` does on the server what `inbound.services.acceptance_scan` does in Python for a
parcel code (docs/adr/0006-scan-hot-path.md): the caller's access to the acceptance's point, the lock
on the acceptance, the replay and closed checks, finding and locking the parcel, the transitions with
their events and webhook outbox rows, the cell pick (the same tiers and locks as `inbound.placement`),
the scan row, the tote, and the progress (read from the counters of migration 0005). It answers with
everything the API needs, as JSON. What needs Python it leaves to Python and changes nothing first:
a replayed scan id, a code that names no parcel or several (label patterns are Python regular
expressions), a tote; the caller then runs the Python path in the same transaction. The "ready" SMS is
rendered from templates, so Python writes it after the call.

The rules must not fork silently: the whole suite runs on both databases, and
tests/inbound/test_scan_equivalence.py runs random scan sequences through this function and through
the Python path on PostgreSQL and compares every outcome, event, cell, counter and answer.

`pvz_cell_candidate` is the placement rule (inbound.placement._tier_branches) in SQL: the best cell by
tier, size rank and address, as one UNION ALL of index probes; `pvz_cell_take` the pick with its locks.
The transition's event and webhook row, the storage deadline and the ready SMS's data come from the
helpers of shipments migration 0007.
"""

from django.db import migrations

from pvz.core.migration_sql import postgresql_only

FUNCTIONS = r"""
CREATE FUNCTION pvz_cell_candidate(
    p_point bigint, p_sizes text[], p_customer bigint, p_own bigint, p_exclude bigint[]
) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
    -- PL/pgSQL, not SQL: a SQL function called from another function is planned again at every call
    -- (0.5 ms here); PL/pgSQL keeps the plan for the connection.
    RETURN (SELECT id FROM (
        (SELECT c.id, 0 AS tier, array_position(ARRAY['S', 'M', 'L', 'XL'], c.size_class::text) AS size_rank,
                c.address
         FROM network_cell c JOIN shipments_customercell cc ON cc.cell_id = c.id
         WHERE cc.customer_id = p_customer AND c.point_id = p_point AND c.kind = 'regular' AND c.is_active
           AND c.capacity > 0 AND c.size_class = ANY (p_sizes)
           AND c.held - CASE WHEN c.id = p_own THEN 1 ELSE 0 END < c.capacity
           AND c.id <> ALL (p_exclude)
         ORDER BY size_rank, c.address LIMIT 1)
        UNION ALL
        SELECT e.id, e.tier, e.size_rank, e.address FROM unnest(p_sizes) WITH ORDINALITY AS s(size, n)
        CROSS JOIN LATERAL (
            (SELECT c.id, 1 AS tier, s.n AS size_rank, c.address FROM network_cell c
             WHERE c.point_id = p_point AND c.kind = 'regular' AND c.is_active AND c.capacity > 0
               AND c.size_class = s.size AND c.held = 0 AND c.id <> ALL (p_exclude)
             ORDER BY c.address LIMIT 1)
            UNION ALL
            (SELECT c.id, 2 AS tier, s.n AS size_rank, c.address FROM network_cell c
             WHERE c.point_id = p_point AND c.kind = 'regular' AND c.is_active AND c.capacity > 0
               AND c.size_class = s.size AND c.held < c.capacity AND c.id <> ALL (p_exclude)
             ORDER BY c.address LIMIT 1)
        ) AS e
        UNION ALL
        SELECT c.id, CASE WHEN c.held = 1 THEN 1 ELSE 2 END, array_position(p_sizes, c.size_class::text),
               c.address
        FROM network_cell c
        WHERE c.id = p_own AND c.point_id = p_point AND c.kind = 'regular' AND c.is_active AND c.capacity > 0
          AND c.size_class = ANY (p_sizes) AND c.id <> ALL (p_exclude)
    ) AS candidates
    ORDER BY tier, size_rank, address
    LIMIT 1);
END
$$;

-- inbound.placement._place with no cell given: the best cell, taken with SKIP LOCKED (waiting only on the
-- last attempt), its capacity checked under the lock, up to three cells that turn out full passed over.
-- `p_own`: the cell that counts the parcel itself (judged without it). NULL: no free cell.
CREATE FUNCTION pvz_cell_take(
    p_point bigint, p_sizes text[], p_customer bigint, p_own bigint, p_take_attempts integer
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_exclude bigint[] := '{}';
    v_best bigint;
    v_take bigint;
    v_held integer;
    v_capacity integer;
BEGIN
    FOR attempt IN 1..3 LOOP
        v_take := NULL;
        FOR take IN 1..p_take_attempts LOOP
            v_best := pvz_cell_candidate(p_point, p_sizes, p_customer, p_own, v_exclude);
            EXIT WHEN v_best IS NULL;
            IF take < p_take_attempts THEN
                SELECT c.id, c.held, c.capacity INTO v_take, v_held, v_capacity
                    FROM network_cell c WHERE c.id = v_best FOR UPDATE SKIP LOCKED;
            ELSE
                SELECT c.id, c.held, c.capacity INTO v_take, v_held, v_capacity
                    FROM network_cell c WHERE c.id = v_best FOR UPDATE;
            END IF;
            EXIT WHEN v_take IS NOT NULL;
            v_exclude := v_exclude || v_best;
        END LOOP;
        IF v_take IS NULL THEN
            RETURN NULL;
        END IF;
        -- (The CASE in parentheses: PL/pgSQL reads an IF's condition up to the first THEN.)
        IF v_held - (CASE WHEN v_take = p_own THEN 1 ELSE 0 END) < v_capacity THEN
            RETURN v_take;
        END IF;
        v_exclude := v_exclude || v_take;  -- CELL_FULL: the next one
    END LOOP;
    RETURN NULL;
END
$$;

CREATE FUNCTION pvz_acceptance_scan(
    p_acceptance bigint,
    p_actor bigint,
    p_platform boolean,        -- the actor holds a platform role: every active point is visible
    p_operate_roles text[],    -- roles whose permissions include "operate"
    p_grant_roles text[],      -- roles that may be granted "operate" on top
    p_code text,               -- the scan after layout normalisation
    p_raw_code text,
    p_scan_id uuid,
    p_auto_place boolean,
    p_now timestamptz,         -- the clock's now
    p_at text,                 -- p_now as the webhook payload writes it
    p_label_pref boolean,      -- the code is the carriage partner's label; NULL: not known yet
    p_take_attempts integer    -- cells passed over because a concurrent placement holds them
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    car record;
    sh record;
    tote record;
    first_scan record;
    v_status text;
    v_candidates integer;
    v_line_id bigint;
    v_line_tote bigint;
    v_outcome text;
    v_before text := '';
    v_reason text;
    v_placed boolean := false;
    v_cell bigint;
    v_tote bigint;
    v_sizes text[];
    v_customer bigint;
    v_take bigint;
    v_deadline timestamptz;
    v_scan bigint;
    v_scanned integer;
    v_expected integer;
    v_tote_status text;
    v_progress jsonb;
BEGIN
    -- Access: the acceptance's point is one the actor works at (else NOT_FOUND), with "operate" there.
    SELECT c.id, c.number, c.point_id, c.partner_id, p.is_active AS point_active
        INTO car
        FROM inbound_acceptance a
        JOIN inbound_carriage c ON c.id = a.carriage_id
        JOIN network_pickuppoint p ON p.id = c.point_id
        WHERE a.id = p_acceptance;
    IF NOT FOUND OR NOT car.point_active OR NOT (p_platform OR EXISTS (
        SELECT 1 FROM accounts_membership m
        WHERE m.user_id = p_actor AND m.point_id = car.point_id AND m.is_active
    )) THEN
        RETURN jsonb_build_object('error', 'NOT_FOUND');
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM accounts_membership m
        WHERE m.user_id = p_actor AND m.point_id = car.point_id AND m.is_active
          AND (m.role = ANY (p_operate_roles) OR (m.role = ANY (p_grant_roles) AND EXISTS (
              SELECT 1 FROM staff_permissiongrant g WHERE g.membership_id = m.id AND g.perm = 'operate'
          )))
    ) THEN
        RETURN jsonb_build_object('error', 'PERMISSION_DENIED', 'point_id', car.point_id);
    END IF;

    -- Locked before looking for the scan id, so a resent scan that raced its original waits for it.
    SELECT a.status INTO v_status FROM inbound_acceptance a WHERE a.id = p_acceptance FOR UPDATE;
    SELECT s.acceptance_id, s.code, s.auto_place INTO first_scan
        FROM inbound_acceptancescan s WHERE s.scan_id = p_scan_id;
    IF FOUND THEN
        IF (first_scan.acceptance_id, first_scan.code, first_scan.auto_place)
                IS DISTINCT FROM (p_acceptance, p_code, p_auto_place) THEN
            RETURN jsonb_build_object('error', 'IDEMPOTENCY_MISMATCH');
        END IF;
        RETURN jsonb_build_object('defer', 'replay');
    END IF;
    IF v_status <> 'open' THEN
        RETURN jsonb_build_object('error', 'ACCEPTANCE_CLOSED');
    END IF;

    -- The parcel. Barcodes are unique per partner only: namesakes need the label patterns (Python).
    SELECT count(*) INTO v_candidates FROM shipments_shipment s
        WHERE s.barcode = lower(p_code) OR s.posting_number = p_code;
    IF v_candidates = 0 THEN
        RETURN jsonb_build_object('defer', 'unknown');
    END IF;
    IF v_candidates > 1 AND p_label_pref IS NULL THEN
        RETURN jsonb_build_object('defer', 'namesakes');
    END IF;
    SELECT s.id, s.status, s.point_id, s.partner_id, s.order_id, s.cell_id, s.visit, s.size_class,
           s.barcode, s.posting_number, s.fragile, s.version
        INTO sh
        FROM shipments_shipment s
        WHERE s.barcode = lower(p_code) OR s.posting_number = p_code
        ORDER BY CASE WHEN coalesce(p_label_pref, false) AND s.partner_id = car.partner_id THEN 0 ELSE 1 END,
                 CASE WHEN s.point_id = car.point_id THEN 0 ELSE 1 END,
                 s.updated_at DESC, s.id DESC
        LIMIT 1
        FOR UPDATE OF s;
    v_cell := sh.cell_id;

    IF sh.point_id <> car.point_id THEN
        -- Nothing changes at another point's parcel; the scan itself is the "put aside" record.
        v_outcome := 'OTHER_POINT';
        v_cell := NULL;
    ELSE
        SELECT l.id, l.tote_id INTO v_line_id, v_line_tote
            FROM inbound_manifestline l WHERE l.carriage_id = car.id AND l.shipment_id = sh.id;
        v_sizes := (ARRAY['S', 'M', 'L', 'XL'])[array_position(ARRAY['S', 'M', 'L', 'XL'], sh.size_class::text):];
        SELECT o.customer_id INTO v_customer FROM shipments_order o WHERE o.id = sh.order_id;
        IF sh.status NOT IN ('EXPECTED', 'SHORTAGE') THEN
            v_outcome := 'ALREADY_ACCEPTED';
            IF v_cell IS NULL AND sh.status = 'ACCEPTED' THEN
                v_cell := pvz_cell_candidate(sh.point_id, v_sizes, v_customer, NULL, '{}');
            END IF;
        ELSE
            v_outcome := CASE WHEN v_line_id IS NULL THEN 'SURPLUS' ELSE 'ACCEPTED' END;
            v_before := sh.status;
            v_reason := CASE WHEN v_line_id IS NULL THEN 'surplus' ELSE 'acceptance_scan' END;
            IF p_auto_place THEN
                -- The parcel is not counted in any cell yet (still EXPECTED here; the Python path judges
                -- it ACCEPTED without counting it in its own cell: the same numbers).
                v_take := pvz_cell_take(sh.point_id, v_sizes, v_customer, NULL, p_take_attempts);
                v_placed := v_take IS NOT NULL;
            END IF;
            IF v_placed THEN
                v_deadline := pvz_storage_deadline(sh.partner_id, sh.point_id, p_now);
                -- Both transitions in one row update (the Python path saves twice: same row, same events).
                UPDATE shipments_shipment SET status = 'STORED', cell_id = v_take, stored_at = p_now,
                        storage_deadline = v_deadline, version = version + 2, updated_at = clock_timestamp()
                    WHERE id = sh.id;
                sh.version := sh.version + 2;
                sh.status := 'STORED';
            ELSE
                UPDATE shipments_shipment SET status = 'ACCEPTED', version = version + 1,
                        updated_at = clock_timestamp()
                    WHERE id = sh.id;
                sh.version := sh.version + 1;
                sh.status := 'ACCEPTED';
            END IF;
            PERFORM pvz_transition_record(sh.id, sh.visit, p_actor, sh.point_id, sh.partner_id, sh.order_id,
                sh.barcode, sh.posting_number, v_before, 'ACCEPTED', v_reason, sh.cell_id,
                'scan:' || p_scan_id || ':accept',
                jsonb_build_object('acceptance_id', p_acceptance, 'carriage', car.number), p_now, p_at);
            IF v_placed THEN
                PERFORM pvz_transition_record(sh.id, sh.visit, p_actor, sh.point_id, sh.partner_id,
                    sh.order_id, sh.barcode, sh.posting_number, 'ACCEPTED', 'STORED', 'placed', v_take,
                    'scan:' || p_scan_id, '{}'::jsonb, p_now, p_at);
                v_cell := v_take;
            ELSIF p_auto_place THEN
                v_cell := NULL;
            ELSE
                v_cell := pvz_cell_candidate(sh.point_id, v_sizes, v_customer, sh.cell_id, '{}');
            END IF;
            IF v_line_tote IS NOT NULL THEN
                v_tote := v_line_tote;
            END IF;
        END IF;
    END IF;

    INSERT INTO inbound_acceptancescan (acceptance_id, operator_id, raw_code, code, outcome, auto_place,
            shipment_id, tote_id, label_partner_id, cell_id, shipment_status_before, placed, scan_id,
            created_at)
        VALUES (p_acceptance, p_actor, p_raw_code, p_code, v_outcome, p_auto_place, sh.id, v_tote, NULL,
            v_cell, v_before, v_placed, p_scan_id, p_now)
        RETURNING id INTO v_scan;

    IF v_tote IS NOT NULL THEN
        -- inbound.services._tote_settle: here (FULL) once anything in it was scanned, EMPTY when all.
        SELECT t.id, t.status, t.barcode INTO tote FROM inbound_tote t WHERE t.id = v_tote FOR UPDATE;
        SELECT mt.scanned, mt.expected INTO v_scanned, v_expected
            FROM inbound_manifesttote mt WHERE mt.carriage_id = car.id AND mt.tote_id = v_tote;
        v_scanned := coalesce(v_scanned, 0);
        v_expected := coalesce(v_expected, 0);
        v_tote_status := tote.status;
        IF v_tote_status = 'in_transit' THEN
            v_tote_status := 'full';
        END IF;
        IF v_tote_status IN ('full', 'empty') THEN
            v_tote_status := CASE WHEN v_scanned >= v_expected THEN 'empty' ELSE 'full' END;
        END IF;
        IF v_tote_status <> tote.status THEN
            UPDATE inbound_tote SET status = v_tote_status, point_id = car.point_id,
                    updated_at = clock_timestamp()
                WHERE id = v_tote;
        END IF;
    END IF;

    SELECT jsonb_build_object(
            'scanned', a.scanned, 'surplus', a.surplus, 'put_aside', a.put_aside,
            'expected', c.expected_parcels,
            'totes', coalesce((
                SELECT jsonb_agg(jsonb_build_object(
                        'tote_id', mt.tote_id, 'barcode', t.barcode, 'status', t.status,
                        'scanned', mt.scanned, 'expected', mt.expected) ORDER BY t.barcode)
                FROM inbound_manifesttote mt JOIN inbound_tote t ON t.id = mt.tote_id
                WHERE mt.carriage_id = c.id), '[]'::jsonb))
        INTO v_progress
        FROM inbound_acceptance a JOIN inbound_carriage c ON c.id = a.carriage_id
        WHERE a.id = p_acceptance;

    RETURN jsonb_build_object(
        'acceptance', jsonb_build_object('id', p_acceptance, 'status', v_status, 'carriage_id', car.id,
            'point_id', car.point_id),
        'outcome', v_outcome,
        'scan_pk', v_scan,
        'placed', v_placed,
        'shipment', jsonb_build_object(
            'id', sh.id, 'status', sh.status, 'point_id', sh.point_id, 'partner_id', sh.partner_id,
            'order_id', sh.order_id, 'visit', sh.visit, 'size_class', sh.size_class, 'barcode', sh.barcode,
            'posting_number', sh.posting_number, 'fragile', sh.fragile, 'version', sh.version,
            'cell_id', CASE WHEN v_placed THEN v_cell ELSE sh.cell_id END),
        'cell', (SELECT jsonb_build_object('id', c.id, 'address', c.address) FROM network_cell c
                 WHERE c.id = v_cell),
        'tote', (SELECT jsonb_build_object('id', t.id, 'barcode', t.barcode, 'status', t.status)
                 FROM inbound_tote t WHERE t.id = v_tote),
        'progress', v_progress,
        -- What the "ready for pickup" SMS says, when this placement is the visit's first.
        'ready', CASE WHEN v_placed THEN pvz_ready_message(sh.id, sh.visit, sh.order_id, sh.point_id,
            sh.partner_id, p_now, v_deadline) END
    );
END
$$;
"""

REVERSE = """
DROP FUNCTION IF EXISTS pvz_cell_take(bigint, text[], bigint, bigint, integer);
DROP FUNCTION IF EXISTS pvz_acceptance_scan(
    bigint, bigint, boolean, text[], text[], text, text, uuid, boolean, timestamptz, text, boolean, integer);
DROP FUNCTION IF EXISTS pvz_cell_candidate(bigint, text[], bigint, bigint, bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("inbound", "0005_progress_counters"),
        ("accounts", "0003_code_purposes"),
        ("staff", "0001_initial"),
        ("webhooks", "0002_endpoint_previous_secret_due_index"),
        ("notifications", "0004_staff_notifications"),
        ("network", "0004_cell_held"),
        ("shipments", "0007_transition_functions"),
    ]

    operations = [migrations.RunPython(postgresql_only(FUNCTIONS), postgresql_only(REVERSE))]
