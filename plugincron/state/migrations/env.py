"""Alembic environment: migrate the connection plugincron hands over."""

from alembic import context

from plugincron.state import migrations

connection = context.config.attributes.get('connection')
if connection is None:
    raise RuntimeError("run the migrations with 'plugin-cron db upgrade'")

context.configure(connection=connection,
                  version_table=migrations.VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
