"""Return reasons move into the one reasons table (`counter_reason`, kind "return"): each is copied there
and every customer return is pointed at its copy through a new column; returns 0004 drops the old table
and column. Two migrations, so PostgreSQL never alters a table with row updates pending in the same
transaction."""

import django.db.models.deletion
from django.db import migrations, models


def _checks_now(schema_editor):
    """Foreign keys checked per statement, not at commit: PostgreSQL refuses to alter a table with checks
    still pending in the transaction, and the columns and tables around these rows are altered next."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def copy_return_reasons(apps, schema_editor):
    _checks_now(schema_editor)
    ReturnReason = apps.get_model("returns", "ReturnReason")
    Reason = apps.get_model("counter", "Reason")
    CustomerReturn = apps.get_model("returns", "CustomerReturn")
    for old in ReturnReason.objects.order_by("pk"):
        new = Reason.objects.create(
            kind="return",
            partner_id=old.partner_id,
            code=old.code,
            title=old.title,
            position=old.position,
            is_active=old.is_active,
        )
        CustomerReturn.objects.filter(reason_id=old.pk).update(reason_new=new)


def copy_back(apps, schema_editor):
    """Backwards (returns 0004 reversed has recreated the old table, empty): the return reasons go back to
    it with the returns that point at them, and leave the one table."""
    _checks_now(schema_editor)
    ReturnReason = apps.get_model("returns", "ReturnReason")
    Reason = apps.get_model("counter", "Reason")
    CustomerReturn = apps.get_model("returns", "CustomerReturn")
    for new in Reason.objects.filter(kind="return").order_by("pk"):
        old = ReturnReason.objects.create(
            partner_id=new.partner_id,
            code=new.code,
            title=new.title,
            position=new.position,
            is_active=new.is_active,
        )
        CustomerReturn.objects.filter(reason_new=new).update(reason_id=old.pk, reason_new=None)
    Reason.objects.filter(kind="return").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("counter", "0008_reasons_one_table"),
        ("returns", "0002_default_return_reasons"),
    ]

    operations = [
        migrations.AddField(
            model_name="customerreturn",
            name="reason_new",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="counter.reason"
            ),
        ),
        migrations.RunPython(copy_return_reasons, copy_back),
    ]
