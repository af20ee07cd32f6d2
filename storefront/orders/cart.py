"""The buyer's cart, kept in the session: one licence option per report.

The session stores ids only; prices are always read from the database.
"""

from dataclasses import dataclass
from decimal import Decimal

from reports.models import LicenseOption

SESSION_KEY = "cart"


class MixedCurrencyError(ValueError):
    """A cart holds one currency; a buyer pays one amount."""


@dataclass(frozen=True)
class CartLine:
    option: LicenseOption

    @property
    def report(self):
        return self.option.report

    @property
    def price(self) -> Decimal:
        return self.option.price

    @property
    def currency(self) -> str:
        return self.option.currency


class Cart:
    def __init__(self, session):
        self.session = session

    def _items(self) -> dict[str, int]:
        # {report id: licence option id}; JSON session keys are strings.
        return dict(self.session.get(SESSION_KEY, {}))

    def _save(self, items: dict[str, int]) -> None:
        self.session[SESSION_KEY] = items

    def option_ids(self) -> list[int]:
        return list(self._items().values())

    def __len__(self) -> int:
        return len(self._items())

    def set_option(self, option: LicenseOption, current_lines: list[CartLine]) -> None:
        """Add a report with this licence, or switch its licence; one line per report."""
        other_currencies = {
            line.currency for line in current_lines if line.report.pk != option.report_id
        }
        if other_currencies and option.currency not in other_currencies:
            raise MixedCurrencyError(option.currency)
        items = self._items()
        items[str(option.report_id)] = option.pk
        self._save(items)

    def remove_report(self, report_id: int) -> None:
        items = self._items()
        items.pop(str(report_id), None)
        self._save(items)

    def keep_only(self, option_ids: set[int]) -> None:
        """Drop lines whose licence or report is gone from the shop."""
        items = {key: value for key, value in self._items().items() if value in option_ids}
        self._save(items)

    def clear(self) -> None:
        self.session.pop(SESSION_KEY, None)
