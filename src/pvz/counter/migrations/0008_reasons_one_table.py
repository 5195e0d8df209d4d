"""Refusal and return reasons become one table (issue 14 item 6): the refusal reasons' table is renamed to
`counter_reason` and gains `kind`; `RefusalReason` is now the proxy of its refusal rows. The return reasons
move in with returns 0003/0004."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("counter", "0007_typedparcel_moved"),
        ("network", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="refusalreason", name="uniq_refusal_reason"),
        migrations.RemoveConstraint(model_name="refusalreason", name="uniq_default_refusal_reason"),
        migrations.RenameModel(old_name="RefusalReason", new_name="Reason"),
        migrations.AddField(
            model_name="reason",
            name="kind",
            field=models.CharField(
                choices=[("refusal", "Отказ при выдаче"), ("return", "Возврат от покупателя")],
                default="refusal",
                max_length=8,
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="reason",
            name="partner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="reasons",
                to="network.partner",
            ),
        ),
        migrations.AddConstraint(
            model_name="reason",
            constraint=models.UniqueConstraint(fields=("kind", "partner", "code"), name="uniq_reason"),
        ),
        migrations.AddConstraint(
            model_name="reason",
            constraint=models.UniqueConstraint(
                condition=models.Q(("partner__isnull", True)),
                fields=("kind", "code"),
                name="uniq_default_reason",
            ),
        ),
        migrations.CreateModel(
            name="RefusalReason",
            fields=[],
            options={"ordering": ["position", "id"], "proxy": True, "indexes": [], "constraints": []},
            bases=("counter.reason",),
        ),
        migrations.AlterField(
            model_name="issueline",
            name="refusal_reason",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="counter.refusalreason",
            ),
        ),
    ]
