"""Display names (issue 12): unique under Unicode confusable folding, no staff words for
members, and a staff badge drawn from the role that no member can fake."""
from html import unescape

import pytest
from sqlalchemy import select, text, update

from forum import accounts
from forum.accounts import check_username, name_key
from forum.domain import DomainError
from forum.extensions import db
from forum.models import SiteState, User
from forum.names import fold_version
from tests.factories import make_category, make_reply, make_thread, make_user
from tests.forum.community import post
from tests.query_plans import sqlite_plans

TAKEN = "That name looks like another member's name"
STAFF = "Words like Moderator, Admin or Staff are kept for the forum's staff"

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def people(app):
    with app.app_context():
        make_user("helen.park", role="moderator", display_name="Helen Park")
        make_user("root", role="admin", display_name="Forum Admin")
        make_user("amina", display_name="Amina Diallo", organisation="UNDP")


def save_profile(client, **fields):
    data = {"display_name": "", "country": "", "organisation": "", "expertise": "", "bio": "",
            **fields}
    return post(client, "/settings/profile", data)


def stored(app, username, field):
    with app.app_context():
        return db.session.scalar(select(getattr(User, field)).where(User.username == username))


@pytest.mark.parametrize("lookalike", [
    "HeIen Park",            # capital I for l
    "Helen Рark",            # Cyrillic Er
    "Ｈｅｌｅｎ Ｐａｒｋ",      # fullwidth
    "helen.park",            # the other member's username
    "Hélen  Park",           # an accent and a double space
    "He\u200blen Park",      # a zero-width space
])
def test_a_name_that_looks_like_another_members_is_refused(app, client, auth, people, lookalike):
    auth.login("amina")
    response = save_profile(client, display_name=lookalike, bio="my bio stays")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and TAKEN in html
    assert "my bio stays" in html  # the form comes back with the text as typed
    assert stored(app, "amina", "display_name") == "Amina Diallo"


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_a_distinct_name_and_ones_own_username_are_fine(app, client, auth, people):
    auth.login("amina")
    assert save_profile(client, display_name="Amina D.").status_code == 302
    assert save_profile(client, display_name="AMINA").status_code == 302  # their own username
    assert stored(app, "amina", "display_name") == "AMINA"


def test_folding_unit(app):
    assert name_key("HeIen Рark") == name_key("helen.park") == name_key("Ｈｅｌｅｎ Ｐａｒｋ")
    assert name_key("Helen Park") != name_key("Helen Parks")
    assert name_key("Amina Diallo") != name_key("Amina Diallou")


def test_registration_refuses_a_username_that_passes_for_a_display_name(app, client,
                                                                        csrf_token, people):
    data = {"username": "he1en-park", "email": "", "password": "lantern-orchard-basalt",
            "confirm": "lantern-orchard-basalt", "csrf_token": csrf_token(client, "/register")}
    html = client.post("/register", data=data).get_data(as_text=True)
    assert "too close to another member" in html
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "he1en-park")) is None


def keys_of(app, username):
    with app.app_context():
        return db.session.execute(select(User.username_key, User.display_key)
                                  .where(User.username == username)).one()


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_every_write_of_a_name_keeps_its_key(app, client, auth, csrf_token, people):
    assert keys_of(app, "helen.park") == (name_key("helen.park"), name_key("Helen Park"))
    auth.login("amina")
    assert save_profile(client, display_name="Amina Ndiaye").status_code == 302
    assert keys_of(app, "amina") == (name_key("amina"), name_key("Amina Ndiaye"))
    auth.logout()
    data = {"username": "zanele", "email": "", "password": "lantern-orchard-basalt",
            "confirm": "lantern-orchard-basalt", "csrf_token": csrf_token(client, "/register")}
    assert client.post("/register", data=data).status_code == 302  # and signed in
    assert keys_of(app, "zanele") == (name_key("zanele"), "")
    # Amina's old name is free again, and her new one is taken.
    assert save_profile(client, display_name="Amina Diallo").status_code == 302
    assert TAKEN in unescape(save_profile(client, display_name="Amína Ndiaye")
                             .get_data(as_text=True))


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_a_name_is_checked_against_the_stored_keys(app, people):
    """The check reads the indexed keys (a stale key is trusted), not every member's names."""
    with app.app_context():
        db.session.execute(update(User).where(User.username == "amina")
                           .values(display_key=name_key("Zanele Mokoena")))
        db.session.commit()
        with pytest.raises(DomainError, match="too close"):
            check_username("zanele-mokoena")


@pytest.mark.sqlite_only  # SQLite's EXPLAIN QUERY PLAN
def test_no_name_check_reads_the_whole_users_table(app, people):
    with app.app_context():
        for i in range(200):
            make_user(f"member{i:03d}", display_name=f"Member {i}")
        with sqlite_plans(app, " users") as plans:
            with pytest.raises(DomainError, match="too close"):
                check_username("he1en-park")
            assert check_username("someone-new") == "someone-new"
    assert plans and not [p for p in plans if "SCAN users" in p], plans


@pytest.mark.sqlite_only  # SQLite's EXPLAIN QUERY PLAN
def test_names_and_addresses_are_found_by_index_in_any_case(app, client, auth, people):
    """Sign-in, profiles, mentions, the audit filter and password reset, typed in capitals."""
    with app.app_context():
        db.session.execute(update(User).where(User.username == "amina")
                           .values(email="amina@example.org"))
        db.session.commit()
    with sqlite_plans(app, " users") as plans:
        assert auth.login("AMINA").status_code == 302
        assert "Amina Diallo" in client.get("/u/Amina").get_data(as_text=True)
        auth.logout()
        assert auth.login("Amina@Example.ORG").status_code == 302
        auth.logout()
        auth.login("helen.park")
        assert client.get("/moderation/log?actor=Helen.Park").status_code == 200
    assert plans and not [p for p in plans if "SCAN users" in p], plans
    with app.app_context():  # stored lowercase whatever case they were given in
        user = User(username="New.Member", email="New@Example.org")
        assert (user.username, user.email) == ("new.member", "new@example.org")


def init(app) -> None:
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output


def set_fold_version(app, value: str) -> None:
    with app.app_context():
        db.session.merge(SiteState(name="name_fold", value=value))
        db.session.commit()


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_keys_missing_or_stale_after_an_upgrade_are_folded(app, people):
    """Rows from before the columns (NULL keys) still count, and `init` re-folds them; keys made
    by other folding rules or data (another ``fold_version``) are re-folded by `init` too."""
    init(app)
    with app.app_context():
        db.session.execute(text("UPDATE users SET username_key = NULL, display_key = NULL "
                                "WHERE username = 'helen.park'"))
        db.session.commit()
        with pytest.raises(DomainError, match="too close"):
            check_username("he1en-park")  # a NULL row is folded by the check itself
    init(app)
    assert keys_of(app, "helen.park") == (name_key("helen.park"), name_key("Helen Park"))
    with app.app_context():
        db.session.execute(update(User).where(User.username == "amina")
                           .values(display_key="stale"))
        db.session.commit()
    set_fold_version(app, "rules 0; confusable_homoglyphs 3.2.0; unicode 14.0.0")
    init(app)
    assert keys_of(app, "amina") == (name_key("amina"), name_key("Amina Diallo"))
    with app.app_context():
        assert db.session.get(SiteState, "name_fold").value == fold_version()


def test_init_folds_no_name_when_the_keys_are_current(app, people, monkeypatch):
    """With every key present and made by today's folding, `init` reads no member's names."""
    init(app)
    with app.app_context():
        assert db.session.get(SiteState, "name_fold").value == fold_version()
    monkeypatch.setattr(accounts, "name_key", lambda name: pytest.fail("folded " + name))
    init(app)


@pytest.mark.parametrize("field, value", [
    ("display_name", "Amina (Moderator)"),
    ("display_name", "Admin Amina"),
    ("display_name", "Аdmin Amina"),         # Cyrillic A
    ("display_name", "M0DERAT0R"),
    ("display_name", "SuperModerator"),
    ("organisation", "Headstart Staff"),
    ("organisation", "Forum administrators"),
])
def test_members_cannot_carry_staff_words(app, client, auth, people, field, value):
    auth.login("amina")
    response = save_profile(client, **{field: value, "country": "Senegal"})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and STAFF in html
    assert 'value="Senegal"' in html
    assert stored(app, "amina", field) == ("Amina Diallo" if field == "display_name" else "UNDP")


@pytest.mark.parametrize("value", ["Badminton Federation", "Ministry of Public Administration",
                                   "Moderna Health", "Stafford Consulting"])
def test_ordinary_organisations_are_fine(app, client, auth, people, value):
    auth.login("amina")
    assert save_profile(client, display_name="Amina Diallo", organisation=value).status_code == 302
    assert stored(app, "amina", "organisation") == value


def test_staff_may_name_their_role(app, client, auth, people):
    auth.login("helen.park")
    assert save_profile(client, display_name="Helen Park (Moderator)").status_code == 302


def test_staff_badge_comes_from_the_role_only(app, client, auth, people):
    with app.app_context():
        helen, amina = (db.session.scalar(select(User).where(User.username == u))
                        for u in ("helen.park", "amina"))
        amina.bio = "Moderator"  # text a member typed never becomes a badge
        thread = make_thread(amina, make_category("Pooled funding"), "How did you pool funds?")
        make_reply(helen, thread, "Here is the moderator view.")
        thread_id = thread.id
    page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert page.count('class="badge staff"') == 1
    helen_at = page.index(">Helen Park</a>")
    assert page.index('class="badge staff"', helen_at) - helen_at < 80
    listing = client.get("/").get_data(as_text=True)
    assert 'class="badge staff"' not in listing  # amina started the thread: no badge
    assert 'class="badge staff"' in client.get("/u/helen.park").get_data(as_text=True)
    assert 'class="badge staff"' not in client.get("/u/amina").get_data(as_text=True)
