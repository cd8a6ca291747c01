"""Settings refuse, at start-up, a production deployment left on development defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.settings import Settings

SECRET = "s" * 40
METRICS_TOKEN = "m" * 32


def test_production_refuses_to_start_without_a_metrics_token() -> None:
    with pytest.raises(ValidationError, match="ROUTERAI_METRICS_TOKEN must be set in production"):
        Settings(ROUTERAI_ENV="production", ROUTERAI_SECRET_KEY=SECRET)
    with pytest.raises(ValidationError, match="ROUTERAI_METRICS_TOKEN must be set in production"):
        Settings(ROUTERAI_ENV="production", ROUTERAI_SECRET_KEY=SECRET, ROUTERAI_METRICS_TOKEN="")


def test_production_starts_with_its_own_secret_and_a_metrics_token() -> None:
    settings = Settings(
        ROUTERAI_ENV="production", ROUTERAI_SECRET_KEY=SECRET, ROUTERAI_METRICS_TOKEN=METRICS_TOKEN
    )
    assert settings.metrics_token is not None
    assert settings.metrics_token.get_secret_value() == METRICS_TOKEN
    assert METRICS_TOKEN not in repr(settings)


def test_production_still_refuses_the_default_secret_key() -> None:
    with pytest.raises(ValidationError, match="ROUTERAI_SECRET_KEY must be set"):
        Settings(ROUTERAI_ENV="production", ROUTERAI_METRICS_TOKEN=METRICS_TOKEN)


@pytest.mark.parametrize("environment", ["development", "test"])
def test_elsewhere_metrics_stay_open_unless_a_token_is_set(environment: str) -> None:
    assert Settings(ROUTERAI_ENV=environment).metrics_token is None
    assert Settings(ROUTERAI_ENV=environment, ROUTERAI_METRICS_TOKEN="").metrics_token is None
    with_token = Settings(ROUTERAI_ENV=environment, ROUTERAI_METRICS_TOKEN=METRICS_TOKEN)
    assert with_token.metrics_token is not None
