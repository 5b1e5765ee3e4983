"""forum.markup.render: Markdown in, safe HTML out."""
import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from markupsafe import Markup

from forum.markup import render, snippet


def test_markdown_is_rendered():
    html = render("**bold** and *em*\n\n- one\n- two\n\n`code`")
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html
    assert "<li>one</li>" in html and "<code>code</code>" in html
    assert isinstance(html, Markup)


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "text <script>alert(1)</script> more",
    "```\n</code></pre><script>alert(1)</script>\n```",
])
def test_script_tags_never_survive(text):
    html = render(text)
    assert "<script" not in html.lower()


@pytest.mark.parametrize("text", [
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](  javascript:alert(1) )",
    "<javascript:alert(1)>",
    "[click](vbscript:msgbox(1))",
])
def test_javascript_links_are_dropped(text):
    # The words may stay as visible text; no link or image may carry the scheme.
    for url in _urls(render(text)):
        assert _scheme(url) in ("", "http", "https", "mailto"), url


@pytest.mark.parametrize("text", [
    "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:text/html,<script>alert(1)</script>)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",  # Markdown allows it; the sanitiser does not
])
def test_data_urls_are_dropped(text):
    for url in _urls(render(text)):
        assert _scheme(url) != "data", url


def _urls(html: str) -> list[str]:
    return [unescape(u) for u in re.findall(r'(?:href|src)="([^"]*)"', html)]


def _scheme(url: str) -> str:
    # Browsers drop ASCII tabs and newlines and leading spaces before parsing a URL.
    return urlsplit(re.sub(r"[\x00-\x20]", "", url)).scheme.lower()


@pytest.mark.parametrize("text", [
    '<img src=x onerror="alert(1)">',
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    '<div onmouseover="alert(1)">hover</div>',
    '![x](https://example.org/a.png" onerror="alert(1))',
    '[x](https://example.org "title" onclick="alert(1)")',
])
def test_event_handler_attributes_never_become_attributes(text):
    html = render(text)
    # Raw HTML is shown as text (escaped), so "onerror" may appear only inside text.
    assert not re.search(r"<[^>]*\son\w+\s*=", html)


@pytest.mark.parametrize("text", [
    "<b>unclosed <i>tags",
    "</div></div></p>",
    "<<script>script>alert(1)<</script>/script>",
    '<a href="x',
    "<img src=x",
    "<!-- <script>alert(1)</script> -->",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
])
def test_malformed_html_is_contained(text):
    html = render(text)
    assert "<script" not in html.lower() and "<svg" not in html.lower()
    assert not re.search(r"<[^>]*\son\w+\s*=", html)
    # Balanced output: every allowed opening tag is closed.
    for tag in ("p", "b", "i", "a"):
        assert html.count(f"<{tag}>") + html.count(f"<{tag} ") == html.count(f"</{tag}>")


def test_raw_html_is_shown_as_text():
    assert "&lt;b&gt;hi&lt;/b&gt;" in render("<b>hi</b>")


@pytest.mark.parametrize("text", [
    "[site](https://example.org)",
    "<https://example.org>",
    "[mail](mailto:someone@example.org)",
])
def test_links_get_rel_nofollow_ugc_noopener(text):
    html = render(text)
    anchors = re.findall(r"<a [^>]*>", html)
    assert anchors
    for anchor in anchors:
        assert 'rel="nofollow ugc noopener"' in anchor


def test_images_from_https_survive_when_remote_images_are_allowed():
    html = render("![chart](https://example.org/chart.png)", remote_images=True)
    assert '<img src="https://example.org/chart.png" alt="chart">' in html


def test_empty_and_none():
    assert render("") == "" and render(None) == ""


def test_snippet_is_plain_and_cut_at_a_word():
    text = "**Pooled** funds " + "word " * 100
    short = snippet(text, 40)
    assert "*" not in short and short.endswith("…") and len(short) <= 41


def test_rendering_is_kept_per_text_and_image_setting():
    """Posts are rendered once per process (thread pages render every post at every view);
    the remote-images setting is part of what is kept, so turning it on shows the images."""
    from forum.markup import _rendered

    text = "See ![the tank](https://example.org/tank.png) and **this** one."
    as_link = render(text)
    hits = _rendered.cache_info().hits
    again = render(text)
    assert _rendered.cache_info().hits == hits + 1
    assert as_link == again and "<img" not in as_link and "Image: the tank" in as_link
    assert '<img src="https://example.org/tank.png"' in render(text, remote_images=True)
    assert "<img" not in render(text + " ")  # another text is rendered, not looked up
    kept = _rendered.cache_info().currsize
    long_post = "A long post. " * 400  # 5,200 characters: rendered, never kept
    assert render(long_post) == render(long_post) and "A long post." in render(long_post)
    assert _rendered.cache_info().currsize == kept
