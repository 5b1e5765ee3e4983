"""The shared world of the discover tests: a small forum whose restricted, hidden and
deleted threads share words with public ones, so any leak would show up in a page.
"""
import re
from datetime import datetime

import pytest
from markupsafe import Markup

from forum import create_app
from forum.extensions import db
from forum.models import Thread
from tests.conftest import AuthActions, _fresh_database, default_backend
from tests.factories import (
    make_category, make_featured, make_group, make_reply, make_thread, make_user,
)



GCF_TITLE = "Realistic timeline from GCF concept note to board approval?"
GCF_EXPERIENCE = "Our Green Climate Fund proposal took 26 months: where the time went"
DROUGHT_TITLE = "Setting drought triggers for anticipatory cash transfers"
POOLED_TITLE = "Steering committee rules for a country-based pooled fund"
LOUNGE_TITLE = "Members only: venting about climate fund approval delays"
KENYA_TITLE = "Kenya team: GCF board approval timeline for the county programme"
HIDDEN_TITLE = "Hidden thread on GCF board approval timelines"
DELETED_TITLE = "Deleted thread on GCF board approval timelines"
RESTRICTED = (LOUNGE_TITLE, KENYA_TITLE, HIDDEN_TITLE, DELETED_TITLE)


def build_world(app) -> None:
    """Public, members-only, group-only, hidden and deleted threads on the same topic."""
    with app.app_context():
        amina, insider = make_user("amina"), make_user("insider")
        mod = make_user("mod", role="moderator")
        team = make_group("kenya-team", [insider])
        climate, pooled = make_category("Climate"), make_category("Pooled funding")
        lounge = make_category("Lounge", visibility="members")
        kenya = make_category("Kenya team", visibility="group", group=team)
        gcf = make_thread(amina, climate, GCF_TITLE, "How many months from the Green Climate "
                          "Fund concept note to board approval? Our ministry expects 12 months.",
                          country="Nigeria", tags=("gcf",), created_at=datetime(2024, 3, 4))
        make_reply(insider, gcf, "It took us 24 months, mostly in review.", accepted=True)
        make_featured(gcf, mod)
        make_thread(insider, climate, GCF_EXPERIENCE, "Concept note to board took two years; "
                    "the funding proposal review was the longest step.", kind="experience",
                    country="Senegal", created_at=datetime(2025, 6, 1))
        make_thread(amina, climate, DROUGHT_TITLE, "Which rainfall and vegetation indicators "
                    "trigger cash before the drought peaks?", country="Kenya",
                    created_at=datetime(2023, 5, 1))
        make_thread(amina, pooled, POOLED_TITLE, "Who chairs, who votes, how often it meets.",
                    created_at=datetime(2022, 1, 1))
        make_thread(amina, lounge, LOUNGE_TITLE, "GCF board approval takes forever.")
        make_thread(insider, kenya, KENYA_TITLE, "GCF concept note to board approval timeline.")
        make_thread(amina, climate, HIDDEN_TITLE, "GCF concept note to board approval.",
                    hidden=True)
        make_thread(amina, climate, DELETED_TITLE, "GCF concept note to board approval.",
                    deleted=True)
        app.extensions["searching"].settle()


@pytest.fixture(scope="module")
def world(tmp_path_factory, request):
    """One app with the world for the tests that only read (encoding it once saves minutes)."""
    instance = tmp_path_factory.mktemp("discover-instance")
    url = f"sqlite:///{instance / 'forum.sqlite'}"
    if default_backend(request.config) == "postgres":  # the suite's PostgreSQL pass
        url = _fresh_database(request.getfixturevalue("postgres_url"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORUM_INSTANCE_PATH", str(instance))
        app = create_app({
            "TESTING": True, "SECRET_KEY": "test-discover", "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False, "SEARCH_ENABLED": True, "SEARCH_WORKER": "inline",
        })
    with app.app_context():
        db.create_all()
    build_world(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fresh_world(app):
    """The same world in the per-test app, for tests that post."""
    build_world(app)
    return app


def member_client(app, username: str):
    """A test client of `app`, logged in through the real form."""
    client = app.test_client()
    response = AuthActions(client).login(username)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def thread_id(app, title: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Thread.id).where(Thread.title == title))


def page(client, url, **kwargs) -> str:
    """GET a page that must answer 200; returns its HTML."""
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def result_titles(html: str) -> list[str]:
    """Titles of the search results, in order."""
    return [Markup(t).unescape() for t in
            re.findall(r'<li class="search-result">\s*<h2><a href="[^"]+">([^<]+)</a>', html)]


def section(html: str, marker: str) -> str:
    """The HTML of the element that starts at `marker` (up to its list's end)."""
    start = html.find(marker)
    return "" if start < 0 else html[start:html.find("</ol>", start) + 5]


def titles_in(fragment: str) -> list[str]:
    return [Markup(t).unescape() for t in re.findall(r'class="suggestion-title"[^>]*>([^<]+)',
                                                     fragment)]
