"""Committed windows and run history: the tables of SQLite schema 1.

Timestamps are fixed-width UTC text (see plugincron.state.base.to_text),
exactly as in SQLite, so the same portable queries serve every dialect.

Revision ID: 0001
Revises:
"""

from alembic import op
import sqlalchemy as sa

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# MySQL: InnoDB for transactions; a binary collation, so that plugin names
# compare exactly ('Report' is not 'report') as they do elsewhere.
TABLE_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
                 'mysql_collate': 'utf8mb4_bin'}
TIMESTAMP = sa.String(32)


def upgrade():
    op.create_table(
        'plugin_state',
        sa.Column('plugin', sa.String(255), primary_key=True),
        sa.Column('committed_end', TIMESTAMP),
        sa.Column('paused', sa.Integer, nullable=False, server_default='0'),
        sa.Column('updated_at', TIMESTAMP),
        **TABLE_OPTIONS)
    op.create_table(
        'run_history',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('plugin', sa.String(255), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('window_start', TIMESTAMP),
        sa.Column('window_end', TIMESTAMP),
        sa.Column('started_at', TIMESTAMP, nullable=False),
        sa.Column('finished_at', TIMESTAMP),
        sa.Column('host', sa.String(255)),
        sa.Column('pid', sa.Integer),
        sa.Column('reason', sa.Text),
        sa.Column('error', sa.Text),
        **TABLE_OPTIONS)
    op.create_index('run_history_plugin', 'run_history', ['plugin', 'id'])


def downgrade():
    op.drop_table('run_history')
    op.drop_table('plugin_state')
