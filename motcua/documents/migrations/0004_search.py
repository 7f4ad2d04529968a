"""Full-text search of digitized text (documents/search.py): created by the database's vendor.

SQLite: the FTS5 table documents_search. PostgreSQL: the unaccent extension (trusted since PostgreSQL 13: the
database owner may create it), an immutable wrapper motcua_search_vector(text) and a GIN index on it.
"""

from django.db import migrations

UP = {
    "sqlite": [
        "CREATE VIRTUAL TABLE IF NOT EXISTS documents_search USING fts5("
        "file_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')",
    ],
    "postgresql": [
        "CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public",
        # unaccent() is only STABLE (its dictionary could change); pinning the dictionary makes this wrapper safe to
        # mark IMMUTABLE, which an index expression needs. The first 1,000,000 characters: within tsvector's limits.
        """CREATE OR REPLACE FUNCTION motcua_search_vector(body text) RETURNS tsvector
           LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
           AS $$ SELECT to_tsvector('simple'::regconfig,
                                    public.unaccent('public.unaccent'::regdictionary, left(body, 1000000))) $$""",
        "CREATE INDEX IF NOT EXISTS documents_digitization_search ON documents_digitization "
        "USING gin (motcua_search_vector(text))",
    ],
}
DOWN = {
    "sqlite": ["DROP TABLE IF EXISTS documents_search"],
    "postgresql": ["DROP INDEX IF EXISTS documents_digitization_search",
                   "DROP FUNCTION IF EXISTS motcua_search_vector(text)"],
}


def statements(by_vendor):
    """A RunPython function executing the statements of the connection's vendor (none for other vendors)."""

    def run(apps, schema_editor):
        for statement in by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("documents", "0003_digitization_pdfa"),
    ]

    operations = [
        migrations.RunPython(statements(UP), statements(DOWN)),
    ]
