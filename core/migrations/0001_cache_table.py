"""Create the table of every configured database cache (the embedded default's `dbcache://qfr_cache`), so that
`manage.py migrate` alone prepares a database. Django's `createcachetable` skips tables that exist and caches
that are not in the database (Redis in production, memory in tests), so this is safe to run anywhere.

A deployment that switches `CACHE_URL` to a database cache after this migration ran creates the table with
`manage.py createcachetable` (README, Configuration)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=False),
    ]
