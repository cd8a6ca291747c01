"""micro-USD <-> Decimal conversions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.db.money import MICROS_PER_USD, decimal_to_micro, micro_to_decimal


@pytest.mark.parametrize(
    ("micros", "dollars"),
    [
        (0, "0.000000"),
        (1, "0.000001"),
        (1_500_000, "1.500000"),
        (-2_000_001, "-2.000001"),
        (99_999_999_999_999_999_999, "99999999999999.999999"),
    ],
)
def test_round_trip(micros: int, dollars: str) -> None:
    assert micro_to_decimal(micros) == Decimal(dollars)
    assert str(micro_to_decimal(micros)) == dollars
    assert decimal_to_micro(Decimal(dollars)) == micros


def test_floats_go_through_their_shortest_repr() -> None:
    assert decimal_to_micro(0.1) == 100_000
    assert decimal_to_micro(0.1 + 0.2) == 300_000
    assert decimal_to_micro(123456.789012) == 123_456_789_012


def test_strings_and_ints_are_dollars() -> None:
    assert decimal_to_micro("29") == 29 * MICROS_PER_USD
    assert decimal_to_micro(3) == 3 * MICROS_PER_USD


def test_sub_micro_amounts_round_half_even() -> None:
    assert decimal_to_micro(Decimal("0.0000005")) == 0
    assert decimal_to_micro(Decimal("0.0000015")) == 2
    assert decimal_to_micro(Decimal("0.0000016")) == 2
