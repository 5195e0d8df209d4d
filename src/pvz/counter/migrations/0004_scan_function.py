"""A parcel scanned into an issue session as one PostgreSQL function (docs/adr/0006-scan-hot-path.md).

`pvz_counter_scan` does what `counter.services.session_scan_as` does in Python: the caller's access to
the session's point (`session_get` + "operate"), the session's lock and state, finding the parcel by its
code at the point (the latest changed first), its lock, the checks of `session_scan` and
`shipment_issue_error` in their order, the line, the typed-in mark (found by posting number, not by its
label), the session's first scan. It answers with what the API shows of the line. A parcel already in
the session it answers by the line's id (Python reads the line as it is now). Refusals come back as codes
before anything is written. tests/counter/test_scan_equivalence.py compares it with the Python path.
"""

from django.db import migrations

from pvz.core.migration_sql import postgresql_only

FUNCTIONS = r"""
CREATE FUNCTION pvz_counter_scan(
    p_session bigint,
    p_actor bigint,
    p_platform boolean,
    p_operate_roles text[],
    p_grant_roles text[],
    p_value text,             -- the scan as normalised (not empty, not a command)
    p_now timestamptz
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    se record;
    v_found bigint;
    sh record;
    v_line bigint;
    v_other record;
BEGIN
    SELECT s.point_id, p.is_active INTO se FROM counter_issuesession s
        JOIN network_pickuppoint p ON p.id = s.point_id WHERE s.id = p_session;
    IF NOT FOUND OR NOT se.is_active OR NOT (p_platform OR EXISTS (
        SELECT 1 FROM accounts_membership m
        WHERE m.user_id = p_actor AND m.point_id = se.point_id AND m.is_active
    )) THEN
        RETURN jsonb_build_object('error', 'NOT_FOUND');
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM accounts_membership m
        WHERE m.user_id = p_actor AND m.point_id = se.point_id AND m.is_active
          AND (m.role = ANY (p_operate_roles) OR (m.role = ANY (p_grant_roles) AND EXISTS (
              SELECT 1 FROM staff_permissiongrant g WHERE g.membership_id = m.id AND g.perm = 'operate'
          )))
    ) THEN
        RETURN jsonb_build_object('error', 'PERMISSION_DENIED', 'point_id', se.point_id);
    END IF;

    SELECT s.id, s.status, s.point_id, s.customer_id, s.first_scan_at INTO se FROM counter_issuesession s
        WHERE s.id = p_session FOR UPDATE;
    IF se.status <> 'open' THEN
        RETURN jsonb_build_object('error', 'SESSION_CLOSED', 'status', se.status);
    END IF;
    SELECT s.id INTO v_found FROM shipments_shipment s
        WHERE s.point_id = se.point_id AND (s.barcode = lower(p_value) OR s.posting_number = p_value)
        ORDER BY s.updated_at DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'SHIPMENT_UNKNOWN');
    END IF;
    SELECT s.id, s.status, s.point_id, s.partner_id, s.cell_id, s.barcode, s.posting_number,
           s.storage_deadline, s.amount_due_kop, s.declared_value_kop, s.id_check_required,
           s.try_on_allowed, s.partial_refusal_allowed, s.fragile, o.customer_id
        INTO sh FROM shipments_shipment s JOIN shipments_order o ON o.id = s.order_id
        WHERE s.id = v_found FOR UPDATE OF s;
    IF sh.customer_id <> se.customer_id THEN
        RETURN jsonb_build_object('error', 'WRONG_CUSTOMER', 'posting_number', sh.posting_number,
            'shipment_id', sh.id);
    END IF;
    SELECT l.id INTO v_line FROM counter_issueline l WHERE l.session_id = p_session AND l.shipment_id = sh.id;
    IF FOUND THEN
        RETURN jsonb_build_object('existing', v_line);
    END IF;
    SELECT l.session_id, coalesce(nullif(u.full_name, ''), u.phone) AS operator INTO v_other
        FROM counter_issueline l
        JOIN counter_issuesession s ON s.id = l.session_id
        JOIN accounts_user u ON u.id = s.opened_by_id
        WHERE l.shipment_id = sh.id AND s.status = 'open'
        ORDER BY l.scanned_at, l.id LIMIT 1;
    IF FOUND THEN
        RETURN jsonb_build_object('error', 'CONFLICT', 'posting_number', sh.posting_number,
            'shipment_id', sh.id, 'session_id', v_other.session_id, 'operator', v_other.operator);
    END IF;
    -- counter.services.shipment_issue_error, which Python runs again on what this returns for its message
    IF sh.status <> 'STORED' OR (sh.storage_deadline IS NOT NULL AND p_now > sh.storage_deadline) THEN
        RETURN jsonb_build_object('error', 'NOT_ISSUABLE', 'posting_number', sh.posting_number,
            'shipment_id', sh.id, 'status', sh.status, 'storage_deadline', sh.storage_deadline);
    END IF;

    INSERT INTO counter_issueline (session_id, shipment_id, state, scanned_at, scanned_by_id, refusal_reason_id,
            refusal_note, id_document, id_last4, id_checked_at, payment_method, payment_reference,
            cash_received_kop, paid_kop, paid_at, result, result_code)
        VALUES (p_session, sh.id, 'taken', p_now, p_actor, NULL, '', '', '', NULL, '', '', NULL, 0, NULL, '', '')
        RETURNING id INTO v_line;
    IF lower(p_value) <> sh.barcode THEN  -- found by its posting number: typed in, not the label scanned
        INSERT INTO anomalies_typedparcel (line_id, at) VALUES (v_line, p_now);
    END IF;
    IF se.first_scan_at IS NULL THEN
        UPDATE counter_issuesession SET first_scan_at = p_now, updated_at = clock_timestamp()
            WHERE id = p_session;
    END IF;
    RETURN jsonb_build_object(
        'line', v_line,
        'shipment', jsonb_build_object(
            'id', sh.id, 'status', sh.status, 'point_id', sh.point_id, 'partner_id', sh.partner_id,
            'cell_id', sh.cell_id, 'barcode', sh.barcode, 'posting_number', sh.posting_number,
            'storage_deadline', sh.storage_deadline, 'amount_due_kop', sh.amount_due_kop,
            'declared_value_kop', sh.declared_value_kop, 'id_check_required', sh.id_check_required,
            'try_on_allowed', sh.try_on_allowed, 'partial_refusal_allowed', sh.partial_refusal_allowed,
            'fragile', sh.fragile),
        'partner', (SELECT jsonb_build_object('id', pa.id, 'name', pa.name,
                        'id_check_threshold_kop', pa.id_check_threshold_kop)
                    FROM network_partner pa WHERE pa.id = sh.partner_id),
        'cell', (SELECT jsonb_build_object('id', c.id, 'address', c.address) FROM network_cell c
                 WHERE c.id = sh.cell_id),
        'point', (SELECT jsonb_build_object('id', p.id, 'timezone', p.timezone) FROM network_pickuppoint p
                  WHERE p.id = sh.point_id));
END
$$;
"""

REVERSE = """
DROP FUNCTION IF EXISTS pvz_counter_scan(bigint, bigint, boolean, text[], text[], text, timestamptz);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("counter", "0003_issueline_state_trying_on"),
        ("anomalies", "0001_initial"),
        ("accounts", "0003_code_purposes"),
        ("staff", "0001_initial"),
    ]

    operations = [migrations.RunPython(postgresql_only(FUNCTIONS), postgresql_only(REVERSE))]
