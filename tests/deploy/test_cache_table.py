"""The migration that creates the database cache's table, so that `manage.py migrate` alone prepares a database."""

import importlib
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import override_settings

pytestmark = pytest.mark.django_db

# What the migration reads of its schema editor: the connection it migrates. (SQLite allows no schema editor inside
# the test's transaction; the test's rollback removes the table again on both engines.)
EDITOR = SimpleNamespace(connection=connection)

cache_table_migration = importlib.import_module("core.migrations.0001_cache_table")

DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "qfr_test_cache"}}


def test_cache_table_migration_creates_the_database_cache_table_and_is_idempotent():
    assert "qfr_test_cache" not in connection.introspection.table_names()
    with override_settings(CACHES=DATABASE_CACHE):
        cache_table_migration.create_cache_tables(None, EDITOR)
        cache_table_migration.create_cache_tables(None, EDITOR)  # a second run finds the table and keeps it
    assert "qfr_test_cache" in connection.introspection.table_names()
    with override_settings(CACHES=DATABASE_CACHE):
        cache = caches["default"]
        cache.set("answer", 42)
        assert cache.get("answer") == 42
        cache.close()


def test_cache_table_migration_creates_nothing_for_a_cache_outside_the_database():
    before = set(connection.introspection.table_names())
    redis_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x/1"}}
    with override_settings(CACHES=redis_cache):
        cache_table_migration.create_cache_tables(None, EDITOR)
    assert set(connection.introspection.table_names()) == before
