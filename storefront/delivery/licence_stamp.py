"""What a licence stamp says: the licensee, the licence and the wording of the stamp's
fixed texts in each language (storefront/delivery/stamping.py draws it on the pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storefront.delivery import StampError

LANGUAGES = ("en", "zh-hans", "zh-hant")
CHINESE = ("zh-hans", "zh-hant")

SEPARATOR = " · "

WORDING = {
    "en": {
        "licensed_to": "Licensed to {licensee}",
        "licensed_to_company": "Licensed to {licensee}, {company}",
        "order": "Order {order_number}",
        "licence": "Licence {licence_id}",
        "site_segment": "Site: {site}",
        "site": "Site",
        "heading": "Licensed copy",
        "report": "Report",
        "licensee": "Licensee",
        "company": "Company",
        "licence_type": "Licence",
        "order_number": "Order number",
        "licence_id": "Licence ID",
        "issued_on": "Issued on",
        "terms_heading": "Terms of use (summary)",
        "terms": (
            "This copy of the report is licensed, not sold, to the licensee named above "
            "under this licence: {licence_type}. It may be read, printed, copied and shared "
            "only as far as that licence allows; the licence terms agreed at purchase apply "
            "in full.",
            "Every page of this copy is stamped with this licence. Removing, altering or "
            "hiding the stamp, or passing the copy on to anyone the licence does not cover, "
            "is not permitted.",
            "For questions about this licence, or to extend it to more users, quote the "
            "order number and the licence ID above.",
        ),
        "page_label": "Licence",
        "rights": "Licensed to {who} under this licence: {licence_type}; order {order_number}, "
        "licence {licence_id}, issued {issued_on}.",
    },
    "zh-hans": {
        "licensed_to": "授权给 {licensee}",
        "licensed_to_company": "授权给 {licensee}（{company}）",
        "order": "订单 {order_number}",
        "licence": "许可编号 {licence_id}",
        "site_segment": "地点：{site}",
        "site": "地点",
        "heading": "授权副本",
        "report": "报告",
        "licensee": "被许可人",
        "company": "公司",
        "licence_type": "许可类型",
        "order_number": "订单号",
        "licence_id": "许可编号",
        "issued_on": "签发日期",
        "terms_heading": "使用条款（摘要）",
        "terms": (
            "本报告副本按「{licence_type}」授予上述被许可人使用，而非出售。阅读、打印、"
            "复制和分享仅限于该许可允许的范围；购买时约定的许可条款完全适用。",
            "本副本的每一页均带有本许可的标记。不得删除、修改或遮盖该标记，也不得将本副本"
            "提供给许可范围以外的任何人。",
            "如对本许可有疑问，或需将许可扩展至更多用户，请提供上述订单号和许可编号。",
        ),
        "page_label": "许可",
        "rights": "授权给 {who}，许可类型：{licence_type}；订单 {order_number}，"
        "许可编号 {licence_id}，签发日期 {issued_on}。",
    },
    "zh-hant": {
        "licensed_to": "授權給 {licensee}",
        "licensed_to_company": "授權給 {licensee}（{company}）",
        "order": "訂單 {order_number}",
        "licence": "許可編號 {licence_id}",
        "site_segment": "地點：{site}",
        "site": "地點",
        "heading": "授權副本",
        "report": "報告",
        "licensee": "被許可人",
        "company": "公司",
        "licence_type": "許可類型",
        "order_number": "訂單號",
        "licence_id": "許可編號",
        "issued_on": "簽發日期",
        "terms_heading": "使用條款（摘要）",
        "terms": (
            "本報告副本按「{licence_type}」授予上述被許可人使用，而非出售。閱讀、列印、"
            "複製和分享僅限於該許可允許的範圍；購買時約定的許可條款完全適用。",
            "本副本的每一頁均帶有本許可的標記。不得刪除、修改或遮蓋該標記，也不得將本副本"
            "提供給許可範圍以外的任何人。",
            "如對本許可有疑問，或需將許可擴充至更多使用者，請提供上述訂單號和許可編號。",
        ),
        "page_label": "許可",
        "rights": "授權給 {who}，許可類型：{licence_type}；訂單 {order_number}，"
        "許可編號 {licence_id}，簽發日期 {issued_on}。",
    },
}


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


# --- The stamp -----------------------------------------------------------------------


def one_line(value) -> str:
    """One line of text: whitespace (newlines, tabs) collapsed, control characters out."""
    text = "" if value is None else str(value)
    text = "".join(c if c.isprintable() or c.isspace() else " " for c in text)
    return " ".join(text.split())


@dataclass(frozen=True)
class LicenceStamp:
    """What a stamped copy says about its licence. Text is normalised to one line each."""

    licensee: str  # person, may be Chinese (李伟)
    company: str  # may be Chinese or empty
    licence_type: str  # already worded for the reader: "Single user licence" / "单用户许可"
    order_number: str
    licence_id: str
    issued_on: date
    language: str = "en"  # "en", "zh-hans" or "zh-hant": wording of the stamp's fixed texts
    site: str = ""  # the company location a site licence covers
    issuer: str = ""  # the shop that issued the copy: the PDF's Creator
    author: str = ""  # the report's publisher: the PDF's Author when the master names none

    def __post_init__(self):
        for name in ("licensee", "company", "licence_type", "order_number", "licence_id", "site",
                     "issuer", "author"):
            object.__setattr__(self, name, one_line(getattr(self, name)))
        for name in ("licensee", "licence_type", "order_number", "licence_id"):
            if not getattr(self, name):
                raise StampError(f"The licence stamp needs a {name.replace('_', ' ')}.")
        issued_on = self.issued_on
        if isinstance(issued_on, datetime):
            object.__setattr__(self, "issued_on", issued_on.date())
        elif not isinstance(issued_on, date):
            raise StampError(f"issued_on must be a date, not {issued_on!r}.")
        language = (self.language or "en").strip().lower().replace("_", "-")
        if language.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
            language = "zh-hant"
        elif language.startswith("zh"):
            language = "zh-hans"
        elif language.split("-")[0] == "en":
            language = "en"
        if language not in LANGUAGES:
            raise StampError(
                f"Unknown stamp language {self.language!r}: use one of {', '.join(LANGUAGES)}."
            )
        object.__setattr__(self, "language", language)

    @property
    def wording(self) -> dict:
        return WORDING[self.language]

    def footer_segments(self) -> list[str]:
        wording = self.wording
        who = (
            wording["licensed_to_company"] if self.company else wording["licensed_to"]
        ).format(licensee=self.licensee, company=self.company)
        site = [wording["site_segment"].format(site=self.site)] if self.site else []
        return [
            who,
            *site,
            self.licence_type,
            wording["order"].format(order_number=self.order_number),
            self.issued_on.isoformat(),
            wording["licence"].format(licence_id=self.licence_id),
        ]

    def issued_on_display(self) -> str:
        day = self.issued_on
        if self.language in CHINESE:
            return f"{day.year}年{day.month}月{day.day}日"
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"  # not strftime: locale-bound

    def texts(self) -> list[str]:
        """Every text the stamp draws (to check the fonts can show them)."""
        wording = self.wording
        fixed = [v for v in wording.values() if isinstance(v, str)]
        return [*self.footer_segments(), self.company, *fixed, *self.terms()]

    def terms(self) -> list[str]:
        return [text.format(licence_type=self.licence_type) for text in self.wording["terms"]]

    def rights_statement(self) -> str:
        who = f"{self.licensee}, {self.company}" if self.company else self.licensee
        if self.language in CHINESE and self.company:
            who = f"{self.licensee}（{self.company}）"
        return self.wording["rights"].format(
            who=who,
            licence_type=self.licence_type,
            order_number=self.order_number,
            licence_id=self.licence_id,
            issued_on=self.issued_on.isoformat(),
        )


@dataclass(frozen=True)
class StampResult:
    pages: int  # pages of the stamped copy (master_pages, + 1 with the cover page)
    master_pages: int
    bytes_written: int


def footer_text(stamp: LicenceStamp) -> str:
    """The footer line as printed on every page (one line when the page is wide enough)."""
    return SEPARATOR.join(stamp.footer_segments())
