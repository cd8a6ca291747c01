"""The request log: one organization's requests, newest first, filtered, a page at a time.

Pages are keyset-paginated on (created_at, id), never by OFFSET: a page's cursor is the
last row it showed, and the next page asks for rows strictly before it, so reading page
500 costs what reading page 1 does, and rows that arrive meanwhile neither repeat nor
shift a page. Each filter has an index that leads with (org_id, the filtered column) and
ends with (created_at, id) (migration 0003), so a filter's first page is read in order
straight off an index. Status and cache values are written into the SQL as literals (they
are validated first): a partial index (errors, cache answers) is usable only when the
planner sees the value, and psycopg prepares a query once it has run a few times, after
which PostgreSQL may plan it generically, without the values of its parameters.

Every query runs in the organization's tenant session and filters on org_id too, so a
key id or request id of another organization finds nothing.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from gateway.analytics.queries import usage_totals
from gateway.auth.permissions import Action, Actor, require
from gateway.db.enums import CacheStatus
from gateway.db.models import RequestLog
from gateway.db.models.types import UTCDateTime
from gateway.db.sessions import tenant_session
from gateway.tenancy.keys import list_api_keys

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
STATUS_CLASSES = ("ok", "4xx", "5xx", "error")
TIME_RANGES: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "all": None,
}
OPTIONS_DAYS = 90


@dataclass(frozen=True, slots=True)
class LogFilter:
    """What to show; None means any. `status` is a class (ok, 4xx, 5xx, error) or a code."""

    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None
    provider: str | None = None
    model: str | None = None
    api_key_id: uuid.UUID | None = None
    cache: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and not _known_status(self.status):
            raise ValueError(f"status must be one of {STATUS_CLASSES} or an HTTP status code")
        if self.cache is not None:
            CacheStatus(self.cache)  # ValueError for an unknown cache status
        for moment in (self.since, self.until):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("times must be timezone-aware")


@dataclass(frozen=True, slots=True)
class LogRow:
    """One request as the log's table lists it; cost in micro-USD."""

    id: int
    request_id: str
    created_at: datetime
    api_key_id: uuid.UUID | None
    key_name: str | None
    provider: str | None
    model_requested: str
    model_used: str | None
    status_code: int
    total_tokens: int
    cost: int
    latency_ms: int
    cache_status: str
    streamed: bool


@dataclass(frozen=True, slots=True)
class Fallback:
    """A candidate the executor tried before the one that answered, and why it failed."""

    candidate: str
    error: str


@dataclass(frozen=True, slots=True)
class LogDetail:
    """Everything recorded about one request."""

    row: LogRow
    prompt_tokens: int
    completion_tokens: int
    baseline_cost: int
    ttfb_ms: int | None
    error_type: str | None
    cache_similarity: float | None
    routing: dict[str, Any] | None
    fallbacks: tuple[Fallback, ...]
    skipped: tuple[str, ...]

    @property
    def saved(self) -> int:
        return self.baseline_cost - self.row.cost


@dataclass(frozen=True, slots=True)
class LogPage:
    """One page, and the cursor of the next one (None on the last page)."""

    rows: tuple[LogRow, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class KeyOption:
    id: uuid.UUID
    label: str


@dataclass(frozen=True, slots=True)
class FilterOptions:
    """The values the filters offer: what the organization used recently, and its keys."""

    providers: tuple[str, ...]
    models: tuple[str, ...]
    keys: tuple[KeyOption, ...]


def _known_status(status: str) -> bool:
    return status in STATUS_CLASSES or (status.isdigit() and 100 <= int(status) <= 599)


def since_for(range_name: str, now: datetime) -> datetime | None:
    """The start of a named time range ending now (None for all time); ValueError if unknown."""
    if range_name not in TIME_RANGES:
        raise ValueError(f"time range must be one of {tuple(TIME_RANGES)}")
    span = TIME_RANGES[range_name]
    return None if span is None else now - span


def encode_cursor(row: LogRow) -> str:
    """An opaque cursor for the rows after `row`."""
    raw = f"{row.created_at.astimezone(UTC).isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """(created_at, id) of a cursor; ValueError when it was not made by `encode_cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, row_id = raw.partition("|")
        created_at = datetime.fromisoformat(moment)
        if created_at.tzinfo is None:
            raise ValueError("naive")
        return created_at, int(row_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc


class RequestLogs:
    """The organization's request log, as the dashboard reads it (viewers and up)."""

    def __init__(
        self, engine: Engine, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._engine = engine
        self._clock = clock

    async def page(
        self,
        actor: Actor,
        filters: LogFilter,
        *,
        cursor: str | None = None,
        limit: int = PAGE_SIZE,
    ) -> LogPage:
        """The page of requests matching `filters` after `cursor` (the first page without)."""
        require(actor.role, Action.VIEW)
        after = decode_cursor(cursor) if cursor else None
        size = max(1, min(limit, MAX_PAGE_SIZE))
        return await asyncio.to_thread(self._page, actor.org_id, filters, after, size)

    async def detail(self, actor: Actor, log_id: int) -> LogDetail:
        """One request of the organization; LookupError when it has no such request."""
        require(actor.role, Action.VIEW)
        return await asyncio.to_thread(self._detail, actor.org_id, log_id)

    async def options(self, actor: Actor) -> FilterOptions:
        """Providers and models seen in the last `OPTIONS_DAYS` days, and every key."""
        require(actor.role, Action.VIEW)
        return await asyncio.to_thread(self._options, actor.org_id)

    def _page(
        self,
        org_id: uuid.UUID,
        filters: LogFilter,
        after: tuple[datetime, int] | None,
        size: int,
    ) -> LogPage:
        statement = page_query(org_id, filters, after).limit(size + 1)
        with tenant_session(self._engine, org_id) as session:
            found = list(session.exec(statement))
            names = _key_names(session, org_id)
        rows = tuple(_row(log, names) for log in found[:size])
        more = len(found) > size
        return LogPage(rows, encode_cursor(rows[-1]) if more and rows else None)

    def _detail(self, org_id: uuid.UUID, log_id: int) -> LogDetail:
        with tenant_session(self._engine, org_id) as session:
            statement = select(RequestLog).where(
                RequestLog.org_id == org_id, RequestLog.id == log_id
            )
            log = session.exec(statement).first()
            if log is None:
                raise LookupError("no request with this id in the organization")
            return _detail(log, _key_names(session, org_id))

    def _options(self, org_id: uuid.UUID) -> FilterOptions:
        today = self._clock().astimezone(UTC).date()
        with tenant_session(self._engine, org_id) as session:
            history = usage_totals(
                session, org_id=org_id, first=today - timedelta(days=OPTIONS_DAYS), last=today
            )
            live = session.exec(
                select(RequestLog.provider, RequestLog.model_used)
                .where(
                    RequestLog.org_id == org_id,
                    col(RequestLog.created_at) >= _midnight(today),
                )
                .distinct()
            ).all()
            keys = list_api_keys(session, org_id=org_id)
        providers = set(history.by_provider) | {p for p, _ in live if p}
        models = set(history.by_model) | {m for _, m in live if m}
        return FilterOptions(
            tuple(sorted(providers)),
            tuple(sorted(models)),
            tuple(KeyOption(key.id, f"{key.name} ({key.prefix}…)") for key in keys),
        )


def page_query(
    org_id: uuid.UUID, filters: LogFilter, after: tuple[datetime, int] | None = None
) -> Any:
    """SELECT of the organization's rows matching `filters`, newest first, after a cursor."""
    created_at, row_id = col(RequestLog.created_at), col(RequestLog.id)
    statement = select(RequestLog).where(RequestLog.org_id == org_id)
    for condition in _conditions(filters):
        statement = statement.where(condition)
    if after is not None:
        moment, last_id = after
        statement = statement.where(
            sa.tuple_(created_at, row_id)
            < sa.tuple_(sa.literal(moment, UTCDateTime()), sa.literal(last_id, sa.BigInteger()))
        )
    return statement.order_by(created_at.desc(), row_id.desc())


def _conditions(filters: LogFilter) -> list[Any]:
    conditions: list[Any] = []
    if filters.since is not None:
        conditions.append(col(RequestLog.created_at) >= filters.since)
    if filters.until is not None:
        conditions.append(col(RequestLog.created_at) < filters.until)
    if filters.status is not None:
        conditions.append(_status_condition(filters.status))
    if filters.provider is not None:
        conditions.append(col(RequestLog.provider) == filters.provider)
    if filters.model is not None:
        conditions.append(col(RequestLog.model_used) == filters.model)
    if filters.api_key_id is not None:
        conditions.append(col(RequestLog.api_key_id) == filters.api_key_id)
    if filters.cache is not None:
        value = CacheStatus(filters.cache).value
        conditions.append(col(RequestLog.cache_status) == sa.literal_column(f"'{value}'"))
    return conditions


def _status_condition(status: str) -> Any:
    code = col(RequestLog.status_code)
    ranges = {"ok": (None, 400), "4xx": (400, 500), "5xx": (500, None), "error": (400, None)}
    if status not in ranges:
        return code == _int(int(status))
    low, high = ranges[status]
    parts = []
    if low is not None:
        parts.append(code >= _int(low))
    if high is not None:
        parts.append(code < _int(high))
    return sa.and_(*parts)


def _int(value: int) -> Any:
    return sa.literal_column(str(int(value)), sa.Integer())


def _key_names(session: Session, org_id: uuid.UUID) -> dict[uuid.UUID, str]:
    return {key.id: key.name for key in list_api_keys(session, org_id=org_id)}


def _row(log: RequestLog, names: dict[uuid.UUID, str]) -> LogRow:
    assert log.id is not None
    return LogRow(
        id=log.id,
        request_id=log.request_id,
        created_at=log.created_at,
        api_key_id=log.api_key_id,
        key_name=names.get(log.api_key_id) if log.api_key_id else None,
        provider=log.provider,
        model_requested=log.model_requested,
        model_used=log.model_used,
        status_code=log.status_code,
        total_tokens=log.total_tokens,
        cost=log.cost,
        latency_ms=log.latency_ms,
        cache_status=CacheStatus(log.cache_status).value,
        streamed=log.streamed,
    )


def _detail(log: RequestLog, names: dict[uuid.UUID, str]) -> LogDetail:
    routing = dict(log.routing) if log.routing else None
    fallbacks = tuple(
        Fallback(str(item.get("candidate", "")), str(item.get("error", "")))
        for item in (routing or {}).get("fallbacks", [])
        if isinstance(item, dict)
    )
    skipped = tuple(str(item) for item in (routing or {}).get("skipped", []))
    return LogDetail(
        row=_row(log, names),
        prompt_tokens=log.prompt_tokens,
        completion_tokens=log.completion_tokens,
        baseline_cost=log.baseline_cost,
        ttfb_ms=log.ttfb_ms,
        error_type=log.error_type,
        cache_similarity=log.cache_similarity,
        routing=routing,
        fallbacks=fallbacks,
        skipped=skipped,
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)
