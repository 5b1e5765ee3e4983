"""The extractive draft of a consolidated reply: the community's own sentences, with credit.

Sources are the question's replies and the most similar solved threads and experiences
that *every* reader of the question may see (permissions.category_reader), so publishing
the draft never carries a restricted thread's words to a wider audience. Sentences are
picked by maximal marginal relevance over the bundled model's sentence embeddings
(search.extractive); without the model, the first sentences of each source are used and
the draft says so. Nothing is generated: every quote is a contributor's own sentence,
linked to its post.
"""
import re
from dataclasses import dataclass
from typing import Optional

from flask import current_app

from search.extractive import lead_select, mmr_select, split_sentences
from search.text import join_title_body

from .. import permissions
from ..domain import DomainError
from ..models import Post, Thread, User
from ..searching import embed_texts, similar_threads
from .evidence import thread_evidence

SIMILAR_THREADS = 4  # solved threads and experiences drawn on besides the question itself
SENTENCES = 8  # quotes in a draft
MAX_PER_POST = 2  # so one long reply cannot fill the draft
# Share of a sentence's relevance that is its whole thread's closeness to the question
# (the engine's judgement); +10 points of quotes from relevant threads on SemEval dev,
# same on train (benchmarks/README.md, "Consolidated replies").
THREAD_WEIGHT = 0.5
# Sentences less similar than this to the question are never quoted: "thanks, same problem
# here" in the question's own replies would otherwise win on diversity alone.
MIN_SIMILARITY = 0.2
POOL_LIMIT = 400  # sentences embedded per draft, at most (about two seconds on one core)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


@dataclass
class Source:
    """A text that may be quoted: a post, or an experience's own account (post None)."""

    thread: Thread
    post: Optional[Post]
    author: User
    text: str
    closeness: float = 1.0  # of its thread to the question (the question's own replies: 1)

    @property
    def link(self) -> str:
        """A site path to the post (or to the experience card)."""
        return f"/threads/{self.thread.id}#" + (f"post-{self.post.id}" if self.post else "experience")


@dataclass
class Quote:
    """One picked sentence and where it came from."""

    source: Source
    sentence: str


def _visible_posts(reader, thread: Thread, include_opening: bool) -> list[Post]:
    """The thread's posts every reader may read; the accepted answer first."""
    posts = [p for p in thread.posts if (include_opening or not p.is_opening)
             and not p.is_deleted and permissions.can_view_post(reader, p)]
    posts.sort(key=lambda p: (p.id != thread.accepted_post_id, not p.is_opening, p.id))
    return posts


def similar_sources(drafter: User, thread: Thread, limit: int = SIMILAR_THREADS) -> list:
    """The most similar solved threads and experiences every reader of the question may see (hits)."""
    reader = permissions.category_reader(thread.category)
    opening = thread.opening_post
    body = opening.body if opening is not None and not opening.is_hidden else ""
    hits = similar_threads(reader, thread.title, body, limit=limit * 4, exclude_ids=(thread.id,))
    # The drafter sees at least what the reader sees; checking both costs nothing and keeps
    # the rule "nothing the drafter may not read" true on its own.
    return [h for h in hits if (h.thread.status == "solved" or h.thread.kind == "experience")
            and permissions.can_view_thread(drafter, h.thread)][:limit]


def gather_sources(drafter: User, thread: Thread) -> list[Source]:
    """The question's replies, then each similar thread's answers or account."""
    reader = permissions.category_reader(thread.category)
    sources = [Source(thread, p, p.author, p.body) for p in _visible_posts(reader, thread, False)]
    for hit in similar_sources(drafter, thread):
        other, details = hit.thread, hit.thread.experience
        if details is not None and (details.tried or details.lessons):
            sources.append(Source(other, None, other.author,
                                  f"{details.tried}\n\n{details.lessons}", hit.score))
        opening = other.kind == "experience"
        sources.extend(Source(other, p, p.author, p.body, hit.score)
                       for p in _visible_posts(reader, other, opening))
    return sources


def pick_quotes(thread: Thread, sources: list[Source], k: int = SENTENCES) -> tuple[list[Quote], bool]:
    """Pick k sentences by MMR; (quotes, True) or, without the model, (first sentences, False)."""
    pool = [(s, sentence) for s in sources for sentence in split_sentences(s.text)][:POOL_LIMIT]
    if not pool:
        return [], True
    opening = thread.opening_post
    query = join_title_body(thread.title, opening.body if opening else "")
    vectors = embed_texts([query] + [sentence for _, sentence in pool]) \
        if current_app.config.get("SEARCH_ENABLED", True) else None
    if vectors is None:
        picked = lead_select([s.thread.id for s, _ in pool], k)
        return [Quote(*pool[i]) for i in picked], False
    groups = [(s.thread.id, s.post.id if s.post else 0) for s, _ in pool]
    closeness = [s.closeness for s, _ in pool]
    picked = mmr_select(vectors[0], vectors[1:], k, max_per_group=MAX_PER_POST, groups=groups,
                        prior=closeness, prior_weight=THREAD_WEIGHT,
                        min_similarity=MIN_SIMILARITY)
    return [Quote(*pool[i]) for i in picked], True


def _md(text: str) -> str:
    """Quoted words as literal text: Markdown punctuation escaped, so a quote makes no link."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def draft_markdown(drafter: User, thread: Thread) -> str:
    """The draft's Markdown: quotes grouped by source thread, credited and linked."""
    quotes, by_meaning = pick_quotes(thread, gather_sources(drafter, thread))
    if not quotes:
        raise DomainError((None, "There is nothing to draft from yet: no replies, and no "
                                 "similar solved thread or experience that all readers may see."))
    groups: dict[int, list[Quote]] = {}
    for quote in quotes:  # pick order: the group of the best quote comes first
        groups.setdefault(quote.source.thread.id, []).append(quote)
    order = sorted(groups, key=lambda tid: tid != thread.id)
    evidence = thread_evidence(permissions.category_reader(thread.category), order)
    parts = [f"## The question\n[{_md(thread.author.name)}](/threads/{thread.id}) asked: "
             f"{_md(thread.title)}\n"]
    for tid in order:
        parts.append(_section(thread, groups[tid], evidence.get(tid)))
    parts.append(_credits([q for tid in order for q in groups[tid]]))
    how = ("the sentences closest to the question and least alike (maximal marginal relevance)"
           if by_meaning else "the first sentences of each source (the meaning model is "
                              "unavailable)")
    parts.append(f"*Draft made by extraction: {how}. Every quote is a contributor's own "
                 "words, linked to its post. Edit it before publishing.*\n")
    return "\n".join(parts)


def _section(question: Thread, quotes: list[Quote], evidence) -> str:
    source = quotes[0].source.thread
    if source.id == question.id:
        head = "## What the replies here said"
    else:
        facts = [source.kind.capitalize()]
        if evidence is not None and evidence.experience_line:
            facts.append(evidence.experience_line)
        if evidence is not None and evidence.adaptation_line:
            facts.append(evidence.adaptation_line)
        head = f"## From “[{_md(source.title)}](/threads/{source.id})”\n*{' · '.join(facts)}*"
    lines = [f"> “{_md(q.sentence)}” — [{_md(q.source.author.name)}]({q.source.link})"
             for q in quotes]
    return head + "\n\n" + "\n>\n".join(lines) + "\n"


def _credits(quotes: list[Quote]) -> str:
    """Each quoted member once, linked to every post of theirs that is quoted."""
    names: dict[int, tuple[str, list[str]]] = {}
    for q in quotes:
        links = names.setdefault(q.source.author.id, (q.source.author.name, []))[1]
        if q.source.link not in links:
            links.append(q.source.link)
    lines = [f"- [{_md(name)}]({links[0]})" + "".join(f", [also]({link})" for link in links[1:])
             for name, links in names.values()]
    return "## Contributors\n" + "\n".join(lines) + "\n"
