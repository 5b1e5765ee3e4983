"""Password reset by e-mail: signed, expiring, single-use, and silent about who has an account."""
import re
import time

import pytest

from tests.forum.community import post, token
from tests.forum.notify_world import (  # noqa: F401 - fixtures
    mail_app, outbox_count, smtp, text_part, world,
)

LINK = re.compile(r"https://forum\.headstart\.test(/reset/[\w.-]+)")


def ask(client, address: str):
    return client.post("/reset", data={"email": address, "csrf_token": token(client)},
                       follow_redirects=True)


def reset_link(smtp, address: str) -> str:
    (message,) = smtp.to(address)
    assert message["Subject"] == "Reset your Headstart password"
    assert "List-Unsubscribe" not in message  # a transactional e-mail
    return LINK.search(text_part(message)).group(1)


def logs_in(app, username: str, password: str) -> bool:
    with app.test_client() as fresh:
        response = fresh.post("/login", data={"login": username, "password": password,
                                              "csrf_token": token(fresh)})
        return response.status_code == 302


def test_reset_by_e_mail_works_once(app, mail_app, smtp, client, runner, world):
    page = client.get("/login").get_data(as_text=True)
    assert "Forgot your password?" in page
    known = ask(client, "AMINA@example.org").get_data(as_text=True)
    unknown = ask(client, "nobody@example.org").get_data(as_text=True)
    strip = re.compile(r'name="csrf_token"[^>]*>')
    assert "If an account has that address" in known
    assert strip.sub("", known) == strip.sub("", unknown)  # nothing tells them apart
    ask(client, "amina@example.org")  # a second request soon after: still one e-mail
    assert outbox_count(app, kind="password_reset") == 1
    assert runner.invoke(args=["mail", "send"]).exit_code == 0
    assert [rcpt for rcpt, _ in smtp.received] == [["amina@example.org"]]
    link = reset_link(smtp, "amina@example.org")
    form = client.get(link)
    assert form.status_code == 200 and "amina" in form.get_data(as_text=True)
    mismatch = post(client, link, {"password": "new-pass-2026", "confirm": "other-pass"})
    assert "The passwords differ" in mismatch.get_data(as_text=True)
    short = post(client, link, {"password": "short", "confirm": "short"})
    assert "at least 8 characters" in short.get_data(as_text=True)
    done = post(client, link, {"password": "new-pass-2026", "confirm": "new-pass-2026"})
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    assert logs_in(app, "amina", "new-pass-2026")
    assert not logs_in(app, "amina", "correct-horse-42")
    again = client.get(link)
    assert again.status_code == 400 and "expired or was used already" in again.get_data(as_text=True)
    assert post(client, link, {"password": "third-pass-99", "confirm": "third-pass-99"}).status_code == 400
    assert logs_in(app, "amina", "new-pass-2026")


def test_a_reset_link_expires_and_a_forged_one_fails(app, mail_app, smtp, client, runner, world):
    app.config["PASSWORD_RESET_MAX_AGE"] = 1
    ask(client, "bob@example.org")
    runner.invoke(args=["mail", "send"])
    link = reset_link(smtp, "bob@example.org")
    assert client.get(link[:-2] + "xx").status_code == 400
    time.sleep(2.1)  # past max_age (itsdangerous counts whole seconds)
    response = client.get(link)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("address", ["", "not-an-address"])
def test_bad_addresses_get_a_clear_error(app, mail_app, client, world, address):
    page = ask(client, address).get_data(as_text=True)
    assert "Enter" in page and "e-mail address" in page and outbox_count(app) == 0


def test_without_mail_there_is_no_reset_by_e_mail(app, client, world):
    assert "Forgot your password?" not in client.get("/login").get_data(as_text=True)
    page = ask(client, "amina@example.org").get_data(as_text=True)
    assert "Ask an admin" in page and outbox_count(app) == 0
