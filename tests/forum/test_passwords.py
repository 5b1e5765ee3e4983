"""Passwords (issue 12): long enough and not guessable (zxcvbn), judged with the account's own
words; every form that sets one re-renders with the reason and the other text intact."""
import pytest
from sqlalchemy import select

from forum.accounts import check_password
from forum.domain import DomainError
from forum.extensions import db
from forum.models import User
from tests.factories import PASSWORD, make_user
from tests.forum.community import post


def register(client, csrf_token, **fields):
    data = {"username": "amina.diallo", "email": "", "password": PASSWORD, "confirm": PASSWORD,
            "csrf_token": csrf_token(client, "/register"), **fields}
    return client.post("/register", data=data)


@pytest.mark.parametrize("password", ["12345678", "password1", "qwertyuiop", "iloveyou2"])
def test_common_passwords_are_refused_at_registration(app, client, csrf_token, password):
    response = register(client, csrf_token, password=password, confirm=password,
                        email="amina@example.org")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "That password is too easy to guess" in html
    assert 'value="amina.diallo"' in html and 'value="amina@example.org"' in html
    assert password not in html  # never echoed back
    with app.app_context():
        assert db.session.scalar(select(User)) is None


@pytest.mark.parametrize("password", ["amina.diallo", "aminadiallo2026", "Amina.Diallo1"])
def test_a_password_made_of_the_username_is_refused(app, client, csrf_token, password):
    html = register(client, csrf_token, password=password, confirm=password).get_data(as_text=True)
    assert "That password is too easy to guess" in html
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_context_words_count_the_display_name_and_address(app):
    # Strong for anyone else, weak for the account whose names it is built from.
    with app.app_context():
        assert check_password("wanjiru-kamau-2024") == "wanjiru-kamau-2024"
        with pytest.raises(DomainError, match="too easy to guess"):
            check_password("wanjiru-kamau-2024", ("wk77", "Wanjiru Kamau", ""))
        with pytest.raises(DomainError, match="too easy to guess"):
            check_password("kamauwanjiru99", ("wk77", "", "wanjiru.kamau@example.org"))


def test_a_strong_password_registers(app, client, csrf_token):
    response = register(client, csrf_token, password="lantern-orchard-basalt",
                        confirm="lantern-orchard-basalt")
    assert response.status_code == 302


def test_password_change_refuses_weak_and_context_passwords(app, client, auth):
    with app.app_context():
        make_user("wk77", display_name="Wanjiru Kamau")
    auth.login("wk77")
    for weak in ("12345678", "wanjiru-kamau-2024"):
        response = post(client, "/settings/password", {
            "current": PASSWORD, "password": weak, "confirm": weak})
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and "That password is too easy to guess" in html
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "wk77"))
        assert user.check_password(PASSWORD)


def test_command_line_refuses_a_weak_password(app, runner):
    result = runner.invoke(args=["users", "create", "newbie", "--password", "12345678"])
    assert result.exit_code != 0 and "too easy to guess" in result.output
    with app.app_context():
        assert db.session.scalar(select(User)) is None
