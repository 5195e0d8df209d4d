"""Customer SMS codes become one table (issue 14 item 6): `counter_customercode` gains `kind` and the
subject's id (`subject_id`, a plain integer: the counter may not name a return visit), its issue codes keep
their session as the subject, and the session column goes. The return codes move in with returns 0005.
Reversible while the table holds only issue codes (returns 0005 reversed moves the others back first)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F


def _checks_now(schema_editor):
    """Foreign keys checked per statement, not at commit: PostgreSQL refuses to alter a table with checks
    still pending in the transaction, and this table is altered after its rows are updated."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def sessions_become_subjects(apps, schema_editor):
    _checks_now(schema_editor)
    apps.get_model("counter", "CustomerCode").objects.update(subject_id=F("session_id"))


def subjects_become_sessions(apps, schema_editor):
    _checks_now(schema_editor)
    apps.get_model("counter", "CustomerCode").objects.update(session_id=F("subject_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("counter", "0008_reasons_one_table"),
        ("shipments", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="customercode",
            name="kind",
            field=models.CharField(
                choices=[("issue", "Выдача"), ("return", "Возврат от покупателя")], default="issue", max_length=8
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="customercode",
            name="subject_id",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AlterField(
            model_name="customercode",
            name="session",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="codes",
                to="counter.issuesession",
            ),
        ),
        migrations.RunPython(sessions_become_subjects, subjects_become_sessions),
        migrations.RemoveField(model_name="customercode", name="session"),
        migrations.AlterField(
            model_name="customercode",
            name="subject_id",
            field=models.BigIntegerField(),
        ),
        migrations.AddIndex(
            model_name="customercode",
            index=models.Index(fields=["kind", "subject_id"], name="customer_code_subject_idx"),
        ),
    ]
