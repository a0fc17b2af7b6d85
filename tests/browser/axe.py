"""axe-core, installed from npm (package.json), run inside the page under test.

The rule set is WCAG 2.0, 2.1 and 2.2 at levels A and AA: the bar in the design. A page passes
with zero violations; "incomplete" results (things axe cannot decide alone) are not failures.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# axe tags no rule "wcag22a": it cannot test the level-A criteria that WCAG 2.2 added.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Only what the failure message needs crosses back from the browser.
RUN_AXE = """async (tags) => {
  const results = await window.axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String),
      html: n.html,
      summary: n.failureSummary,
    })),
  }));
}"""


@cache
def axe_source() -> str:
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `npm ci` (make test does) to install axe-core.")
    return AXE_JS.read_text(encoding="utf-8")


def inject_axe(page: Page) -> None:
    """Load axe into the page once per document.

    page.evaluate rather than add_script_tag: it runs whatever Content-Security-Policy the page
    sends (an inline <script> would be refused by a strict one) and adds nothing to the DOM
    that axe then inspects.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;undefined")


def axe_violations(page: Page) -> list[dict]:
    inject_axe(page)
    return page.evaluate(RUN_AXE, WCAG_TAGS)


def describe(violations: list[dict], where: str) -> str:
    lines = [f"{len(violations)} accessibility violation(s) on {where}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}  {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(node['target'])}: {node['html'][:200]}")
            for detail in (node["summary"] or "").splitlines():
                lines.append(f"       {detail}")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str | None = None) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations, where or page.url)
