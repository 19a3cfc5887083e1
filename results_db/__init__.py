"""Results storage: SQLAlchemy 2 models, engine/session, Alembic migrations, pandas reads."""
