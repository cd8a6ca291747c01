"""RouterAI's tables, one module per area, re-exported here.

Importing this package registers every table on `SQLModel.metadata`, which is
what Alembic's env.py reads. `TENANT_TABLES` names the tenant-owned tables
(every table with an `org_id`): on PostgreSQL each has row-level security forced.
"""

from sqlmodel import SQLModel

from gateway.db.models.accounts import Invitation, OrgMember, User
from gateway.db.models.base import NAMING_CONVENTION, new_id, utcnow
from gateway.db.models.benchmarks import BenchmarkRun
from gateway.db.models.billing import MeterReport, StripeEvent
from gateway.db.models.credentials import ApiKey, ApiKeyPublic, ProviderCredential
from gateway.db.models.organizations import (
    DEFAULT_ROUTING_WEIGHTS,
    Organization,
    default_routing_weights,
)
from gateway.db.models.usage import BudgetAlert, RequestLog, UsageDaily

metadata = SQLModel.metadata

TENANT_TABLES: tuple[str, ...] = tuple(
    table.name for table in metadata.sorted_tables if "org_id" in table.columns
)

__all__ = [
    "DEFAULT_ROUTING_WEIGHTS",
    "NAMING_CONVENTION",
    "TENANT_TABLES",
    "ApiKey",
    "ApiKeyPublic",
    "BenchmarkRun",
    "BudgetAlert",
    "Invitation",
    "MeterReport",
    "OrgMember",
    "Organization",
    "ProviderCredential",
    "RequestLog",
    "StripeEvent",
    "UsageDaily",
    "User",
    "default_routing_weights",
    "metadata",
    "new_id",
    "utcnow",
]
