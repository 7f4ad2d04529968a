"""Full-text search of digitized text (documents/search.py): created by the database's vendor.

SQLite: the FTS5 table documents_search. PostgreSQL: the unaccent extension (trusted since PostgreSQL 13: the
database owner may create it), an immutable wrapper motcua_search_vector(text) and a GIN index on it.
"""

from django.db import migrations

SQLITE_UP = ("CREATE VIRTUAL TABLE IF NOT EXISTS documents_search USING fts5("
             "file_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')")
SQLITE_DOWN = "DROP TABLE IF EXISTS documents_search"

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public",
    # unaccent() is only STABLE (its dictionary could change); pinning the dictionary makes this wrapper safe to
    # mark IMMUTABLE, which an index expression needs. The first 1,000,000 characters: within tsvector's limits.
    """CREATE OR REPLACE FUNCTION motcua_search_vector(body text) RETURNS tsvector
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       AS $$ SELECT to_tsvector('simple'::regconfig,
                                public.unaccent('public.unaccent'::regdictionary, left(body, 1000000))) $$""",
    "CREATE INDEX IF NOT EXISTS documents_digitization_search ON documents_digitization "
    "USING gin (motcua_search_vector(text))",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS documents_digitization_search",
    "DROP FUNCTION IF EXISTS motcua_search_vector(text)",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)
    elif vendor == "postgresql":
        for statement in POSTGRES_UP:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)
    elif vendor == "postgresql":
        for statement in POSTGRES_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("documents", "0003_digitization_pdfa"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
