"""Column types that keep the code's conventions on both SQLite and PostgreSQL.

- `UTCDateTime`: timezone-aware UTC datetimes in and out (SQLite stores no
  offset, so values are normalised to UTC on the way in and tagged UTC on the
  way out); naive datetimes are refused rather than guessed at.
- `MicroUSD`: integer micro-USD in code, NUMERIC(20, 6) in the database.
- `StrEnumType`: a string enum stored as its plain value in a VARCHAR (no
  native PostgreSQL enum type to migrate); rows load back as enum members.
- `JSONType`: JSON, stored as JSONB on PostgreSQL; None is SQL NULL.
- `BIGINT_PK`: a 64-bit autoincrement key; SQLite only autoincrements INTEGER.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from gateway.db.money import decimal_to_micro, micro_to_decimal

# none_as_null: Python None is stored as SQL NULL (so `IS NULL` finds it), not JSON 'null'.
JSONType = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE that only ever holds and returns aware UTC datetimes."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class MicroUSD(TypeDecorator[int]):
    """NUMERIC(20, 6) dollars in SQL, integer micro-USD in Python.

    SQLite has no decimal type: its NUMERIC affinity keeps 15 significant
    digits, i.e. amounts up to $999,999,999.999999 per value survive exactly.
    Values travel to and from SQLite as text/float and are re-read through
    their shortest decimal repr, so no binary rounding creeps in.
    """

    impl = sa.Numeric(20, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Numeric(20, 6, asdecimal=False))
        return dialect.type_descriptor(sa.Numeric(20, 6))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = micro_to_decimal(int(value))
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return decimal_to_micro(value)


class StrEnumType(TypeDecorator[StrEnum]):
    """A StrEnum stored as its value in VARCHAR(length); unknown values are refused on write."""

    impl = sa.String(16)
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int = 16) -> None:
        super().__init__(length)
        self.enum_class = enum_class
        self.length = length

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> StrEnum | None:
        if value is None:
            return None
        return self.enum_class(value)


def enum_check(column: str, enum_class: type[StrEnum]) -> sa.CheckConstraint:
    """A CHECK constraint (named after the column) admitting only the enum's values."""
    values = ", ".join(f"'{member.value}'" for member in enum_class)
    return sa.CheckConstraint(f"{column} IN ({values})", name=column)


def micro_sum(column: Any, dialect: str) -> Any:
    """SUM of a MicroUSD column as integer micro-USD, exact on both databases."""
    if dialect == "sqlite":  # NUMERIC affinity stores REAL there: sum rounded integers instead
        micros = sa.func.round(sa.type_coerce(column, sa.Float) * 1_000_000)
        return sa.func.sum(sa.cast(micros, sa.BigInteger))
    return sa.func.sum(column)  # NUMERIC, read back as integer micro-USD by MicroUSD
