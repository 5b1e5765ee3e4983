"""E-mail addresses never reveal who is registered (issue 12): sign-up, password reset and the
notification settings answer alike; an address is used once confirmed by a link mailed to it."""
import re

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import User
from tests.conftest import AuthActions, get_csrf_token
from tests.factories import PASSWORD
from tests.forum.community import as_user, post, token
from tests.forum.notify_world import (  # noqa: F401 - fixtures
    mail_app, smtp, text_part, world,
)

CONFIRM = re.compile(r"https://forum\.headstart\.test(/confirm-email/[\w.-]+)")
CSRF = re.compile(r'name="csrf_token"[^>]*>|value="[\w.-]{40,}"')
STRONG = "lantern-orchard-basalt"


def sign_up(app, username, address):
    """A fresh browser signs up; returns the redirect and the page it leads to."""
    fresh = app.test_client()
    response = fresh.post("/register", data={
        "username": username, "email": address, "password": STRONG, "confirm": STRONG,
        "csrf_token": get_csrf_token(fresh, "/register")})
    page = fresh.get(response.headers.get("Location", "/")).get_data(as_text=True)
    return response, CSRF.sub("", page.replace(username, "NAME"))


def confirm_link(smtp, address):
    (message,) = [m for m in smtp.to(address) if m["Subject"].startswith("Confirm your e-mail")]
    return CONFIRM.search(text_part(message)).group(1)


def stored(app, username):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return user.email, user.pending_email


def test_sign_up_answers_alike_for_a_registered_and_a_new_address(app, mail_app, smtp, runner,
                                                                  world):
    known, known_page = sign_up(app, "newcomer1", "Amina@example.org")  # amina's address
    unknown, unknown_page = sign_up(app, "newcomer2", "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert known_page == unknown_page  # nothing tells them apart
    assert "open the link we sent to it" in known_page
    assert stored(app, "newcomer1") == (None, "amina@example.org")
    assert stored(app, "amina") == ("amina@example.org", None)  # untouched


def test_the_link_confirms_a_free_address_and_refuses_a_taken_one(app, mail_app, smtp, client,
                                                                  runner, world):
    sign_up(app, "newcomer1", "amina@example.org")
    sign_up(app, "newcomer2", "nobody@example.org")
    assert runner.invoke(args=["mail", "send"]).exit_code == 0
    # Each link goes to the address itself: only its owner learns anything.
    free = confirm_link(smtp, "nobody@example.org")
    assert client.get(free).status_code == 200  # a page with a button: a scanner's GET is harmless
    assert stored(app, "newcomer2") == (None, "nobody@example.org")
    done = post(client, free)
    assert done.status_code == 302 and stored(app, "newcomer2") == ("nobody@example.org", None)
    assert post(client, free).status_code == 400  # used up
    taken = post(client, confirm_link(smtp, "amina@example.org"))
    assert taken.status_code == 400 and "in use by another account" in taken.get_data(as_text=True)
    assert stored(app, "newcomer1") == (None, "amina@example.org")
    assert stored(app, "amina") == ("amina@example.org", None)


def test_a_forged_link_changes_nothing(app, mail_app, smtp, client, runner, world):
    sign_up(app, "newcomer2", "nobody@example.org")
    runner.invoke(args=["mail", "send"])
    link = confirm_link(smtp, "nobody@example.org")
    assert post(client, link[:-3] + "abc").status_code == 400
    assert stored(app, "newcomer2") == (None, "nobody@example.org")


def test_settings_answer_alike_and_keep_the_typed_address(app, mail_app, smtp, client, auth,
                                                          runner, world):
    as_user(client, auth, "amina")
    pages = []
    for address in ("BOB@example.org", "fresh@example.org"):  # bob's, then nobody's
        response = post(client, "/settings/notifications", {"email": address, "digest": "off"})
        assert response.status_code == 302
        page = client.get("/settings/notifications").get_data(as_text=True)
        assert f'value="{address.lower()}"' in page  # the input is kept, waiting
        assert "belongs to another account" not in page
        pages.append(CSRF.sub("", page.replace(address.lower(), "ADDRESS")))
    assert pages[0] == pages[1]
    assert stored(app, "amina") == ("amina@example.org", "fresh@example.org")
    runner.invoke(args=["mail", "send"])
    assert post(client, confirm_link(smtp, "fresh@example.org")).status_code == 302
    assert stored(app, "amina") == ("fresh@example.org", None)


def test_password_reset_ends_every_session(app, mail_app, smtp, client, runner, world):
    other = app.test_client()
    assert AuthActions(other).login("amina", PASSWORD, remember="y").status_code == 302
    thief = app.test_client()
    thief.set_cookie("remember_token", other.get_cookie("remember_token").value)
    assert thief.get("/settings/profile").status_code == 200
    client.post("/reset", data={"email": "amina@example.org", "csrf_token": token(client)})
    runner.invoke(args=["mail", "send"])
    (message,) = smtp.to("amina@example.org")
    link = re.search(r"https://forum\.headstart\.test(/reset/[\w.-]+)", text_part(message)).group(1)
    done = post(client, link, {"password": STRONG, "confirm": STRONG})
    assert done.status_code == 302
    assert other.get("/settings/profile").status_code == 302
    assert thief.get("/settings/profile").status_code == 302


@pytest.mark.parametrize("address", ["amina@example.org", "nobody@example.org"])
def test_reset_answers_alike(app, mail_app, client, world, address):
    page = client.post("/reset", data={"email": address, "csrf_token": token(client)},
                       follow_redirects=True).get_data(as_text=True)
    assert "If an account has that address" in page
