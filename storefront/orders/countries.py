"""Countries as ISO 3166-1 alpha-2 codes (django-countries), from what people type."""

import functools
import unicodedata

from django.utils import translation
from django_countries import countries

# Names people write that are not a country's name in any of the shop's languages.
ALIASES = {
    "uk": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "usa": "US", "us": "US", "united states": "US",
    "america": "US", "prc": "CN", "mainland china": "CN", "中国大陆": "CN", "中华人民共和国": "CN",
    "russian federation": "RU", "korea": "KR", "republic of korea": "KR", "holland": "NL",
    "the netherlands": "NL", "czech republic": "CZ", "uae": "AE", "香港": "HK", "澳门": "MO",
}  # fmt: skip

# Countries whose addresses have no postcode (or one that is rarely used).
WITHOUT_POSTCODE = {
    "AE", "AG", "AO", "AW", "BF", "BI", "BJ", "BO", "BS", "BW", "BZ", "CD", "CF", "CG", "CI",
    "CK", "CM", "DJ", "DM", "ER", "FJ", "GA", "GD", "GH", "GM", "GQ", "GY", "HK", "IE", "KI",
    "KM", "KN", "KP", "LC", "ML", "MO", "MR", "MW", "NR", "NU", "QA", "RW", "SB", "SC", "SL",
    "SR", "ST", "SY", "TF", "TG", "TK", "TL", "TO", "TV", "UG", "VU", "YE", "ZW",
}  # fmt: skip


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    return " ".join(text.replace(".", " ").replace(",", " ").split())


@functools.cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for language in ("en", "zh-hans", "zh-hant"):
        with translation.override(language):
            for code, name in countries:
                names.setdefault(_key(str(name)), code)
    for code, _name in countries:
        names.setdefault(_key(code), code)
        names.setdefault(_key(countries.alpha3(code)), code)
    names.update({_key(alias): code for alias, code in ALIASES.items()})
    return names


def country_code(text: str) -> str | None:
    """The ISO code of a country given as a code (GB, GBR) or a name in English or
    Chinese ("United Kingdom", "UK", "英国"); None for anything else."""
    if not text or not text.strip():
        return None
    return _names().get(_key(text))


def needs_postcode(code: str) -> bool:
    return code not in WITHOUT_POSTCODE
