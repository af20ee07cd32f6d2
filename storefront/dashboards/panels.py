"""The admin index's panels: what waits for each role, as counts linking to the list.

Reads the other apps' selectors (one way: nothing imports this app). Sales staff see
the inquiry and order panels, editors the catalogue's, a superuser both; which
panels a user sees follows their permissions, so the Sales and Editors groups
(created by migrations) decide it. A fixed number of queries whatever the size.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from reports.models import ReportStatus
from reports.selectors import editor_workload
from storefront.inquiries.models import InquiryStatus
from storefront.inquiries.selectors import inquiry_workload
from storefront.orders.models import OrderStatus
from storefront.orders.selectors import order_workload


@dataclass(frozen=True)
class Panel:
    label: str
    count: int
    url: str
    urgent: bool = False  # shown as a warning while the count is not zero


@dataclass(frozen=True)
class Dashboard:
    title: str
    panels: list[Panel]


def _changelist(name: str, **filters) -> str:
    return f"{reverse(f'admin:{name}_changelist')}?{urlencode(filters)}"


def sales_dashboard() -> Dashboard:
    inquiries, orders = inquiry_workload(), order_workload()
    awaiting_sales = ",".join([InquiryStatus.NEW, InquiryStatus.OPEN])
    return Dashboard(
        _("Sales"),
        [
            Panel(
                _("Open inquiries"),
                inquiries.open,
                _changelist("inquiries_inquiry", status__in=awaiting_sales),
            ),
            Panel(
                _("Overdue inquiries"),
                inquiries.overdue,
                _changelist("inquiries_inquiry", overdue="yes"),
                urgent=True,
            ),
            Panel(
                _("Invoice orders awaiting payment"),
                orders.awaiting_invoice_payment,
                _changelist("orders_order", status__exact=OrderStatus.AWAITING_INVOICE),
            ),
            Panel(
                _("Orders needing attention"),
                orders.needing_attention,
                _changelist("orders_order", needs_attention__exact=1),
                urgent=True,
            ),
        ],
    )


def editors_dashboard() -> Dashboard:
    work = editor_workload()
    panels = [
        Panel(
            _("Drafts"),
            work.drafts,
            _changelist("reports_report", status__exact=ReportStatus.DRAFT),
        ),
        Panel(
            _("Scheduled"),
            work.scheduled,
            _changelist("reports_report", status__exact=ReportStatus.SCHEDULED),
        ),
    ]
    for code, count in work.behind.items():
        panels.append(
            Panel(
                _("%(language)s translations out of date")
                % {"language": get_language_info(code)["name_translated"]},
                count,
                _changelist("reports_report", translation=f"behind:{code}"),
            )
        )
    panels.append(
        Panel(
            _("Reports without a master PDF"),
            work.without_master,
            _changelist("reports_report", master="no"),
            urgent=True,
        )
    )
    return Dashboard(_("Catalogue"), panels)


def dashboards_for(user) -> list[Dashboard]:
    """The dashboards this staff member's permissions open, sales first."""
    if not (user.is_active and user.is_staff):
        return []
    dashboards = []
    if user.has_perm("inquiries.view_inquiry") and user.has_perm("orders.view_order"):
        dashboards.append(sales_dashboard())
    if user.has_perm("reports.change_report"):
        dashboards.append(editors_dashboard())
    return dashboards

