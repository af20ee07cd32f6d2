"""Accessibility and layout checks a browser journey runs on every page it shows.

axe-core (Deque's rules engine) comes from the npm registry, installed by the suite
itself into a cache folder under the project the first time it is needed (``npm
install --prefix``), pinned to one version so every run applies the same rules. It is
evaluated through the DevTools protocol, which the shop's Content-Security-Policy
(scripts from the shop only) does not govern, so the page is audited as served.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

AXE_VERSION = "4.11.0"
AXE_CACHE = Path(settings.BASE_DIR) / ".cache" / f"axe-core-{AXE_VERSION}"
AXE_SCRIPT = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
# What the buyer pages are held to: WCAG 2.1 A and AA, plus axe's best practices;
# a journey fails on any violation axe rates serious or critical.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING_IMPACTS = {"serious", "critical"}


def install_axe() -> str:
    """The source of axe.min.js, installed from the npm registry on first use.

    Installed into a fresh temporary folder, then renamed into place, so parallel
    test workers never see a half-written package."""
    if not AXE_SCRIPT.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(
                "npm is not installed: the accessibility checks install axe-core from the "
                "npm registry. `make test` installs it (Debian package `npm`).",
                pytrace=False,
            )
        AXE_CACHE.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="axe-core-", dir=AXE_CACHE.parent))
        try:
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix",
                 str(staging), f"axe-core@{AXE_VERSION}"],
                check=True, capture_output=True, timeout=300,
            )  # fmt: skip
            try:
                os.rename(staging, AXE_CACHE)
            except OSError:  # another worker got there first: use its copy
                if not AXE_SCRIPT.exists():
                    raise
        except subprocess.CalledProcessError as error:
            pytest.fail(
                f"`npm install axe-core@{AXE_VERSION}` failed: {error.stderr.decode()[-800:]}",
                pytrace=False,
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page, axe_source: str) -> list[dict]:
    """Serious and critical axe violations of the page as shown, one dict each."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    violations = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
            }));
        }""",
        AXE_TAGS,
    )
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"  {v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'])}" for v in violations
    )


def sideways_overflow(page) -> int:
    """How many CSS pixels the page scrolls sideways (0 when it fits its viewport)."""
    return page.evaluate(
        "() => Math.max(0, document.scrollingElement.scrollWidth - window.innerWidth)"
    )
