"""Markdown import: headings become nested sections; hostile input is stored as text and rendered safely."""

from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError

from samen.plans import actions
from samen.plans.importing import MAX_SECTIONS, parse_markdown
from samen.plans.models import Section

pytestmark = pytest.mark.django_db


def test_headings_become_nested_sections_in_order(plan):
    rows = list(plan.sections.order_by("position").values_list("heading", "depth", "parent__heading"))
    assert rows == [
        ("Money", 1, None),
        ("Budget", 2, "Money"),
        ("Fundraising", 2, "Money"),
        ("Building", 1, None),
    ]
    assert plan.intro == "We want a water point in every street of Kibera."
    assert plan.versions.get().number == 1


def test_an_expertise_line_becomes_tags_and_leaves_the_text(sections):
    assert sections["Budget"].expertise == ["finance", "bookkeeping"]
    assert sections["Budget"].body == "Pipes cost KES 40,000."
    assert sections["Building"].expertise == ["plumbing"]
    assert sections["Building"].body == "Who digs, who builds."


def test_skipped_levels_nest_one_step_and_code_blocks_are_not_headings():
    parsed = parse_markdown("# A\n### C\n```\n# not a heading\n```\n#### D\n")
    assert [(s.heading, s.depth) for s in parsed.sections] == [("A", 1), ("C", 2), ("D", 3)]
    assert "# not a heading" in parsed.sections[1].body


def test_very_deep_headings_stop_at_the_deepest_level():
    parsed = parse_markdown("\n".join(f"{'#' * n} H{n}" for n in range(1, 7)) + "\n####### not a heading")
    assert [s.depth for s in parsed.sections] == [1, 2, 3, 4, 5, 5]


def elements(html: str) -> list[tuple[str, dict]]:
    found: list[tuple[str, dict]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collect().feed(html)
    return found


HOSTILE = """\
# <script>alert("heading")</script>
<script>alert(1)</script>
<img src=x onerror=alert(2)>
[click](javascript:alert(3))
<a href="javascript:alert(4)">x</a>
<iframe src="https://evil.example"></iframe>
**bold** and [a real link](https://example.org)
"""


def test_hostile_markdown_is_rendered_harmlessly(client, initiative, owner):
    plan = actions.create_plan(initiative, owner, title="<b>Plan</b>", markdown=HOSTILE)
    section = plan.sections.get()
    assert section.heading == '<script>alert("heading")</script>'  # stored as text
    html = str(section.body_html)
    # What was raw HTML is shown as text (escaped), so none of it can run.
    tags = elements(html)
    assert {tag for tag, _attrs in tags} <= {"p", "a", "strong"}
    assert [attrs.get("href") for tag, attrs in tags if tag == "a"] == [None, "https://example.org"]
    assert not any(name.startswith("on") for _tag, attrs in tags for name in attrs)
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.org"' in html

    for path in (plan.get_absolute_url(), section.get_absolute_url()):
        page = client.get(path).content.decode()
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&quot;heading&quot;)&lt;/script&gt;" in page
        found = elements(page)
        assert not [t for t, _a in found if t in {"img", "iframe"}]
        assert all(a.get("src", "").startswith("/static/") for t, a in found if t == "script")
        assert not [a for t, a in found if (a.get("href") or "").startswith("javascript")]
        assert "&lt;b&gt;Plan&lt;/b&gt;" in page


def test_too_many_sections_are_refused_and_nothing_is_stored(initiative, owner):
    markdown = "\n".join(f"# Part {n}" for n in range(MAX_SECTIONS + 1))
    with pytest.raises(ValidationError):
        actions.create_plan(initiative, owner, title="Huge", markdown=markdown)
    assert not Section.objects.exists()


def test_the_import_page_reports_a_bad_document_beside_the_field(client_as, owner, initiative):
    response = client_as(owner).post(
        f"/plans/initiative/{initiative.slug}/new/",
        {"title": "Plan", "markdown": "# " + "x" * 300, "answer_days": 3},
    )
    assert response.status_code == 200
    assert "longer than 200 characters" in response.content.decode()
    assert not initiative.plans.exists()


def test_a_markdown_file_can_be_uploaded(client_as, owner, initiative):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("plan.md", "# Één\nText\n# Twee\n".encode(), content_type="text/markdown")
    response = client_as(owner).post(
        f"/plans/initiative/{initiative.slug}/new/",
        {"title": "Plan", "markdown": "", "markdown_file": upload, "answer_days": 3},
    )
    plan = initiative.plans.get()
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    assert list(plan.sections.values_list("heading", flat=True)) == ["Één", "Twee"]


def test_only_the_team_may_create_a_plan(client_as, people, initiative):
    for name in ("member", "outsider"):
        assert client_as(people[name]).get(f"/plans/initiative/{initiative.slug}/new/").status_code == 403
    assert client_as(None).get(f"/plans/initiative/{initiative.slug}/new/").status_code == 302
    assert client_as(people["team"]).get(f"/plans/initiative/{initiative.slug}/new/").status_code == 200
