"""Featured practices: curating, versioned summaries, the permission-aware library (issue 5)."""
import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Category, FeaturedPractice, FeaturedRevision, Thread, User
from tests.factories import make_category, make_featured, make_group, make_thread
from tests.forum.community import as_user, audit_count, build, is_login_redirect, post

SUMMARY = ("## The question\nHow to set up a pooled fund.\n\n## Key points\n"
           "- A steering committee with rotating chairs.\n")


@pytest.fixture
def world(app):
    return build(app)


def practice(app, thread_id):
    with app.app_context():
        p = db.session.scalar(select(FeaturedPractice).where(FeaturedPractice.thread_id == thread_id))
        return None if p is None else (p.id, p.summary, len(p.revisions))


def test_moderator_features_a_thread_with_a_prefilled_template(app, client, auth, world):
    as_user(client, auth, "helen")
    form = client.get(f"/threads/{world.thread}/feature").get_data(as_text=True)
    for heading in ("## The question", "## Key points", "## Where views differed",
                    "## Contributors", "## Further resources"):
        assert heading in form
    # Contributors are credited by name with links to their posts.
    assert f"#post-{world.reply}" in form and f"#post-{world.reply2}" in form
    response = post(client, f"/threads/{world.thread}/feature", {"summary": SUMMARY})
    assert response.status_code == 302
    assert practice(app, world.thread)[1:] == (SUMMARY.strip(), 1)
    assert audit_count(app, "featured.create") == 1
    page = client.get(f"/threads/{world.thread}").get_data(as_text=True)
    assert "Curated summary" in page and "rotating chairs" in page


@pytest.mark.parametrize("username", ["amina", "bob", "sam"])
def test_members_cannot_feature(app, client, auth, world, username):
    as_user(client, auth, username)
    assert client.get(f"/threads/{world.thread}/feature").status_code == 403
    assert post(client, f"/threads/{world.thread}/feature", {"summary": SUMMARY}).status_code == 403
    assert practice(app, world.thread) is None


def test_guest_and_missing_token_cannot_feature(app, client, auth, world):
    assert is_login_redirect(post(client, f"/threads/{world.thread}/feature", {"summary": SUMMARY}))
    as_user(client, auth, "helen")
    response = post(client, f"/threads/{world.thread}/feature", {"summary": SUMMARY}, csrf=False)
    assert response.status_code == 400
    assert practice(app, world.thread) is None


def test_too_short_a_summary_is_refused(app, client, auth, world):
    as_user(client, auth, "helen")
    page = post(client, f"/threads/{world.thread}/feature", {"summary": "Short."})
    assert page.status_code == 200 and "must be" in page.get_data(as_text=True)
    assert practice(app, world.thread) is None


def test_edits_are_versioned_with_who_and_when(app, client, auth, world):
    as_user(client, auth, "helen")
    post(client, f"/threads/{world.thread}/feature", {"summary": SUMMARY})
    practice_id = practice(app, world.thread)[0]
    as_user(client, auth, "root")
    post(client, f"/featured/{practice_id}/edit", {"summary": SUMMARY + "- Start small.\n"})
    post(client, f"/featured/{practice_id}/edit", {"summary": SUMMARY + "- Start small.\n"})
    assert practice(app, world.thread)[2] == 2  # an unchanged save adds no version
    with app.app_context():
        editors = [r.editor.username for r in db.session.scalars(
            select(FeaturedRevision).order_by(FeaturedRevision.id))]
        assert editors == ["helen", "root"]
    history = client.get(f"/featured/{practice_id}/history").get_data(as_text=True)
    assert "Version 2 (current) by root" in history and "Version 1 by helen" in history
    assert audit_count(app, "featured.edit") == 1


def test_members_cannot_edit_or_unfeature(app, client, auth, world):
    with app.app_context():
        helen = db.session.scalar(select(User).where(User.username == "helen"))
        practice_id = make_featured(db.session.get(Thread, world.thread), helen, SUMMARY).id
    as_user(client, auth, "amina")
    assert post(client, f"/featured/{practice_id}/edit", {"summary": SUMMARY + "x"}).status_code == 403
    assert post(client, f"/featured/{practice_id}/unfeature").status_code == 403
    assert practice(app, world.thread)[1] == SUMMARY


def test_moderator_unfeatures(app, client, auth, world):
    as_user(client, auth, "helen")
    post(client, f"/threads/{world.thread}/feature", {"summary": SUMMARY})
    practice_id = practice(app, world.thread)[0]
    assert post(client, f"/featured/{practice_id}/unfeature", csrf=False).status_code == 400
    post(client, f"/featured/{practice_id}/unfeature", {"reason": "outdated"})
    assert practice(app, world.thread) is None
    assert audit_count(app, "featured.remove") == 1


def test_hidden_thread_cannot_be_featured(app, client, auth, world):
    with app.app_context():
        db.session.get(Thread, world.thread).is_hidden = True
        db.session.commit()
    as_user(client, auth, "helen")
    post(client, f"/threads/{world.thread}/feature", {"summary": SUMMARY})
    assert practice(app, world.thread) is None


# --- the library -------------------------------------------------------------------

@pytest.fixture
def library(app, world):
    """Featured threads in public, members-only, group-only categories, and a hidden one."""
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        team = make_group("kenya-team", [users["dan"]])
        public = db.session.get(Category, world.category)
        lounge = db.session.get(Category, world.lounge)
        secret = make_category("Kenya team", visibility="group", group=team)
        specs = [("Public climate practice", public, "Ghana", ["climate"]),
                 ("Members lounge practice", lounge, "Kenya", ["funds"]),
                 ("Kenya team practice", secret, "Kenya", ["funds"]),
                 ("Hidden practice", public, "Kenya", ["funds"])]
        for title, category, country, tags in specs:
            t = make_thread(users["amina"], category, title, "Body text here.", country=country,
                            tags=tags, hidden=title.startswith("Hidden"))
            make_featured(t, users["helen"], f"Summary of {title}, long enough to read.")
    return world


def titles(client, url="/featured"):
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return {t for t in ("Public climate practice", "Members lounge practice",
                        "Kenya team practice", "Hidden practice") if t in html}


def test_library_is_permission_aware(client, auth, library):
    assert titles(client) == {"Public climate practice"}
    as_user(client, auth, "carla")
    assert titles(client) == {"Public climate practice", "Members lounge practice"}
    as_user(client, auth, "dan")
    assert "Kenya team practice" in titles(client)
    as_user(client, auth, "amina")  # the author of the hidden thread: still not in the library
    assert "Hidden practice" not in titles(client)
    as_user(client, auth, "helen")
    assert titles(client) == {"Public climate practice", "Members lounge practice",
                              "Kenya team practice", "Hidden practice"}


def test_library_filters_by_category_country_and_tag(client, auth, library):
    as_user(client, auth, "carla")
    assert titles(client, "/featured?country=kenya") == {"Members lounge practice"}
    assert titles(client, "/featured?tag=climate") == {"Public climate practice"}
    assert titles(client, "/featured?category=lounge") == {"Members lounge practice"}
    assert titles(client, "/featured?category=lounge&tag=climate") == set()


def test_library_is_newest_first(app, client, library):
    with app.app_context():
        helen = db.session.scalar(select(User).where(User.username == "helen"))
        t = make_thread(helen, db.session.get(Thread, library.thread).category,
                        "Newest public practice", "Body.")
        make_featured(t, helen, "The newest summary of all, long enough.")
    html = client.get("/featured").get_data(as_text=True)
    assert html.index("Newest public practice") < html.index("Public climate practice")


def test_library_filters_offer_only_what_you_may_see(client, library):
    html = client.get("/featured").get_data(as_text=True)
    assert "Kenya team" not in html and "Lounge" not in html.split("<main")[1]


def test_featured_badge_in_listings(app, client, library):
    html = client.get("/").get_data(as_text=True)
    assert "Featured practice" in html
