"""Create the staff groups. Their model permissions are granted by accounts.services.group_permissions_sync,
which runs after every migrate (permissions of apps added later exist only then)."""

from django.db import migrations

GROUPS = ["Facility managers", "Procurement officers", "Office staff"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_institution"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
