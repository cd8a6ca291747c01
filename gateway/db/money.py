"""Money at the edge of the database: integer micro-USD in code, NUMERIC(20, 6) in SQL.

One micro-USD is a millionth of a dollar, so NUMERIC's six decimal places hold
exactly the integers the code computes with; the conversion is lossless both
ways for any amount a NUMERIC(20, 6) column can store.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

MICROS_PER_USD = 1_000_000
_ONE_MICRO = Decimal("0.000001")


def micro_to_decimal(micros: int) -> Decimal:
    """`micros` micro-USD as a Decimal number of dollars with six places (1_500_000 -> 1.500000)."""
    return (Decimal(micros) / MICROS_PER_USD).quantize(_ONE_MICRO)


def decimal_to_micro(amount: Decimal | int | float | str) -> int:
    """A dollar amount as integer micro-USD, rounded half-even to the nearest micro-dollar.

    Floats are read through their shortest repr (`str`), never their binary
    expansion, so 0.1 becomes 100_000 and not 100_000.000000000005551…
    """
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    return int((value * MICROS_PER_USD).to_integral_value(rounding=ROUND_HALF_EVEN))
