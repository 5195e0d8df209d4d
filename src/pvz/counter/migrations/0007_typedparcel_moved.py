"""TypedParcel moved here from the anomalies app with its table: state only (anomalies migration 0003
drops it from that app's state)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("counter", "0006_finish_function"),
        ("anomalies", "0002_guard_models_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="TypedParcel",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField()),
                        (
                            "line",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="counter.issueline"
                            ),
                        ),
                    ],
                    options={"db_table": "anomalies_typedparcel"},
                ),
            ],
        ),
    ]
