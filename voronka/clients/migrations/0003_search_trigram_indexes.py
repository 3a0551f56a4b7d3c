"""Trigram indexes for "contains" search on PostgreSQL; nothing on SQLite.

Search compares ``search_text LIKE '%term%'`` (and phone digits the same way),
which a B-tree index cannot serve; pg_trgm's GIN index can, so a search among
hundreds of thousands of clients reads a few index pages instead of the table.
"""

from django.db import migrations

# A "contains" pattern is estimated from the column's statistics; with the default
# sample a rare name looked common, and the planner walked the whole created_at
# index newest-first instead of asking the trigram index (190 ms against 10 ms
# at 100 000 deals). A larger sample makes the estimate close enough.
STATISTICS_TABLES = ["clients_company", "clients_contact"]

INDEXES = [
    ("clients_company_search_trgm", "clients_company", "search_text"),
    ("clients_company_phone_trgm", "clients_company", "phone_normalized"),
    ("clients_contact_search_trgm", "clients_contact", "search_text"),
    ("clients_contact_phone_trgm", "clients_contact", "phone_normalized"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
        )
    for table in STATISTICS_TABLES:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN search_text SET STATISTICS 1000")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for table in STATISTICS_TABLES:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN search_text SET STATISTICS -1")
    # the extension stays: other tables' indexes may use it


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
