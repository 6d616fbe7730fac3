"""directory foundation

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 02:10:57.925944
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import referral_hub.db.types

# The default network every deployment starts with (DEFAULT_NETWORK_ID in referral_hub.networks.models).
DEFAULT_NETWORK_ID = "6f1c1d2e-0000-4000-8000-000000000001"

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('need_categories',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('display', sa.Text(), nullable=False),
    sa.Column('system', sa.Text(), nullable=False),
    sa.Column('definition', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_need_categories'))
    )
    op.create_table('networks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('holiday_calendar', sa.String(length=64), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_networks')),
    sa.UniqueConstraint('slug', name=op.f('uq_networks_slug'))
    )
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.create_index('uq_networks_default', ['is_default'], unique=True, sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.create_table('directory_sources',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_imported_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_directory_sources_network_id_networks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_sources')),
    sa.UniqueConstraint('network_id', 'name', name=op.f('uq_directory_sources_network_id_name'))
    )
    op.create_table('need_category_terms',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('category_code', sa.String(length=64), nullable=False),
    sa.Column('taxonomy', sa.String(length=64), nullable=False),
    sa.Column('match', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['need_categories.code'], name=op.f('fk_need_category_terms_category_code_need_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_category_terms')),
    sa.UniqueConstraint('category_code', 'taxonomy', 'match', 'value', name=op.f('uq_need_category_terms_category_code_taxonomy_match_value'))
    )
    op.create_table('network_holidays',
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_network_holidays_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('network_id', 'day', name=op.f('pk_network_holidays'))
    )
    op.create_table('hsds_accessibility',
    sa.Column('location_id', sa.Uuid(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_accessibility_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_accessibility_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_accessibility')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_accessibility_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_accessibility', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_accessibility_location_id'), ['location_id'], unique=False)

    op.create_table('hsds_addresses',
    sa.Column('location_id', sa.Uuid(), nullable=True),
    sa.Column('attention', sa.Text(), nullable=True),
    sa.Column('address_1', sa.Text(), nullable=True),
    sa.Column('address_2', sa.Text(), nullable=True),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('region', sa.Text(), nullable=True),
    sa.Column('state_province', sa.Text(), nullable=True),
    sa.Column('postal_code', sa.Text(), nullable=True),
    sa.Column('country', sa.Text(), nullable=True),
    sa.Column('address_type', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_addresses_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_addresses_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_addresses')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_addresses_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_addresses_location_id'), ['location_id'], unique=False)

    op.create_table('hsds_attributes',
    sa.Column('link_id', sa.Uuid(), nullable=True),
    sa.Column('taxonomy_term_id', sa.Uuid(), nullable=True),
    sa.Column('link_type', sa.Text(), nullable=True),
    sa.Column('link_entity', sa.Text(), nullable=True),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('label', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_attributes_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_attributes_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_attributes')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_attributes_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_attributes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_attributes_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_attributes_taxonomy_term_id'), ['taxonomy_term_id'], unique=False)

    op.create_table('hsds_contacts',
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('service_at_location_id', sa.Uuid(), nullable=True),
    sa.Column('location_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('department', sa.Text(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_contacts_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_contacts_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_contacts')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_contacts_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_contacts_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_contacts_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_contacts_service_at_location_id'), ['service_at_location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_contacts_service_id'), ['service_id'], unique=False)

    op.create_table('hsds_cost_options',
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('valid_from', sa.Text(), nullable=True),
    sa.Column('valid_to', sa.Text(), nullable=True),
    sa.Column('option', sa.Text(), nullable=True),
    sa.Column('currency', sa.Text(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('amount_description', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_cost_options_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_cost_options_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_cost_options')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_cost_options_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_cost_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_cost_options_service_id'), ['service_id'], unique=False)

    op.create_table('hsds_funding',
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_funding_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_funding_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_funding')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_funding_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_funding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_funding_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_funding_service_id'), ['service_id'], unique=False)

    op.create_table('hsds_languages',
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('location_id', sa.Uuid(), nullable=True),
    sa.Column('phone_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('code', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_languages_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_languages_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_languages')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_languages_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_languages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_languages_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_languages_phone_id'), ['phone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_languages_service_id'), ['service_id'], unique=False)

    op.create_table('hsds_locations',
    sa.Column('time_zone', sa.String(length=64), nullable=True),
    sa.Column('geocode_method', sa.String(length=32), nullable=True),
    sa.Column('coordinates_approximate', sa.Boolean(), nullable=False),
    sa.Column('location_type', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('alternate_name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('transportation', sa.Text(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('external_identifier', sa.Text(), nullable=True),
    sa.Column('external_identifier_type', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_locations_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_locations_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_locations')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_locations_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_locations_organization_id'), ['organization_id'], unique=False)

    op.create_table('hsds_metadata',
    sa.Column('resource_id', sa.Uuid(), nullable=True),
    sa.Column('resource_type', sa.Text(), nullable=True),
    sa.Column('last_action_date', sa.Text(), nullable=True),
    sa.Column('last_action_type', sa.Text(), nullable=True),
    sa.Column('field_name', sa.Text(), nullable=True),
    sa.Column('previous_value', sa.Text(), nullable=True),
    sa.Column('replacement_value', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_metadata_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_metadata_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_metadata')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_metadata_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_metadata', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_metadata_resource_id'), ['resource_id'], unique=False)

    op.create_table('hsds_organization_identifiers',
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('identifier_scheme', sa.Text(), nullable=True),
    sa.Column('identifier_type', sa.Text(), nullable=True),
    sa.Column('identifier', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_organization_identifiers_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_organization_identifiers_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_organization_identifiers')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_organization_identifiers_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_organization_identifiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_organization_identifiers_organization_id'), ['organization_id'], unique=False)

    op.create_table('hsds_organizations',
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('alternate_name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('website', sa.Text(), nullable=True),
    sa.Column('tax_status', sa.Text(), nullable=True),
    sa.Column('tax_id', sa.Text(), nullable=True),
    sa.Column('year_incorporated', sa.Float(), nullable=True),
    sa.Column('legal_status', sa.Text(), nullable=True),
    sa.Column('logo', sa.Text(), nullable=True),
    sa.Column('uri', sa.Text(), nullable=True),
    sa.Column('parent_organization_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_organizations_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_organizations_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_organizations')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_organizations_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_organizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_organizations_parent_organization_id'), ['parent_organization_id'], unique=False)
        batch_op.create_index('ix_hsds_organizations_updated_at', ['updated_at'], unique=False)

    op.create_table('hsds_phones',
    sa.Column('location_id', sa.Uuid(), nullable=True),
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('service_at_location_id', sa.Uuid(), nullable=True),
    sa.Column('number', sa.Text(), nullable=True),
    sa.Column('extension', sa.Float(), nullable=True),
    sa.Column('type', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_phones_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_phones_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_phones')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_phones_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_phones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_phones_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_phones_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_phones_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_phones_service_at_location_id'), ['service_at_location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_phones_service_id'), ['service_id'], unique=False)

    op.create_table('hsds_programs',
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('alternate_name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_programs_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_programs_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_programs')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_programs_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_programs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_programs_organization_id'), ['organization_id'], unique=False)

    op.create_table('hsds_required_documents',
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('document', sa.Text(), nullable=True),
    sa.Column('uri', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_required_documents_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_required_documents_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_required_documents')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_required_documents_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_required_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_required_documents_service_id'), ['service_id'], unique=False)

    op.create_table('hsds_schedules',
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('location_id', sa.Uuid(), nullable=True),
    sa.Column('service_at_location_id', sa.Uuid(), nullable=True),
    sa.Column('valid_from', sa.Text(), nullable=True),
    sa.Column('valid_to', sa.Text(), nullable=True),
    sa.Column('dtstart', sa.Text(), nullable=True),
    sa.Column('timezone', sa.Float(), nullable=True),
    sa.Column('until', sa.Text(), nullable=True),
    sa.Column('count', sa.Float(), nullable=True),
    sa.Column('wkst', sa.Text(), nullable=True),
    sa.Column('freq', sa.Text(), nullable=True),
    sa.Column('interval', sa.Float(), nullable=True),
    sa.Column('byday', sa.Text(), nullable=True),
    sa.Column('byweekno', sa.Text(), nullable=True),
    sa.Column('bymonthday', sa.Text(), nullable=True),
    sa.Column('byyearday', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('opens_at', sa.Text(), nullable=True),
    sa.Column('closes_at', sa.Text(), nullable=True),
    sa.Column('schedule_link', sa.Text(), nullable=True),
    sa.Column('attending_type', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_schedules_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_schedules_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_schedules')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_schedules_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_schedules_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_schedules_service_at_location_id'), ['service_at_location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_schedules_service_id'), ['service_id'], unique=False)

    op.create_table('hsds_service_areas',
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('service_at_location_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('extent', sa.Text(), nullable=True),
    sa.Column('extent_type', sa.Text(), nullable=True),
    sa.Column('uri', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_service_areas_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_service_areas_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_service_areas')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_service_areas_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_service_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_service_areas_service_at_location_id'), ['service_at_location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_service_areas_service_id'), ['service_id'], unique=False)

    op.create_table('hsds_service_at_locations',
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('location_id', sa.Uuid(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_service_at_locations_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_service_at_locations_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_service_at_locations')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_service_at_locations_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_service_at_locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_service_at_locations_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_service_at_locations_service_id'), ['service_id'], unique=False)
        batch_op.create_index('ix_hsds_service_at_locations_updated_at', ['updated_at'], unique=False)

    op.create_table('hsds_service_capacities',
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('available', sa.Float(), nullable=True),
    sa.Column('maximum', sa.Float(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('updated', referral_hub.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_service_capacities_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_service_capacities_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_service_capacities')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_service_capacities_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_service_capacities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_service_capacities_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_service_capacities_unit_id'), ['unit_id'], unique=False)

    op.create_table('hsds_services',
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('program_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('alternate_name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('interpretation_services', sa.Text(), nullable=True),
    sa.Column('application_process', sa.Text(), nullable=True),
    sa.Column('fees_description', sa.Text(), nullable=True),
    sa.Column('wait_time', sa.Text(), nullable=True),
    sa.Column('fees', sa.Text(), nullable=True),
    sa.Column('accreditations', sa.Text(), nullable=True),
    sa.Column('eligibility_description', sa.Text(), nullable=True),
    sa.Column('minimum_age', sa.Float(), nullable=True),
    sa.Column('maximum_age', sa.Float(), nullable=True),
    sa.Column('assured_date', sa.Text(), nullable=True),
    sa.Column('assurer_email', sa.Text(), nullable=True),
    sa.Column('licenses', sa.Text(), nullable=True),
    sa.Column('alert', sa.Text(), nullable=True),
    sa.Column('last_modified', referral_hub.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_services_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_services_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_services')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_services_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_services_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_services_program_id'), ['program_id'], unique=False)
        batch_op.create_index('ix_hsds_services_updated_at', ['updated_at'], unique=False)

    op.create_table('hsds_taxonomies',
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('uri', sa.Text(), nullable=True),
    sa.Column('version', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_taxonomies_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_taxonomies_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_taxonomies')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_taxonomies_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_taxonomies', schema=None) as batch_op:
        batch_op.create_index('ix_hsds_taxonomies_updated_at', ['updated_at'], unique=False)

    op.create_table('hsds_taxonomy_terms',
    sa.Column('code', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('taxonomy', sa.Text(), nullable=True),
    sa.Column('language', sa.Text(), nullable=True),
    sa.Column('taxonomy_id', sa.Uuid(), nullable=True),
    sa.Column('term_uri', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_taxonomy_terms_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_taxonomy_terms_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_taxonomy_terms')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_taxonomy_terms_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_taxonomy_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_taxonomy_terms_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_taxonomy_terms_taxonomy_id'), ['taxonomy_id'], unique=False)
        batch_op.create_index('ix_hsds_taxonomy_terms_updated_at', ['updated_at'], unique=False)

    op.create_table('hsds_units',
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('scheme', sa.Text(), nullable=True),
    sa.Column('identifier', sa.Text(), nullable=True),
    sa.Column('uri', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_units_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_units_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_units')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_units_network_id_source_id_source_record_id'))
    )
    op.create_table('hsds_urls',
    sa.Column('label', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('source_record_id', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_hsds_urls_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_hsds_urls_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hsds_urls')),
    sa.UniqueConstraint('network_id', 'source_id', 'source_record_id', name=op.f('uq_hsds_urls_network_id_source_id_source_record_id'))
    )
    with op.batch_alter_table('hsds_urls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsds_urls_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hsds_urls_service_id'), ['service_id'], unique=False)

    op.create_table('import_runs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('started_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_import_runs_network_id_networks')),
    sa.ForeignKeyConstraint(['source_id'], ['directory_sources.id'], name=op.f('fk_import_runs_source_id_directory_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_runs_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_runs_status'), ['status'], unique=False)

    op.create_table('import_undo',
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('snapshot', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['import_runs.id'], name=op.f('fk_import_undo_run_id_import_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'seq', name=op.f('pk_import_undo'))
    )
    op.create_table('listing_overlays',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('network_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('accepting_referrals', sa.Boolean(), nullable=True),
    sa.Column('capacity_status', sa.String(length=16), nullable=True),
    sa.Column('hours_note', sa.Text(), nullable=True),
    sa.Column('updated_at', referral_hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("capacity_status IS NULL OR capacity_status IN ('available', 'limited', 'waitlist', 'full')", name=op.f('ck_listing_overlays_capacity_status')),
    sa.CheckConstraint('(organization_id IS NULL) <> (service_id IS NULL)', name=op.f('ck_listing_overlays_one_subject')),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_listing_overlays_network_id_networks')),
    sa.ForeignKeyConstraint(['organization_id'], ['hsds_organizations.id'], name=op.f('fk_listing_overlays_organization_id_hsds_organizations')),
    sa.ForeignKeyConstraint(['service_id'], ['hsds_services.id'], name=op.f('fk_listing_overlays_service_id_hsds_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_overlays')),
    sa.UniqueConstraint('organization_id', name=op.f('uq_listing_overlays_organization_id')),
    sa.UniqueConstraint('service_id', name=op.f('uq_listing_overlays_service_id'))
    )
    op.create_table('service_categories',
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('category_code', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['need_categories.code'], name=op.f('fk_service_categories_category_code_need_categories')),
    sa.ForeignKeyConstraint(['service_id'], ['hsds_services.id'], name=op.f('fk_service_categories_service_id_hsds_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'category_code', name=op.f('pk_service_categories'))
    )
    with op.batch_alter_table('service_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_categories_category_code'), ['category_code'], unique=False)

    networks = sa.table(
        "networks",
        sa.column("id", sa.Uuid()),
        sa.column("slug", sa.String()),
        sa.column("name", sa.Text()),
        sa.column("time_zone", sa.String()),
        sa.column("holiday_calendar", sa.String()),
        sa.column("is_default", sa.Boolean()),
        sa.column("settings", sa.JSON()),
        sa.column("created_at", referral_hub.db.types.UTCDateTime()),
    )
    op.bulk_insert(
        networks,
        [
            {
                "id": uuid.UUID(DEFAULT_NETWORK_ID),
                "slug": "default",
                "name": "Default network",
                "time_zone": "America/New_York",
                "holiday_calendar": "us-federal",
                "is_default": True,
                "settings": {},
                "created_at": datetime.now(UTC),
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table('service_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_categories_category_code'))

    op.drop_table('service_categories')
    op.drop_table('listing_overlays')
    op.drop_table('import_undo')
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_runs_status'))
        batch_op.drop_index(batch_op.f('ix_import_runs_source_id'))

    op.drop_table('import_runs')
    with op.batch_alter_table('hsds_urls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_urls_service_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_urls_organization_id'))

    op.drop_table('hsds_urls')
    op.drop_table('hsds_units')
    with op.batch_alter_table('hsds_taxonomy_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_hsds_taxonomy_terms_updated_at')
        batch_op.drop_index(batch_op.f('ix_hsds_taxonomy_terms_taxonomy_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_taxonomy_terms_parent_id'))

    op.drop_table('hsds_taxonomy_terms')
    with op.batch_alter_table('hsds_taxonomies', schema=None) as batch_op:
        batch_op.drop_index('ix_hsds_taxonomies_updated_at')

    op.drop_table('hsds_taxonomies')
    with op.batch_alter_table('hsds_services', schema=None) as batch_op:
        batch_op.drop_index('ix_hsds_services_updated_at')
        batch_op.drop_index(batch_op.f('ix_hsds_services_program_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_services_organization_id'))

    op.drop_table('hsds_services')
    with op.batch_alter_table('hsds_service_capacities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_service_capacities_unit_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_service_capacities_service_id'))

    op.drop_table('hsds_service_capacities')
    with op.batch_alter_table('hsds_service_at_locations', schema=None) as batch_op:
        batch_op.drop_index('ix_hsds_service_at_locations_updated_at')
        batch_op.drop_index(batch_op.f('ix_hsds_service_at_locations_service_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_service_at_locations_location_id'))

    op.drop_table('hsds_service_at_locations')
    with op.batch_alter_table('hsds_service_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_service_areas_service_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_service_areas_service_at_location_id'))

    op.drop_table('hsds_service_areas')
    with op.batch_alter_table('hsds_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_schedules_service_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_schedules_service_at_location_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_schedules_location_id'))

    op.drop_table('hsds_schedules')
    with op.batch_alter_table('hsds_required_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_required_documents_service_id'))

    op.drop_table('hsds_required_documents')
    with op.batch_alter_table('hsds_programs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_programs_organization_id'))

    op.drop_table('hsds_programs')
    with op.batch_alter_table('hsds_phones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_phones_service_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_phones_service_at_location_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_phones_organization_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_phones_location_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_phones_contact_id'))

    op.drop_table('hsds_phones')
    with op.batch_alter_table('hsds_organizations', schema=None) as batch_op:
        batch_op.drop_index('ix_hsds_organizations_updated_at')
        batch_op.drop_index(batch_op.f('ix_hsds_organizations_parent_organization_id'))

    op.drop_table('hsds_organizations')
    with op.batch_alter_table('hsds_organization_identifiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_organization_identifiers_organization_id'))

    op.drop_table('hsds_organization_identifiers')
    with op.batch_alter_table('hsds_metadata', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_metadata_resource_id'))

    op.drop_table('hsds_metadata')
    with op.batch_alter_table('hsds_locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_locations_organization_id'))

    op.drop_table('hsds_locations')
    with op.batch_alter_table('hsds_languages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_languages_service_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_languages_phone_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_languages_location_id'))

    op.drop_table('hsds_languages')
    with op.batch_alter_table('hsds_funding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_funding_service_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_funding_organization_id'))

    op.drop_table('hsds_funding')
    with op.batch_alter_table('hsds_cost_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_cost_options_service_id'))

    op.drop_table('hsds_cost_options')
    with op.batch_alter_table('hsds_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_contacts_service_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_contacts_service_at_location_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_contacts_organization_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_contacts_location_id'))

    op.drop_table('hsds_contacts')
    with op.batch_alter_table('hsds_attributes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_attributes_taxonomy_term_id'))
        batch_op.drop_index(batch_op.f('ix_hsds_attributes_link_id'))

    op.drop_table('hsds_attributes')
    with op.batch_alter_table('hsds_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_addresses_location_id'))

    op.drop_table('hsds_addresses')
    with op.batch_alter_table('hsds_accessibility', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsds_accessibility_location_id'))

    op.drop_table('hsds_accessibility')
    op.drop_table('network_holidays')
    op.drop_table('need_category_terms')
    op.drop_table('directory_sources')
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.drop_index('uq_networks_default', sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.drop_table('networks')
    op.drop_table('need_categories')
