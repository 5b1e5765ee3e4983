"""XSS in the browser (issue 12): every payload of tests/security/xss_payloads.txt is stored
in every rendered field, and every page that renders them is loaded in Chromium. No payload
may open a dialog, run (window.__xss), or even reach the DOM as markup (a CSP violation).

Payload i is thread i's title, body, country, tag, reply, experience card, adaptation,
consolidated reply, featured summary and flag reason; user i's display name, organisation,
country, expertise and bio; category i's name and description; group i's name. Pages that
list many (the index, search, the directory, admin and moderation lists) batch them.
"""
import json
import re
from pathlib import Path

import pytest

from forum import create_app
from forum.extensions import db
from forum.models import ConsolidatedReply, ConsolidatedRevision, Flag
from forum.models._base import utcnow
from tests.browser.conftest import serving
from tests.conftest import PASSWORD
from tests.factories import (
    make_adaptation, make_category, make_experience, make_featured, make_group, make_reply,
    make_thread, make_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CORPUS = Path(__file__).parent.parent / "security" / "xss_payloads.txt"
PAYLOADS = [line.replace("\\n", "\n") for line in CORPUS.read_text().splitlines()
            if line and not line.startswith("# ")]
FIELDS = ["thread title", "thread body", "thread country", "tag", "reply", "experience region",
          "experience theme", "experience tried", "experience lessons", "experience evidence",
          "adaptation team", "adaptation changes", "adaptation country", "consolidated reply",
          "featured summary", "flag reason", "display name", "organisation", "user country",
          "expertise", "bio", "category name", "category description", "group name",
          "search query echo", "composer suggestions", "mention autocomplete"]
WATCH = """
window.__xss = 0; window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || '')));
"""


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory, chromium_path):
    """A live server whose every field holds a payload; returns (base url, thread ids, users)."""
    instance = tmp_path_factory.mktemp("xss")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORUM_INSTANCE_PATH", str(instance))
        app = create_app({
            "SECRET_KEY": "xss", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'f.sqlite'}",
            "SEARCH_ENABLED": True, "SEARCH_WORKER": "inline", "RATELIMIT_ENABLED": False,
            "SEARCH_INDEX_DIR": str(instance / "search")})
    with app.app_context():
        db.create_all()
        service = app.extensions["searching"]
        with service.paused():
            threads, users = _fill()
        service.settle()
        db.session.remove()
    with serving(app) as url:
        yield url, threads, users
    with app.app_context():
        db.engine.dispose()


def _fill():
    admin = make_user("xssadmin", role="admin", password=PASSWORD)
    threads, users = [], []
    for i, p in enumerate(PAYLOADS):
        # Every 8th member's bio holds the next eight payloads: 16 profiles show them all.
        bio = "\n\n".join(PAYLOADS[i:i + 8]) if i % 8 == 0 else p
        user = make_user(f"xss{i}", display_name=p[:100], organisation=p[:150], country=p[:100],
                         expertise=p[:300], bio=bio)
        make_group(f"{p[:80]} #{i}", [user])
        category = make_category(f"{p[:70]} #{i}", "public")
        category.description = p
        thread = make_thread(user, category, f"{p[:180]} pooled fund #{i}",
                             f"{p}\n\nPooled fund governance question {i}.", kind="experience",
                             country=p[:100], tags=[p[:40]])
        reply = make_reply(admin, thread, p)
        make_experience(thread, "worked", theme=p[:100], region=p[:100], tried=p, lessons=p,
                        evidence=p, start_year=2024)
        make_adaptation(thread, user, country=p[:100], team=p[:150], changes=p)
        make_featured(thread, admin, summary=p)
        consolidated = ConsolidatedReply(thread_id=thread.id, body=p, started_by_id=user.id,
                                         published_at=utcnow(), published_by_id=admin.id)
        consolidated.revisions.append(ConsolidatedRevision(editor_id=admin.id, body=p,
                                                           published=True))
        db.session.add_all([consolidated, Flag(post_id=reply.id, flagger_id=user.id,
                                                reason="other", text=p[:1000])])
        db.session.commit()
        threads.append(thread.id)
        users.append(user.username)
        return threads, users


def _pages(threads, users):
    """Every page that renders the fields, payload by payload or in batches."""
    pages = ["/", "/?page=2", "/?page=3", "/?page=4", "/?page=5", "/?page=6", "/?page=7",
             "/featured", "/featured?page=2", "/members", "/members?page=2", "/countries",
             "/moderation", "/moderation/log", "/admin/categories", "/admin/groups",
             "/admin/users", "/feed.atom", "/search?q=pooled+fund", "/search?q=pooled&page=2"]
    pages += [f"/threads/{t}" for t in threads]
    pages += [f"/members?page={n}" for n in range(3, 8)]
    pages += [f"/u/{u}" for u in users[::8]]
    pages += [f"/search?q={_quote(p)}" for p in PAYLOADS]  # the query echoed back
    return pages


def test_no_payload_runs_anywhere(xss_site, browser):
    base, threads, users = xss_site
    context = browser.new_context(base_url=base)
    context.set_default_timeout(20_000)
    context.add_init_script(WATCH)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.message}"), d.dismiss()))
    page.goto("/login")
    page.fill("#login", "xssadmin")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(lambda url: "/login" not in url)
    problems = []
    for path in _pages(threads, users):
        page.goto(path, wait_until="domcontentloaded")
        problems += _findings(page, path)
    # The composer's suggestions and the mention autocomplete render payloads with JavaScript.
    page.goto("/threads/new")
    for words in ("pooled fund governance question", "pooled fund 1", "pooled fund 2"):
        page.fill("#title", words)
        page.fill("#body", f"{words} @xss")
        page.wait_for_timeout(1200)
        problems += _findings(page, f"composer: {words}")
    assert not dialogs, dialogs[:5]
    assert not problems, "\n".join(problems[:20])
    context.close()


def _is_our_import_map(text: str) -> bool:
    try:
        value = json.loads(text)
    except ValueError:
        return False
    imports = value.get("imports") if isinstance(value, dict) and len(value) == 1 else None
    return isinstance(imports, dict) and all(
        re.fullmatch(r"/static/js/[a-z_]+\.js", plain) and digested.startswith(plain + "?v=")
        for plain, digested in imports.items())


def _findings(page, where):
    state = page.evaluate("() => [window.__xss, window.__csp]")
    found = []
    if state[0]:
        found.append(f"{where}: a payload ran (window.__xss set)")
    if state[1]:
        found.append(f"{where}: CSP violations {state[1][:3]}")
    # The templates' only inline script is the import map: at most one, mapping each module
    # under /static/js/ to its digested URL and nothing else.
    if page.locator("script:not([src]):not([type=importmap])").count():
        found.append(f"{where}: an inline script element in the page")
    maps = page.locator("script[type=importmap]").all_inner_texts()
    if len(maps) > 1 or any(not _is_our_import_map(text) for text in maps):
        found.append(f"{where}: an import map that is not the app's: {maps}")
    return found


def _quote(text):
    from urllib.parse import quote
    return quote(text[:200], safe="")


def test_the_corpus_is_big_enough():
    assert len(PAYLOADS) >= 100 and len(set(PAYLOADS)) == len(PAYLOADS)
    assert len(FIELDS) >= 20
