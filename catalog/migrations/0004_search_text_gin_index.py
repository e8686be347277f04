"""A GIN index for keyword search on PostgreSQL.

``catalog.selectors._search`` filters with ``to_tsvector('simple', COALESCE(search_text, ''))
@@ query`` (what Django's ``SearchVector("search_text", config="simple")`` compiles to). Without
an index PostgreSQL computes the vector of every visible listing on every search: ~25 ms for 300
listings, growing with the catalogue. The index expression is written to match that SQL exactly,
or the planner would not use it. SQLite (the embedded demo) has no full-text vectors and keeps its
``LIKE`` search, so the operation does nothing there.
"""

from django.db import migrations

TABLES = ("catalog_requirement", "catalog_achievement")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_gin ON {table} "
            f"USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, ''::text)))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_gin")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_import_job_duplicate_candidate")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
