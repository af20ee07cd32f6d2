"""Fonts for the licence stamp: Helvetica for Latin text, an embedded CJK TrueType font
for everything else.

reportlab embeds (a subset of) a TrueType font together with a ToUnicode map, so
Chinese names both render and come back out of text extraction. It cannot embed
fonts with CFF outlines: the Noto CJK collections that Debian installs
(fonts-noto-cjk, ``.ttc`` files with PostScript outlines) are rejected. The fonts
looked for below have TrueType outlines.

The font is found and registered with reportlab once per process (under a lock);
the search can be pointed at a file with the ``LICENCE_STAMP_FONT`` setting, or the
environment variable of the same name when Django settings are not in use.
Its value is a path, optionally followed by ``#N`` to pick the N-th font of a
``.ttc`` collection (default 0).

Text that Helvetica can show (Windows-1252) never needs the CJK font, so a Latin-only
stamp works on a machine without it. A stamp with Chinese text on a machine without
it raises StampFontMissing: never a silent fallback to a font that shows boxes.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from storefront.delivery import StampError

# The Debian package that provides the first known font; named in the error.
DEBIAN_PACKAGE = "fonts-wqy-zenhei"

LATIN_FONT = "Helvetica"
LATIN_BOLD_FONT = "Helvetica-Bold"

# Registered reportlab font name of the CJK font (one per process).
CJK_FONT_NAME = "LicenceStampCJK"

# Where fonts are looked for, in this order; each known file is looked up at its
# usual place below a directory, then anywhere below it.
FONT_DIRS: tuple[str | Path, ...] = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
)


@dataclass(frozen=True)
class KnownFont:
    relative_path: str  # below a font directory, as the package installs it
    subfont_index: int
    package: str  # Debian package, or where the file comes from


# CJK fonts with TrueType outlines, best first.
KNOWN_FONTS: tuple[KnownFont, ...] = (
    KnownFont("truetype/wqy/wqy-zenhei.ttc", 0, "fonts-wqy-zenhei"),
    KnownFont("truetype/wqy/wqy-microhei.ttc", 0, "fonts-wqy-microhei"),
    KnownFont("truetype/droid/DroidSansFallbackFull.ttf", 0, "fonts-droid-fallback"),
    KnownFont("truetype/arphic/uming.ttc", 0, "fonts-arphic-uming"),
    KnownFont("Supplemental/Arial Unicode.ttf", 0, "macOS"),
)

# A font must map these to count as able to show the stamp's Chinese wording.
_PROBE_CHARACTERS = "授权许可订单编号李伟"


class StampFontMissing(StampError):
    """No font that can show Chinese text is available to the licence stamp."""


def needs_cjk_font(text: str) -> bool:
    """True when Helvetica (Windows-1252 encoding in reportlab) cannot show `text`."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return True
    return False


_lock = threading.Lock()
_registered: _CjkFont | None = None


@dataclass(frozen=True)
class _CjkFont:
    name: str
    path: Path
    subfont_index: int
    characters: frozenset[int]  # code points the font has glyphs for


def cjk_font() -> str:
    """Name of the registered CJK font; finds and registers it on first use.

    Raises StampFontMissing when no usable font is found.
    """
    global _registered
    font = _registered
    if font is None:
        with _lock:
            if _registered is None:
                _registered = _register(*locate_cjk_font())
            font = _registered
    return font.name


def cjk_font_path() -> tuple[Path, int]:
    """The file and collection index of the CJK font in use (registers it if needed)."""
    cjk_font()
    return _registered.path, _registered.subfont_index


def missing_glyphs(text: str) -> str:
    """Characters of `text` that the CJK font has no glyph for (they show as boxes)."""
    cjk_font()
    characters = _registered.characters
    return "".join(sorted({c for c in text if ord(c) not in characters and not c.isspace()}))


def font_for(text: str) -> str:
    """The font to draw `text` with: Helvetica when it can, else the CJK font."""
    return cjk_font() if needs_cjk_font(text) else LATIN_FONT


def reset() -> None:
    """Forget the chosen font so the next stamp searches again (tests, reconfiguration)."""
    global _registered
    with _lock:
        _registered = None


def _configured_font() -> str:
    try:
        from django.conf import settings

        if settings.configured:
            value = getattr(settings, "LICENCE_STAMP_FONT", None)
            if value:
                return str(value)
    except ImportError:  # pragma: no cover - Django is always installed here
        pass
    return os.environ.get("LICENCE_STAMP_FONT", "")


def _parse_configured(value: str) -> tuple[Path, int]:
    path, _, index = value.partition("#")
    try:
        return Path(path).expanduser(), int(index or 0)
    except ValueError:
        raise StampFontMissing(
            f"LICENCE_STAMP_FONT={value!r}: expected a font file path, optionally "
            f"followed by '#N' (the font's index in a .ttc collection)."
        ) from None


def locate_cjk_font(font_dirs=None) -> tuple[Path, int]:
    """(path, subfont index) of a TrueType CJK font; raises StampFontMissing.

    The LICENCE_STAMP_FONT setting wins; otherwise the KNOWN_FONTS are looked up
    in `font_dirs` (default FONT_DIRS).
    """
    configured = _configured_font()
    if configured:
        path, index = _parse_configured(configured)
        if not path.is_file():
            raise StampFontMissing(
                f"LICENCE_STAMP_FONT points at {path}, which is not a file. Point it at a "
                f"TrueType font that has Chinese glyphs (Debian: {DEBIAN_PACKAGE}, "
                f"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc) or unset it."
            )
        return path, index
    searched = []
    for directory in FONT_DIRS if font_dirs is None else font_dirs:
        directory = Path(directory).expanduser()
        searched.append(str(directory))
        if not directory.is_dir():
            continue
        for known in KNOWN_FONTS:
            candidate = directory / known.relative_path
            if candidate.is_file():
                return candidate, known.subfont_index
        for known in KNOWN_FONTS:
            file_name = Path(known.relative_path).name
            for candidate in sorted(directory.rglob(file_name)):
                if candidate.is_file():
                    return candidate, known.subfont_index
    names = ", ".join(Path(known.relative_path).name for known in KNOWN_FONTS)
    raise StampFontMissing(
        f"No font for Chinese text in the licence stamp: none of {names} was found in "
        f"{', '.join(searched) or 'no directory'}. Install the Debian package "
        f"{DEBIAN_PACKAGE} (apt-get install {DEBIAN_PACKAGE}), or set LICENCE_STAMP_FONT "
        f"to a TrueType (not CFF/OpenType) font file with Chinese glyphs."
    )


def _register(path: Path, subfont_index: int) -> _CjkFont:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    try:
        font = TTFont(CJK_FONT_NAME, str(path), subfontIndex=subfont_index)
    except (TTFError, OSError) as error:
        raise StampFontMissing(
            f"The licence stamp font {path} (index {subfont_index}) cannot be embedded: "
            f"{error}. A TrueType font with Chinese glyphs is needed; OpenType/CFF fonts "
            f"such as Noto Sans CJK are not supported. Install the Debian package "
            f"{DEBIAN_PACKAGE} or set LICENCE_STAMP_FONT."
        ) from error
    characters = frozenset(font.face.charToGlyph)
    lacking = [c for c in _PROBE_CHARACTERS if ord(c) not in characters]
    if lacking:
        raise StampFontMissing(
            f"The licence stamp font {path} has no glyphs for {''.join(lacking)}: it "
            f"cannot show Chinese. Install the Debian package {DEBIAN_PACKAGE} or set "
            f"LICENCE_STAMP_FONT to a TrueType font with Chinese glyphs."
        )
    # Registering under the same name again replaces the previous font (after reset()).
    pdfmetrics.registerFont(font)
    return _CjkFont(CJK_FONT_NAME, path, subfont_index, characters)
