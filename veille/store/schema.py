"""The mention database schema: SQLAlchemy typed declarative models, mirrored by the migrations.

Tables: ``brands`` and ``sources`` mirror the configuration file; ``source_state`` keeps what each
source remembers between passes; ``documents`` holds one row per distinct piece of content and
``mentions`` one row per (document, brand); ``story_bands`` the near-duplicate keys of each
document (see ``veille/store/stories.py``); ``runs`` and ``run_sources`` record every pass;
``digests`` keeps each emailed digest's watermark and ``digest_sends`` every attempt to send one;
``alerts`` logs every spike alert fired (see ``veille/store/alerts.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

# Stable constraint and index names, so that migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TONES = ("positive", "neutral", "negative")
RUN_STATUSES = ("running", "ok", "partial", "failed")
DIGEST_STATUSES = ("sent", "empty", "failed")
# pending: recorded, not yet sent; recorded: no recipient configured; expired: never delivered
# before its cooldown ended.
ALERT_STATUSES = ("pending", "sent", "failed", "recorded", "expired")


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as a timezone-aware UTC datetime.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so the value is stored as naive
    UTC. Naive datetimes are refused on the way in: their meaning would depend on the machine.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Use ``timestamptz`` where the engine has one, a plain timestamp elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(DateTime(timezone=False))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC (naive UTC on engines without time zones)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use a timezone-aware one")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored value as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base carrying the shared metadata and its naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class BrandRow(Base):
    """A brand as declared in the configuration (inactive once removed from it)."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    query: Mapped[str] = mapped_column(Text)
    languages: Mapped[list[str]] = mapped_column(default=list)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceRow(Base):
    """A source as declared in the configuration (inactive once removed from it)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceStateRow(Base):
    """What one source (for one brand, with search feeds) remembers between passes."""

    __tablename__ = "source_state"
    # brand_key is the brand name or "" for brand-less state: NULLs never collide in a unique
    # constraint, so the nullable brand_id could not make the pair unique.
    __table_args__ = (UniqueConstraint("source_id", "brand_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    brand_key: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(128))
    cursor: Mapped[str | None] = mapped_column(Text)
    next_check_at: Mapped[datetime | None] = mapped_column()
    # Seconds between checks as the last successful one adapted them (migration 0010).
    check_interval: Mapped[float | None] = mapped_column(Float)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column()
    last_ok_at: Mapped[datetime | None] = mapped_column()
    last_new_at: Mapped[datetime | None] = mapped_column()
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class DocumentRow(Base):
    """One distinct piece of content, however many sources and brands saw it."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint("tone IN ('positive', 'neutral', 'negative')", name="tone"),
        Index(None, "published_at"),
        Index(None, "platform"),
        Index(None, "site"),
        Index(None, "tone"),
        Index(None, "lang"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identity: Mapped[str] = mapped_column(Text, unique=True)
    canonical_url: Mapped[str | None] = mapped_column(Text, index=True)
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author_name: Mapped[str | None] = mapped_column(Text)
    author_handle: Mapped[str | None] = mapped_column(Text)
    author_url: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(50))
    site: Mapped[str | None] = mapped_column(String(255))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column()
    collected_at: Mapped[datetime] = mapped_column()
    lang: Mapped[str | None] = mapped_column(String(16))
    sentiment: Mapped[float] = mapped_column(Float)
    tone: Mapped[str] = mapped_column(String(8))
    classifier_version: Mapped[str] = mapped_column(String(100))
    reach: Mapped[int | None] = mapped_column(BigInteger)
    engagement: Mapped[int | None] = mapped_column(BigInteger)
    # The figures as the source names them (likes, reposts, views…); NULL when it gave none.
    # none_as_null: a Python None is stored as SQL NULL, not as the JSON text "null".
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    fingerprint: Mapped[str] = mapped_column(String(128), index=True)
    # The story a document tells: the story of the near-duplicate it joined when it was stored
    # (veille/store/stories.py), else its own fingerprint, which exact copies share.
    story_id: Mapped[str] = mapped_column(String(128), index=True)


# The time mentions are listed and filtered by (veille/store/queries.py ``mention_time``);
# migration 0006.
Index(
    "ix_documents_mention_time",
    func.coalesce(DocumentRow.published_at, DocumentRow.collected_at),
)


class StoryBandRow(Base):
    """One near-duplicate band key of a document; documents sharing a key are compared."""

    __tablename__ = "story_bands"
    # With the document id, a key's most recent holders are the end of its range (migration 0009).
    __table_args__ = (Index(None, "band_key", "document_id"),)

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class MentionRow(Base):
    """A (document, brand) pair: the document names the brand."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("document_id", "brand_id"),
        Index(None, "brand_id", "first_seen_at"),
        # Which brands have mentions with a tone of their own: empty unless a brand opts in,
        # so reads can tell at once whether the document's tone alone decides.
        Index(
            "ix_mentions_targeted_tone",
            "brand_id",
            sqlite_where=text("tone IS NOT NULL"),
            postgresql_where=text("tone IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    matched_terms: Mapped[list[str]] = mapped_column(default=list)
    first_seen_at: Mapped[datetime] = mapped_column()
    # The tone of the sentences naming the brand (brands with tone = "brand"); NULL: the
    # document's. Reads use ``effective_tone`` and ``effective_sentiment`` (queries.py).
    sentiment: Mapped[float | None] = mapped_column(Float)
    tone: Mapped[str | None] = mapped_column(String(16))


class RunRow(Base):
    """One collection pass."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'ok', 'partial', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="running")
    sources_total: Mapped[int] = mapped_column(Integer, default=0)
    sources_failed: Mapped[int] = mapped_column(Integer, default=0)
    new_mentions: Mapped[int] = mapped_column(Integer, default=0)


class RunSourceRow(Base):
    """What one source (for one brand, where per brand) gave during one pass."""

    __tablename__ = "run_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    items_fetched: Mapped[int] = mapped_column(Integer, default=0)
    new_documents: Mapped[int] = mapped_column(Integer, default=0)
    new_mentions: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    warning: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[float] = mapped_column(Float, default=0.0)


class DigestRow(Base):
    """One emailed digest for one recipient set (and brand scope), with its watermark."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("name", "recipients_key", "brands_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The sorted recipient addresses, comma-separated: a digest sent elsewhere has its own row.
    recipients_key: Mapped[str] = mapped_column(Text)
    # "" for the digest's own brands; the sorted brand names when a run narrowed them.
    brands_key: Mapped[str] = mapped_column(Text, default="")
    # The highest mention id included in the last send the mail server accepted.
    watermark: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column()
    last_sent_at: Mapped[datetime | None] = mapped_column()
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set while a process is sending this digest, so that two processes never both send it.
    claimed_at: Mapped[datetime | None] = mapped_column()


class DigestSendRow(Base):
    """One attempt to send a digest: when, how many mentions, and how it ended."""

    __tablename__ = "digest_sends"
    __table_args__ = (CheckConstraint("status IN ('sent', 'empty', 'failed')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column()
    mentions: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    watermark: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class AlertRow(Base):
    """One spike alert: a brand's window that surged, and whether its e-mail was accepted."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint("signal IN ('volume', 'negative')", name="signal"),
        CheckConstraint("horizon IN ('hour', 'day')", name="horizon"),
        CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'recorded', 'expired')", name="status"
        ),
        Index(None, "brand", "signal", "horizon", "fired_at"),
        Index(None, "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand: Mapped[str] = mapped_column(String(200))  # the brand's name, kept if it is removed
    signal: Mapped[str] = mapped_column(String(16))
    horizon: Mapped[str] = mapped_column(String(8))
    fired_at: Mapped[datetime] = mapped_column()  # the check that found it; the window's end
    window_start: Mapped[datetime] = mapped_column()
    count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)  # mean mentions per baseline window
    probability: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)


metadata = Base.metadata
