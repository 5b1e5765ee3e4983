"""Static files under content-addressed URLs: a returning reader's browser asks for the page
alone, and a changed file reaches it at once under its new URL."""
import hashlib
import os
import re
from pathlib import Path

from flask import url_for

from forum.web.assets import digest

STATIC = Path(__file__).resolve().parents[2] / "static"
YEAR = "max-age=31536000"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_pages_link_static_files_by_content_and_browsers_keep_them(client):
    html = client.get("/").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/([^"?]+)\?v=([0-9a-f]+))"', html)
    assert {name for _, name, _ in links} >= {"css/site.css", "favicon.svg"}
    for url, name, version in links:
        assert version == sha(STATIC / name), name
        with client.get(url) as response:  # (closed: a sent file stays open until then)
            assert response.status_code == 200
            policy = response.headers["Cache-Control"]
            assert YEAR in policy and "immutable" in policy and "no-cache" not in policy
            etag = response.headers["ETag"]
        with client.get(url, headers={"If-None-Match": etag}) as again:
            assert again.status_code == 304 and YEAR in again.headers["Cache-Control"]


def test_a_url_without_the_files_digest_is_revalidated(client):
    for url in ("/static/css/site.css", "/static/css/site.css?v=000000000000"):
        with client.get(url) as response:
            assert response.status_code == 200
            assert response.headers["Cache-Control"] == "no-cache", url


def test_a_changed_file_gets_a_new_url(app, tmp_path):
    (tmp_path / "static").mkdir()
    app.static_folder = str(tmp_path / "static")
    (tmp_path / "secret.css").write_text("outside the static folder")
    style = tmp_path / "static" / "style.css"
    style.write_text("body { color: black; }")
    with app.test_request_context():
        first = url_for("static", filename="style.css")
        assert first.endswith(f"?v={sha(style)}")
        style.write_text("body { color: navy; }")  # same size: the digest, not the size, tells
        os.utime(style, ns=(1, 1))
        second = url_for("static", filename="style.css")
        assert second != first and second.endswith(f"?v={sha(style)}")
        assert url_for("static", filename="missing.css") == "/static/missing.css"
        assert digest("../secret.css") == ""  # nothing outside the folder, though it exists


def test_script_modules_import_each_other_by_digested_urls(app, client, auth):
    """A module's plain relative imports ("./draft.js") are mapped to the digested URLs, and
    the page's policy lets that one inline script run by its hash, no other."""
    import base64
    import json

    from tests.factories import make_category, make_user

    with app.app_context():
        make_user("amina")
        make_category("Funding")
    auth.login("amina")
    html = client.get("/threads/new").get_data(as_text=True)
    found = re.findall(r'<script type="importmap">(.*?)</script>', html)
    assert len(found) == 1
    imports = json.loads(found[0])["imports"]
    modules = sorted(p.name for p in (STATIC / "js").glob("*.js"))
    assert sorted(imports) == [f"/static/js/{name}" for name in modules]
    for plain, digested in imports.items():
        assert digested == f"{plain}?v={sha(STATIC / 'js' / plain.rsplit('/', 1)[1])}"
    with client.get("/threads/new") as response:
        policy = response.headers["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    allowed = base64.b64encode(hashlib.sha256(found[0].encode()).digest()).decode()
    assert script_src.split() == ["script-src", "'self'", f"'sha256-{allowed}'"]
    with client.get("/api/v1/search?q=pooled") as api:  # not a page: no inline script allowed
        assert api.status_code == 200 and api.mimetype == "application/json"
        assert "sha256-" not in api.headers["Content-Security-Policy"]
