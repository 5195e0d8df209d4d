"""The writes of a counter finish in one PostgreSQL call (docs/adr/0006-scan-hot-path.md).

`counter.services.session_finish` decides every line in Python as before — the session's checks, each
parcel's "still issuable" rule and its transition's checks (`shipments.services.transition_apply`) — and
hands the outcome to `pvz_issue_finish`, which writes it: each parcel's row as Python left it in memory,
its event and webhook row (`pvz_transition_record`, shipments 0007), each line's result. The ORM path wrote
the same rows with a savepoint and four statements per parcel. tests/counter/test_finish_equivalence.py
compares the two.
"""

from django.db import migrations

from pvz.core.migration_sql import postgresql_only

FUNCTIONS = r"""
CREATE FUNCTION pvz_issue_finish(p_rows jsonb, p_actor bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
BEGIN
    FOR r IN SELECT value FROM jsonb_array_elements(p_rows) LOOP
        IF r ? 'shipment' THEN
            UPDATE shipments_shipment SET
                    status = r #>> '{shipment,status}',
                    cell_id = (r #>> '{shipment,cell_id}')::bigint,
                    visit = (r #>> '{shipment,visit}')::integer,
                    stored_at = (r #>> '{shipment,stored_at}')::timestamptz,
                    storage_deadline = (r #>> '{shipment,storage_deadline}')::timestamptz,
                    storage_extended_at = (r #>> '{shipment,storage_extended_at}')::timestamptz,
                    storage_extended_by_id = (r #>> '{shipment,storage_extended_by_id}')::bigint,
                    version = version + 1,
                    updated_at = clock_timestamp()
                WHERE id = (r #>> '{shipment,id}')::bigint;
            PERFORM pvz_transition_record((r #>> '{shipment,id}')::bigint, (r #>> '{shipment,visit}')::integer,
                p_actor, (r #>> '{shipment,point_id}')::bigint, (r #>> '{shipment,partner_id}')::bigint,
                (r #>> '{shipment,order_id}')::bigint, r #>> '{shipment,barcode}',
                r #>> '{shipment,posting_number}', r ->> 'from', r #>> '{shipment,status}', r ->> 'reason',
                (r #>> '{shipment,cell_id}')::bigint, r ->> 'key', r -> 'details', (r ->> 'now')::timestamptz,
                r ->> 'at');
        END IF;
        UPDATE counter_issueline SET result = r ->> 'result', result_code = r ->> 'result_code'
            WHERE id = (r ->> 'line')::bigint;
    END LOOP;
END
$$;
"""

REVERSE = "DROP FUNCTION IF EXISTS pvz_issue_finish(jsonb, bigint);"


class Migration(migrations.Migration):
    dependencies = [
        ("counter", "0005_session_typed_issued"),
        ("shipments", "0008_return_zone_function"),
    ]

    operations = [migrations.RunPython(postgresql_only(FUNCTIONS), postgresql_only(REVERSE))]
