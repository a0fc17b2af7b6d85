"""Checks on rendered HTML for the rules axe-core enforces in the browser tests.

The browser suite visits a few pages; these checks run on every account and profile page in
the fast suite, so a template change that drops a label or a heading fails here first.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

NOT_LABELLED = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class Link:
    href: str
    text: str = ""
    aria_label: str = ""


@dataclass
class Control:
    tag: str
    attrs: dict
    in_label: bool


class PageAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h1_count = 0
        self.stylesheets: list[str] = []
        self.controls: list[Control] = []
        self.label_targets: set[str] = set()
        self.links: list[Link] = []
        self.ids: list[str] = []
        self.back_links: list[str] = []
        self.title = ""
        self._label_depth = 0
        self._open_link: Link | None = None
        self._in_back = False
        self._in_title = False

    def handle_starttag(self, tag, attr_list):
        attrs = {name: value or "" for name, value in attr_list}
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "h1":
            self.h1_count += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs.get("href", ""))
        elif tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.label_targets.add(attrs["for"])
        elif tag == "p" and "back" in attrs.get("class", "").split():
            self._in_back = True
        elif tag == "a" and "href" in attrs:
            self._open_link = Link(href=attrs["href"], aria_label=attrs.get("aria-label", ""))
            if self._in_back:
                self.back_links.append(attrs["href"])
        elif tag in ("input", "select", "textarea") and attrs.get("type", "") not in NOT_LABELLED:
            self.controls.append(Control(tag, attrs, in_label=self._label_depth > 0))

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth = max(0, self._label_depth - 1)
        elif tag == "p":
            self._in_back = False
        elif tag == "title":
            self._in_title = False
        elif tag == "a" and self._open_link is not None:
            self.links.append(self._open_link)
            self._open_link = None

    def handle_data(self, data):
        if self._open_link is not None:
            self._open_link.text += data
        if self._in_title:
            self.title += data

    def unlabelled_controls(self) -> list[str]:
        return [
            control.attrs.get("name") or control.tag
            for control in self.controls
            if not (
                control.in_label
                or control.attrs.get("id") in self.label_targets
                or control.attrs.get("aria-label")
                or control.attrs.get("aria-labelledby")
            )
        ]

    def empty_links(self) -> list[str]:
        return [link.href for link in self.links if not (link.text.strip() or link.aria_label.strip())]

    def checked(self, name: str) -> list[str]:
        """The values of the checked boxes or radios called `name`, as the browser would submit them."""
        return [
            control.attrs.get("value", "on")
            for control in self.controls
            if control.attrs.get("name") == name and "checked" in control.attrs
        ]

    def duplicate_ids(self) -> list[str]:
        return sorted({an_id for an_id in self.ids if self.ids.count(an_id) > 1})


def audit(response) -> PageAudit:
    page = PageAudit()
    page.feed(response.content.decode())
    page.close()
    return page


def assert_samen_page(response) -> PageAudit:
    """The page is drawn by our base template and passes the structural rules axe checks."""
    assert response.status_code == 200, response.status_code
    page = audit(response)
    assert any(href.endswith("samen/samen.css") for href in page.stylesheets), page.stylesheets
    assert page.h1_count == 1, f"expected one h1, found {page.h1_count}"
    assert re.search(r"\S.*· Samen", " ".join(page.title.split())), page.title
    assert page.unlabelled_controls() == [], page.unlabelled_controls()
    assert page.empty_links() == [], page.empty_links()
    assert page.duplicate_ids() == [], page.duplicate_ids()
    assert page.back_links, "every page needs a way back"
    return page
