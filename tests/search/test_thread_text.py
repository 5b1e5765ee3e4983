"""Thread text composition: Markdown stripping, trimming, digests."""

from __future__ import annotations

from search.text import (
    ThreadDoc,
    join_title_body,
    lexical_text,
    query_text,
    replies_text,
    strip_markdown,
    text_digest,
    thread_texts,
)


def test_strip_markdown_keeps_words_and_code():
    md = (
        "# Heading\n\n**Bold** and _italic_ with a [link](https://x.org/a_(b)) and `GEN2`.\n"
        "> quoted\n- item one\n1. item two\n```python\nprint('hi')\n```\n"
        "![alt text](img.png) <b>html</b>\n---\n"
    )
    text = strip_markdown(md)
    assert (
        text
        == "Heading Bold and italic with a link and GEN2. quoted item one item two print('hi') alt text html"
    )


def test_strip_markdown_leaves_plain_text_and_codes_alone():
    assert strip_markdown("Form LTA-2024-017 costs 3 * 4 QR") == "Form LTA-2024-017 costs 3 * 4 QR"
    assert strip_markdown("snake_case_name and file_v2_final") == "snake_case_name and file_v2_final"
    assert strip_markdown("") == ""


def test_join_title_body_trims_to_word_budget():
    text = join_title_body("Title here", "word " * 500, max_words=10)
    assert text.split()[:2] == ["Title", "here"] and len(text.split()) == 10


def test_replies_text_caps_each_reply():
    replies = ("a " * 100, "second reply", "third")
    text = replies_text(replies, max_replies=2, reply_words=5)
    assert text == "a a a a a second reply"
    assert replies_text(()) == ""


def test_thread_texts_fields_and_lexical_text():
    doc = ThreadDoc(
        1,
        "Visa renewal",
        "How do I **renew**?",
        tags=("visa",),
        category="Visas and Permits",
        replies=("Go to MOI",),
    )
    texts = thread_texts(doc)
    assert texts == {
        "main": "Visa renewal How do I renew? visa Visas and Permits",
        "title": "Visa renewal",
        "replies": "Go to MOI",
    }
    assert set(thread_texts(ThreadDoc(2, "t"))) == {"main", "title"}
    assert lexical_text(doc) == "Visa renewal How do I renew? visa"  # category: no consistent BM25 gain
    assert query_text("Visa renewal", "How do I **renew**?") == "Visa renewal How do I renew?"


def test_labels_survive_trimming_of_a_long_body():
    doc = ThreadDoc(1, "Title", "word " * 1000, tags=("gen2",), category="Operations")
    main = thread_texts(doc)["main"]
    assert main.endswith("gen2 Operations") and len(main.split()) <= 190


def test_text_digest_is_sha256_hex():
    assert text_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
