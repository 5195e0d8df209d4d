"""The lockout and SMS-limit models moved to the guard app (guard migration 0001), keeping their tables:
they leave this app's state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("anomalies", "0001_initial"),
        ("guard", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="AuthFailure"),
                migrations.DeleteModel(name="AuthLockout"),
                migrations.DeleteModel(name="SmsSend"),
            ],
        ),
    ]
