"""Static files under content-addressed URLs, which browsers keep for a year.

``url_for('static', filename=...)`` adds ``?v=`` and the first 12 hex digits of the file's
SHA-256. A request carrying the digest of the file as it is now is answered with
``Cache-Control: public, max-age=31536000, immutable``: a returning reader's browser asks
for the page alone. Flask's default (``no-cache``) had every page revalidate each style
sheet, script and icon: a round trip each on a slow connection, and for gunicorn's sync
workers a worker each. A changed file has a new URL; a request without the digest or with
an old one keeps Flask's default.
"""
import hashlib
import os
from flask import current_app, request
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
_digests: dict[str, tuple[tuple[int, int], str]] = {}  # path -> ((mtime_ns, size), digest)


def init_app(app) -> None:
    app.url_defaults(_add_digest)
    app.after_request(_cache_forever)


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
