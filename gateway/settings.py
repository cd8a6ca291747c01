"""RouterAI's configuration: the one module that reads the environment.

Everything else receives a `Settings` instance from its caller (the composition
root builds it once with `Settings()` or `load_settings()`), so tests construct
their own settings instead of patching the environment. Settings are frozen:
once read, they do not change.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET_KEY = "routerai-development-secret-key-change-me"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every setting RouterAI reads, with the embedded defaults of a fresh clone."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    environment: Environment = Field(Environment.DEVELOPMENT, alias="ROUTERAI_ENV")
    data_dir: Path = Field(Path("data"), alias="ROUTERAI_DATA_DIR")
    database_url: str | None = Field(None, alias="DATABASE_URL")
    # PostgreSQL in production: a role that owns the schema runs the migrations and grants
    # the application's role (DATABASE_URL's user) only reading and writing rows, so the
    # application can never alter a table or switch its row-level security off.
    migration_database_url: str | None = Field(None, alias="MIGRATION_DATABASE_URL")
    redis_url: str | None = Field(None, alias="REDIS_URL")
    secret_key: SecretStr = Field(SecretStr(DEVELOPMENT_SECRET_KEY), alias="ROUTERAI_SECRET_KEY")
    public_url: str = Field("http://localhost:3000", alias="ROUTERAI_PUBLIC_URL")
    # The bearer token Prometheus sends to scrape /metrics, whose figures cover every
    # tenant. Unset (a local install), /metrics answers anyone; production requires it.
    metrics_token: SecretStr | None = Field(None, alias="ROUTERAI_METRICS_TOKEN")

    # Upstream providers. When the sandbox URL is set, every provider points at it.
    sandbox_url: str | None = Field(None, alias="ROUTERAI_SANDBOX_URL")
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    anthropic_api_key: SecretStr | None = Field(None, alias="ANTHROPIC_API_KEY")
    groq_api_key: SecretStr | None = Field(None, alias="GROQ_API_KEY")
    together_api_key: SecretStr | None = Field(None, alias="TOGETHER_API_KEY")
    ollama_base_url: str | None = Field(None, alias="OLLAMA_BASE_URL")
    upstream_timeout_s: float = Field(60.0, alias="ROUTERAI_UPSTREAM_TIMEOUT_S", gt=0)
    attempt_timeout_s: float = Field(60.0, alias="ROUTERAI_ATTEMPT_TIMEOUT_S", gt=0)
    request_deadline_s: float = Field(180.0, alias="ROUTERAI_REQUEST_DEADLINE_S", gt=0)
    max_attempts: int = Field(3, alias="ROUTERAI_MAX_ATTEMPTS", ge=1, le=10)
    breaker_failures: int = Field(5, alias="ROUTERAI_BREAKER_FAILURES", ge=1)
    breaker_cooldown_s: float = Field(30.0, alias="ROUTERAI_BREAKER_COOLDOWN_S", gt=0)
    upstream_connect_timeout_s: float = Field(
        5.0, alias="ROUTERAI_UPSTREAM_CONNECT_TIMEOUT_S", gt=0
    )
    # The most one upstream answer may carry (decoded; a stream's lines counted together):
    # reading stops there, with a 502 `upstream_response_too_large`.
    max_upstream_response_bytes: int = Field(
        64 * 1024 * 1024, alias="ROUTERAI_MAX_UPSTREAM_RESPONSE_BYTES", gt=0
    )

    # Gateway behaviour.
    max_body_bytes: int = Field(4 * 1024 * 1024, alias="ROUTERAI_MAX_BODY_BYTES", gt=0)
    tenant_cache_ttl_s: float = Field(1.0, alias="ROUTERAI_TENANT_CACHE_TTL_S", ge=0)
    # Tenant-supplied URLs (notification webhooks) may reach loopback and private addresses:
    # off by default (gateway.security.urls); on for tests, or receivers on your own network.
    allow_private_webhooks: bool = Field(False, alias="ROUTERAI_ALLOW_PRIVATE_WEBHOOKS")

    # Semantic cache: threads of the embedding model per process (about cores / processes).
    cache_model_threads: int = Field(1, alias="ROUTERAI_CACHE_MODEL_THREADS", ge=1, le=16)

    # Billing.
    stripe_secret_key: SecretStr | None = Field(None, alias="STRIPE_SECRET_KEY")
    stripe_webhook_secret: SecretStr | None = Field(None, alias="STRIPE_WEBHOOK_SECRET")
    stripe_api_base: str | None = Field(None, alias="STRIPE_API_BASE")

    # Mail (sign-up confirmations): SMTP at `smtp://user:password@host:port` (STARTTLS
    # when the server offers it) or `smtps://…` (TLS from the start). Unset, mail is written
    # to the web app's log instead, so a local install can still confirm its sign-ups.
    smtp_url: SecretStr | None = Field(None, alias="ROUTERAI_SMTP_URL")
    mail_from: str = Field("RouterAI <no-reply@routerai.localhost>", alias="ROUTERAI_MAIL_FROM")

    # Sign in with GitHub: enabled when both the client id and secret are set. The base
    # URLs point elsewhere only in tests (a fake OAuth server) or for GitHub Enterprise.
    github_client_id: str | None = Field(None, alias="ROUTERAI_GITHUB_CLIENT_ID")
    github_client_secret: SecretStr | None = Field(None, alias="ROUTERAI_GITHUB_CLIENT_SECRET")
    github_base_url: str = Field("https://github.com", alias="ROUTERAI_GITHUB_BASE_URL")
    github_api_url: str = Field("https://api.github.com", alias="ROUTERAI_GITHUB_API_URL")

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        default = self.secret_key.get_secret_value() == DEVELOPMENT_SECRET_KEY
        if self.environment is Environment.PRODUCTION and default:
            raise ValueError(
                "ROUTERAI_SECRET_KEY must be set to a secret of your own in production"
            )
        if len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("ROUTERAI_SECRET_KEY must be at least 32 characters long")
        return self

    @model_validator(mode="after")
    def _refuse_open_metrics_in_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION and self.metrics_token is None:
            raise ValueError(
                "ROUTERAI_METRICS_TOKEN must be set in production: /metrics shows every "
                "organization's traffic and cost"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """DATABASE_URL, or the embedded SQLite database under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'routerai.db').as_posix()}"

    @property
    def embedded_redis_path(self) -> Path:
        """Where the embedded Redis keeps its data when REDIS_URL is unset."""
        return self.data_dir / "redis.db"

    @property
    def ollama_reachable(self) -> bool:
        """Whether an Ollama server is configured (or the sandbox stands in for one)."""
        return bool(self.ollama_base_url or self.sandbox_url)

    @property
    def github_oauth_enabled(self) -> bool:
        """True when a GitHub OAuth app is configured (client id and secret)."""
        return bool(self.github_client_id and self.github_client_secret)

    @property
    def sandbox_mode(self) -> bool:
        """True when no real provider credential exists, or the sandbox is forced."""
        if self.sandbox_url:
            return True
        keys = (
            self.openai_api_key,
            self.anthropic_api_key,
            self.groq_api_key,
            self.together_api_key,
        )
        return not any(keys) and not self.ollama_base_url


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; `overrides` take precedence (by field name)."""
    return Settings(**overrides)  # type: ignore[arg-type]
