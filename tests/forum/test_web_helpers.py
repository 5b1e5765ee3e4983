"""The shared view helpers: ids and page numbers beyond what a database stores never reach it."""
import pytest

from tests.factories import make_category, make_thread, make_user

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
HUGE = "9223372036854775808"  # 2**63: one past the largest id either database stores


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_ids_and_pages_too_large_for_the_database(app, client):
    with app.app_context():
        make_thread(make_user("amina"), make_category("Funding"), "A thread", "A body.")
    for path in (f"/threads/{HUGE}", f"/threads/{HUGE}/slug", f"/posts/{HUGE}/history"):
        assert client.get(path).status_code == 404, path
    for path in (f"/?page={HUGE}", f"/?page={'9' * 30}", "/?page=-3", "/?page=abc",
                 f"/c/funding?page={HUGE}"):
        assert client.get(path).status_code == 200, path
