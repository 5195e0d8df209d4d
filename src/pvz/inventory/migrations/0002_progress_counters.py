"""A count's progress as counters kept by the database (docs/adr/0006-scan-hot-path.md): on every scan
recorded, a trigger adds to the count's row the cell scanned for the first time in this count, the parcel
seen on a shelf for the first time (FOUND or MISPLACED, or a REPEAT of those: `reason` empty), the parcel
found misplaced for the first time, the unknown scan. Scans are never changed or deleted once recorded, so
an insert trigger is the whole story; whichever code records a scan (the Python path, the database
function) counts the same. Filled from the scans as they are when the migration runs. A cell that leaves
the scope after its scan (retired) is taken off when the progress is read, from the point's cells; the
(count, kind, cell) index serves that probe and the trigger's.
"""

from django.db import migrations, models

from pvz.core.migration_sql import by_vendor

SEEN = "(s.outcome IN ('FOUND', 'MISPLACED') OR (s.outcome = 'REPEAT' AND s.reason = ''))"
NEW_SEEN = SEEN.replace("s.", "NEW.")

POSTGRESQL = f"""
CREATE FUNCTION pvz_inventory_scan_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'cell' THEN
        UPDATE inventory_inventorycount SET cells_scanned = cells_scanned + 1
            WHERE id = NEW.count_id AND NOT EXISTS (
                SELECT 1 FROM inventory_inventoryscan s
                WHERE s.count_id = NEW.count_id AND s.kind = 'cell' AND s.cell_id = NEW.cell_id
                  AND s.id <> NEW.id);
        RETURN NULL;
    END IF;
    UPDATE inventory_inventorycount SET
        unknown_scans = unknown_scans + (NEW.outcome = 'UNKNOWN')::int,
        found_parcels = found_parcels + (NEW.shipment_id IS NOT NULL AND {NEW_SEEN} AND NOT EXISTS (
            SELECT 1 FROM inventory_inventoryscan s
            WHERE s.count_id = NEW.count_id AND s.shipment_id = NEW.shipment_id AND s.id <> NEW.id
              AND {SEEN}))::int,
        misplaced_parcels = misplaced_parcels + (NEW.shipment_id IS NOT NULL AND NEW.outcome = 'MISPLACED'
            AND NOT EXISTS (
            SELECT 1 FROM inventory_inventoryscan s
            WHERE s.count_id = NEW.count_id AND s.shipment_id = NEW.shipment_id AND s.id <> NEW.id
              AND s.outcome = 'MISPLACED'))::int
        WHERE id = NEW.count_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER pvz_inventory_scan_counters AFTER INSERT ON inventory_inventoryscan
    FOR EACH ROW EXECUTE FUNCTION pvz_inventory_scan_counters();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS pvz_inventory_scan_counters ON inventory_inventoryscan;
DROP FUNCTION IF EXISTS pvz_inventory_scan_counters();
"""

SQLITE = f"""
CREATE TRIGGER pvz_inventory_scan_cell_counters AFTER INSERT ON inventory_inventoryscan
WHEN NEW.kind = 'cell'
BEGIN
    UPDATE inventory_inventorycount SET cells_scanned = cells_scanned + 1
        WHERE id = NEW.count_id AND NOT EXISTS (
            SELECT 1 FROM inventory_inventoryscan s
            WHERE s.count_id = NEW.count_id AND s.kind = 'cell' AND s.cell_id = NEW.cell_id
              AND s.id <> NEW.id);
END;

CREATE TRIGGER pvz_inventory_scan_counters AFTER INSERT ON inventory_inventoryscan
WHEN NEW.kind = 'parcel'
BEGIN
    UPDATE inventory_inventorycount SET
        unknown_scans = unknown_scans + (NEW.outcome = 'UNKNOWN'),
        found_parcels = found_parcels + (NEW.shipment_id IS NOT NULL AND {NEW_SEEN} AND NOT EXISTS (
            SELECT 1 FROM inventory_inventoryscan s
            WHERE s.count_id = NEW.count_id AND s.shipment_id = NEW.shipment_id AND s.id <> NEW.id
              AND {SEEN})),
        misplaced_parcels = misplaced_parcels + (NEW.shipment_id IS NOT NULL AND NEW.outcome = 'MISPLACED'
            AND NOT EXISTS (
            SELECT 1 FROM inventory_inventoryscan s
            WHERE s.count_id = NEW.count_id AND s.shipment_id = NEW.shipment_id AND s.id <> NEW.id
              AND s.outcome = 'MISPLACED'))
        WHERE id = NEW.count_id;
END;
"""

SQLITE_REVERSE = """
DROP TRIGGER IF EXISTS pvz_inventory_scan_cell_counters;
DROP TRIGGER IF EXISTS pvz_inventory_scan_counters;
"""

FILL = f"""
UPDATE inventory_inventorycount SET
    cells_scanned = (SELECT count(DISTINCT s.cell_id) FROM inventory_inventoryscan s
                     WHERE s.count_id = inventory_inventorycount.id AND s.kind = 'cell'),
    unknown_scans = (SELECT count(*) FROM inventory_inventoryscan s
                     WHERE s.count_id = inventory_inventorycount.id AND s.kind = 'parcel'
                       AND s.outcome = 'UNKNOWN'),
    found_parcels = (SELECT count(DISTINCT s.shipment_id) FROM inventory_inventoryscan s
                     WHERE s.count_id = inventory_inventorycount.id AND s.kind = 'parcel' AND {SEEN}),
    misplaced_parcels = (SELECT count(DISTINCT s.shipment_id) FROM inventory_inventoryscan s
                         WHERE s.count_id = inventory_inventorycount.id AND s.kind = 'parcel'
                           AND s.outcome = 'MISPLACED');
"""


install = by_vendor({"postgresql": POSTGRESQL + FILL, "sqlite": SQLITE + FILL})
uninstall = by_vendor({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_inventory_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="inventorycount",
            name="cells_scanned",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="inventorycount",
            name="found_parcels",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="inventorycount",
            name="misplaced_parcels",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="inventorycount",
            name="unknown_scans",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="inventoryscan",
            index=models.Index(fields=["count", "kind", "cell"], name="inventory_i_count_i_b6f3f7_idx"),
        ),
        migrations.RunPython(install, uninstall),
    ]
