"""Google Alerts delivered as a feed: the Atom URL a user gets from Google Alerts.

An alert created with "Deliver to: RSS feed" has an address such as
``https://www.google.com/alerts/feeds/USER_ID/ALERT_ID``. Google runs the search; veille reads
the feed like any other (conditional GET, by :class:`~veille.collectors.rss.RssCollector`) and
fixes what is particular to alerts: every link is a ``google.com/url?…&url=REAL`` wrapper, the
matched words are wrapped in ``<b>`` highlights, and the feed's title names the alert, not the
publisher of each article.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from veille.collectors.api import advanced_state
from veille.collectors.base import validate_options
from veille.collectors.rss import RssCollector, RssOptions
from veille.errors import FatalSourceError
from veille.normalize.domains import registrable_domain
from veille.normalize.urls import unwrap_redirect
from veille.types import Collected, RawMention, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

_HIGHLIGHT = re.compile(r"</?b\s*>", re.IGNORECASE)
_GONE_HINT = (
    "the alert was deleted or its feed address is wrong: in Google Alerts, open the alert's "
    "options, choose 'Deliver to: RSS feed', and paste the feed's address as this source's url"
)


class GoogleAlertsOptions(BaseModel):
    """Options of a ``google_alerts`` source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(
        description="the alert's feed address, https://www.google.com/alerts/feeds/USER/ALERT"
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ValueError("must be the alert's feed address (https://www.google.com/alerts/…)")
        return value


def unhighlighted(text: str) -> str:
    """Text or HTML without the ``<b>`` highlights Google puts around the matched words."""
    return _HIGHLIGHT.sub("", text)


def _article(mention: RawMention) -> RawMention:
    """One alert entry as veille keeps it: real link, publisher's site, no highlights."""
    real = unwrap_redirect(mention.url) if mention.url else None
    parts = urlsplit(real) if real else None
    site_url = f"{parts.scheme}://{parts.netloc}" if parts and parts.netloc else None
    return replace(
        mention,
        url=real,
        # Entry ids belong to one alert: the article URL identifies it across alerts and
        # other news sources.
        guid=None,
        title=unhighlighted(mention.title),
        content_html=unhighlighted(mention.content_html),
        site_name=registrable_domain(site_url) if site_url else None,
        site_url=site_url,
        platform="news",
        extra={**mention.extra, "alert_entry_id": mention.guid} if mention.guid else mention.extra,
    )


class GoogleAlertsCollector:
    """One Google Alert's feed (the alert holds the query; one source is one alert)."""

    kind: ClassVar[str] = "google_alerts"
    options_model: ClassVar[type[BaseModel]] = GoogleAlertsOptions
    per_brand: ClassVar[bool] = False

    def __init__(self, source_name: str, options: BaseModel | Mapping[str, object]) -> None:
        self.source_name = source_name
        self.options = validate_options(GoogleAlertsOptions, options, source=source_name)
        self._feed = RssCollector(source_name, RssOptions(url=self.options.url, platform="news"))

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None = None,
        since: datetime | None = None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Fetch the alert's feed (conditional GET) and return the articles not seen yet.

        ``query`` and ``languages`` are not used: they are set in the alert itself.
        """
        try:
            # Like a search feed, the watermark does not filter: Google adds late-found
            # articles with older dates, and the store recognises those it already has.
            collected = await self._feed.collect(fetcher, state, query=None, since=since)
        except FatalSourceError as exc:
            if exc.status not in (404, 410):
                raise
            raise FatalSourceError(
                exc.message, source=exc.source, url=exc.url, status=exc.status, hint=_GONE_HINT
            ) from exc
        mentions = [_article(mention) for mention in collected.mentions]
        return replace(
            collected, mentions=mentions, state=advanced_state(collected.state, mentions)
        )
