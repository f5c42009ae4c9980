"""The store: SQLModel tables, engine + migrations, and the one module that writes SQL.

models.py          the tables
db.py              make_engine(url), migrate(engine), session_scope(engine)
repo.py            every query and write, as functions taking a Session
regenerate.py      diff a revised plan against the stored one, apply it
contacts_import.py read contacts from .csv / .xlsx and validate them
"""
