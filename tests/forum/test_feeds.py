"""Atom feeds for a tag, a country and the featured practices: public content only, valid Atom."""
import re
import xml.etree.ElementTree as ET

import pytest

from forum.extensions import db
from forum.models import Thread, User
from tests.factories import make_featured, make_thread
from tests.forum.community import as_user
from tests.forum.notify_world import PUBLIC_TITLE, SECRET_TITLE, world  # noqa: F401

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def atom(response) -> ET.Element:
    """The feed, checked against RFC 4287's required elements; fails on any gap."""
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.get_data())
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, f"feed needs exactly one {name}"
    assert RFC3339.match(feed.findtext(f"{ATOM}updated"))
    assert feed.find(f"{ATOM}link[@rel='self']").get("href").startswith("http")
    feed_author = feed.find(f"{ATOM}author/{ATOM}name") is not None
    ids = []
    for entry in feed.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, f"entry needs exactly one {name}"
        assert RFC3339.match(entry.findtext(f"{ATOM}updated"))
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http")
        assert feed_author or entry.find(f"{ATOM}author/{ATOM}name") is not None
        ids.append(entry.findtext(f"{ATOM}id"))
    assert len(ids) == len(set(ids)) and all(i.startswith("http") for i in ids)
    return feed


def titles(feed) -> list[str]:
    return [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]


@pytest.mark.parametrize("url", ["/tags/pooled-funds/feed.atom", "/countries/Kenya/feed.atom",
                                 "/countries/kenya/feed.atom"])
def test_tag_and_country_feeds_are_public_even_for_members(app, client, auth, world, url):
    as_user(client, auth, "amina")  # a team member: the feed still shows public content only
    assert SECRET_TITLE in client.get("/?tag=pooled-funds").get_data(as_text=True)
    feed = atom(client.get(url))
    assert titles(feed) == [PUBLIC_TITLE]


def test_hidden_threads_leave_the_public_feeds_and_empty_feeds_stay_valid(app, client, world):
    with app.app_context():
        db.session.get(Thread, world.public).is_hidden = True
        db.session.commit()
    for url in ("/tags/pooled-funds/feed.atom", "/countries/Kenya/feed.atom",
                "/tags/no-such-tag/feed.atom", "/featured/feed.atom", "/feed.atom"):
        assert titles(atom(client.get(url))) == [], url
    assert client.get("/tags/%20/feed.atom").status_code == 404


def test_the_featured_feed_lists_public_practices_only(app, client, auth, world):
    with app.app_context():
        helen = db.session.scalar(db.select(User).where(User.username == "helen"))
        make_featured(db.session.get(Thread, world.public), helen,
                      "## The question\nHow to start a pooled fund: [the thread](/threads/1).")
        make_featured(db.session.get(Thread, world.secret), helen, "Team-only practice.")
        amina = db.session.scalar(db.select(User).where(User.username == "amina"))
        make_thread(amina, db.session.get(Thread, world.public).category, "Not featured at all")
    as_user(client, auth, "amina")
    feed = atom(client.get("/featured/feed.atom"))
    assert titles(feed) == [PUBLIC_TITLE]
    summary = feed.find(f"{ATOM}entry/{ATOM}summary").text
    assert "How to start a pooled fund" in summary and "##" not in summary
    assert 'href="/featured/feed.atom"' in client.get("/featured").get_data(as_text=True)


def test_listing_filters_link_their_feeds(client, world):
    page = client.get("/?tag=pooled-funds&country=Kenya").get_data(as_text=True)
    assert 'href="/tags/pooled-funds/feed.atom"' in page
    assert 'href="/countries/Kenya/feed.atom"' in page
    assert "Watch #pooled-funds" not in page  # guests see the feed links, not watch buttons
