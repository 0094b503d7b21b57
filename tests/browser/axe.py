"""Accessibility audits with axe-core (npm, ``node_modules/axe-core``) in the real browser.

``audit(page)`` runs axe over the page as it stands and returns the
violations of impact critical or serious; ``assert_accessible(page, url)``
opens ``url`` and fails the test with one readable line per violation
(rule, impact, what to do, the offending elements).

The script is evaluated through the DevTools protocol, which the page's
Content-Security-Policy does not govern (a ``<script>`` tag added by
``page.add_script_tag`` would be inline script, and the policy blocks it),
so the page is audited under the very policy it is served with.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")
# WCAG 2.1 A and AA plus axe's best practices (landmarks, one main, headings).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@dataclass(frozen=True)
class Violation:
    """One axe rule broken on the page, with the elements that break it."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]
    summary: str

    def __str__(self) -> str:
        where = ", ".join(self.targets[:8])
        more = f" (+{len(self.targets) - 8} more)" if len(self.targets) > 8 else ""
        return f"[{self.impact}] {self.rule}: {self.help}\n    at {where}{more}\n    {self.summary}"


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def _require_axe() -> None:
    if AXE_JS.exists():
        return
    reason = f"needs axe-core at {AXE_JS} (run `npm ci`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


def audit(page, *, impacts: tuple[str, ...] = BLOCKING) -> list[Violation]:
    """Run axe-core over ``page`` as it stands; return the violations of ``impacts``."""
    _require_axe()
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        "async (tags) => await window.axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        TAGS,
    )
    found = []
    for item in result["violations"]:
        if item.get("impact") not in impacts:
            continue
        nodes = item.get("nodes", [])
        targets = tuple(" ".join(map(str, node.get("target", []))) for node in nodes)
        summary = (nodes[0].get("failureSummary") or "").replace("\n", " ") if nodes else ""
        found.append(Violation(item["id"], item["impact"], item["help"], targets, summary))
    return found


def assert_accessible(page, url: str | None = None) -> None:
    """Open ``url`` (if given) and fail unless axe finds nothing critical or serious."""
    if url is not None:
        response = page.goto(url)
        assert response is not None and response.ok, (
            f"{url} answered {response and response.status}"
        )
        page.wait_for_load_state("networkidle")
    violations = audit(page)
    if violations:
        size = page.viewport_size or {}
        pytest.fail(
            f"axe-core found {len(violations)} critical/serious violation(s) on {page.url} "
            f"at {size.get('width')}x{size.get('height')}:\n"
            + "\n".join(f"  {violation}" for violation in violations),
            pytrace=False,
        )
