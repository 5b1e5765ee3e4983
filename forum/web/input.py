"""The one place untrusted input is bounded before any view sees it (issue 12).

Ids in URLs, control characters in query strings and forms, and the depth of JSON
bodies are checked here for every route, so a new route cannot forget them:

- every ``<int:...>`` in a URL only matches 1..2**31-1 (PostgreSQL's integer key), so a
  larger id is a 404 like any missing row instead of a database error, and a text segment
  (``<slug>``) with a control character in it is a 404 too;
- NUL and other control characters are removed from query strings and forms (PostgreSQL
  refuses NUL in text; the others are invisible and only serve to confuse), and the
  member is told when something they sent was changed;
- a JSON body nested deeper than MAX_JSON_DEPTH is refused (400) before it is parsed:
  Python's parser recurses and a 10,000-deep body would crash the request.
"""
import re

from flask import Request, flash, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, UnicodeConverter
from werkzeug.utils import cached_property

from ..markup import strip_controls
from ..models._base import MAX_ID

MAX_JSON_DEPTH = 32  # the API's bodies are flat objects; 32 leaves room for any client
CONTROLS_REMOVED = ("Invisible control characters were removed from what you sent; "
                    "please check your text.")
# A string (with escapes; an unterminated one runs to the end) or a bracket: brackets inside
# strings do not count, and no position is scanned twice, so any body takes linear time.
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` for database ids: 1..2**31-1, anything else does not match (404)."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def json_depth(data: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (strings ignored)."""
    depth = deepest = 0
    for token in _JSON_TOKENS.findall(data):
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


class JSONTooDeep(ValueError):
    """A JSON body nested deeper than MAX_JSON_DEPTH."""


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing deeply nested documents before the recursive parser runs."""

    def loads(self, s, **kwargs):
        """Parse JSON; JSONTooDeep (a ValueError, so a 400) beyond MAX_JSON_DEPTH levels."""
        raw = s.encode("utf-8", "surrogatepass") if isinstance(s, str) else bytes(s)
        if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and \
                json_depth(raw) > MAX_JSON_DEPTH:
            raise JSONTooDeep(f"JSON nested more than {MAX_JSON_DEPTH} levels deep.")
        return super().loads(s, **kwargs)


class TextConverter(UnicodeConverter):
    """``<slug>``, ``<name>``: a path segment without control characters (else 404)."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):  # noqa: A002
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\x00-\x1f\x7f-\x9f]")


def _cleaned(multidict):
    """(a copy without control characters, whether anything changed)."""
    items = list(multidict.items(multi=True))
    clean = [(key, strip_controls(value)) if isinstance(value, str) else (key, value)
             for key, value in items]
    if clean == items:
        return multidict, False
    return type(multidict)(clean), True


class ForumRequest(Request):
    """The request with control characters taken out of its arguments and form."""

    controls_removed = False

    @cached_property
    def args(self):
        """Query-string arguments without control characters (never meaningful there)."""
        clean, _changed = _cleaned(Request.args.__get__(self, type(self)))
        return clean

    def _load_form_data(self) -> None:
        super()._load_form_data()
        clean, changed = _cleaned(self.__dict__["form"])
        if changed:
            self.__dict__["form"] = clean
            self.controls_removed = True

    def on_json_loading_failed(self, e):
        """A 400 that says what was wrong with the body (or a 415 without a JSON type)."""
        if e is None:
            return super().on_json_loading_failed(e)
        if isinstance(e, JSONTooDeep):
            raise BadRequest(str(e))
        raise BadRequest("The body is not valid JSON.")


def _tell_about_controls() -> None:
    """Flash once when a submitted form lost control characters."""
    if request.method == "POST" and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        request.form  # noqa: B018 - parse now, so the flag is set
        if request.controls_removed:
            flash(CONTROLS_REMOVED, "info")


def init_app(app) -> None:
    """Install the bounded converter, request class and JSON parser (before blueprints)."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
    app.request_class = ForumRequest
    app.json = BoundedJSONProvider(app)
    app.before_request(_tell_about_controls)
