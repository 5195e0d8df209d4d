"""The old return-reasons table goes; `ReturnReason` is now the proxy of the return rows of
`counter.Reason`, and a customer return's `reason` is the column returns 0003 filled."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("returns", "0003_reasons_one_table")]

    operations = [
        migrations.RemoveField(model_name="customerreturn", name="reason"),
        migrations.DeleteModel(name="ReturnReason"),
        migrations.CreateModel(
            name="ReturnReason",
            fields=[],
            options={"ordering": ["position", "id"], "proxy": True, "indexes": [], "constraints": []},
            bases=("counter.reason",),
        ),
        migrations.RenameField(model_name="customerreturn", old_name="reason_new", new_name="reason"),
        migrations.AlterField(
            model_name="customerreturn",
            name="reason",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="returns.returnreason"
            ),
        ),
    ]
