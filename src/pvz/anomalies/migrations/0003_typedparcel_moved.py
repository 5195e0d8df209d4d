"""TypedParcel moved to the counter app (counter migration 0007), keeping its table: state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("anomalies", "0002_guard_models_moved"),
        ("counter", "0007_typedparcel_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="TypedParcel")],
        ),
    ]
