"""The basic forum on SQLite and on a real PostgreSQL (skipped when it is not installed)."""
import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from forum import permissions
from forum.extensions import db
from forum.models import Thread
from forum.threads import services
from tests.factories import make_category, make_group, make_user

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_init_create_thread_and_visibility(app, runner, client, auth):
    assert runner.invoke(args=["init"]).exit_code == 0  # on top of create_all: idempotent
    with app.app_context():
        amina, bob = make_user("amina"), make_user("bob")
        team = make_group("team", [amina])
        public, secret = make_category("Procurement"), make_category("Team", "group", team)
        services.create_thread(amina, public, "Joint procurement with two agencies",
                               "How did you split the **costs**?", tags=["Joint Procurement"])
        services.create_thread(amina, secret, "Our team budget for next year", "Draft numbers.")

        def titles(user):
            return set(db.session.scalars(
                permissions.visible_threads(user).with_only_columns(Thread.title)))
        assert titles(AnonymousUserMixin()) == titles(bob) == {"Joint procurement with two agencies"}
        assert len(titles(amina)) == 2
        tagged = db.session.scalar(select(Thread).where(Thread.title.like("Joint%")))
        assert tagged.tag_names == ["joint-procurement"]
    html = client.get("/").get_data(as_text=True)
    assert "Joint procurement" in html and "team budget" not in html
    auth.login("amina")
    assert "team budget" in client.get("/").get_data(as_text=True)
