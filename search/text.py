"""What a thread's text is: the strings that get embedded and indexed.

The recipe was chosen by measurement on SemEval-2016 Task 3, dev and train
splits moving the same way (``benchmarks/README.md``, "Thread-text ablation").
A thread has up to three embedded fields, summed into one vector by the engine:

* ``main``    = title + first post body (Markdown stripped) + tags + category.
  The category words pull threads of one topic together (+3 to +4 nDCG@10).
* ``title``   = the title alone: the most condensed statement of the question
  (queries get the same treatment in ``search.engine``). A title that is only the
  body's opening words (an archive without subjects) is left out of both fields;
  how much a real title counts is decided from its vectors (``search.titles``).
* ``replies`` = the first replies (accepted answer first), each cut short, so
  that many answers fit the window: answers restate the question in other
  words (+2 to +4 MAP and nDCG@10, both splits).

The BM25 index reads title + body + tags: adding the category there made no
consistent difference, adding the replies lowered hybrid rerank MAP on both splits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from search.titles import is_opening

# Bump when the composition below changes: stored vectors whose text digest
# no longer matches are re-encoded, and the index manifest names the recipe.
RECIPE_VERSION = "t3"

# all-MiniLM-L6-v2 reads 256 word pieces; English forum text averages about
# 1.3 pieces per whitespace word, so ~190 words fill the window. Trimming here
# (instead of letting the tokenizer cut) keeps the stored text, and so its
# digest, equal to what the model actually reads.
MAX_WORDS = 190
MAX_REPLIES = 10
REPLY_WORDS = 30

_FENCE = re.compile(r"^\s*(```|~~~).*$", re.MULTILINE)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)(]|\([^)]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_HTML = re.compile(r"</?[A-Za-z][^>]*>")
_LINE_MARK = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d{1,3}[.)]\s+)", re.MULTILINE)
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$", re.MULTILINE)
# "*" may emphasise inside a word (CommonMark), "_" may not: snake_case stays whole.
_EMPHASIS = re.compile(r"(\*{1,3}|~~)(?=\S)(.+?)(?<=\S)\1|(?<!\w)(_{1,3})(?=\S)(.+?)(?<=\S)\3(?!\w)")
_BACKTICKS = re.compile(r"`+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ThreadDoc:
    """A thread as the search layer sees it: plain values, no ORM objects."""

    thread_id: int
    title: str
    body: str = ""
    tags: tuple[str, ...] = ()
    category: str | None = None
    replies: tuple[str, ...] = field(default=())  # accepted answer first, then by date


def strip_markdown(text: str) -> str:
    """Return the readable text of a Markdown string (markup removed, code kept).

    Args:
        text: Markdown source, as a user typed it.

    Returns:
        Plain text on one line with single spaces.
    """
    if not text:
        return ""
    text = _FENCE.sub(" ", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML.sub(" ", text)
    text = _RULE.sub(" ", text)
    text = _LINE_MARK.sub("", text)
    for _ in range(2):  # nested emphasis such as ***bold italic***
        text = _EMPHASIS.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(4), text)
    text = _BACKTICKS.sub("", text)
    return _SPACE.sub(" ", text).strip()


def trim_words(text: str, max_words: int) -> str:
    """Return at most ``max_words`` whitespace-separated words of ``text``."""
    words = text.split()
    return " ".join(words[:max_words])


def join_title_body(title: str, body: str, max_words: int = MAX_WORDS) -> str:
    """Compose "title body" (body Markdown-stripped), trimmed to the model window.

    Args:
        title: Thread or question title.
        body: First post body in Markdown.
        max_words: Word budget for the whole text.

    Returns:
        The text to embed for a thread's main vector or for a query.
    """
    title = _SPACE.sub(" ", title or "").strip()
    body = strip_markdown(body or "")
    return trim_words(f"{title} {body}".strip(), max_words)


def replies_text(
    replies: tuple[str, ...] | list[str],
    max_replies: int = MAX_REPLIES,
    reply_words: int = REPLY_WORDS,
    max_words: int = MAX_WORDS,
) -> str:
    """Concatenate the first replies, each trimmed, to fit the model window.

    Args:
        replies: Reply bodies in Markdown, accepted answer first.
        max_replies: How many replies to read.
        reply_words: Word budget per reply, so one long reply cannot crowd out the rest.
        max_words: Word budget for the whole text.

    Returns:
        The text to embed for a thread's replies vector ("" when there are none).
    """
    parts = [trim_words(strip_markdown(r), reply_words) for r in replies[:max_replies]]
    return trim_words(" ".join(p for p in parts if p), max_words)


def thread_texts(doc: ThreadDoc) -> dict[str, str]:
    """Return the texts to embed for a thread, by field name.

    Args:
        doc: The thread.

    Returns:
        ``{"main", "title", "replies"}``, leaving out fields with no text.
    """
    labels = " ".join([*doc.tags, doc.category or ""]).split()
    title = _own_title(doc.title, doc.body)
    main = join_title_body(title, doc.body, max(MAX_WORDS - len(labels), 1))
    texts = {"main": " ".join([main, *labels]), "title": title}
    texts["replies"] = replies_text(doc.replies)
    return {name: text for name, text in texts.items() if text}


def lexical_text(doc: ThreadDoc) -> str:
    """Return the text the BM25 index sees for a thread (title, body, tags)."""
    return " ".join([doc.title, strip_markdown(doc.body), *doc.tags]).strip()


def query_text(title: str, body: str = "") -> str:
    """Return the text to embed for a query (same shape as a thread's main text)."""
    return join_title_body(_own_title(title, body), body)


def query_texts(title: str, body: str = "") -> dict[str, str]:
    """Return the texts to embed for a query, by field name, like ``thread_texts``.

    Args:
        title: The draft's title (may be empty).
        body: The draft's body in Markdown (may be empty).

    Returns:
        ``{"main", "title"}``, leaving out fields with no text; ``{"main": ""}`` at worst.
    """
    texts = {"main": query_text(title, body), "title": _own_title(title, body)}
    return {name: text for name, text in texts.items() if text} or {"main": ""}


def _own_title(title: str, body: str) -> str:
    """The title in single spaces, or "" when it only repeats the body's opening words."""
    title = _SPACE.sub(" ", title or "").strip()
    return "" if body and is_opening(title, strip_markdown(body)) else title


def text_digest(text: str) -> str:
    """Return the SHA-256 hex digest of ``text`` (UTF-8), to detect unchanged text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
