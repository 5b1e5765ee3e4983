"""Markdown rendering with a real parser and a real sanitiser."""
import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# html=False: raw HTML in a post is shown as text, never interpreted; nh3 then
# strips anything dangerous that Markdown itself could produce (javascript: links).
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)

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


def render(text: str) -> Markup:
    """Markdown to safe HTML; links get rel="nofollow ugc noopener"."""
    html = _md.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
    return Markup(clean)


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
