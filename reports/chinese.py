"""Simplified and traditional Chinese, converted with OpenCC.

Traditional text is written the way Taiwan writes it (OpenCC's s2twp: characters and
phrases, 软件 → 軟體, 信息 → 資訊). s2twp is tuned for software manuals, so a few of
its phrase choices read wrong in a shop and are put back afterwards: 发布 is "publish"
(發佈), not a software "release" (釋出); 审核 is an editor's review (審核), not an
audit (稽核); 权限 and 类型 stay as Taiwan writes them outside programming.

Search folds both scripts to simplified (t2s), so 醫學 finds 医学 and the reverse.
"""

import functools

import opencc

# s2twp's software phrasing → the wording of a shop (applied after the conversion).
SHOP_PHRASES = {
    "釋出": "發佈",
    "稽核": "審核",
    "許可權": "權限",
    "型別": "類型",
    "擴充套件": "擴充",
    "結賬": "結帳",
}


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_traditional(text: str) -> str:
    """Simplified Chinese as Taiwan writes it; other scripts pass through unchanged."""
    if not text:
        return text
    converted = _converter("s2twp").convert(text)
    for software, shop in SHOP_PHRASES.items():
        converted = converted.replace(software, shop)
    return converted


def to_simplified(text: str) -> str:
    """Traditional characters folded to simplified ones (for search)."""
    if not text or text.isascii():  # nothing to fold, and most searches are Latin words
        return text
    return _converter("t2s").convert(text)
