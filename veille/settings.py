"""Configuration models (pydantic) and loading of ``veille.toml``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from veille import __version__

DEFAULT_USER_AGENT = f"veille/{__version__} (+self-hosted brand monitoring; feed reader)"


class HttpSettings(BaseModel):
    """How politely and how hard veille fetches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concurrency: int = Field(20, ge=1, le=1000, description="requests in flight at once")
    per_host: int = Field(4, ge=1, le=100, description="requests in flight to one host")
    connect_timeout: float = Field(10.0, gt=0, description="seconds to open a connection")
    read_timeout: float = Field(30.0, gt=0, description="seconds to wait for each read")
    total_timeout: float = Field(60.0, gt=0, description="seconds for a whole request")
    max_body_bytes: int = Field(10_000_000, ge=1024, description="larger bodies are refused")
    max_redirects: int = Field(5, ge=0, le=20)
    retries: int = Field(2, ge=0, le=10, description="extra tries on transient errors")
    backoff_seconds: float = Field(1.0, ge=0, description="first retry delay, doubled each try")
    max_retry_after: float = Field(
        120.0, ge=0, description="longest Retry-After waited inside a pass; longer ones defer"
    )
    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=1)
