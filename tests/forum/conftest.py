"""Fixtures shared by the forum tests that switch the search engine on."""
from tests.forum.discover_world import fresh_world, world  # noqa: F401
from tests.forum.search_fixtures import search_app, search_db  # noqa: F401
