"""Snippets for search results: a window around the first match, query terms marked.

Security note: the text is user content. It is split into words and gaps, every
piece is escaped, and only then are matching words wrapped in <mark>; no markup
is ever added to unescaped text, and no regex runs over already-escaped HTML
(where a term like "amp" would match inside "&amp;").
"""
import re
import unicodedata

from markupsafe import Markup, escape

from search.lexical import tokenize

from ..markup import plain_text

_WORD = re.compile(r"\w+")
# A term this long also marks longer words it starts ("procure" -> "procurement").
PREFIX_MIN = 4
# Bounds that keep a 1,000-character query over a 50,000-character post cheap.
MAX_TERMS = 32
SCAN_CHARS = 5000


def query_terms(q: str) -> frozenset[str]:
    """The words of a query worth marking: the lexical index's own tokens."""
    terms: dict[str, None] = {}
    for token in tokenize(q or ""):
        terms.update(dict.fromkeys(t for t in re.split(r"[-_./]", token) if t))
    return frozenset(list(terms)[:MAX_TERMS])


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold()


def _matches(word: str, terms: frozenset[str]) -> bool:
    folded = _fold(word)
    return folded in terms or any(len(t) >= PREFIX_MIN and folded.startswith(t) for t in terms)


def excerpt(text: str, terms: frozenset[str], length: int = 240) -> str:
    """Plain text of about `length` characters, around the first query term if any."""
    plain = plain_text(text)
    if len(plain) <= length:
        return plain
    words = _WORD.finditer(plain[:SCAN_CHARS])
    start = next((m.start() for m in words if _matches(m.group(), terms)), 0)
    start = max(0, start - length // 4)
    if start:
        start = plain.find(" ", start) + 1 or start  # begin on a word boundary
    window = plain[start:start + length]
    if start + length < len(plain):
        window = window.rsplit(" ", 1)[0] + "…"
    return ("…" if start else "") + window


def highlight(text: str, terms: frozenset[str]) -> Markup:
    """Escaped text with the query terms wrapped in <mark>."""
    pieces, pos = [], 0
    for match in _WORD.finditer(text or ""):
        pieces.append(escape(text[pos:match.start()]))
        pieces.append(_mark_word(match.group(), terms))
        pos = match.end()
    pieces.append(escape((text or "")[pos:]))
    return Markup("").join(pieces)


def _mark_word(word: str, terms: frozenset[str]) -> Markup:
    if _matches(word, terms):
        return Markup("<mark>%s</mark>") % word
    if any(len(t) == 1 and not t.isascii() for t in terms):
        # Scripts without spaces (Chinese, Japanese) are indexed per character.
        return Markup("").join(Markup("<mark>%s</mark>") % ch if _fold(ch) in terms
                               else escape(ch) for ch in word)
    return escape(word)
