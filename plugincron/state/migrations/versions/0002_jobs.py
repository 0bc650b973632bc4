"""Dynamic jobs: the tables of SQLite schema 2.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TABLE_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
                 'mysql_collate': 'utf8mb4_bin'}
TIMESTAMP = sa.String(32)


def upgrade():
    op.create_table(
        'jobs',
        sa.Column('name', sa.String(255), primary_key=True),
        sa.Column('owner', sa.String(255), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('schedule', sa.String(255), nullable=False),
        sa.Column('anchor', TIMESTAMP),
        sa.Column('timezone', sa.String(64)),
        sa.Column('target', sa.Text, nullable=False),
        sa.Column('retries', sa.Integer, nullable=False),
        sa.Column('max_delay', sa.Float, nullable=False),
        sa.Column('created_at', TIMESTAMP, nullable=False),
        sa.Column('cancelled_at', TIMESTAMP),
        **TABLE_OPTIONS)
    op.create_index('jobs_owner', 'jobs', ['owner', 'name'])
    op.create_table(
        'job_entries',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('job', sa.String(255), nullable=False),
        sa.Column('due_at', TIMESTAMP, nullable=False),
        sa.Column('fire_at', TIMESTAMP, nullable=False),
        sa.Column('not_after', TIMESTAMP, nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer, nullable=False,
                  server_default='0'),
        sa.Column('claimed_by', sa.String(255)),
        sa.Column('lease_until', TIMESTAMP),
        sa.Column('started_at', TIMESTAMP),
        sa.Column('finished_at', TIMESTAMP),
        sa.Column('status', sa.Integer),
        sa.Column('duration', sa.Float),
        sa.Column('output', sa.Text),
        sa.Column('error', sa.Text),
        sa.UniqueConstraint('job', 'due_at', name='job_entries_job_due'),
        **TABLE_OPTIONS)
    op.create_index('job_entries_due', 'job_entries', ['state', 'fire_at'])
    op.create_table(
        'job_sequences',
        sa.Column('owner', sa.String(255), primary_key=True),
        sa.Column('last', sa.Integer, nullable=False),
        **TABLE_OPTIONS)


def downgrade():
    op.drop_table('job_sequences')
    op.drop_table('job_entries')
    op.drop_table('jobs')
