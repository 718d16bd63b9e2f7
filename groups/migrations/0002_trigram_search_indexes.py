"""Trigram indexes so Discover's name/description search (icontains) uses an index on PostgreSQL.

Django's icontains on PostgreSQL is `UPPER(col::text) LIKE UPPER(%s)`; these GIN indexes match
that expression. They need the pg_trgm extension: where the database role may not create it,
the migration skips the indexes (search still works, by scanning). SQLite has no such index.
"""

from django.db import migrations

INDEXES = {
    "group_name_trgm_idx": 'UPPER("display_name"::text) gin_trgm_ops',
    "group_description_trgm_idx": 'UPPER("description"::text) gin_trgm_ops',
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            cursor.execute(
                "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user"
            )
            if not cursor.fetchone()[0]:
                return
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, expression in INDEXES.items():
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS {name} ON "groups_group" USING gin ({expression})'
            )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("groups", "0001_initial")]
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
