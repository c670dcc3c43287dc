"""A frozen money value object: a Decimal amount in one ISO 4217 currency, stored as integer minor units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# Minor-unit exponent per supported currency (ISO 4217): KRW has no minor unit, the others two.
MINOR_UNITS: dict[str, int] = {"KRW": 0, "EUR": 2, "USD": 2, "SGD": 2}


class CurrencyMismatchError(ValueError):
    """Arithmetic or comparison between two different currencies."""


def minor_exponent(currency: str) -> int:
    """The number of decimal places of `currency`; unknown currencies raise ValueError."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise ValueError(f"Unsupported currency: {currency!r}") from None


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor unit (commercial rounding, as banks quote KRW equivalents)."""
    return amount.quantize(Decimal(1).scaleb(-minor_exponent(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency. Arithmetic is only defined within one currency; never a float."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float):
            raise TypeError("Money does not accept floats; pass a Decimal, int or str.")
        try:
            value = Decimal(self.amount)
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError(f"Not an amount: {self.amount!r}") from None
        if not value.is_finite():
            raise ValueError(f"Not a finite amount: {self.amount!r}")
        object.__setattr__(self, "amount", quantize(value, self.currency))

    # --- construction and storage ---
    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """From integer minor units as stored in the database (e.g. cents)."""
        return cls(Decimal(minor).scaleb(-minor_exponent(currency)), currency)

    @property
    def minor(self) -> int:
        """Integer minor units, the stored form."""
        return int(self.amount.scaleb(minor_exponent(self.currency)))

    def as_dict(self) -> dict[str, str]:
        """The API shape: `{"amount": "1234.50", "currency": "EUR"}`."""
        return {"amount": str(self.amount), "currency": self.currency}

    def as_ocds(self) -> dict[str, Any]:
        """The OCDS Value shape (amount is a JSON number)."""
        exponent = minor_exponent(self.currency)
        amount: int | float = self.minor if exponent == 0 else float(self.amount)
        if exponent and self.amount == self.amount.to_integral_value():
            amount = int(self.amount)
        return {"amount": amount, "currency": self.currency}

    # --- arithmetic within one currency ---
    def _check(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"Cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: object) -> Money:
        return Money(self.amount + self._check(other).amount, self.currency)

    def __sub__(self, other: object) -> Money:
        return Money(self.amount - self._check(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise TypeError("Money can only be multiplied by an int or a Decimal.")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: object) -> bool:
        return self.amount < self._check(other).amount

    def __le__(self, other: object) -> bool:
        return self.amount <= self._check(other).amount

    def __gt__(self, other: object) -> bool:
        return self.amount > self._check(other).amount

    def __ge__(self, other: object) -> bool:
        return self.amount >= self._check(other).amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        return f"{self.amount:,} {self.currency}"

    def to_krw(self, rate: Decimal) -> Money:
        """The KRW equivalent at `rate` KRW per one unit of this currency, rounded half up to whole won."""
        if self.currency == "KRW":
            return self
        if isinstance(rate, float) or Decimal(rate) <= 0:
            raise ValueError("An exchange rate is a positive Decimal.")
        return Money(self.amount * Decimal(rate), "KRW")


def money_sum(values: list[Money], currency: str) -> Money:
    """Sum of values of one currency (zero when empty); a foreign value raises CurrencyMismatchError."""
    total = Money.zero(currency)
    for value in values:
        total = total + value
    return total


def money_columns(given: Mapping[str, Any], name: str, prefix: str) -> dict[str, Any]:
    """Turn a `Money` under `name` into the `<prefix>_minor` and `<prefix>_currency` columns."""
    fields = dict(given)
    if name in fields:
        money: Money | None = fields.pop(name)
        fields[f"{prefix}_minor"] = None if money is None else money.minor
        if money is not None:
            fields[f"{prefix}_currency"] = money.currency
    return fields
