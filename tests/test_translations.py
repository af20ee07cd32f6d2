"""The Chinese catalogue is complete, valid and loaded.

Every user-facing string must have a Chinese translation: a fresh ``makemessages``
run over a copy of the sources must find nothing untranslated or fuzzy in the
committed ``locale/zh_Hans/LC_MESSAGES/django.po``.
"""

import contextlib
import gettext as gettext_module
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from datetime import timezone as dt_timezone
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

ROOT = Path(__file__).resolve().parents[1]
LOCALE = "zh_Hans"
PO_FILE = ROOT / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
# What makemessages reads: the apps, the templates, the catalogue and the entry point.
SOURCES = ["storefront", "reports", "templates", "locale", "manage.py"]
MAKEMESSAGES = [
    "manage.py", "makemessages", "-l", LOCALE,
    "--ignore=tests", "--ignore=bench", "--no-obsolete",
]  # fmt: skip

_ENTRY = re.compile(r'^(msgctxt|msgid)\s+"(.*)"$')


def _environment() -> dict[str, str]:
    """Only what makemessages needs: no database, cache or deploy settings."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "storefront.settings",
        "PYTHONUTF8": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name in ("HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _run(command, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
        f"{result.stdout}\n{result.stderr}"
    )
    return result


def _entries(po_text: str) -> list[str]:
    """The entries of msgattrib output, as "msgid" or "context | msgid", header left out."""
    entries = []
    for block in po_text.strip().split("\n\n"):
        context = msgid = None
        key = None
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            match = _ENTRY.match(line)
            if match:
                key = match.group(1)
                if key == "msgctxt":
                    context = match.group(2)
                else:
                    msgid = match.group(2)
            elif line.startswith('"') and key in ("msgctxt", "msgid"):
                if key == "msgctxt":
                    context += line[1:-1]
                else:
                    msgid += line[1:-1]
            else:
                key = None
        if msgid is None:
            continue
        if msgid == "" and context is None:
            # msgattrib prints the header with any entry; it is a problem only when fuzzy.
            if fuzzy:
                entries.append("(the catalogue header)")
            continue
        entries.append(f"{context} | {msgid}" if context is not None else msgid)
    return entries


@pytest.fixture(scope="module")
def refreshed_catalogue(tmp_path_factory) -> Path:
    """The committed catalogue after makemessages ran over a copy of today's sources."""
    if shutil.which("msgattrib") is None:
        pytest.skip("msgattrib (GNU gettext) is not on PATH; install gettext to run this check")
    copy = tmp_path_factory.mktemp("i18n-sources")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
            )
        else:
            shutil.copy2(source, copy / name)
    _run([sys.executable, *MAKEMESSAGES], cwd=copy, env=_environment())
    catalogue = copy / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
    assert catalogue.exists(), f"makemessages did not write {catalogue.relative_to(copy)}"
    return catalogue


@pytest.mark.parametrize(
    "option, problem",
    [("--untranslated", "have no Chinese translation"), ("--only-fuzzy", "are marked fuzzy")],
)
def test_every_user_facing_string_is_translated(refreshed_catalogue, option, problem):
    result = _run(["msgattrib", option, "--no-wrap", str(refreshed_catalogue)])
    missing = _entries(result.stdout)
    if missing:
        pytest.fail(
            f"{len(missing)} string(s) {problem} in locale/{LOCALE}/LC_MESSAGES/django.po.\n"
            "Run `python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests "
            "--ignore=bench --no-obsolete`, translate these entries (and remove any fuzzy "
            "flag), then run compilemessages:\n  " + "\n  ".join(missing),
            pytrace=False,
        )


def test_committed_catalogue_is_valid():
    if shutil.which("msgfmt") is None:
        pytest.fail("msgfmt (GNU gettext) is not on PATH; install gettext")
    _run(["msgfmt", "--check-format", "-o", os.devnull, str(PO_FILE)])


def test_catalogue_header():
    header = PO_FILE.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Language: zh_Hans\\n"' in header
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header
    assert '"Content-Type: text/plain; charset=UTF-8\\n"' in header
    assert "#, fuzzy" not in header


@pytest.fixture(scope="session")
def compiled_catalogue():
    """The .mo of the committed catalogue; compiled here when missing or older than the .po."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        # From inside the locale folder, compilemessages finds only LOCALE_PATHS
        # (it would otherwise walk the whole tree, virtualenv included).
        with contextlib.chdir(settings.LOCALE_PATHS[0]):
            call_command("compilemessages", locale=[LOCALE], verbosity=0)
        # Catalogues read before the compile must not be served from the caches.
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real.translation_catalog_exists.cache_clear()
        getattr(gettext_module, "_translations", {}).clear()
    return MO_FILE


@pytest.mark.usefixtures("compiled_catalogue")
@pytest.mark.parametrize(
    "message, expected",
    [
        ("Key market statistics", "主要市场统计数据"),
        ("Summary", "概览"),
        ("Table of contents", "目录"),
        ("Market segmentation", "市场细分"),
        ("Product code", "商品编码"),
        ("Single user", "单用户许可"),
        ("Multi-user (up to 5)", "多用户许可（最多 5 人）"),
        ("Site licence", "场地许可"),
        ("Enterprise licence", "企业许可"),
    ],
)
def test_chinese_catalogue_is_loaded(message, expected):
    with translation.override("zh-hans"):
        assert translation.gettext(message) == expected
    assert translation.gettext(message) == message


@pytest.mark.usefixtures("compiled_catalogue")
def test_key_statistic_labels_in_chinese():
    from reports.formatting import key_statistic_label

    with translation.override("zh-hans"):
        assert key_statistic_label("base_year", 2024) == "基准年 2024"
        assert key_statistic_label("estimated_year", 2025) == "预计年份 2025"
        assert key_statistic_label("forecast_year", 2030) == "预测年份 2030"
        assert key_statistic_label("cagr", None) == "复合年增长率（%）"


# --- Chinese typography -------------------------------------------------------------

# Han characters and the full-width punctuation they sit with.
CJK = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
HALF_WIDTH = r"[,:;?!()]"
# Half-width punctuation touching Chinese text (spaces between them count as touching).
HALF_WIDTH_BY_CJK = re.compile(rf"{CJK}\s*{HALF_WIDTH}|{HALF_WIDTH}\s*{CJK}")
# Placeholders stand for words of the Chinese sentence (a name, a title, a number):
# punctuation beside them follows the sentence, so each counts as one Chinese character.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|\{\{?\s*[\w.]*\s*\}?\}")


def chinese_typography_problems(text: str) -> list[str]:
    """The half-width , : ; ? ! ( ) of `text` that stand next to Chinese characters."""
    bare = PLACEHOLDER.sub("〇", text)
    return [match.group(0) for match in HALF_WIDTH_BY_CJK.finditer(bare)]


@pytest.mark.parametrize(
    "text, problems",
    [
        ("已加入购物车：2009944，单用户许可。", []),
        ("已加入购物车：2009944,单用户许可。", [",单"]),
        ("银行卡(Stripe)", ["卡("]),
        ("尊敬的 %(name)s:", ["〇:"]),
        ("（订单号 %(number)s）", []),
        ("USD 9.31 billion, or 10:30 (UTC)", []),
    ],
)
def test_chinese_typography_check_finds_half_width_punctuation(text, problems):
    assert chinese_typography_problems(text) == problems


@pytest.mark.usefixtures("compiled_catalogue")
def test_chinese_catalogue_uses_full_width_punctuation():
    with MO_FILE.open("rb") as handle:
        catalogue = gettext_module.GNUTranslations(handle)._catalog
    found = [
        f"{msgid!r}: {msgstr!r} ({', '.join(problems)})"
        for msgid, msgstr in catalogue.items()
        if msgid and (problems := chinese_typography_problems(msgstr))
    ]
    assert not found, "half-width punctuation beside Chinese text:\n" + "\n".join(found)


CHINESE_TITLE = "继续医学教育（CME）市场：按交付方式划分"
EXPIRES = datetime(2027, 1, 2, 9, 30, tzinfo=dt_timezone.utc)
MAIL_LINE = {
    "title": CHINESE_TITLE, "product_code": "1994249", "get_license_type_display": "单用户许可",
    "display_price": "USD 3,939.00", "description": CHINESE_TITLE, "display_net": "USD 3,545.10",
}  # fmt: skip
MAIL_CONTEXT = {
    "order": {
        "number": "MR-261203-ABC123", "full_name": "李明", "company": "上海医学教育咨询有限公司",
        "language": "zh-hans", "display_total": "USD 3,939.00", "po_number": "PO-7781",
        "vat_id": "CN91310000",
    },
    "downloads": [{"line": MAIL_LINE, "url": "https://shop.example/downloads/t/",
                   "grant": {"expires_at": EXPIRES}}],
    "lines": [MAIL_LINE], "line": MAIL_LINE, "seat": {"holder_name": "王芳"},
    "grant": {"expires_at": EXPIRES}, "url": "https://shop.example/downloads/t/",
    "inquiry": {
        "reference": "Q-7H3K", "name": "李明", "report_title": CHINESE_TITLE,
        "report": {"product_code": "1994249"}, "message": "请问有日本市场的数据吗？",
        "language": "zh-hans", "job_title": "经理", "company": "上海医学教育咨询有限公司",
        "country": "中国", "email": "li.ming@example.cn", "phone": "+86 21 5555 0000",
        "get_language_display": "简体中文", "source_page": "https://shop.example/zh-hans/",
    },
    "kind": "报告相关咨询", "reply": {"body": "您好，附上样本。"},
    "sample_url": "https://shop.example/s/", "sample_link_days": 14, "download_limit": 5,
    "code": "482913", "link": "https://shop.example/l/", "minutes": 15,
    "order_url": "https://shop.example/o/", "library_url": "https://shop.example/account/",
    "admin_url": "https://shop.example/admin/", "payment_instructions": "请通过银行转账付款。",
    "sales_email": "sales@example.com", "shop_name": "Meridian Research Store",
    "quote": {
        "number": "Q-2026-000001", "full_name": "李明", "language": "zh-hans",
        "valid_until": EXPIRES, "po_number": "PO-7781",
    },
    "total": "EUR 4,954.10", "accept_url": "https://shop.example/q/",
}  # fmt: skip
MAIL_TEMPLATES = sorted(path.name for path in (ROOT / "templates" / "emails").iterdir())


@pytest.mark.usefixtures("compiled_catalogue")
@pytest.mark.parametrize("name", MAIL_TEMPLATES)
def test_chinese_mail_uses_full_width_punctuation(name):
    from django.template.loader import render_to_string

    with translation.override("zh-hans"):
        text = render_to_string(f"emails/{name}", MAIL_CONTEXT)

    assert "：" in text  # rendered in Chinese (each mail has a label or a salutation)
    assert chinese_typography_problems(text) == [], text
