# The worker heartbeat, moved here from accounts: the state only, the table `accounts_workerheartbeat` is kept.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_cache_table"),
        ("accounts", "0004_workerheartbeat_to_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WorkerHeartbeat",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("hostname", models.CharField(max_length=255, unique=True, verbose_name="hostname")),
                        ("seen_at", models.DateTimeField(verbose_name="seen at")),
                        ("beats", models.PositiveBigIntegerField(default=0, verbose_name="beats")),
                    ],
                    options={
                        "verbose_name": "worker heartbeat",
                        "verbose_name_plural": "worker heartbeats",
                        "ordering": ["-seen_at"],
                        "db_table": "accounts_workerheartbeat",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
