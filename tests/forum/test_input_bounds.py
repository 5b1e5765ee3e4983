"""Issue 12: ids, page numbers, dates and JSON depth are bounded for every route (404/400, never 500).

The route lists come from app.url_map, so a route added later is covered without editing
this file.
"""
import re
import time

import pytest

from tests.factories import make_category, make_thread, make_user

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
HUGE_IDS = (str(2**63), str(2**31), "99999999999999999999")
HUGE_PAGE = "99999999999999999999"
_ARG = re.compile(r"<(?:(\w+):)?(\w+)>")


def _routes(app, with_int: bool):
    """(rule, method) for every route that does (or does not) take an <int:...> id."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if ("<int:" in rule.rule) == with_int:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.rule, method


def _url(rule: str, number: str) -> str:
    """The rule with every int argument set to `number` and every other one to a word."""
    return _ARG.sub(lambda m: number if m.group(1) == "int" else "x", rule)


@pytest.fixture
def admin_client(app, client, auth):
    """A client logged in as an admin, with one thread in the database."""
    with app.app_context():
        admin = make_user("root", role="admin")
        make_thread(admin, make_category("Funding"), "A thread", "A body of text.")
    assert auth.login("root").status_code == 302
    return client


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_every_id_route_answers_404_beyond_the_largest_key(app, admin_client, csrf_token):
    token = csrf_token(admin_client, "/")  # so a POST would reach its view, were it routed
    routes = list(_routes(app, with_int=True))
    assert len(routes) > 50  # the list really comes from the url_map
    for rule, method in routes:
        for number in HUGE_IDS:
            url = _url(rule, number)
            response = admin_client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 404, (method, url, response.status_code)


def test_ids_in_query_strings_are_bounded(app, admin_client):
    for value in (HUGE_PAGE, "9" * 5000, "\u00b2"):
        assert admin_client.get(f"/threads/1?reply_to={value}&quote=1").status_code == 200
        assert admin_client.get(f"/mentions?q=r&thread={value}").status_code == 200


def test_an_id_of_zero_is_not_found_and_real_ids_still_work(app, admin_client):
    assert admin_client.get("/threads/0").status_code == 404
    assert admin_client.get("/threads/1").status_code == 200
    assert admin_client.get(f"/threads/{2**31 - 1}").status_code == 404


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_every_page_answers_a_huge_page_number_without_error(app, admin_client):
    routes = [rule for rule, method in _routes(app, with_int=False)
              if method == "GET" and "<" not in rule]
    assert "/" in routes and "/search" in routes and "/admin/users" in routes
    for rule in routes + ["/c/funding", "/u/root", "/countries/Kenya"]:
        for page in (HUGE_PAGE, str(2**63), "-1", "abc", "9" * 5000, "\u00b2", "\u0663"):
            response = admin_client.get(f"{rule}?page={page}&q=fund")
            assert response.status_code < 500, (rule, page, response.status_code)
            if rule.startswith("/api/"):
                assert response.status_code in (200, 400)
            else:
                assert response.status_code in (200, 302, 404), (rule, response.status_code)


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_category_id_beyond_any_key_is_an_unknown_category(app, client):
    for url in ("/api/v1/search?q=x&category=", "/api/v1/similar?title=x&category="):
        response = client.get(url + HUGE_PAGE)
        assert response.status_code == 400
        assert "Unknown category" in response.get_json()["error"]
    response = client.post("/api/v1/similar", json={"title": "x", "category": 2**70})
    assert response.status_code == 400 and "Unknown category" in response.get_json()["error"]
    response = client.get(f"/search?q=x&category={HUGE_PAGE}")
    assert response.status_code == 200
    assert "Unknown category" in response.get_data(as_text=True)


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_dates_outside_the_supported_years_are_refused(app, client):
    for value in ("9999-12-31", "0001-01-01", "1900-05-05"):
        for key in ("until", "since"):
            response = client.get(f"/api/v1/search?q=x&{key}={value}")
            assert response.status_code == 400, (key, value)
            assert "between 1950 and 2100" in response.get_json()["error"]
            page = client.get(f"/search?q=x&{key}={value}")
            assert page.status_code == 200
            assert "between 1950 and 2100" in page.get_data(as_text=True)
    assert client.get("/api/v1/search?q=x&until=2100-12-31").status_code == 200


def test_an_integer_of_thousands_of_digits_is_a_400(client):
    response = client.get("/api/v1/search?q=x&page=" + "9" * 5000)
    assert response.status_code == 400 and "page" in response.get_json()["error"]
    response = client.post("/api/v1/similar", json={"title": "x", "exclude": "9" * 5000})
    assert response.status_code == 400 and "exclude" in response.get_json()["error"]


@pytest.mark.parametrize("path", ["/api/v1/similar", "/api/v1/suggestions/events"])
def test_deeply_nested_json_is_a_400_with_a_message(client, path):
    deep = "[" * 10_000 + "]" * 10_000
    response = client.post(path, data=deep, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.get_json()["error"]
    deep_object = '{"title": ' * 5000 + '"x"' + "}" * 5000
    response = client.post(path, data=deep_object, content_type="application/json")
    assert response.status_code == 400 and "nested" in response.get_json()["error"]


def test_brackets_inside_json_strings_do_not_count_as_nesting(client):
    body = '"[\\' * 2000 + "{" * 2000  # escaped quotes and backslashes too
    response = client.post("/api/v1/similar", json={"title": "x", "body": body})
    assert response.status_code == 200, response.get_json()


def test_invalid_json_still_says_so(client):
    response = client.post("/api/v1/similar", data="{not json", content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.get_json()["error"]


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_dates_in_forms_stay_within_the_supported_years(app, admin_client, csrf_token):
    with app.app_context():
        make_user("amina")
    token = csrf_token(admin_client, "/admin/users/2")
    for value in ("9999-12-31", "0001-01-01"):
        response = admin_client.post("/admin/users/2/suspend", data={
            "csrf_token": token, "until": value, "reason": "Spam", "submit": "Suspend"})
        assert response.status_code == 400
        assert "Give a date between 1950 and 2100." in response.get_data(as_text=True)
        response = admin_client.post("/moderation/threads/1/pin", data={
            "pin-csrf_token": token, "pin-scope": "site", "pin-until": value,
            "pin-reason": "", "pin-submit": "Pin"})
        assert response.status_code == 400
        assert "Give a date between 1950 and 2100." in response.get_data(as_text=True)


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_a_thread_number_typed_into_a_form_is_bounded(app, admin_client, csrf_token):
    token = csrf_token(admin_client, "/moderation/threads/1")
    for number in HUGE_IDS:
        response = admin_client.post("/moderation/threads/1/duplicate", data={
            "duplicate-csrf_token": token, "duplicate-original": number,
            "duplicate-reason": "", "duplicate-submit": "Close as duplicate"})
        assert response.status_code == 400, number
        assert "There is no thread with that number." in response.get_data(as_text=True)


def test_the_depth_check_takes_linear_time_on_unterminated_strings(client):
    """An unterminated string full of escaped quotes once made the check quadratic (minutes)."""
    body = "[" * 40 + '"' + '\\"' * 100_000
    started = time.perf_counter()
    response = client.post("/api/v1/similar", data=body, content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.get_json()["error"]
    assert time.perf_counter() - started < 10  # linear: well under a second
