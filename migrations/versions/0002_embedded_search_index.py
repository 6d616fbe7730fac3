"""embedded search index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 02:22:07.906305
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import referral_hub.db.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('search_documents',
    sa.Column('doc_key', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('service_at_location_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('time_zone', sa.String(length=64), nullable=True),
    sa.Column('accepting_referrals', sa.Boolean(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_search_documents_network_id_networks')),
    sa.PrimaryKeyConstraint('doc_key', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('id', name=op.f('uq_search_documents_id'))
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index('ix_search_documents_lat_lng', ['latitude', 'longitude'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_documents_service_id'), ['service_id'], unique=False)

    op.create_table('search_document_values',
    sa.Column('facet', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('doc_key', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['doc_key'], ['search_documents.doc_key'], name=op.f('fk_search_document_values_doc_key_search_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('facet', 'value', 'doc_key', name=op.f('pk_search_document_values'))
    )
    with op.batch_alter_table('search_document_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_document_values_doc_key'), ['doc_key'], unique=False)

    op.create_table('search_open_intervals',
    sa.Column('doc_key', sa.BigInteger(), nullable=False),
    sa.Column('start_slot', sa.SmallInteger(), nullable=False),
    sa.Column('end_slot', sa.SmallInteger(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['doc_key'], ['search_documents.doc_key'], name=op.f('fk_search_open_intervals_doc_key_search_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('doc_key', 'start_slot', name=op.f('pk_search_open_intervals'))
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgresql_upgrade()


# Not models (SQLAlchemy has no types for them): referral_hub.db.metadata.EXTERNAL_TABLE_PREFIXES names them
# so that the drift check leaves them alone.
def _sqlite_upgrade() -> None:
    # Weights (name > terms > description) are given at query time by bm25(); Porter stemming on top
    # of unicode61 with diacritics removed, so "pantries" finds "pantry" and "Peña" finds "pena".
    # External content (search_documents holds the text): the index is all FTS5 writes.
    op.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "name, terms, description, content = 'search_documents', content_rowid = 'doc_key', "
        "tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    # The typo fallback: trigrams of service names, searched when the exact query finds nothing.
    op.execute(
        "CREATE VIRTUAL TABLE search_trigrams USING fts5("
        "name, content = 'search_documents', content_rowid = 'doc_key', tokenize = 'trigram')"
    )
    op.execute("CREATE VIRTUAL TABLE search_geo USING rtree(doc_key, min_lat, max_lat, min_lng, max_lng)")


def _postgresql_upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # English stemming without a stop-word list, after unaccent: every word a person types must match
    # (as on SQLite's FTS5 and Meilisearch), "pantries" finds "pantry" and "Pena" finds "Peña".
    op.execute("CREATE TEXT SEARCH DICTIONARY search_english_stem (TEMPLATE = snowball, LANGUAGE = english)")
    op.execute("CREATE TEXT SEARCH CONFIGURATION search_english (COPY = english)")
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION search_english ALTER MAPPING FOR asciiword, asciihword, "
        "hword_asciipart WITH search_english_stem"
    )
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION search_english ALTER MAPPING FOR word, hword, hword_part "
        "WITH unaccent, search_english_stem"
    )
    # Weights: name A > taxonomy terms and need categories B > description and organization C.
    # Stored, so that ranking reads it instead of parsing the text again for every match.
    # Punctuation becomes a space first, as the query's words are split: PostgreSQL's parser would
    # otherwise keep "Adoption/Foster" or "www.aarp.org" as one token that no typed word matches.
    op.execute(
        "ALTER TABLE search_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        + " || ".join(
            f"setweight(to_tsvector('search_english'::regconfig, "
            f"regexp_replace({column}, '[[:punct:]]+', ' ', 'g')), '{weight}')"
            for column, weight in (("name", "A"), ("terms", "B"), ("description", "C"))
        )
        + ") STORED"
    )
    op.execute("CREATE INDEX ix_search_documents_search_vector ON search_documents USING gin (search_vector)")
    # The typo fallback's vocabulary: the words of names and terms (lower case, unaccented), whose
    # trigrams find the words a misspelt one was meant to be. Rows are never removed: a word no
    # document has any more corrects to nothing that matches.
    op.create_table(
        'search_pg_words',
        sa.Column('word', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('word', name=op.f('pk_search_pg_words')),
    )
    op.execute("CREATE INDEX ix_search_pg_words_trigrams ON search_pg_words USING gin (word gin_trgm_ops)")
    # Every time zone a document was written with (never removed either: an extra zone matches
    # nothing), so that "open now" computes the current slot once per zone, not once per row.
    op.create_table(
        'search_pg_time_zones',
        sa.Column('time_zone', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('time_zone', name=op.f('pk_search_pg_time_zones')),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_geo")
        op.execute("DROP TABLE search_trigrams")
        op.execute("DROP TABLE search_fts")
    elif op.get_bind().dialect.name == "postgresql":
        # The extensions stay: other schemas of the database may use them.
        op.drop_table('search_pg_time_zones')
        op.drop_table('search_pg_words')
        op.execute("DROP INDEX ix_search_documents_search_vector")
        op.execute("ALTER TABLE search_documents DROP COLUMN search_vector")
        op.execute("DROP TEXT SEARCH CONFIGURATION search_english")
        op.execute("DROP TEXT SEARCH DICTIONARY search_english_stem")
    op.drop_table('search_open_intervals')
    with op.batch_alter_table('search_document_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_document_values_doc_key'))

    op.drop_table('search_document_values')
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_documents_service_id'))
        batch_op.drop_index('ix_search_documents_lat_lng')

    op.drop_table('search_documents')
