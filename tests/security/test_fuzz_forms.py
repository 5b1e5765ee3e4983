"""Property-based fuzzing of every form (issue 12): whatever is posted, never a 5xx.

The forms are found, not listed: every page of the permission matrix is opened as the
admin and as a member, and each `<form method="post">` is read for its fields (inputs,
selects with their options, textareas). Every POST rule of the app is then fuzzed with
hypothesis, as the admin and as a member, with a valid CSRF token and each field filled,
mangled or left out; the nasty values include NUL bytes, huge and negative numbers, far
dates, markup, right-to-left marks and a post longer than the limit. Ids in URLs and
`?page=` are fuzzed too. Examples are few and derandomised, so every run is the same.
"""
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import BACKENDS
from tests.security.conftest import teardown_app, token_of
from tests.security.test_permission_matrix import ROUTES, _fields
from tests.security.world import WORDS

FUZZ = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],  # no shrinking: keep failures quick
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NASTY = [
    "", " ", "\x00", "a\x00b", "0", "-1", "1e309", "NaN", str(2**63), str(2**64 + 7), "-" + str(2**63),
    "9" * 40, "9999-12-31", "0000-00-00", "2024-13-45", "<script>alert(1)</script>",
    "' OR 1=1 --", "\u202eevil", "\ud7ff\ufffd", "%00", "../../etc/passwd", "@" * 50,
    "a" * 60_000, "😀" * 300, "\r\n\r\n", "{{7*7}}", "javascript:alert(1)",
]
EXTRA_NAMES = ["body", "title", "reason", "text", "note", "role", "until", "days", "category",
               "tags", "original", "outcome", "summary", "name", "description", "visibility",
               "country", "username", "q", "reply_to", "thread_id", "page", "value", "kind"]
SKIP = {"/login", "/logout"}  # the session itself; auth has tests of its own


class _Forms(HTMLParser):
    """Each POST form's action and fields ({name: [option values] or None for free text})."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict] = {}
        self._form = self._select = None
        self.page = ""  # the page being read: a form without an action posts back to it

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            action = (a.get("action") or self.page).split("?")[0].split("#")[0]
            self._form = self.forms.setdefault(action, {})
        elif self._form is not None and a.get("name") and a["name"] != "csrf_token":
            if tag == "select":
                self._select = self._form.setdefault(a["name"], [])
            elif tag in ("input", "textarea"):
                kind = (a.get("type") or "text").lower()
                if kind in ("checkbox", "radio", "submit"):
                    options = self._form.setdefault(a["name"], [])
                    if isinstance(options, list):
                        options.append(a.get("value") or "y")
                else:
                    self._form[a["name"]] = None
        elif tag == "option" and self._select is not None:
            self._select.append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_world(request, tmp_path_factory):
    """The world, its signed-in clients, and every POST form found on its pages (SQLite and
    PostgreSQL)."""
    from tests.security.conftest import make_world_app, role_clients, world_database
    # Search off: fuzzing the forms needs no model, and inline indexing of every
    # accepted 60,000-character post would take minutes (test_fuzz_api keeps it on).
    app, world = make_world_app(tmp_path_factory, world_database(request), SEARCH_ENABLED=False)
    clients = role_clients(app)
    parser = _Forms()
    for role in ("admin", "member"):
        for rule, row in ROUTES.items():
            url = row.path.format(**_fields(world, world.scopes["public"], "public"))
            response = clients[role].get(url)
            if "html" in response.content_type:
                parser.page = url
                parser.feed(response.get_data(as_text=True))
            response.close()
    yield app, world, clients, parser.forms
    teardown_app(app)


def _value(options):
    free = st.one_of(st.text(max_size=200), st.sampled_from(NASTY),
                     st.integers(min_value=-2**70, max_value=2**70).map(str))
    if options:
        return st.one_of(st.sampled_from(options), free)
    return free


def _form_data(fields: dict):
    """Each known field filled, mangled or left out, plus a few unexpected ones."""
    known = {name: st.one_of(st.none(), _value(options)) for name, options in fields.items()}
    extra = st.dictionaries(st.sampled_from(EXTRA_NAMES), _value(None), max_size=3)
    return st.tuples(st.fixed_dictionaries(known), extra).map(
        lambda pair: {**pair[1], **{k: v for k, v in pair[0].items() if v is not None}})


POST_RULES = sorted(rule for rule in ROUTES if rule not in SKIP and not ROUTES[rule].json)


@pytest.mark.parametrize("rule", POST_RULES)
def test_no_form_post_gives_a_5xx(fuzz_world, rule):
    app, world, clients, forms = fuzz_world
    if not any("POST" in r.methods for r in app.url_map.iter_rules() if r.rule == rule):
        pytest.skip("GET only")
    url = ROUTES[rule].path.format(**_fields(world, world.scopes["public"], "public"))
    path = url.split("?")[0]
    fields = forms.get(path, {})
    for role in ("admin", "member"):
        client = clients[role]
        token = token_of(client)

        # A button with no fields gets a few tries with unexpected ones; a form, more.
        @settings(FUZZ, max_examples=6 if fields else 2)
        @given(data=_form_data(fields))
        def post(data):
            _post_ok(client, path, {**data, "csrf_token": token}, role)

        post()
    # Then every nasty value in every field (rotated, so each field meets each value once).
    for k in range(len(NASTY)):
        role = ("admin", "member")[k % 2]
        data = {name: NASTY[(i + k) % len(NASTY)] for i, name in enumerate(fields or EXTRA_NAMES)}
        _post_ok(clients[role], path, {**data, "csrf_token": token_of(clients[role])}, role)


def _post_ok(client, path, data, role):
    response = client.post(path, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code < 500, (path, role, {k: v[:40] for k, v in data.items()},
                                         body[:300])


def test_forms_were_found_for_the_pages_that_have_them(fuzz_world):
    """The crawl really read forms (the fuzzing above would be shallow otherwise)."""
    _, world, _, forms = fuzz_world
    public = world.scopes["public"]
    for path, field in [("/threads/new", "title"), (f"/threads/{public.thread}/reply", "body"),
                        ("/settings/profile", "bio"), ("/admin/categories", "visibility"),
                        (f"/posts/{public.reply}/flag", "reason")]:
        assert field in forms.get(path, {}), (path, sorted(forms.get(path, {})))


@FUZZ
@given(number=st.one_of(st.integers(min_value=-2**70, max_value=2**70),
                        st.sampled_from([0, 2**31, 2**63 - 1, 2**63, 2**64, 10**30])),
       page=st.one_of(st.integers(min_value=-2**70, max_value=2**70).map(str),
                      st.sampled_from(NASTY[:12])))
def test_ids_and_pages_in_urls_never_give_a_5xx(fuzz_world, number, page):
    app, world, clients, _ = fuzz_world
    ids = {k: number for k in ("thread", "opening", "reply", "experience", "practice",
                               "adaptation", "followup", "category", "group")}
    ids.update(slug="open-room", word=WORDS["public"])
    failed = []
    for rule, row in ROUTES.items():
        if "{" not in row.path or "{u_" in row.path:
            continue
        url = row.path.format(**{**_fields(world, world.scopes["public"], "public"), **ids})
        sep = "&" if "?" in url else "?"
        try:
            response = clients["admin"].get(f"{url}{sep}page={page}")
        except OverflowError as exc:  # TESTING propagates what would be a 500
            failed.append(f"{url}?page={page}: {exc}")
            continue
        response.close()
        if response.status_code >= 500:
            failed.append(f"{url}?page={page}: {response.status_code}")
    assert not failed, "\n".join(failed)
