"""Static files under content-addressed URLs, which browsers keep for a year.

``url_for('static', filename=...)`` adds ``?v=`` and the first 12 hex digits of the file's
SHA-256. A request carrying the digest of the file as it is now is answered with
``Cache-Control: public, max-age=31536000, immutable``: a returning reader's browser asks
for the page alone. Flask's default (``no-cache``) had every page revalidate each style
sheet, script and icon: a round trip each on a slow connection, and for gunicorn's sync
workers a worker each. A changed file has a new URL; a request without the digest or with
an old one keeps Flask's default.

Script modules import each other by plain relative URLs (``import … from "./draft.js"``);
the page's import map (``import_map_tag``) sends those to the digested URLs too, and the
Content-Security-Policy allows that one inline script by its hash (``import_map_hash``).
"""
import base64
import hashlib
import json
import os
import threading
from pathlib import Path

from cachetools import TTLCache, cached
from flask import current_app, request, url_for
from markupsafe import Markup
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
_digests: dict[str, tuple[tuple[int, int], str]] = {}  # path -> ((mtime_ns, size), digest)


def init_app(app) -> None:
    app.url_defaults(_add_digest)
    app.after_request(_cache_forever)
    app.add_template_global(import_map_tag)


def import_map() -> str:
    """The import map (JSON) of every script module in static/js: plain URL -> digested URL."""
    return _import_map(current_app.static_folder, request.script_root)[0]


def import_map_tag() -> Markup:
    """The import map's script element, for a page's head or before its module scripts."""
    return Markup(f'<script type="importmap">{import_map()}</script>')


def import_map_hash() -> str:
    """The CSP source that lets the import map (and no other inline script) run."""
    return _import_map(current_app.static_folder, request.script_root)[1]


# Every page's policy names the map's hash: built at most every 2 s per process (~0.2 ms
# to list, stat and link the modules), so an edited script reaches the map within 2 s.
@cached(TTLCache(maxsize=8, ttl=2), lock=threading.Lock())
def _import_map(folder: str, script_root: str) -> tuple[str, str]:
    imports = {}
    for path in sorted(Path(folder, "js").glob("*.js")):
        url = url_for("static", filename=f"js/{path.name}")
        imports[url.split("?", 1)[0]] = url
    text = json.dumps({"imports": imports}, separators=(",", ":"))
    value = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return text, f"'sha256-{value}'"


def digest(filename: str) -> str:
    """The first 12 hex digits of the static file's SHA-256 ("" when there is no such file)."""
    path = safe_join(current_app.static_folder, filename)  # None outside the folder
    if path is None:
        return ""
    try:
        stat = os.stat(path)
    except OSError:
        return ""
    key = (stat.st_mtime_ns, stat.st_size)
    known = _digests.get(path)
    if known and known[0] == key:
        return known[1]
    with open(path, "rb") as fh:
        value = hashlib.file_digest(fh, "sha256").hexdigest()[:12]
    _digests[path] = (key, value)  # one assignment: threads at worst compute it twice
    return value


def _add_digest(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values and values.get("filename"):
        value = digest(values["filename"])
        if value:
            values["v"] = value


def _cache_forever(response):
    if (request.endpoint == "static" and response.status_code in (200, 304)
            and request.args.get("v")
            and request.args["v"] == digest(request.view_args.get("filename", ""))):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    return response
