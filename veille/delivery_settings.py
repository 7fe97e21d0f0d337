"""Configuration of what runs unattended: the schedule, the mail server and the digests."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from veille.credentials import environment_secret
from veille.timeutil import MINIMUM_RETENTION, parse_duration, time_zone

SMTP_ENVIRONMENT = {
    "host": "VEILLE_SMTP_HOST",
    "port": "VEILLE_SMTP_PORT",
    "security": "VEILLE_SMTP_SECURITY",
    "user": "VEILLE_SMTP_USER",
    "password": "VEILLE_SMTP_PASSWORD",
    "from_address": "VEILLE_SMTP_FROM",
}

# Letters (accented ones too), digits, ".", "_" and "-".
DIGEST_NAME_PATTERN = r"^[\w.-]+$"


class SmtpSettings(BaseModel):
    """The mail server digests and alerts are sent through."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    host: str = Field("localhost", min_length=1, description="mail server host")
    port: int | None = Field(
        None, ge=1, le=65535, description="default: 25 (none), 587 (starttls), 465 (ssl)"
    )
    security: Literal["none", "starttls", "ssl"] = Field("starttls")
    user: str | None = Field(None, description="login, when the server asks for one")
    password: str | None = Field(None, repr=False, description="use ${VAR} or the environment")
    from_address: str = Field(
        "veille@localhost", alias="from", min_length=3, description="sender address"
    )
    timeout: float = Field(30.0, gt=0, description="seconds to wait for the server")

    @property
    def effective_port(self) -> int:
        """The port to connect to: the configured one, else the usual one for the security."""
        return self.port or {"none": 25, "starttls": 587, "ssl": 465}[self.security]


def smtp_input(table: Any) -> Any:
    """The ``[smtp]`` table with ``VEILLE_SMTP_…`` environment values laid over it.

    The password is read as the collectors' credentials are (:mod:`veille.credentials`):
    ``VEILLE_SMTP_PASSWORD`` unless blank, else the file ``VEILLE_SMTP_PASSWORD_FILE`` names; a
    file that cannot be read is a SecretFileError naming the variable.
    """
    if not isinstance(table, dict):
        return table
    merged = dict(table)
    for field, variable in SMTP_ENVIRONMENT.items():
        value = os.environ.get(variable)
        if value is not None and field != "password":
            merged["from" if field == "from_address" else field] = value
    password = environment_secret(SMTP_ENVIRONMENT["password"])
    if password is not None:
        merged["password"] = password
    return merged


def check_addresses(addresses: tuple[str, ...]) -> tuple[str, ...]:
    """Addresses that look like e-mail addresses, or a ValueError naming the first that does not."""
    for address in addresses:
        if "@" not in address or address.strip() != address or " " in address:
            raise ValueError(f"expected an e-mail address, got {address!r}")
    return addresses


class DigestConfig(BaseModel):
    """One emailed digest: who receives it, which brands, in which language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The name of its preview files (NAME.eml) and of --name: no space, no slash.
    name: str = Field(min_length=1, pattern=DIGEST_NAME_PATTERN)
    to: tuple[str, ...] = Field(min_length=1, description="recipient addresses")
    brands: tuple[str, ...] = Field((), description="brand names; empty: every brand")
    language: Literal["fr", "en"] = "fr"
    period: timedelta = Field(
        timedelta(days=1), description="the window of the chart and top lists"
    )
    max_mentions: int = Field(60, ge=1, le=1000, description="story lines per brand at most")
    send_when_empty: bool = False

    @field_validator("period", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_addresses(value)


class ScheduleSettings(BaseModel):
    """When ``veille schedule`` runs each job (cron expressions, in ``timezone``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = Field(
        "Europe/Paris",
        description="IANA time zone of the cron expressions, the digest and the dashboard",
    )
    collect: str = Field("0 6 * * *", description="collecting pass (default: daily at 06:00)")
    digest: str = Field("0 8 * * *", description="digests (default: daily at 08:00)")
    alerts: str = Field("0 * * * *", description="spike alert check (default: hourly)")
    prune: str | None = Field(
        None, description="removal of what is older than [retention] older_than (default: none)"
    )
    misfire_grace: timedelta = Field(
        timedelta(hours=1),
        description="how late a job may start before it is logged as missed (then caught up)",
    )

    @field_validator("misfire_grace", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        time_zone(value)  # ValueError names it
        return value

    @field_validator("collect", "digest", "alerts", "prune")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) != 5:
            raise ValueError(
                f"expected a 5-field cron expression such as '0 8 * * *', got {value!r}"
            )
        return value


class RetentionSettings(BaseModel):
    """How long mentions are kept when ``veille schedule`` prunes them (``[schedule] prune``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    older_than: timedelta | None = Field(
        None, description="what the scheduled prune removes (e.g. 365d); none by default"
    )

    @field_validator("older_than", mode="before")
    @classmethod
    def _age(cls, value: Any) -> timedelta | None:
        if value is None:
            return None
        age = parse_duration(value)
        if age < MINIMUM_RETENTION:
            raise ValueError(
                f"a prune keeps at least a day of mentions, got {value!r} (a number alone counts "
                "seconds, m minutes): write 365d or 52w for a year"
            )
        return age


class AlertSettings(BaseModel):
    """Spike alerts: who is told, and how unusual a surge must be."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: tuple[str, ...] = Field((), description="recipients; empty: no alert is sent")
    language: Literal["fr", "en"] = "fr"
    sensitivity: float = Field(
        3.0, gt=1, le=100, description="a window must hold this many times its baseline rate"
    )
    min_mentions: int = Field(5, ge=1, description="fewer mentions in a window never alert")
    cooldown: timedelta = Field(
        timedelta(hours=6), description="after an alert, the same surge stays quiet this long"
    )

    @field_validator("cooldown", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        cooldown = parse_duration(value)
        if cooldown <= timedelta(0):
            # An alert is sent, and retried, while its cooldown lasts: with none, never.
            raise ValueError(
                "the cooldown must be longer than 0s: an alert is e-mailed (and tried again) "
                "until its cooldown ends, so with none it would never be sent; the default is 6h"
            )
        return cooldown

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_addresses(value)
