"""Acceptance progress as counters kept by the database: the manifest's parcels per carriage and per tote
(triggers on manifest lines), and per acceptance the manifest parcels accepted, the surplus and the
distinct codes put aside, per tote the parcels accepted (triggers on acceptance scans). A scan no longer
recounts the carriage to answer with its progress. Filled from the rows as they are when it runs."""

from django.conf import settings
from django.db import migrations, models

from pvz.core.migration_sql import by_vendor

SCANNED = "{r}.outcome = 'ACCEPTED' AND {r}.undone_at IS NULL"
SURPLUS = "{r}.outcome = 'SURPLUS' AND {r}.undone_at IS NULL"
ASIDE = "{r}.outcome IN ('OTHER_POINT', 'UNKNOWN_LABEL') AND {r}.undone_at IS NULL"


def _alone(r: str) -> str:
    """No other scan of the acceptance, not undone, puts the same code aside."""
    return (
        f"NOT EXISTS (SELECT 1 FROM inbound_acceptancescan o WHERE o.acceptance_id = {r}.acceptance_id"
        f" AND o.code = {r}.code AND o.id <> {r}.id AND {ASIDE.format(r='o')})"
    )


CARRIAGE_OF = "(SELECT carriage_id FROM inbound_acceptance WHERE id = {r}.acceptance_id)"

POSTGRESQL = f"""
CREATE FUNCTION pvz_manifestline_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE inbound_carriage SET expected_parcels = expected_parcels - 1 WHERE id = OLD.carriage_id;
        IF OLD.tote_id IS NOT NULL THEN
            UPDATE inbound_manifesttote SET expected = expected - 1
                WHERE carriage_id = OLD.carriage_id AND tote_id = OLD.tote_id;
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE inbound_carriage SET expected_parcels = expected_parcels + 1 WHERE id = NEW.carriage_id;
        IF NEW.tote_id IS NOT NULL THEN
            UPDATE inbound_manifesttote SET expected = expected + 1
                WHERE carriage_id = NEW.carriage_id AND tote_id = NEW.tote_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER pvz_manifestline_counters AFTER INSERT OR DELETE OR UPDATE OF carriage_id, tote_id
    ON inbound_manifestline FOR EACH ROW EXECUTE FUNCTION pvz_manifestline_counters();

-- A tote added to a manifest that already lists parcels in it starts from them.
CREATE FUNCTION pvz_manifesttote_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.expected := (SELECT count(*) FROM inbound_manifestline
                     WHERE carriage_id = NEW.carriage_id AND tote_id = NEW.tote_id);
    NEW.scanned := (SELECT count(*) FROM inbound_acceptancescan s
                    JOIN inbound_acceptance a ON a.id = s.acceptance_id
                    WHERE a.carriage_id = NEW.carriage_id AND s.tote_id = NEW.tote_id
                      AND {SCANNED.format(r="s")});
    RETURN NEW;
END
$$;
CREATE TRIGGER pvz_manifesttote_start BEFORE INSERT ON inbound_manifesttote
    FOR EACH ROW EXECUTE FUNCTION pvz_manifesttote_start();

CREATE FUNCTION pvz_acceptancescan_counters() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d_scanned integer := 0;
    d_surplus integer := 0;
    d_aside integer := 0;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF {SCANNED.format(r="OLD")} THEN
            d_scanned := d_scanned - 1;
            IF OLD.tote_id IS NOT NULL THEN
                UPDATE inbound_manifesttote SET scanned = inbound_manifesttote.scanned - 1
                    WHERE carriage_id = {CARRIAGE_OF.format(r="OLD")} AND tote_id = OLD.tote_id;
            END IF;
        END IF;
        IF {SURPLUS.format(r="OLD")} THEN
            d_surplus := d_surplus - 1;
        END IF;
        IF {ASIDE.format(r="OLD")} AND {_alone("OLD")} THEN
            d_aside := d_aside - 1;
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        IF {SCANNED.format(r="NEW")} THEN
            d_scanned := d_scanned + 1;
            IF NEW.tote_id IS NOT NULL THEN
                UPDATE inbound_manifesttote SET scanned = inbound_manifesttote.scanned + 1
                    WHERE carriage_id = {CARRIAGE_OF.format(r="NEW")} AND tote_id = NEW.tote_id;
            END IF;
        END IF;
        IF {SURPLUS.format(r="NEW")} THEN
            d_surplus := d_surplus + 1;
        END IF;
        IF {ASIDE.format(r="NEW")} AND {_alone("NEW")} THEN
            d_aside := d_aside + 1;
        END IF;
    END IF;
    IF d_scanned <> 0 OR d_surplus <> 0 OR d_aside <> 0 THEN
        UPDATE inbound_acceptance SET scanned = inbound_acceptance.scanned + d_scanned,
            surplus = inbound_acceptance.surplus + d_surplus, put_aside = inbound_acceptance.put_aside + d_aside
            WHERE id = COALESCE(NEW.acceptance_id, OLD.acceptance_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER pvz_acceptancescan_counters AFTER INSERT OR DELETE
    OR UPDATE OF outcome, undone_at, tote_id, code, acceptance_id
    ON inbound_acceptancescan FOR EACH ROW EXECUTE FUNCTION pvz_acceptancescan_counters();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS pvz_acceptancescan_counters ON inbound_acceptancescan;
DROP FUNCTION IF EXISTS pvz_acceptancescan_counters();
DROP TRIGGER IF EXISTS pvz_manifesttote_start ON inbound_manifesttote;
DROP FUNCTION IF EXISTS pvz_manifesttote_start();
DROP TRIGGER IF EXISTS pvz_manifestline_counters ON inbound_manifestline;
DROP FUNCTION IF EXISTS pvz_manifestline_counters();
"""


def _scan_side(r: str, sign: str) -> str:
    """SQLite: add (sign "+") or take away (sign "-") the counts of scan row `r` (NEW or OLD)."""
    return f"""
    UPDATE inbound_acceptance SET
        scanned = scanned {sign} ({SCANNED.format(r=r)}),
        surplus = surplus {sign} ({SURPLUS.format(r=r)}),
        put_aside = put_aside {sign} ({ASIDE.format(r=r)} AND {_alone(r)})
        WHERE id = {r}.acceptance_id
          AND (({SCANNED.format(r=r)}) OR ({SURPLUS.format(r=r)}) OR ({ASIDE.format(r=r)} AND {_alone(r)}));
    UPDATE inbound_manifesttote SET scanned = scanned {sign} 1
        WHERE {SCANNED.format(r=r)} AND {r}.tote_id IS NOT NULL
          AND carriage_id = {CARRIAGE_OF.format(r=r)} AND tote_id = {r}.tote_id;
"""


def _line_side(r: str, sign: str) -> str:
    return f"""
    UPDATE inbound_carriage SET expected_parcels = expected_parcels {sign} 1 WHERE id = {r}.carriage_id;
    UPDATE inbound_manifesttote SET expected = expected {sign} 1
        WHERE {r}.tote_id IS NOT NULL AND carriage_id = {r}.carriage_id AND tote_id = {r}.tote_id;
"""


SQLITE = f"""
CREATE TRIGGER pvz_manifestline_counters_insert AFTER INSERT ON inbound_manifestline
BEGIN {_line_side("NEW", "+")} END;
CREATE TRIGGER pvz_manifestline_counters_delete AFTER DELETE ON inbound_manifestline
BEGIN {_line_side("OLD", "-")} END;
CREATE TRIGGER pvz_manifestline_counters_update AFTER UPDATE OF carriage_id, tote_id ON inbound_manifestline
BEGIN {_line_side("OLD", "-")} {_line_side("NEW", "+")} END;
CREATE TRIGGER pvz_manifesttote_start AFTER INSERT ON inbound_manifesttote BEGIN
    UPDATE inbound_manifesttote SET
        expected = (SELECT count(*) FROM inbound_manifestline
                    WHERE carriage_id = NEW.carriage_id AND tote_id = NEW.tote_id),
        scanned = (SELECT count(*) FROM inbound_acceptancescan s
                   JOIN inbound_acceptance a ON a.id = s.acceptance_id
                   WHERE a.carriage_id = NEW.carriage_id AND s.tote_id = NEW.tote_id AND {SCANNED.format(r="s")})
        WHERE id = NEW.id;
END;
CREATE TRIGGER pvz_acceptancescan_counters_insert AFTER INSERT ON inbound_acceptancescan
BEGIN {_scan_side("NEW", "+")} END;
CREATE TRIGGER pvz_acceptancescan_counters_delete AFTER DELETE ON inbound_acceptancescan
BEGIN {_scan_side("OLD", "-")} END;
CREATE TRIGGER pvz_acceptancescan_counters_update
    AFTER UPDATE OF outcome, undone_at, tote_id, code, acceptance_id ON inbound_acceptancescan
BEGIN {_scan_side("OLD", "-")} {_scan_side("NEW", "+")} END;
"""

SQLITE_REVERSE = """
DROP TRIGGER IF EXISTS pvz_acceptancescan_counters_update;
DROP TRIGGER IF EXISTS pvz_acceptancescan_counters_delete;
DROP TRIGGER IF EXISTS pvz_acceptancescan_counters_insert;
DROP TRIGGER IF EXISTS pvz_manifesttote_start;
DROP TRIGGER IF EXISTS pvz_manifestline_counters_update;
DROP TRIGGER IF EXISTS pvz_manifestline_counters_delete;
DROP TRIGGER IF EXISTS pvz_manifestline_counters_insert;
"""

FILL = f"""
UPDATE inbound_carriage SET expected_parcels = (
    SELECT count(*) FROM inbound_manifestline l WHERE l.carriage_id = inbound_carriage.id
);
UPDATE inbound_manifesttote SET
    expected = (SELECT count(*) FROM inbound_manifestline l
                WHERE l.carriage_id = inbound_manifesttote.carriage_id AND l.tote_id = inbound_manifesttote.tote_id),
    scanned = (SELECT count(*) FROM inbound_acceptancescan s JOIN inbound_acceptance a ON a.id = s.acceptance_id
               WHERE a.carriage_id = inbound_manifesttote.carriage_id AND s.tote_id = inbound_manifesttote.tote_id
                 AND {SCANNED.format(r="s")});
UPDATE inbound_acceptance SET
    scanned = (SELECT count(*) FROM inbound_acceptancescan s
               WHERE s.acceptance_id = inbound_acceptance.id AND {SCANNED.format(r="s")}),
    surplus = (SELECT count(*) FROM inbound_acceptancescan s
               WHERE s.acceptance_id = inbound_acceptance.id AND {SURPLUS.format(r="s")}),
    put_aside = (SELECT count(DISTINCT s.code) FROM inbound_acceptancescan s
                 WHERE s.acceptance_id = inbound_acceptance.id AND {ASIDE.format(r="s")});
"""


install = by_vendor({"postgresql": POSTGRESQL + FILL, "sqlite": SQLITE + FILL})
uninstall = by_vendor({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})


class Migration(migrations.Migration):

    dependencies = [
        ('inbound', '0004_scan_label_outcomes'),
        ('network', '0004_cell_held'),
        ('shipments', '0006_counters'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='acceptance',
            name='put_aside',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='acceptance',
            name='scanned',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='acceptance',
            name='surplus',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='carriage',
            name='expected_parcels',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='manifesttote',
            name='expected',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='manifesttote',
            name='scanned',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name='acceptancescan',
            index=models.Index(fields=['acceptance', 'code'], name='acceptancescan_code_idx'),
        ),
        migrations.RunPython(install, uninstall),
    ]
