"""The mention database schema: SQLAlchemy Core tables, mirrored by the migrations.

Tables: ``brands`` and ``sources`` mirror the configuration file; ``source_state`` keeps what each
source remembers between passes; ``documents`` holds one row per distinct piece of content and
``mentions`` one row per (document, brand); ``story_bands`` the near-duplicate keys of each
document (see ``veille/store/stories.py``); ``document_hashtags`` the hashtags each document
writes; ``runs`` and ``run_sources`` record every pass;
``digests`` keeps each emailed digest's watermark and ``digest_sends`` every attempt to send one;
``alerts`` logs every spike alert fired (see ``veille/store/alerts.py``).

Plain Core tables rather than ORM classes: the store reads and writes with Core statements
only, and leaving the ORM out saves every command a tenth of a second of start-up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
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


metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _required(name: str, type_: Any, *args: Any, **options: Any) -> Column[Any]:
    """A NOT NULL column."""
    return Column(name, type_, *args, nullable=False, **options)


def _document_key() -> Column[Any]:
    """The document a row belongs to, first part of its primary key; gone with the document."""
    return Column(
        "document_id",
        Integer,
        ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )


# A brand as declared in the configuration (inactive once removed from it).
brand_table = Table(
    "brands",
    metadata,
    _id(),
    _required("name", String(200), unique=True),
    _required("query", Text),
    _required("languages", JSON, default=list),
    _required("options", JSON, default=dict),
    _required("active", Boolean, default=True),
    _required("created_at", UtcDateTime, default=utcnow),
    _required("updated_at", UtcDateTime, default=utcnow),
    # When its query (or its case sensitivity) changed while it had stored mentions, until
    # ``veille query rematch`` matches all of them again (migration 0027); NULL: they were all
    # found with its current query.
    Column("query_changed_at", UtcDateTime),
)

# A source as declared in the configuration (inactive once removed from it).
source_table = Table(
    "sources",
    metadata,
    _id(),
    _required("name", String(200), unique=True),
    _required("kind", String(50)),
    _required("options", JSON, default=dict),
    _required("active", Boolean, default=True),
    _required("created_at", UtcDateTime, default=utcnow),
    _required("updated_at", UtcDateTime, default=utcnow),
)

# What one source (for one brand, with search feeds) remembers between passes.
source_state_table = Table(
    "source_state",
    metadata,
    _id(),
    _required("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE")),
    Column("brand_id", Integer, ForeignKey("brands.id", ondelete="CASCADE")),
    # The brand name or "" for brand-less state: NULLs never collide in a unique constraint,
    # so the nullable brand_id could not make the pair unique.
    _required("brand_key", String(200), default=""),
    Column("url", Text),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("content_hash", String(128)),
    Column("cursor", Text),
    Column("next_check_at", UtcDateTime),
    # The end of a wait the server asked for with a failure (a 429 or 503's Retry-After, a rate
    # limit's reset), NULL when none: unlike next_check_at, which polling sets, `veille collect
    # --all` leaves the source alone until then, unless it names it (migration 0026).
    Column("server_wait_until", UtcDateTime),
    # Seconds between checks as the last successful one adapted them (migration 0010).
    Column("check_interval", Float),
    # Keys of the items of the last changed answer, space-separated, and the processing setup
    # they were processed under (migration 0012; veille.process.entry_key, processing_setup).
    Column("seen_entries", Text),
    Column("seen_for", String(64)),
    # The pass (runs.id) whose claim holds the state until its lease ends, PostgreSQL only
    # (veille/store/claims.py); NULL once a pass records its check or gives the claim back.
    Column("claimed_by_run", Integer),
    _required("consecutive_failures", Integer, default=0),
    Column("last_error", Text),
    Column("last_error_at", UtcDateTime),
    Column("last_ok_at", UtcDateTime),
    # The first successful collection since the state was created or reset (migration 0021):
    # the mentions it brings are the source's backlog (mentions.backlog).
    Column("first_ok_at", UtcDateTime),
    Column("last_new_at", UtcDateTime),
    _required("disabled", Boolean, default=False),
    Column("disabled_reason", Text),
    UniqueConstraint("source_id", "brand_key"),
)

# One distinct piece of content, however many sources and brands saw it.
document_table = Table(
    "documents",
    metadata,
    _id(),
    _required("identity", Text, unique=True),
    Column("canonical_url", Text, index=True),
    # The page the canonical URL spells, whatever its scheme, www./m./AMP variant or trailing
    # slash (veille.normalize.urls.same_page_key): items are merged on it.
    Column("page_key", Text, index=True),
    Column("url", Text),
    _required("title", Text, default=""),
    _required("text", Text, default=""),
    Column("author_name", Text),
    Column("author_handle", Text),
    Column("author_url", Text),
    _required("platform", String(50)),
    Column("site", String(255)),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="SET NULL")),
    Column("published_at", UtcDateTime),
    _required("collected_at", UtcDateTime),
    Column("lang", String(16)),
    _required("sentiment", Float),
    _required("tone", String(8)),
    _required("classifier_version", String(100)),
    Column("reach", BigInteger),
    Column("engagement", BigInteger),
    # The figures as the source names them (likes, reposts, views…); NULL when it gave none.
    # none_as_null: a Python None is stored as SQL NULL, not as the JSON text "null".
    Column("metrics", JSON(none_as_null=True)),
    _required("fingerprint", String(128), index=True),
    # The story a document tells: the story of the near-duplicate it joined when it was stored
    # (veille/store/stories.py), else its own fingerprint, which exact copies share.
    _required("story_id", String(128), index=True),
    CheckConstraint("tone IN ('positive', 'neutral', 'negative')", name="tone"),
    Index(None, "published_at"),
    Index(None, "platform"),
    Index(None, "site"),
    Index(None, "tone"),
    Index(None, "lang"),
)

# The time mentions are listed and filtered by (veille/store/queries.py ``mention_time``);
# migration 0006.
Index(
    "ix_documents_mention_time",
    func.coalesce(document_table.c.published_at, document_table.c.collected_at),
)

# One near-duplicate band key of a document; documents sharing a key are compared.
story_band_table = Table(
    "story_bands",
    metadata,
    _document_key(),
    Column("band_key", BigInteger, primary_key=True, autoincrement=False),
    # Its document's collected_at in microseconds since 1970 (UTC), so that a key's recent
    # holders are read from this table's index alone (migration 0013).
    Column("collected_us", BigInteger),
    # With the document id, a key's most recent holders are the end of its range (migration
    # 0009); with the collection time, whether each is recent enough is read there too.
    Index(None, "band_key", "document_id", "collected_us"),
)

# A hashtag written in a document's title or text (migration 0011): statistics by hashtag read
# these rows instead of every text (veille/store/hashtags.py).
hashtag_table = Table(
    "document_hashtags",
    metadata,
    _document_key(),
    # Case-folded ("#boycottdanone"): one tag whatever its case.
    Column("hashtag", Text, primary_key=True),
    # As the document writes it ("#BoycottDanone"); the most written spelling names the tag.
    _required("spelling", Text),
)

# Which brands have mentions with a tone of their own: empty unless a brand opts in, so reads
# can tell at once whether the document's tone alone decides. Partial on both engines;
# PostgreSQL's condition is added by ``add_postgresql_options`` once a PostgreSQL engine is made:
# declared here, it would load SQLAlchemy's PostgreSQL dialect in every SQLite command.
_WITH_OWN_TONE = text("tone IS NOT NULL")
targeted_tone_index = Index("ix_mentions_targeted_tone", "brand_id", sqlite_where=_WITH_OWN_TONE)

# A (document, brand) pair: the document names the brand.
mention_table = Table(
    "mentions",
    metadata,
    _id(),
    _required("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE")),
    _required("brand_id", Integer, ForeignKey("brands.id", ondelete="CASCADE")),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="SET NULL")),
    _required("matched_terms", JSON, default=list),
    _required("first_seen_at", UtcDateTime),
    # TRUE when its source's first successful collection (since the state was created or reset)
    # brought it: the source's backlog, published whenever (migration 0023); else NULL.
    Column("backlog", Boolean),
    # The tone of the sentences naming the brand (brands with tone = "brand"); NULL: the
    # document's. Reads use ``effective_tone`` and ``effective_sentiment`` (queries.py).
    Column("sentiment", Float),
    Column("tone", String(16)),
    UniqueConstraint("document_id", "brand_id"),
    Index(None, "brand_id", "first_seen_at"),
    targeted_tone_index,
    # Ids are never given again on SQLite (migration 0027), as on PostgreSQL: a digest's
    # watermark is the highest mention id it sent, and a new mention must not take the id of
    # one removed (prune, rematch) at or below it.
    sqlite_autoincrement=True,
)

# One collection pass.
run_table = Table(
    "runs",
    metadata,
    _id(),
    _required("started_at", UtcDateTime, index=True),
    Column("finished_at", UtcDateTime),
    _required("status", String(16), default="running"),
    _required("sources_total", Integer, default=0),
    _required("sources_failed", Integer, default=0),
    _required("new_mentions", Integer, default=0),
    CheckConstraint("status IN ('running', 'ok', 'partial', 'failed')", name="status"),
)

# What one source (for one brand, where per brand) gave during one pass.
run_source_table = Table(
    "run_sources",
    metadata,
    _id(),
    _required("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), index=True),
    _required("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE")),
    Column("brand_id", Integer, ForeignKey("brands.id", ondelete="CASCADE")),
    # Items the source gave in this pass, worth storing or not, processed or seen before.
    _required("items_fetched", Integer, default=0),
    _required("new_documents", Integer, default=0),
    # New mentions of the row's brand (of every brand for a source not searched per brand),
    # and those of the other brands a search per brand found (migration 0025).
    _required("new_mentions", Integer, default=0),
    _required("new_mentions_other_brands", Integer, default=0),
    _required("not_modified", Boolean, default=False),
    Column("error", Text),
    Column("warning", Text),
    _required("duration_seconds", Float, default=0.0),
)

# One emailed digest for one recipient set (and brand scope), with its watermark.
digest_table = Table(
    "digests",
    metadata,
    _id(),
    _required("name", String(200)),
    # The sorted recipient addresses, comma-separated: a digest sent elsewhere has its own row.
    _required("recipients_key", Text),
    # "" for the digest's own brands; the sorted brand names when a run narrowed them.
    _required("brands_key", Text, default=""),
    # The highest mention id included in the last send the mail server accepted.
    Column("watermark", Integer),
    _required("created_at", UtcDateTime),
    Column("last_sent_at", UtcDateTime),
    Column("last_status", String(16)),
    Column("last_error", Text),
    # Set while a process is sending this digest, so that two processes never both send it.
    Column("claimed_at", UtcDateTime),
    UniqueConstraint("name", "recipients_key", "brands_key"),
)

# One attempt to send a digest: when, how many mentions, and how it ended.
digest_send_table = Table(
    "digest_sends",
    metadata,
    _id(),
    _required("digest_id", Integer, ForeignKey("digests.id", ondelete="CASCADE"), index=True),
    _required("sent_at", UtcDateTime),
    _required("mentions", Integer, default=0),
    _required("status", String(16)),
    Column("watermark", Integer),
    Column("error", Text),
    CheckConstraint("status IN ('sent', 'empty', 'failed')", name="status"),
)

# One spike alert: a brand's window that surged, and whether its e-mail was accepted.
alert_table = Table(
    "alerts",
    metadata,
    _id(),
    _required("brand", String(200)),  # the brand's name, kept if it is removed
    _required("signal", String(16)),
    _required("horizon", String(8)),
    _required("fired_at", UtcDateTime),  # the check that found it; the window's end
    _required("window_start", UtcDateTime),
    _required("count", Integer),
    _required("baseline", Float),  # mean mentions per baseline window
    # Which windows the baseline is the mean of: recent | daily | weekly (migration 0020;
    # NULL: an alert stored before, whose baseline was the recent windows).
    Column("reference", String(8)),
    _required("probability", Float),
    _required("status", String(16), default="pending"),
    _required("attempts", Integer, default=0),
    Column("sent_at", UtcDateTime),
    Column("error", Text),
    CheckConstraint("signal IN ('volume', 'negative')", name="signal"),
    CheckConstraint("horizon IN ('hour', 'day')", name="horizon"),
    CheckConstraint(
        "status IN ('pending', 'sent', 'failed', 'recorded', 'expired')", name="status"
    ),
    Index(None, "brand", "signal", "horizon", "fired_at"),
    Index(None, "status"),
)


# When a scheduled job that leaves no other trace last ran (the spike-alert check), for the
# scheduler's catch-up (migration 0014).
job_run_table = Table(
    "job_runs",
    metadata,
    Column("job", String(32), primary_key=True),
    _required("ran_at", UtcDateTime),
)


# The cut of the last real prune (migration 0016): an item published before it is not stored
# again when a pass reads its source anew (a configuration change, an upgrade), as it would
# come back as a new mention and be mailed again. One row, id 1.
retention_table = Table(
    "retention",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    _required("pruned_before", UtcDateTime),
)

# The documents without a publication date that a prune removed, and when veille first saw them
# (migration 0022): such an item, given again, is timed by that, not by the pass that reads it.
pruned_undated_table = Table(
    "pruned_undated",
    metadata,
    Column("identity", Text, primary_key=True),
    _required("first_seen_at", UtcDateTime),
)


def add_postgresql_options() -> None:
    """Complete the tables with what only PostgreSQL reads (see ``targeted_tone_index``)."""
    options = targeted_tone_index.dialect_kwargs
    if options.get("postgresql_where") is None:  # the dialect's default is None
        options["postgresql_where"] = _WITH_OWN_TONE
