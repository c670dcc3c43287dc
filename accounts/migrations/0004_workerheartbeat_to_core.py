# The worker heartbeat moved to core (the shared layer); its table stays where it is.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_staff_groups"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="WorkerHeartbeat")],
            database_operations=[],
        ),
    ]
