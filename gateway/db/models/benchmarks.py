"""Built-in benchmarks: one row per run a member starts from the providers page."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.db.models.base import new_id, utcnow
from gateway.db.models.types import JSONType, UTCDateTime


class BenchmarkRun(SQLModel, table=True):
    """A benchmark of providers and models over prompts, run by a background job.

    `spec` holds what was asked (targets and prompts), `results` one entry per
    (target, prompt) as they complete; `completed` of `total` is the progress bar.
    `status` is queued, running, done or failed (`error` says why).
    """

    __tablename__ = "benchmark_runs"
    __table_args__ = (sa.Index(None, "org_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organizations.id", ondelete="CASCADE")
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    name: str = Field(default="", sa_type=sa.String(100))
    status: str = Field(default="queued", sa_type=sa.String(16))
    spec: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    results: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    completed: int = 0
    total: int = 0
    error: str | None = Field(default=None, sa_type=sa.String(500))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
