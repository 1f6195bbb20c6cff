"""Alembic environment of the service database: runs on the connection that
ballast.service.journal.Database.migrate passes in (no alembic.ini, no URL of its own)."""

from alembic import context

from ballast.service.journal import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
