"""Compressed responses where compression leaks nothing (Flask-Compress).

A guest's page is 8-19 KB and 2-5 KB compressed: on a slow connection most of the wait.
Compression is only safe where a response holds no secret beside text an attacker could
have put there (BREACH: the compressed length reveals how well a guess matches the
secret, such as a CSRF token next to a reflected search query). So a response is
compressed when it is a static file, or when the request carried no cookie and no
credentials and the response sets none and leaves the session empty: a guest's page,
the same for every guest (what the guest page cache serves). Members' pages, forms with
a CSRF token and token-authenticated API answers go uncompressed; a proxy in front may
decide otherwise for its own reasons.
"""
from flask import current_app, request, session
from flask_compress import Compress

MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
             "application/json", "application/atom+xml", "image/svg+xml"]

compress = Compress()


def init_app(app) -> None:
    """Register the hook; ``init_app`` early, so that it runs after the other hooks."""
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    app.config["COMPRESS_REGISTER"] = False  # our hook decides, not every response
    compress.init_app(app)
    app.after_request(_compress_when_safe)


def _compress_when_safe(response):
    if not current_app.config["COMPRESS_RESPONSES"]:
        return response
    if request.endpoint == "static" and response.status_code == 200:
        # A sent file streams, and Flask-Compress streams only zstd, brotli and deflate;
        # read into memory (style sheets and scripts are a few KB) for gzip too.
        response.direct_passthrough = False
        response.make_sequence()
        return compress.after_request(response)
    if _holds_no_secret(response):
        return compress.after_request(response)
    return response


def _holds_no_secret(response) -> bool:
    """No credentials came in, none go out, and nothing was put in the session."""
    return (not request.cookies and "Authorization" not in request.headers
            and not response.headers.getlist("Set-Cookie") and not session)
