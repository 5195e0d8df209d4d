"""Counters kept by the database: `Cell.held` (a customer cell's parcels that count against its capacity)
and `CustomerCell` (the cells holding a customer's STORED parcels), maintained by triggers on shipments in
the same transaction as every parcel that enters or leaves a cell, whichever code (or factory, or bulk
update) changes it. Filled from the rows as they are when the migration runs.

The statuses below are `shipments.statuses.AT_POINT` as of this migration; a test checks the trigger
against the constant for every status, so a change of the constant needs a migration that changes this.
"""

import django.db.models.deletion
from django.db import migrations, models

from pvz.core.migration_sql import by_vendor

AT_POINT = "'ACCEPTED', 'STORED', 'DAMAGED', 'RETURNED', 'REFUSED', 'EXPIRED', 'CANCELLED', 'AWAITING_DISPATCH'"

POSTGRESQL = f"""
CREATE FUNCTION pvz_shipment_counters() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_held boolean := false;
    new_held boolean := false;
    old_stored boolean := false;
    new_stored boolean := false;
    same_place boolean := false;
    customer bigint;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_held := OLD.cell_id IS NOT NULL AND OLD.status IN ({AT_POINT});
        old_stored := OLD.cell_id IS NOT NULL AND OLD.status = 'STORED';
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        new_held := NEW.cell_id IS NOT NULL AND NEW.status IN ({AT_POINT});
        new_stored := NEW.cell_id IS NOT NULL AND NEW.status = 'STORED';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        same_place := OLD.cell_id IS NOT DISTINCT FROM NEW.cell_id AND OLD.order_id = NEW.order_id;
    END IF;
    -- Only customer cells keep a count (no row lock on the special places every refusal passes).
    IF NOT (same_place AND old_held = new_held) THEN
        IF old_held THEN
            UPDATE network_cell SET held = held - 1 WHERE id = OLD.cell_id AND kind = 'regular';
        END IF;
        IF new_held THEN
            UPDATE network_cell SET held = held + 1 WHERE id = NEW.cell_id AND kind = 'regular';
        END IF;
    END IF;
    IF NOT (same_place AND old_stored = new_stored) THEN
        IF old_stored THEN
            SELECT customer_id INTO customer FROM shipments_order WHERE id = OLD.order_id;
            UPDATE shipments_customercell SET stored = stored - 1
                WHERE customer_id = customer AND cell_id = OLD.cell_id;
            DELETE FROM shipments_customercell
                WHERE customer_id = customer AND cell_id = OLD.cell_id AND stored = 0;
        END IF;
        IF new_stored THEN
            SELECT customer_id INTO customer FROM shipments_order WHERE id = NEW.order_id;
            INSERT INTO shipments_customercell (customer_id, cell_id, stored) VALUES (customer, NEW.cell_id, 1)
                ON CONFLICT (customer_id, cell_id)
                DO UPDATE SET stored = shipments_customercell.stored + 1;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER pvz_shipment_counters AFTER INSERT OR DELETE OR UPDATE OF status, cell_id, order_id
    ON shipments_shipment FOR EACH ROW EXECUTE FUNCTION pvz_shipment_counters();

-- An order handed to another customer takes its stored parcels' cells along.
CREATE FUNCTION pvz_order_customer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parcel record;
BEGIN
    IF NEW.customer_id IS DISTINCT FROM OLD.customer_id THEN
        FOR parcel IN SELECT cell_id FROM shipments_shipment
                WHERE order_id = NEW.id AND status = 'STORED' AND cell_id IS NOT NULL LOOP
            UPDATE shipments_customercell SET stored = stored - 1
                WHERE customer_id = OLD.customer_id AND cell_id = parcel.cell_id;
            DELETE FROM shipments_customercell
                WHERE customer_id = OLD.customer_id AND cell_id = parcel.cell_id AND stored = 0;
            INSERT INTO shipments_customercell (customer_id, cell_id, stored)
                VALUES (NEW.customer_id, parcel.cell_id, 1)
                ON CONFLICT (customer_id, cell_id) DO UPDATE SET stored = shipments_customercell.stored + 1;
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER pvz_order_customer AFTER UPDATE OF customer_id ON shipments_order
    FOR EACH ROW EXECUTE FUNCTION pvz_order_customer();

-- A cell that becomes (or stops being) a customer cell starts counting from the truth.
CREATE FUNCTION pvz_cell_kind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind IS DISTINCT FROM OLD.kind THEN
        NEW.held := CASE WHEN NEW.kind = 'regular' THEN (
            SELECT count(*) FROM shipments_shipment WHERE cell_id = NEW.id AND status IN ({AT_POINT})
        ) ELSE 0 END;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER pvz_cell_kind BEFORE UPDATE OF kind ON network_cell
    FOR EACH ROW EXECUTE FUNCTION pvz_cell_kind();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS pvz_cell_kind ON network_cell;
DROP FUNCTION IF EXISTS pvz_cell_kind();
DROP TRIGGER IF EXISTS pvz_order_customer ON shipments_order;
DROP FUNCTION IF EXISTS pvz_order_customer();
DROP TRIGGER IF EXISTS pvz_shipment_counters ON shipments_shipment;
DROP FUNCTION IF EXISTS pvz_shipment_counters();
"""

# SQLite has no procedural triggers: one trigger per event, each a few statements guarded by conditions.
HELD_OLD = f"OLD.cell_id IS NOT NULL AND OLD.status IN ({AT_POINT})"
HELD_NEW = f"NEW.cell_id IS NOT NULL AND NEW.status IN ({AT_POINT})"
STORED_OLD = "OLD.cell_id IS NOT NULL AND OLD.status = 'STORED'"
STORED_NEW = "NEW.cell_id IS NOT NULL AND NEW.status = 'STORED'"
CUSTOMER_OLD = "(SELECT customer_id FROM shipments_order WHERE id = OLD.order_id)"
CUSTOMER_NEW = "(SELECT customer_id FROM shipments_order WHERE id = NEW.order_id)"
LEAVE = f"""
    UPDATE network_cell SET held = held - 1 WHERE id = OLD.cell_id AND kind = 'regular' AND {HELD_OLD};
    UPDATE shipments_customercell SET stored = stored - 1
        WHERE customer_id = {CUSTOMER_OLD} AND cell_id = OLD.cell_id AND {STORED_OLD};
    DELETE FROM shipments_customercell
        WHERE customer_id = {CUSTOMER_OLD} AND cell_id = OLD.cell_id AND stored = 0;
"""
ENTER = f"""
    UPDATE network_cell SET held = held + 1 WHERE id = NEW.cell_id AND kind = 'regular' AND {HELD_NEW};
    INSERT INTO shipments_customercell (customer_id, cell_id, stored)
        SELECT {CUSTOMER_NEW}, NEW.cell_id, 1 WHERE {STORED_NEW}
        ON CONFLICT (customer_id, cell_id) DO UPDATE SET stored = stored + 1;
"""
SQLITE = f"""
CREATE TRIGGER pvz_shipment_counters_insert AFTER INSERT ON shipments_shipment BEGIN {ENTER} END;
CREATE TRIGGER pvz_shipment_counters_delete AFTER DELETE ON shipments_shipment BEGIN {LEAVE} END;
CREATE TRIGGER pvz_shipment_counters_update AFTER UPDATE OF status, cell_id, order_id ON shipments_shipment
WHEN OLD.status IS NOT NEW.status OR OLD.cell_id IS NOT NEW.cell_id OR OLD.order_id IS NOT NEW.order_id
BEGIN {LEAVE} {ENTER} END;
CREATE TRIGGER pvz_order_customer AFTER UPDATE OF customer_id ON shipments_order
WHEN NEW.customer_id IS NOT OLD.customer_id BEGIN
    UPDATE shipments_customercell SET stored = stored - (
        SELECT count(*) FROM shipments_shipment s
        WHERE s.order_id = NEW.id AND s.status = 'STORED' AND s.cell_id = shipments_customercell.cell_id
    ) WHERE customer_id = OLD.customer_id;
    DELETE FROM shipments_customercell WHERE customer_id = OLD.customer_id AND stored = 0;
    INSERT INTO shipments_customercell (customer_id, cell_id, stored)
        SELECT NEW.customer_id, s.cell_id, count(*) FROM shipments_shipment s
        WHERE s.order_id = NEW.id AND s.status = 'STORED' AND s.cell_id IS NOT NULL GROUP BY s.cell_id
        ON CONFLICT (customer_id, cell_id) DO UPDATE SET stored = stored + excluded.stored;
END;
CREATE TRIGGER pvz_cell_kind AFTER UPDATE OF kind ON network_cell WHEN NEW.kind IS NOT OLD.kind BEGIN
    UPDATE network_cell SET held = CASE WHEN NEW.kind = 'regular' THEN (
        SELECT count(*) FROM shipments_shipment WHERE cell_id = NEW.id AND status IN ({AT_POINT})
    ) ELSE 0 END WHERE id = NEW.id;
END;
"""

SQLITE_REVERSE = """
DROP TRIGGER IF EXISTS pvz_cell_kind;
DROP TRIGGER IF EXISTS pvz_order_customer;
DROP TRIGGER IF EXISTS pvz_shipment_counters_update;
DROP TRIGGER IF EXISTS pvz_shipment_counters_delete;
DROP TRIGGER IF EXISTS pvz_shipment_counters_insert;
"""

FILL = f"""
UPDATE network_cell SET held = (
    SELECT count(*) FROM shipments_shipment s WHERE s.cell_id = network_cell.id AND s.status IN ({AT_POINT})
) WHERE kind = 'regular';
INSERT INTO shipments_customercell (customer_id, cell_id, stored)
    SELECT o.customer_id, s.cell_id, count(*) FROM shipments_shipment s
    JOIN shipments_order o ON o.id = s.order_id
    WHERE s.status = 'STORED' AND s.cell_id IS NOT NULL
    GROUP BY o.customer_id, s.cell_id;
"""


install = by_vendor({"postgresql": POSTGRESQL + FILL, "sqlite": SQLITE + FILL})
uninstall = by_vendor({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})


class Migration(migrations.Migration):

    dependencies = [
        ('network', '0004_cell_held'),
        ('shipments', '0005_shipment_manifest_flags'),
    ]

    operations = [
        migrations.CreateModel(
            name='CustomerCell',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('stored', models.PositiveIntegerField()),
                ('cell', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='network.cell')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='shipments.customer')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('customer', 'cell'), name='uniq_customer_cell')],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
