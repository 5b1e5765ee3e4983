"""Alembic environment for Flask-Migrate: the app's engine and the models' metadata."""
from alembic import context
from flask import current_app

# No logging.config.fileConfig here: it would disable the app's (and pytest's) loggers.
migrate_ext = current_app.extensions["migrate"]
engine = migrate_ext.db.engine


def run_migrations_online() -> None:
    """Run the migrations on the app's database, in one transaction where the database can."""
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=migrate_ext.db.metadata,
                          **migrate_ext.configure_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=engine.url.render_as_string(hide_password=False),
                      target_metadata=migrate_ext.db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
