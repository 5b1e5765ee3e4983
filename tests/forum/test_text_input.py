"""Issue 12: control characters in every form and query string, invisible titles, and
direction overrides in rendered pages.

The forms are found by reading every page that shows one (GET+POST routes of the url_map,
plus the thread page's reply box), so a new form is covered without editing this file.
"""
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import String, select

from forum.extensions import db
from forum.models import Post, Thread
from forum.web.input import CONTROLS_REMOVED
from tests.factories import (
    make_category, make_experience, make_featured, make_reply, make_thread, make_user,
)

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
NASTY = "Budget\x00 line\x07 with\x1b[31m controls\x7f\u0085 here"
CLEAN = "Budget line with[31m controls here"
_ARG = re.compile(r"<(?:(\w+):)?(\w+)>")


class _Forms(HTMLParser):
    """The POST forms of a page: action and the fields a browser would send."""

    def __init__(self):
        super().__init__()
        self.forms, self._select = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.forms.append({"action": a.get("action"), "fields": {}})
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"] if self.forms else {}
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                fields.setdefault(a["name"], a.get("value", "y"))
            elif kind == "submit":
                fields.setdefault("_submits", []).append((a["name"], a.get("value", "")))
            elif a["name"] == "csrf_token":
                fields["csrf_token"] = a.get("value", "")
            else:
                fields[a["name"]] = NASTY
        elif tag == "textarea" and a.get("name"):
            fields[a["name"]] = NASTY
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and a.get("value") not in (None, "", "0"):
            fields.setdefault(self._select, a["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


@pytest.fixture
def world(app):
    """An admin's thread (id 1) with a reply, a featured practice and an experience."""
    with app.app_context():
        admin = make_user("root", role="admin", email="root@example.org")
        make_user("amina")
        thread = make_thread(admin, make_category("Funding"), "A thread about budgets",
                             "The opening post.", kind="experience")
        make_reply(make_user("omar"), thread, "A reply to flag.")
        make_featured(thread, admin)
        make_experience(thread)


def _form_pages(app):
    """Every page without a free-text argument, with ids set to 1 (2 for the reply post)."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static" and \
                all(conv == "int" for conv, _name in _ARG.findall(rule.rule)):
            yield _ARG.sub(lambda m: "2" if m.group(2) == "post_id" else "1", rule.rule)


# Actions that end what other forms need (a deleted thread takes no reply): sent last.
_LAST = ("/delete", "/hide", "/close", "/unfeature", "/unpublish", "/suspend", "/role",
         "/remove", "/duplicate", "/move", "/logout")


def _forms_of(client, urls):
    """(action, fields) of every POST form on these pages, NUL and controls in each text."""
    found = {}
    for url in urls:
        parser = _Forms()
        parser.feed(client.get(url).get_data(as_text=True))
        for form in parser.forms:
            fields = dict(form["fields"])
            submits = fields.pop("_submits", [])
            if submits:
                fields[submits[-1][0]] = submits[-1][1]
            found.setdefault(form["action"] or url, fields)
    return sorted(found.items(), key=lambda item: item[0].endswith(_LAST))


def _submit_every_form(client, urls):
    """POST every form found on these pages; none may answer 500."""
    answers = []
    for action, fields in _forms_of(client, urls):
        if action.endswith("/logout"):
            continue
        response = client.post(action, data=fields)
        answers.append((action, response.status_code))
        assert response.status_code < 500, (action, fields)
    return answers


def _stored_text_with_controls():
    """(table, column) of every text column that holds a control character."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String):
                rows = db.session.execute(select(column).where(column.is_not(None))).scalars()
                if any(re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", v or "")
                       for v in rows):
                    found.append((table.name, column.name))
    return found


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_control_characters_in_every_form_never_reach_the_database(app, client, auth, world):
    assert auth.login("root").status_code == 302
    answers = _submit_every_form(client, _form_pages(app))
    assert len(answers) >= 25, answers  # the forms were really found and sent
    assert any(code == 302 for _action, code in answers)  # and some were saved
    with app.app_context():
        assert _stored_text_with_controls() == []
        assert db.session.scalar(select(Post).where(Post.body == CLEAN)) is not None


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_control_characters_in_guest_forms(app, client, world):
    assert len(_submit_every_form(client, ["/login", "/register", "/reset"])) >= 2
    with app.app_context():
        assert _stored_text_with_controls() == []


def test_the_member_is_told_and_the_saved_text_is_clean(app, client, auth, csrf_token, world):
    auth.login("amina")
    token = csrf_token(client, "/threads/1")
    response = client.post("/threads/1/reply", data={"csrf_token": token, "body": NASTY},
                           follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert CONTROLS_REMOVED in html and CLEAN in html
    with app.app_context():
        assert db.session.scalar(select(Post).where(Post.body == CLEAN)) is not None


def test_a_clean_form_says_nothing(client, auth, csrf_token, world):
    auth.login("amina")
    token = csrf_token(client, "/threads/1")
    response = client.post("/threads/1/reply", data={"csrf_token": token, "body": "Fine text."},
                           follow_redirects=True)
    assert CONTROLS_REMOVED not in response.get_data(as_text=True)


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_control_characters_in_query_strings(app, client, world):
    for url in ("/?tag=a%00b&country=x%00&theme=%00", "/search?q=bud%00get&tag=%00",
                "/api/v1/search?q=bud%00get&tag=x%00", "/api/v1/similar?title=a%00b",
                "/members?q=%00a&country=%00", "/countries/Ke%00nya", "/u/ro%00ot",
                "/c/fund%00ing", "/tags/a%00/feed.atom"):
        assert client.get(url).status_code < 500, url
    response = client.post("/api/v1/similar", json={"title": "a\x00b", "body": "\x00"})
    assert response.status_code == 200


INVISIBLE = ["\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b",
             "\u202e\u202e\u202e\u202e\u202e\u202e\u202e\u202e",
             "\u3164\u3164\u3164\u3164\u3164\u3164\u3164\u3164",
             "\u2066\u200d\u2069\u00a0\u2800\u200c\u200e\u200f\ufeff"]


@pytest.mark.parametrize("title", INVISIBLE)
def test_a_title_without_visible_characters_is_refused_and_the_draft_kept(
        app, client, auth, csrf_token, world, title):
    auth.login("amina")
    data = {"csrf_token": csrf_token(client, "/threads/new"), "title": title,
            "body": "My careful draft text.", "category": "1", "kind": "question",
            "submit": "Post thread"}
    response = client.post("/threads/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A title needs visible words." in html and "My careful draft text." in html
    with app.app_context():
        assert db.session.scalar(select(Thread).where(Thread.title == title)) is None


def test_editing_a_title_to_invisible_is_refused(app, client, auth, csrf_token, world):
    auth.login("root")
    data = {"csrf_token": csrf_token(client, "/posts/1/edit"), "title": INVISIBLE[0],
            "body": "The edited opening post."}
    response = client.post("/posts/1/edit", data=data)
    assert response.status_code == 200
    assert "A title needs visible words." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Thread, 1).title == "A thread about budgets"


def test_titles_in_any_script_are_fine(client, auth, csrf_token, world):
    auth.login("amina")
    for title in ("تمويل مشترك للفريق القطري", "共同基金怎么设立？", "Fonds commun 🤝 Sénégal"):
        data = {"csrf_token": csrf_token(client, "/threads/new"), "title": title,
                "body": "Body.", "category": "1", "kind": "question", "submit": "Post thread"}
        assert client.post("/threads/new", data=data).status_code == 302, title


def test_direction_overrides_are_neutralised_where_rendered(app, client, world):
    title = "Invoice \u202eexe.fdp\u202c for \u2067the\u2069 team"
    with app.app_context():
        thread = db.session.get(Thread, 1)
        thread.title = title
        thread.posts[0].body = "Body with \u202dan override\u202c and \u2066isolate\u2069."
        db.session.commit()
    for url in ("/threads/1", "/", "/feed.atom", "/search?q=invoice", "/featured"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search("[\u202a-\u202e\u2066-\u2069]", html), url
    page = client.get("/threads/1").get_data(as_text=True)
    assert "Invoice exe.fdp for the team" in page
    assert "Body with an override and isolate." in page
    with app.app_context():  # the database keeps what was typed
        assert db.session.get(Thread, 1).title == title


def test_rendered_markdown_has_no_overrides_outside_templates_too():
    from forum.markup import render

    assert str(render("a \u202eb\u202c \u2066c\u2069")) == "<p>a b c</p>\n"


def test_the_api_sends_titles_and_snippets_without_overrides(search_app):
    from forum.threads import services

    author, category = make_user("amina"), make_category("Funding")
    services.create_thread(author, category, "Invoice \u202eexe.fdp\u202c for the team",
                           "Invoice body with \u2067isolated\u2069 words.")
    client = search_app.test_client()
    for url in ("/api/v1/search?q=invoice", "/api/v1/similar?title=invoice"):
        results = client.get(url).get_json()["results"]
        assert results, url
        assert results[0]["title"] == "Invoice exe.fdp for the team"
        assert results[0]["snippet"] == "Invoice body with isolated words."
