"""Countries are compared by a stored, indexed key: any case or spacing finds them, accents
included, and no country page or filter reads the whole threads table."""
import re

import pytest
from sqlalchemy import text

from forum.extensions import db
from tests.factories import make_adaptation, make_category, make_thread, make_user
from tests.query_plans import sqlite_plans

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def turkiye(app):
    with app.app_context():
        amina = make_user("amina", country="Türkiye")
        funds = make_category("Pooled funding")
        asked = make_thread(amina, funds, "Pooled fund in Ankara", country="Türkiye")
        make_thread(amina, funds, "Vehicle leasing in Nairobi", country="Kenya")
        shared = make_thread(amina, funds, "What we tried in Gaziantep", kind="experience",
                             country="  TÜRKIYE ")
        make_adaptation(shared, make_user("bob"), country="türkiye")
        return asked.id


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
@pytest.mark.parametrize("typed", ["Türkiye", "TÜRKIYE", "türkiye", " Türkiye  "])
def test_a_country_is_found_however_it_is_typed(app, client, turkiye, typed):
    page = client.get(f"/countries/{typed}").get_data(as_text=True)
    assert "Pooled fund in Ankara" in page and "What we tried in Gaziantep" in page
    assert "Vehicle leasing in Nairobi" not in page
    assert 'href="/threads/' in page and "#adaptation-" in page  # bob's team adapted it there
    listing = client.get(f"/?country={typed}").get_data(as_text=True)
    assert "Pooled fund in Ankara" in listing and "Vehicle leasing in Nairobi" not in listing
    assert "What we tried in Gaziantep" in listing  # stored as "  TÜRKIYE "
    countries = client.get("/countries").get_data(as_text=True)
    assert len(re.findall(r"Türkiye|TÜRKIYE", countries)) == 1  # one country, one line


@pytest.mark.sqlite_only  # SQLite's EXPLAIN QUERY PLAN
def test_country_queries_use_the_key_index(app, client, turkiye):
    with sqlite_plans(app, "country") as plans:
        assert client.get("/countries/TÜRKIYE").status_code == 200
    report = "\n".join(plans)
    assert "SCAN" not in report, report  # no table read whole
    for index in ("ix_threads_country_key", "ix_adaptations_country_key", "ix_users_country_key"):
        assert index in report, report


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_a_country_edited_keeps_its_key(app, turkiye):
    with app.app_context():
        db.session.execute(text("UPDATE threads SET country_key = 'stale'"))
        db.session.commit()
        from forum.models import Thread
        thread = db.session.get(Thread, turkiye)
        thread.country = "Côte  d'Ivoire"
        db.session.commit()
        assert db.session.scalar(text(f"SELECT country_key FROM threads WHERE id = {turkiye}")) \
            == "côte d'ivoire"


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_a_country_watch_is_one_watch_however_either_side_was_typed(app, turkiye):
    """A watch typed "TÜRKIYE " hears of threads in "Türkiye" (SQL's lower() folds ASCII only),
    and the same country typed in another case is the same watch, not a second one."""
    from forum.models import Thread, Watch
    from forum.notifications import watches

    with app.app_context():
        dan = make_user("dan")
        watches.set_watch(dan, "country", "TÜRKIYE ", True)
        watches.set_watch(dan, "country", "türkiye", True)
        assert db.session.scalar(text("SELECT count(*) FROM watches")) == 1
        assert watches.is_watching(dan, "country", "Türkiye")
        assert dan.id in watches.target_watchers(db.session.get(Thread, turkiye))
        assert [w.label for w in watches.watched(dan)] == ["Türkiye"]  # as threads spell it
        watches.set_watch(dan, "country", "  Türkiye", False)
        assert db.session.query(Watch).count() == 0
        # Spaces count as one on either side, and folding goes beyond lowercase.
        abidjan = make_thread(dan, make_category("Procurement"), "Joint tender in Abidjan",
                              country="CÔTE  D'IVOIRE")
        watches.set_watch(dan, "country", "Côte d'Ivoire", True)
        assert dan.id in watches.target_watchers(abidjan)


@pytest.mark.sqlite_only  # SQLite's EXPLAIN QUERY PLAN
def test_country_watchers_are_found_by_index(app, turkiye):
    from forum.models import Thread
    from forum.notifications import watches

    with app.app_context():
        watches.set_watch(make_user("dan"), "country", "Türkiye", True)
        thread = db.session.get(Thread, turkiye)
        with sqlite_plans(app, "watches") as plans:
            assert watches.target_watchers(thread)
    report = "\n".join(plans)
    # One indexed lookup for the category, one for the country (the thread has no tags).
    assert report.count("ix_watches_target (kind=? AND value=?)") == 2, report
    assert "SCAN watches" not in report, report


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_a_digest_lists_new_threads_of_a_watched_country_however_typed(app, turkiye):
    from datetime import timedelta

    from forum.models._base import utcnow
    from forum.notifications import digest, watches

    with app.test_request_context():  # the digest links its threads
        dan = make_user("dan")
        watches.set_watch(dan, "country", "TÜRKIYE ", True)
        section = digest.watched_new_threads(dan, utcnow() - timedelta(days=1),
                                             utcnow() + timedelta(minutes=1))
        titles = sorted(item.thread.title for item in section.items)
    assert titles == ["Pooled fund in Ankara", "What we tried in Gaziantep"]
