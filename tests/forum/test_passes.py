"""The two passes of `make test`: which database the `app` fixture uses, and who runs where."""
from types import SimpleNamespace

import pytest

from forum.extensions import db
from tests.conftest import _in_pass


def test_the_app_fixture_uses_the_pass_database(app, pytestconfig):
    expected = "postgresql" if pytestconfig.getoption("--db") == "postgresql" else "sqlite"
    with app.app_context():
        assert db.engine.dialect.name == expected


class FakeItem(SimpleNamespace):
    """Just enough of a collected test for _in_pass."""

    def get_closest_marker(self, name):
        return name if name in self.markers else None


def item(fixtures=(), markers=(), **params):
    return FakeItem(fixturenames=list(fixtures), markers=set(markers),
                    callspec=SimpleNamespace(params=params) if params else None)


@pytest.mark.parametrize("test, sqlite_pass, postgresql_pass", [
    (item(["app", "client"]), True, True),                    # every database test: both
    (item(["tmp_path"]), True, False),                        # no database: SQLite pass only
    (item(["app"], ["browser"]), True, False),                # a browser: SQLite pass only
    (item(["search_db"], search_db="sqlite"), True, False),   # explicit variants: their pass
    (item(["search_db"], search_db="postgres"), False, True),
    (item(["app"], app="postgres"), False, True),
    (item(["postgres_url"], ["postgres"]), False, True),      # PostgreSQL alone
    (item(["app"], ["sqlite_only"]), True, False),            # SQLite itself (WAL, locks)
    (item(["world"]), True, True),
])
def test_each_test_runs_in_its_passes(test, sqlite_pass, postgresql_pass):
    assert (_in_pass(test, "sqlite"), _in_pass(test, "postgresql")) == (sqlite_pass,
                                                                        postgresql_pass)
