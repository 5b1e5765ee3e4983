"""Markdown rendering with a real parser and a real sanitiser; text that cannot fool a reader."""
import functools
import re
import unicodedata

from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup

# html=False: raw HTML in a post is shown as text, never interpreted; nh3 then
# strips anything dangerous that Markdown itself could produce (javascript: links).
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)

RENDERED_KEPT = 4096  # posts whose HTML each process keeps
# Only posts up to this long are kept (bodies may be 50,000 characters: 4,096 of those would
# hold gigabytes); a longer post is rendered at each view.
RENDERED_KEPT_CHARS = 4000

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}


def _is_local(src: str) -> bool:
    """True for an image on this site: no scheme and no host (//host has one).

    markdown-it has already percent-encoded backslashes, so /\\host cannot get here.
    """
    parts = urlsplit(src)
    return not (parts.scheme or parts.netloc)


def _image(renderer, tokens, idx, options, env):
    """An image, or a link to it when it is remote and remote images are off.

    Privacy: loading an image from another server tells that server who reads which post
    and when; a link is only followed by a reader who chooses to (issue 12).
    """
    token = tokens[idx]
    src = token.attrGet("src") or ""
    if env.get("remote_images") or _is_local(src):
        return renderer.image(tokens, idx, options, env)
    alt = renderer.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">Image: {escapeHtml(alt)}</a>'


_md.add_render_rule("image", _image)


def render(text: str, remote_images: bool = False) -> Markup:
    """Markdown to safe HTML; links get rel="nofollow ugc noopener"; remote images are links
    unless ``remote_images``; bidirectional overrides are taken out."""
    text = text or ""
    if len(text) > RENDERED_KEPT_CHARS:
        return Markup(_html(text, bool(remote_images)))
    return Markup(_rendered(text, bool(remote_images)))


def _html(text: str, remote_images: bool) -> str:
    html = _md.render(text, {"remote_images": remote_images})
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
    return neutralise_bidi(clean)


# A thread page renders every post at every view (uncached for members): parsing and
# sanitising were ~15 % of it. The result depends on the text and the flag alone.
_rendered = functools.lru_cache(maxsize=RENDERED_KEPT)(_html)


# C0 controls except tab, newline and carriage return; DEL; the C1 controls.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Explicit embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): a title
# like "invoice\u202Efdp.exe" would show reversed text ("Trojan Source", CVE-2021-42574).
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Letters, numbers, punctuation and symbols are visible; these few of them are not.
_BLANK_GRAPHEMES = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def strip_controls(value: str) -> str:
    """The text without control characters (tab and line breaks are kept)."""
    return _CONTROLS.sub("", value)


def neutralise_bidi(value: str) -> str:
    """The text without bidirectional embeddings, overrides and isolates."""
    return _BIDI_CONTROLS.sub("", value)


def has_bidi_controls(value: str) -> bool:
    """True when the text has a bidirectional embedding, override or isolate."""
    return _BIDI_CONTROLS.search(value) is not None


def has_visible(value: str) -> bool:
    """True when the text has at least one character a reader can see."""
    return any(unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_GRAPHEMES
               for ch in value or "")


_MD_NOISE = re.compile(r"[`*_>#~|\[\]]+|\(https?://[^)]*\)|!\[[^\]]*\]")
_SPACES = re.compile(r"\s+")


def plain_text(text: str) -> str:
    """Markdown reduced to plain words, for snippets and the search index."""
    return _SPACES.sub(" ", _MD_NOISE.sub(" ", text or "")).strip()


def snippet(text: str, length: int = 200) -> str:
    """A plain-text excerpt cut at a word boundary."""
    plain = plain_text(text)
    if len(plain) <= length:
        return plain
    return plain[:length].rsplit(" ", 1)[0] + "…"
