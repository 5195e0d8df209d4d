"""The guard's three models, moved from the anomalies app with their tables: state only, the database keeps
the tables, their rows and their indexes as they are (anomalies migration 0002 drops them from its state)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("anomalies", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='AuthFailure',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(max_length=20)),
                        ('scope', models.CharField(choices=[('phone', 'Телефон'), ('ip', 'IP-адрес')], max_length=5)),
                        ('key', models.CharField(max_length=64)),
                        ('at', models.DateTimeField()),
                    ],
                    options={
                        'db_table': 'anomalies_authfailure',
                        'indexes': [models.Index(fields=['kind', 'scope', 'key', 'at'], name='anom_failure_key_at')],
                    },
                ),
                migrations.CreateModel(
                    name='AuthLockout',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(max_length=20)),
                        ('scope', models.CharField(choices=[('phone', 'Телефон'), ('ip', 'IP-адрес')], max_length=5)),
                        ('key', models.CharField(max_length=64)),
                        ('started_at', models.DateTimeField()),
                        ('until', models.DateTimeField()),
                        ('seconds', models.PositiveIntegerField()),
                    ],
                    options={
                        'db_table': 'anomalies_authlockout',
                        'indexes': [models.Index(fields=['kind', 'scope', 'key', 'until'], name='anom_lockout_key_until')],
                    },
                ),
                migrations.CreateModel(
                    name='SmsSend',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('phone', models.CharField(max_length=20)),
                        ('ip', models.GenericIPAddressField(blank=True, null=True)),
                        ('at', models.DateTimeField(db_index=True)),
                    ],
                    options={
                        'db_table': 'anomalies_smssend',
                        'indexes': [models.Index(fields=['phone', 'at'], name='anom_sms_phone_at'), models.Index(fields=['ip', 'at'], name='anom_sms_ip_at')],
                    },
                ),
            ],
        ),
    ]
