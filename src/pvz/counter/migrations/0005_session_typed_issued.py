"""Each finished session keeps how many of its issued parcels were typed in, not scanned: the rule
«Выдачи без сканирования» sums it over the operator's recent sessions through a partial index instead of
reading every line of every session they finished in its window. Filled for the sessions finished so far."""

from django.conf import settings
from django.db import migrations, models

FILL = """
UPDATE counter_issuesession SET typed_issued = (
    SELECT count(*) FROM counter_issueline l
    JOIN anomalies_typedparcel t ON t.line_id = l.id
    WHERE l.session_id = counter_issuesession.id AND l.result = 'issued'
) WHERE status = 'finished'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("counter", "0004_scan_function"),
        ("anomalies", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="issuesession",
            name="typed_issued",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="issuesession",
            index=models.Index(
                condition=models.Q(("typed_issued__gt", 0)),
                fields=["finished_by", "point", "finished_at"],
                name="issue_session_typed_idx",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
