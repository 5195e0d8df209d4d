"""Appending an audit record in one PostgreSQL call (docs/adr/0006-scan-hot-path.md): `pvz_audit_append`
takes the chain head under its row lock (creating it if missing), numbers the record, computes its hash
from the previous one and the canonical JSON that Python built around the sequence number
(`audit.chain.payload_parts`), inserts it and moves the head — what `audit.services.audit_record` did in
three statements. `audit_chain_verify` recomputes every hash in Python, so both ways are checked by the
same walk (tests/audit/test_append_function.py).
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE FUNCTION pvz_audit_append(
    p_prefix text,          -- the canonical JSON before the sequence number
    p_suffix text,          -- and after it
    p_at timestamptz,
    p_actor bigint,
    p_actor_phone text,
    p_ip inet,
    p_user_agent text,
    p_point bigint,
    p_action text,
    p_object_type text,
    p_object_id text,
    p_details jsonb
) RETURNS TABLE (record_id bigint, record_seq bigint, record_prev_hash text, record_hash text)
LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
    v_prev text;
    v_hash text;
    v_id bigint;
BEGIN
    SELECT h.seq, h.hash INTO v_seq, v_prev FROM audit_auditchainhead h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO audit_auditchainhead (id, seq, hash) VALUES (1, 0, repeat('0', 64)) ON CONFLICT (id) DO NOTHING;
        SELECT h.seq, h.hash INTO v_seq, v_prev FROM audit_auditchainhead h WHERE h.id = 1 FOR UPDATE;
    END IF;
    v_seq := v_seq + 1;
    v_hash := encode(sha256(convert_to(v_prev || p_prefix || v_seq::text || p_suffix, 'UTF8')), 'hex');
    INSERT INTO audit_auditrecord (seq, at, actor_id, actor_phone, ip, user_agent, point_id, action,
            object_type, object_id, details, prev_hash, hash)
        VALUES (v_seq, p_at, p_actor, p_actor_phone, p_ip, p_user_agent, p_point, p_action, p_object_type,
            p_object_id, p_details, v_prev, v_hash)
        RETURNING id INTO v_id;
    UPDATE audit_auditchainhead SET seq = v_seq, hash = v_hash WHERE id = 1;
    RETURN QUERY SELECT v_id, v_seq, v_prev, v_hash;
END
$$;
"""

REVERSE = """
DROP FUNCTION IF EXISTS pvz_audit_append(text, text, timestamptz, bigint, text, inet, text, bigint, text, text,
    text, jsonb);
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_log")]

    operations = [migrations.RunPython(install, uninstall)]
