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
    sa.Column('doc_key', sa.Integer(), autoincrement=True, nullable=False),
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
    sa.Column('doc_key', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['doc_key'], ['search_documents.doc_key'], name=op.f('fk_search_document_values_doc_key_search_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('facet', 'value', 'doc_key', name=op.f('pk_search_document_values'))
    )
    with op.batch_alter_table('search_document_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_document_values_doc_key'), ['doc_key'], unique=False)

    op.create_table('search_open_intervals',
    sa.Column('doc_key', sa.Integer(), nullable=False),
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


# Not models (SQLAlchemy has no types for them): referral_hub.db.metadata.EXTERNAL_TABLES names them
# so that the drift check leaves them alone.
def _sqlite_upgrade() -> None:
    # Weights (name > terms > description) are given at query time by bm25(); Porter stemming on top
    # of unicode61 with diacritics removed, so "pantries" finds "pantry" and "Peña" finds "pena".
    op.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "name, terms, description, tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    # The typo fallback: trigrams of names and terms, searched when the exact query finds nothing.
    op.execute("CREATE VIRTUAL TABLE search_trigrams USING fts5(name, terms, tokenize = 'trigram')")
    op.execute("CREATE VIRTUAL TABLE search_geo USING rtree(doc_key, min_lat, max_lat, min_lng, max_lng)")


def _postgresql_upgrade() -> None:
    pass


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_geo")
        op.execute("DROP TABLE search_trigrams")
        op.execute("DROP TABLE search_fts")
    op.drop_table('search_open_intervals')
    with op.batch_alter_table('search_document_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_document_values_doc_key'))

    op.drop_table('search_document_values')
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_documents_service_id'))
        batch_op.drop_index('ix_search_documents_lat_lng')

    op.drop_table('search_documents')
