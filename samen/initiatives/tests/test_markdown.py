"""Stories and updates are Markdown written by anyone: nothing executable may reach the page."""

from html.parser import HTMLParser

import pytest

from samen.initiatives.models import Update

pytestmark = pytest.mark.django_db

HOSTILE = """
# Our story

<script>alert("story")</script>
<img src=x onerror="alert('img')">
<a href="#" onclick="alert('click')">click</a>
[innocent](javascript:alert('link'))
[also](JaVaScRiPt:alert('mixed case'))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
![pic](x" onerror="alert('alt'))
<iframe src="https://evil.example"></iframe>
<svg onload="alert('svg')"></svg>
<style>body { display: none }</style>
[fine](https://example.org)
"""
DANGEROUS_TAGS = {"script", "iframe", "svg", "style", "img", "object", "embed", "math"}


class ElementCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def assert_harmless(html: str):
    """Judge the parsed elements, not the text: escaped `&lt;script&gt;` is harmless text."""
    parser = ElementCollector()
    parser.feed(html)
    for tag, attrs in parser.elements:
        assert tag not in DANGEROUS_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in {"href", "src", "action", "formaction"}:
                scheme = (value or "").strip().lower().split(":", 1)[0]
                assert scheme not in {"javascript", "data", "vbscript"}, (tag, value)


def main_part(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_a_hostile_story_renders_without_anything_executable(client, initiative):
    initiative.story = HOSTILE
    initiative.save()

    main = main_part(client.get(initiative.get_absolute_url()))

    assert_harmless(main)
    assert '<a href="https://example.org" rel="nofollow noopener ugc">fine</a>' in main
    # Raw HTML is shown as text rather than dropped, so the author sees what happened.
    assert "&lt;script&gt;" in main
    # The page owns its only h1; a heading in the story starts at h2.
    assert main.count("<h1") == 1 and "<h2>Our story</h2>" in main


def test_a_hostile_update_renders_without_anything_executable(client, initiative, owner):
    update = Update.objects.create(
        initiative=initiative, author=owner, title="<script>x</script>", body=HOSTILE
    )

    response = client.get(update.get_absolute_url())

    assert response.status_code == 200
    assert_harmless(main_part(response))


def test_a_hostile_title_and_summary_are_escaped_everywhere(client, initiative):
    initiative.title = '<img src=x onerror="alert(1)">'
    initiative.summary = "<script>alert(2)</script>"
    initiative.save()

    for url in [initiative.get_absolute_url(), "/initiatives/", "/"]:
        assert_harmless(main_part(client.get(url)))
