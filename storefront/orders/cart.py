"""The buyer's cart, kept in the session: one licence option per report.

The session stores ids only; prices are always read from the database.
"""

from dataclasses import dataclass
from decimal import Decimal

from reports import pricing
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

    @property
    def licence_choices(self) -> list[LicenseOption]:
        """The report's other licences in this line's currency (the cart's one currency)."""
        return [
            option
            for option in self.report.license_options.all()
            if option.currency == self.currency and pricing.chargeable(option)
        ]


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

    @staticmethod
    def unpriced_in(lines: list[CartLine], currency: str) -> list[CartLine]:
        """The lines whose licence has no price in ``currency``."""
        return [
            line for line in lines
            if (option := _option_in(line, currency)) is None or option.currency != currency
        ]

    def switch_currency(self, lines: list[CartLine], currency: str) -> list[LicenseOption]:
        """Re-price every line for a buyer of ``currency``, from the database, or none.

        A cart holds one currency: when every line's licence has a price in
        ``currency``, each line takes it; when any has none, the cart stays as it was
        (never converted). ``lines`` come from selectors.cart_lines(), with the reports'
        licence options prefetched. Returns the lines' options afterwards, in order.
        """
        if self.unpriced_in(lines, currency):
            return [line.option for line in lines]
        items = self._items()
        repriced = [_option_in(line, currency) for line in lines]
        for line, option in zip(lines, repriced):
            items[str(line.report.pk)] = option.pk
        self._save(items)
        return repriced

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


def _option_in(line: CartLine, currency: str) -> LicenseOption | None:
    return pricing.option_in(line.report.license_options.all(), line.option.license_type, currency)
