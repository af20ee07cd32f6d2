"""The traditional Chinese catalogue: complete, valid, loaded, and in step with the
simplified one it is converted from (manage.py derive_traditional_catalogue)."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

from storefront.management.commands.derive_traditional_catalogue import (
    catalogue_path,
    derived_catalogue,
    is_reviewed,
)

polib = pytest.importorskip("polib")

SIMPLIFIED = catalogue_path("zh_Hans")
TRADITIONAL = catalogue_path("zh_Hant")


def _key(entry):
    return (entry.msgctxt, entry.msgid)


def test_every_simplified_string_has_its_traditional_conversion():
    committed = {_key(entry): entry for entry in polib.pofile(str(TRADITIONAL))}
    derived = derived_catalogue(SIMPLIFIED, TRADITIONAL)
    drifted = [
        entry.msgid
        for entry in derived
        if _key(entry) not in committed
        or (committed[_key(entry)].msgstr, committed[_key(entry)].msgstr_plural)
        != (entry.msgstr, entry.msgstr_plural)
    ]
    extra = set(committed) - {_key(entry) for entry in derived}
    assert not drifted and not extra, (
        f"locale/zh_Hant is out of step with locale/zh_Hans ({len(drifted)} changed or "
        f"missing, {len(extra)} extra): run `python manage.py derive_traditional_catalogue`, "
        "then compilemessages.\n  " + "\n  ".join(drifted[:20])
    )


def test_the_catalogue_has_nothing_untranslated_or_fuzzy():
    catalogue = polib.pofile(str(TRADITIONAL))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert catalogue.metadata["Language"] == "zh_Hant"


def test_the_catalogue_is_valid():
    if shutil.which("msgfmt") is None:
        pytest.fail("msgfmt (GNU gettext) is not on PATH; install gettext")
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", "/dev/null", str(TRADITIONAL)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr


def test_an_entry_an_editor_reviewed_keeps_its_wording(tmp_path):
    simplified = tmp_path / "hans.po"
    traditional = tmp_path / "hant.po"
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    simplified.write_text(
        header + 'msgid "Checkout"\nmsgstr "结账"\n\nmsgid "Cart"\nmsgstr "购物车"\n',
        encoding="utf-8",
    )
    traditional.write_text(
        header + '# reviewed\nmsgid "Checkout"\nmsgstr "結帳去"\n\nmsgid "Cart"\nmsgstr "舊"\n',
        encoding="utf-8",
    )

    derived = {entry.msgid: entry for entry in derived_catalogue(simplified, traditional)}

    assert derived["Checkout"].msgstr == "結帳去" and is_reviewed(derived["Checkout"])
    assert derived["Cart"].msgstr == "購物車"


@pytest.mark.parametrize(
    ("message", "expected"),
    [("Table of contents", "目錄"), ("Summary", "概覽"), ("Single user", "單使用者許可"),
     ("Place order", "提交訂單"), ("Traditional Chinese", "繁體中文")],
)
def test_the_traditional_catalogue_is_loaded(message, expected):
    mo = TRADITIONAL.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < TRADITIONAL.stat().st_mtime:
        subprocess.run(["msgfmt", "-o", str(mo), str(TRADITIONAL)], check=True)
        from django.utils.translation import trans_real

        trans_real._translations = {}
    with translation.override("zh-hant"):
        assert translation.gettext(message) == expected


def test_the_derive_command_writes_the_committed_catalogue(tmp_path, settings):
    from django.core.management import call_command

    locale = tmp_path / "locale"
    shutil.copytree(Path(settings.LOCALE_PATHS[0]) / "zh_Hans", locale / "zh_Hans")
    settings.LOCALE_PATHS = [locale]
    call_command("derive_traditional_catalogue", stdout=open("/dev/null", "w"))
    written = {_key(e): e.msgstr for e in polib.pofile(str(locale / "zh_Hant/LC_MESSAGES/django.po"))}
    committed = {_key(e): e.msgstr for e in polib.pofile(str(TRADITIONAL))}
    assert written == committed
