"""Stage 3, budget: monthly token and USD caps per organization, reserved atomically.

The admission step shared with the rate limit (stage 2) lives here too: `Admission` in,
`AdmissionResult` out, through an `AdmissionStore` (Redis in production, memory in tests).
"""

from gateway.budget.admission import (
    Admission,
    AdmissionResult,
    AdmissionStore,
    Limits,
    Reason,
    Settlement,
    admission_for,
)
from gateway.budget.memory_store import MemoryAdmissionStore
from gateway.budget.period import Period, budget_period, budget_period_at, period_ttl_s
from gateway.budget.redis_store import RedisAdmissionStore

__all__ = [
    "Admission",
    "AdmissionResult",
    "AdmissionStore",
    "Limits",
    "MemoryAdmissionStore",
    "Period",
    "Reason",
    "RedisAdmissionStore",
    "Settlement",
    "admission_for",
    "budget_period",
    "budget_period_at",
    "period_ttl_s",
]
