"""Issue 12: images from other servers are links by default (no third party learns who reads
what), and images when REMOTE_IMAGES allows them; the forum's own images always show."""
import re

import pytest

from tests.factories import make_category, make_thread, make_user

BODY = ("Our chart: ![funding chart](https://tracker.example/pixel.png) and the logo "
        "![logo](/static/logo.png) and ![sneaky](//tracker.example/p2.png).")


@pytest.fixture
def thread_id(app):
    """A public thread whose post embeds remote and local images."""
    with app.app_context():
        return make_thread(make_user("amina"), make_category("Funding"), "Charts we use",
                           BODY).id


def _images(html: str) -> list[str]:
    return re.findall(r'<img [^>]*src="([^"]*)"', html)


def test_remote_images_are_links_by_default(client, thread_id):
    response = client.get(f"/threads/{thread_id}")
    html = response.get_data(as_text=True)
    assert _images(html) == ["/static/logo.png"]
    assert '<a href="https://tracker.example/pixel.png" rel="nofollow ugc noopener">' \
           'Image: funding chart</a>' in html
    assert '<a href="//tracker.example/p2.png" rel="nofollow ugc noopener">Image: sneaky</a>' \
           in html
    # The browser would refuse them anyway: the policy allows only the forum's own images.
    policy = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in policy and "https:" not in policy


@pytest.mark.app_config(REMOTE_IMAGES=True)
def test_remote_images_show_when_allowed(client, thread_id):
    response = client.get(f"/threads/{thread_id}")
    html = response.get_data(as_text=True)
    assert _images(html) == ["https://tracker.example/pixel.png", "/static/logo.png",
                             "//tracker.example/p2.png"]
    assert "img-src 'self' data: https:;" in response.headers["Content-Security-Policy"]


def test_the_setting_comes_from_the_environment(monkeypatch, tmp_path):
    from forum.config import load_config

    class Fake:
        instance_path = str(tmp_path)
        config = __import__("flask").Config(str(tmp_path))

    monkeypatch.setenv("REMOTE_IMAGES", "1")
    load_config(Fake)
    assert Fake.config["REMOTE_IMAGES"] is True
    monkeypatch.setenv("REMOTE_IMAGES", "0")
    load_config(Fake)
    assert Fake.config["REMOTE_IMAGES"] is False
