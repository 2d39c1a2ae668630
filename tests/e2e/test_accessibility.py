"""axe-core on the public pages in every locale: no serious or critical violation."""

from __future__ import annotations

import json

import pytest

from tests.e2e.axe import AxeUnavailable, axe_script
from tests.e2e.conftest import LOCALES, PUBLIC_PAGES, no_browser

BLOCKING = ("serious", "critical")
# WCAG 2.0/2.1/2.2 A and AA, plus axe's best practices (landmarks, headings, ...).
RUN_AXE = """async () => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',
                                    'best-practice']},
    resultTypes: ['violations'],
  });
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    try:
        return axe_script().read_text(encoding="utf-8")
    except AxeUnavailable as problem:
        no_browser(str(problem))


@pytest.fixture(scope="module")
def axe_tab(tab, axe_source):  # type: ignore[no-untyped-def]
    """The module's tab with axe in every page it loads. axe is added as an init script
    (through the DevTools protocol, which the page's Content-Security-Policy does not
    govern): add_script_tag would write an inline <script>, which the CSP rightly refuses.
    So the pages are checked with their real CSP, and bypass_csp is not needed."""
    tab.context.add_init_script(script=axe_source)
    return tab


def readable(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"    {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {node['target']}")
            lines.extend(f"       {line}" for line in node["summary"].splitlines())
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_it_has_no_serious_accessibility_violation(axe_tab, path, locale):
    axe_tab.goto(f"{path}?lang={locale}")
    violations = axe_tab.evaluate(RUN_AXE)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{path}?lang={locale}\n{readable(blocking)}"
    minor = [v for v in violations if v["impact"] not in BLOCKING]
    if minor:  # shown with -rP; they do not fail the test
        print(json.dumps([(v["id"], v["impact"], len(v["nodes"])) for v in minor]))


def test_axe_finds_what_it_should(new_context, axe_source):
    # A check that never fails proves nothing: an unlabelled field and grey-on-grey text.
    context = new_context()
    context.add_init_script(script=axe_source)
    page = context.new_page()
    page.goto("/healthz")
    page.set_content(
        '<html lang="en"><head><title>Broken</title></head><body><main><h1>Broken</h1>'
        '<input type="text"><p style="color:#aaa;background:#bbb">faint</p></main></body></html>'
    )
    page.evaluate(axe_source)  # set_content replaced the document the init script ran in
    found = {(v["id"], v["impact"]) for v in page.evaluate(RUN_AXE)}
    assert {("label", "critical"), ("color-contrast", "serious")} <= found
