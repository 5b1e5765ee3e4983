"""Fixtures for forum tests that switch the search engine on (see search_fixtures.py)."""
from tests.forum.search_fixtures import search_app, search_db  # noqa: F401
