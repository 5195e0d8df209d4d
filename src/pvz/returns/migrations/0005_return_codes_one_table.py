"""Return codes move into the one table of customer SMS codes (`counter_customercode`, kind "return", the
visit as the subject), and their own table goes. Backwards they move back to the recreated table. No
table here is altered after its rows change in the same transaction, so unlike counter 0009 the foreign
key checks may stay deferred."""

from django.db import migrations

FIELDS = ("customer_id", "phone", "code_hash", "created_at", "expires_at", "attempts", "used_at")


def move_return_codes(apps, schema_editor):
    CustomerCode = apps.get_model("counter", "CustomerCode")
    CustomerCode.objects.bulk_create(
        CustomerCode(kind="return", subject_id=old.visit_id, **{name: getattr(old, name) for name in FIELDS})
        for old in apps.get_model("returns", "ReturnCode").objects.order_by("pk").iterator()
    )


def move_back(apps, schema_editor):
    """Backwards (the delete reversed has recreated the old table, empty)."""
    CustomerCode = apps.get_model("counter", "CustomerCode")
    ReturnCode = apps.get_model("returns", "ReturnCode")
    moved = CustomerCode.objects.filter(kind="return").order_by("pk")
    ReturnCode.objects.bulk_create(
        ReturnCode(visit_id=new.subject_id, **{name: getattr(new, name) for name in FIELDS})
        for new in moved.iterator()
    )
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("counter", "0009_customer_codes_one_table"),
        ("returns", "0004_return_reason_proxy"),
    ]

    operations = [
        migrations.RunPython(move_return_codes, move_back),
        migrations.DeleteModel(name="ReturnCode"),
    ]
