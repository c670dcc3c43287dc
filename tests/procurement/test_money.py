from decimal import Decimal

import pytest

from procurement.money import CurrencyMismatchError, Money, minor_exponent, money_sum


def test_minor_unit_exponents():
    assert [minor_exponent(c) for c in ("KRW", "EUR", "USD", "SGD")] == [0, 2, 2, 2]
    with pytest.raises(ValueError, match="Unsupported currency"):
        minor_exponent("XYZ")


def test_krw_has_no_minor_unit():
    won = Money(Decimal("1234.5"), "KRW")
    assert won.amount == Decimal("1235")  # rounded half up to whole won
    assert won.minor == 1235
    assert Money.from_minor(1235, "KRW").as_dict() == {"amount": "1235", "currency": "KRW"}


def test_eur_minor_units_round_trip():
    value = Money(Decimal("1234.5"), "EUR")
    assert value.as_dict() == {"amount": "1234.50", "currency": "EUR"}
    assert value.minor == 123450
    assert Money.from_minor(123450, "EUR") == value


def test_rounding_is_half_up_to_the_minor_unit():
    assert Money(Decimal("0.005"), "EUR").amount == Decimal("0.01")
    assert Money(Decimal("0.004"), "EUR").amount == Decimal("0.00")
    assert Money(Decimal("-0.005"), "EUR").amount == Decimal("-0.01")


def test_arithmetic_within_one_currency():
    total = Money(Decimal("0.10"), "EUR") * 1000
    assert total == Money(Decimal("100.00"), "EUR")
    assert money_sum([Money(Decimal("0.10"), "EUR")] * 1000, "EUR") == total
    assert Money(Decimal(5), "USD") - Money(Decimal(7), "USD") == Money(Decimal(-2), "USD")
    assert Money(Decimal(1), "SGD") < Money(Decimal(2), "SGD")


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a >= b,
        lambda a, b: money_sum([a, b], "EUR"),
    ],
)
def test_mixing_currencies_raises(operation):
    with pytest.raises(CurrencyMismatchError):
        operation(Money(Decimal(1), "EUR"), Money(Decimal(1), "KRW"))


def test_money_refuses_floats_and_bad_input():
    with pytest.raises(TypeError):
        Money(0.1, "EUR")
    with pytest.raises(TypeError):
        Money(Decimal(1), "EUR") * 1.5  # type: ignore[operator]
    with pytest.raises(ValueError, match="Not a finite"):
        Money(Decimal("NaN"), "EUR")
    with pytest.raises(TypeError):
        Money(Decimal(1), "EUR") + 1


def test_conversion_to_krw_rounds_to_whole_won():
    assert Money(Decimal("950000.00"), "EUR").to_krw(Decimal("1470.123456")) == Money(
        Decimal("1396617283"), "KRW"
    )  # 1 396 617 283.2 -> 1 396 617 283
    assert Money(Decimal("0.01"), "EUR").to_krw(Decimal("1450")) == Money(Decimal("15"), "KRW")  # 14.5 -> 15
    assert Money(Decimal(10), "KRW").to_krw(Decimal(3)) == Money(Decimal(10), "KRW")
    with pytest.raises(ValueError, match="positive"):
        Money(Decimal(1), "EUR").to_krw(Decimal(0))


def test_money_is_frozen():
    value = Money(Decimal(1), "EUR")
    with pytest.raises(AttributeError):
        value.amount = Decimal(2)


def test_ocds_value_is_a_number():
    assert Money(Decimal("1234.50"), "EUR").as_ocds() == {"amount": 1234.5, "currency": "EUR"}
    assert Money(Decimal("1000.00"), "EUR").as_ocds() == {"amount": 1000, "currency": "EUR"}
    assert Money(Decimal("4000000000"), "KRW").as_ocds() == {"amount": 4000000000, "currency": "KRW"}
