"""The permission matrix (issue 12): every URL rule of the app x every role x every scope.

ROUTES has one row per rule of `app.url_map`: how to fill its URL and who may use it.
A rule without a row fails `test_every_route_has_a_row`, so a new route cannot escape.
For every GET row, each role's answer is checked against the row (allowed: a page;
denied: 403/404 or the login page), a restricted object answers exactly like an unknown
one (same status), and no answer (body or Location) carries the marker of a category the
role may not read. POST rows are sent with a valid CSRF token and no fields: never a 5xx,
never a marker, restricted == unknown. Search, suggestions, related threads, feeds,
notifications, profiles and error pages are all rows or query variants of rows.
"""
from dataclasses import dataclass

import pytest

from tests.conftest import BACKENDS
from tests.security.conftest import teardown_app, token_of
from tests.security.world import COUNTRY, MARKERS, READERS, ROLES, SCOPES, WORDS, Scope

STAFF = {"moderator", "admin"}
LOGIN = "/login"


@dataclass(frozen=True)
class Row:
    """How to reach a rule and who may.

    path: format string; fields are a Scope's (thread, reply, slug, ...), `word` (a word
        only that scope's content carries), `group`, `country` and `u_<name>` user ids.
    who: any | login | poster (signed in, not suspended) | flagger (a poster who did not
        write the reply: `grouped` did) | owner (the content's author `member`, or staff) |
        staff | admin.
    scoped: "object" (the URL names a scope's content: restricted must equal unknown),
        "query" (formatted per scope, leak-checked only), or "" (one URL).
    """

    path: str
    who: str = "any"
    scoped: str = ""
    json: bool = False  # POST a JSON body instead of a form
    fine: tuple = ()  # statuses that are a right answer for everyone (a bad token: 400)


OBJ, QUERY = "object", "query"
ROUTES = {
    "/": Row("/?sort=new"),
    "/healthz": Row("/healthz"),
    "/adaptations/<int:adaptation_id>/delete": Row("/adaptations/{adaptation}/delete", "owner", OBJ),
    "/adaptations/<int:adaptation_id>/outcome": Row("/adaptations/{adaptation}/outcome", "owner", OBJ),
    "/admin/": Row("/admin/", "admin"),
    "/admin/categories": Row("/admin/categories", "admin"),
    "/admin/categories/<int:category_id>": Row("/admin/categories/{category}", "admin", OBJ),
    "/admin/groups": Row("/admin/groups", "admin"),
    "/admin/groups/<int:group_id>": Row("/admin/groups/{group}", "admin"),
    "/admin/groups/<int:group_id>/members/<int:user_id>/remove":
        Row("/admin/groups/{group}/members/{u_grouped}/remove", "admin"),
    "/admin/users": Row("/admin/users", "admin"),
    "/admin/users/<int:user_id>": Row("/admin/users/{u_member}", "admin"),
    "/admin/users/<int:user_id>/role": Row("/admin/users/{u_other}/role", "admin"),
    "/admin/users/<int:user_id>/suspend": Row("/admin/users/{u_other}/suspend", "admin"),
    "/admin/users/<int:user_id>/unsuspend": Row("/admin/users/{u_other}/unsuspend", "admin"),
    "/admin/users/<int:user_id>/sign-out": Row("/admin/users/{u_other}/sign-out", "admin"),
    "/api/v1/threads/<int:thread_id>/replies": Row("/api/v1/threads/{thread}/replies", "login", OBJ,
                                                   json=True),
    "/confirm-email/<token>": Row("/confirm-email/not-a-valid-token", fine=(400, 404)),
    "/settings/password": Row("/settings/password", "login"),
    "/settings/security": Row("/settings/security", "login"),
    "/settings/sessions/end-others": Row("/settings/sessions/end-others", "login"),
    "/settings/tokens": Row("/settings/tokens", "login"),
    "/settings/tokens/<int:token_id>/revoke": Row("/settings/tokens/1/revoke", "login"),
    "/api/v1/search": Row("/api/v1/search?q={word}&limit=50", "any", QUERY),
    "/api/v1/similar": Row("/api/v1/similar?title=Question+{word}+pooled+funds&limit=20",
                           "any", QUERY, json=True),
    "/api/v1/suggestions/events": Row("/api/v1/suggestions/events", "any", json=True),
    "/c/<slug>": Row("/c/{slug}", "any", OBJ),
    "/c/<slug>/feed.atom": Row("/c/{slug}/feed.atom", "any", OBJ),
    "/countries": Row("/countries"),
    "/countries/<country>/feed.atom": Row("/countries/{country}/feed.atom"),
    "/countries/<name>": Row("/countries/{country}"),
    "/featured": Row("/featured"),
    "/featured/<int:practice_id>/edit": Row("/featured/{practice}/edit", "staff", OBJ),
    "/featured/<int:practice_id>/history": Row("/featured/{practice}/history", "any", OBJ),
    "/featured/<int:practice_id>/unfeature": Row("/featured/{practice}/unfeature", "staff", OBJ),
    "/featured/feed.atom": Row("/featured/feed.atom"),
    "/feed.atom": Row("/feed.atom"),
    "/followups": Row("/followups", "login"),
    "/followups/<int:followup_id>": Row("/followups/{followup}", "owner", OBJ),
    "/login": Row("/login"),
    "/logout": Row("/logout", "login"),
    "/members": Row("/members?q={word}", "any", QUERY),
    "/mentions": Row("/mentions?q=oth&thread={thread}", "login", OBJ),
    "/moderation": Row("/moderation", "staff"),
    "/moderation/flags/<int:post_id>": Row("/moderation/flags/{reply}", "staff", OBJ),
    "/moderation/log": Row("/moderation/log", "staff"),
    "/moderation/posts/<int:post_id>": Row("/moderation/posts/{reply}", "staff", OBJ),
    "/moderation/posts/<int:post_id>/hide": Row("/moderation/posts/{reply}/hide", "staff", OBJ),
    "/moderation/posts/<int:post_id>/unhide": Row("/moderation/posts/{reply}/unhide", "staff", OBJ),
    "/moderation/suggestions": Row("/moderation/suggestions", "staff"),
    "/moderation/threads/<int:thread_id>": Row("/moderation/threads/{thread}", "staff", OBJ),
    "/notifications": Row("/notifications", "login"),
    "/notifications/read": Row("/notifications/read", "login"),
    "/posts/<int:post_id>/accept": Row("/posts/{reply}/accept", "owner", OBJ),
    "/posts/<int:post_id>/delete": Row("/posts/{opening}/delete", "owner", OBJ),
    "/posts/<int:post_id>/edit": Row("/posts/{opening}/edit", "owner", OBJ),
    "/posts/<int:post_id>/flag": Row("/posts/{reply}/flag", "flagger", OBJ),
    "/posts/<int:post_id>/helpful": Row("/posts/{reply}/helpful", "login", OBJ),
    "/posts/<int:post_id>/history": Row("/posts/{opening}/history", "any", OBJ),
    "/posts/<int:post_id>/restore": Row("/posts/{opening}/restore", "staff", OBJ),
    "/register": Row("/register"),
    "/reset": Row("/reset"),
    "/reset/<token>": Row("/reset/not-a-valid-token", fine=(400,)),
    "/saved": Row("/saved", "login"),
    "/search": Row("/search?q={word}", "any", QUERY),
    "/settings/notifications": Row("/settings/notifications", "login"),
    "/settings/profile": Row("/settings/profile", "login"),
    "/static/<path:filename>": Row("/static/css/site.css"),
    "/tags/<tag>/feed.atom": Row("/tags/{word}/feed.atom", "any", QUERY),
    "/threads/<int:thread_id>": Row("/threads/{thread}", "any", OBJ),
    "/threads/<int:thread_id>/<slug>": Row("/threads/{thread}/any-slug", "any", OBJ),
    "/threads/<int:thread_id>/adapt": Row("/threads/{experience}/adapt", "poster", OBJ),
    "/threads/<int:thread_id>/consolidated": Row("/threads/{thread}/consolidated", "owner", OBJ),
    "/threads/<int:thread_id>/consolidated/draft":
        Row("/threads/{thread}/consolidated/draft", "owner", OBJ),
    "/threads/<int:thread_id>/consolidated/history":
        Row("/threads/{thread}/consolidated/history", "any", OBJ),
    "/threads/<int:thread_id>/consolidated/redraft":
        Row("/threads/{thread}/consolidated/redraft", "owner", OBJ),
    "/threads/<int:thread_id>/consolidated/unpublish":
        Row("/threads/{thread}/consolidated/unpublish", "owner", OBJ),
    "/threads/<int:thread_id>/experience": Row("/threads/{experience}/experience", "owner", OBJ),
    "/threads/<int:thread_id>/experience/history":
        Row("/threads/{experience}/experience/history", "any", OBJ),
    "/threads/<int:thread_id>/feature": Row("/threads/{experience}/feature", "staff", OBJ),
    "/moderation/threads/<int:thread_id>/close": Row("/moderation/threads/{thread}/close", "staff", OBJ),
    "/moderation/threads/<int:thread_id>/duplicate":
        Row("/moderation/threads/{thread}/duplicate", "staff", OBJ),
    "/moderation/threads/<int:thread_id>/hide": Row("/moderation/threads/{thread}/hide", "staff", OBJ),
    "/moderation/threads/<int:thread_id>/move": Row("/moderation/threads/{thread}/move", "staff", OBJ),
    "/moderation/threads/<int:thread_id>/pin": Row("/moderation/threads/{thread}/pin", "staff", OBJ),
    "/moderation/threads/<int:thread_id>/reopen": Row("/moderation/threads/{thread}/reopen", "staff", OBJ),
    "/moderation/threads/<int:thread_id>/tags": Row("/moderation/threads/{thread}/tags", "staff", OBJ),
    "/moderation/threads/<int:thread_id>/unhide": Row("/moderation/threads/{thread}/unhide", "staff", OBJ),
    "/moderation/threads/<int:thread_id>/unpin": Row("/moderation/threads/{thread}/unpin", "staff", OBJ),
    "/threads/<int:thread_id>/reply": Row("/threads/{thread}/reply", "login", OBJ),
    "/threads/<int:thread_id>/save": Row("/threads/{thread}/save", "login", OBJ),
    "/threads/<int:thread_id>/unaccept": Row("/threads/{thread}/unaccept", "owner", OBJ),
    "/threads/new": Row("/threads/new?category={slug}", "login", QUERY),
    "/u/<username>": Row("/u/member"),
    "/unsubscribe/<token>": Row("/unsubscribe/not-a-valid-token", fine=(400,)),
    "/watch": Row("/watch", "login"),
    "/watching": Row("/watching", "login"),
}
UNKNOWN = Scope(category=10**6, slug="no-such-room", thread=10**6, opening=10**6, reply=10**6,
                experience=10**6, practice=10**6, adaptation=10**6, followup=10**6)
# Extra answers that carry other people's content: the same URL families with more arguments.
PROBES = [
    "/search?q=pooled+funds&sort=new", "/search?q={word}&country=Atlantis",
    "/api/v1/search?q=cash+transfers&limit=50&sort=new", "/api/v1/search?tag={word}",
    "/api/v1/similar?title=Experience+with+cash+transfers&body={word}&limit=20",
    "/?tag={word}", "/?country=Atlantis", "/?kind=experience", "/?status=unanswered",
    "/featured?sort=evidence", "/members?country=Atlantis", "/members?q=cash+transfers",
    "/u/grouped", "/u/other", "/tags/funds/feed.atom", "/threads/{thread}?page=2",
    "/c/{slug}?page=1&tag={word}",
]


def _rules(app):
    return {rule.rule: rule for rule in app.url_map.iter_rules()}


def _fields(world, scope: Scope, scope_name: str) -> dict:
    fields = {k: getattr(scope, k) for k in Scope.__dataclass_fields__}
    fields.update(word=WORDS[scope_name], group=world.group, country=COUNTRY)
    fields.update({f"u_{name}": uid for name, uid in world.users.items()})
    return fields


def _urls(world, row: Row):
    """(scope name or None, url, url with unknown ids or None) for each URL of a row."""
    if not row.scoped:
        yield None, row.path.format(**_fields(world, world.scopes["public"], "public")), None
        return
    for name in SCOPES:
        url = row.path.format(**_fields(world, world.scopes[name], name))
        unknown = row.path.format(**_fields(world, UNKNOWN, name)) if row.scoped == OBJ else None
        yield name, url, unknown


def _leaks(role: str, world, response) -> list[str]:
    text = (response.get_data(as_text=True) + response.headers.get("Location", "")).lower()
    response.close()  # static files stay open until closed
    return [m for m in world.markers_hidden_from(role) if m in text]


def _is_login(response) -> bool:
    return response.status_code in (302, 303) and LOGIN in response.headers.get("Location", "")


def _allowed(row: Row, role: str) -> bool:
    if row.who == "any":
        return True
    if role == "guest":
        return False
    return {"login": True, "poster": role != "suspended",
            "flagger": role not in ("suspended", "grouped"), "owner": role in STAFF | {"member"}, "staff": role in STAFF,
            "admin": role == "admin"}[row.who]


def _check(role, row, url, response, readable: bool) -> str:
    """'' when the answer fits the row for this role, else why not."""
    status = response.status_code
    if status >= 500:
        return f"{status} on {url}"
    if not readable or status in row.fine:
        return ""  # compared with the unknown-id answer by the caller
    if _allowed(row, role):
        if status >= 400 or _is_login(response):
            return f"{role} may use {url} but got {status} {response.headers.get('Location', '')}"
    elif role == "guest" and row.who != "any":
        if not (_is_login(response) or status in (401, 403, 404)):
            return f"guest got {status} on {url}, not the login page"
    elif status not in (403, 404):
        return f"{role} may not use {url} but got {status}"
    return ""


def test_every_route_has_a_row(world_app):
    app, _, _ = world_app
    missing = sorted(set(_rules(app)) - set(ROUTES))
    assert not missing, f"routes without a row in the permission matrix: {missing}"
    stale = sorted(set(ROUTES) - set(_rules(app)))
    assert not stale, f"rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(world_app, role):
    """Every GET rule, for this role, in every scope: the right answer and no leak."""
    app, world, clients = world_app
    client, problems, checked = clients[role], [], 0
    for rule_path, rule in sorted(_rules(app).items()):
        if "GET" not in rule.methods:
            continue
        row = ROUTES[rule_path]
        for scope, url, unknown in _urls(world, row):
            readable = scope is None or role in READERS[scope]
            response = client.get(url)
            checked += 1
            problems += [f"{url}: {role} sees {m}" for m in _leaks(role, world, response)]
            why = _check(role, row, url, response, readable)
            if why:
                problems.append(why)
            if unknown and not readable:
                other = client.get(unknown)
                if other.status_code != response.status_code:
                    problems.append(f"{url}: {role} gets {response.status_code} but "
                                    f"{other.status_code} for an unknown id")
    assert checked > 100
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_probes_leak_nothing(world_app, role):
    """Search, suggestions, listings, feeds and profiles with more arguments."""
    app, world, clients = world_app
    problems = []
    for probe in PROBES:
        for name in SCOPES:
            url = probe.format(**_fields(world, world.scopes[name], name))
            response = clients[role].get(url)
            if response.status_code >= 500:
                problems.append(f"{response.status_code} on {url}")
            problems += [f"{url}: {role} sees {m}" for m in _leaks(role, world, response)]
    for name in SCOPES:
        word = WORDS[name]
        response = clients[role].post("/api/v1/similar", json={
            "title": f"Question {word} on pooled funds", "body": word, "limit": 20})
        problems += [f"POST similar: {role} sees {m}" for m in _leaks(role, world, response)]
    assert not problems, "\n".join(problems)


def test_restricted_content_is_found_by_those_who_may_read_it(world_app):
    """The markers are really there: the matrix would pass vacuously otherwise."""
    app, world, clients = world_app
    for role in ("member", "grouped", "moderator"):
        for scope in ("members", "group"):
            mark = MARKERS[scope]
            word = WORDS[scope]
            for url in (f"/search?q={word}", f"/api/v1/search?q={word}",
                        f"/threads/{world.scopes[scope].thread}", "/u/member"):
                body = clients[role].get(url).get_data(as_text=True).lower()
                assert mark in body, f"{role} does not find {word} on {url}"
    similar = clients["grouped"].get(
        f"/api/v1/similar?title=Question+{WORDS['group']}+pooled+funds&limit=20")
    assert MARKERS["group"] in similar.get_data(as_text=True)


def test_notifications_of_unreadable_threads_stay_hidden(world_app):
    app, world, clients = world_app
    page = clients["other"].get("/notifications").get_data(as_text=True).lower()
    assert MARKERS["group"] not in page
    assert MARKERS["members"] in page  # the members-only mention is theirs to read


@pytest.fixture(scope="module", params=BACKENDS)
def post_world(request, tmp_path_factory):
    """A world of its own for the POST rows: staff actions change it."""
    from tests.security.conftest import make_world_app, role_clients, world_database
    app, world = make_world_app(tmp_path_factory, world_database(request))
    yield app, world, role_clients(app)
    teardown_app(app)


def test_post_matrix(post_world):
    """Every POST rule, every role (staff last: their actions change the world), every scope:
    never a 5xx, never a marker, a restricted object answers like an unknown one."""
    app, world, clients = post_world
    problems = []
    order = ("guest", "suspended", "other", "grouped", "member", "moderator", "admin")
    for role in order:
        client = clients[role]
        token = token_of(client)
        for rule_path, rule in sorted(_rules(app).items()):
            if "POST" not in rule.methods or rule_path in ("/logout", "/login"):
                continue
            row = ROUTES[rule_path]
            for scope, url, unknown in _urls(world, row):
                readable = scope is None or role in READERS[scope]
                response = _post(client, url, token, row)
                problems += [f"POST {url}: {role} sees {m}" for m in _leaks(role, world, response)]
                if response.status_code >= 500:
                    problems.append(f"POST {url} as {role}: {response.status_code}")
                if unknown and not readable:
                    other = _post(client, unknown, token, row)
                    if other.status_code != response.status_code:
                        problems.append(f"POST {url}: {role} gets {response.status_code} but "
                                        f"{other.status_code} for an unknown id")
    assert not problems, "\n".join(problems)


def _post(client, url, token, row):
    path = url.split("?")[0]
    if row.json:
        return client.post(path, json={}, headers={"X-CSRFToken": token})
    return client.post(path, data={"csrf_token": token})
