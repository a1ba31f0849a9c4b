"""The app database: SQLAlchemy 2 models, Alembic migrations, and the few queries the bot and
workers share. SQLite by default, PostgreSQL through `FAQBOT_DATABASE_URL`."""
