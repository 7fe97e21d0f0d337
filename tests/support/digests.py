"""Digest test helpers: settings around a store and an SMTP server, saving items, a sample digest.

``python -m tests.support.digests OUT_DIR`` writes the sample digest (French, two brands) as
``OUT_DIR/sample.html`` and ``OUT_DIR/sample.eml``: what ``scripts/digest_preview.sh`` shoots.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.support.stores import T0, later, make_item
from veille.delivery_settings import SmtpSettings
from veille.digest import DigestReport, send_digests
from veille.settings import Settings, validate_settings
from veille.store import BrandSpec, SourceSpec, Store, StoredItem
from veille.types import SourceState

SOURCES = [
    {"name": "lemonde", "kind": "rss", "options": {"url": "https://www.lemonde.fr/rss/une.xml"}},
    {"name": "gnews", "kind": "google_news"},
    {"name": "hn", "kind": "hackernews"},
]
BRANDS = [{"name": "acme", "query": 'acme OR "acme corp"'}, {"name": "globex", "query": "globex"}]


def digest_settings(
    store: Store,
    smtp: SmtpSettings,
    *digests: dict[str, Any],
    brands: Sequence[dict[str, Any]] = BRANDS,
) -> Settings:
    """Settings for the store fixture's brands and sources, sending through ``smtp``."""
    data: dict[str, Any] = {
        "database_url": store.engine.url.render_as_string(hide_password=False),
        "brands": list(brands),
        "sources": SOURCES,
        "digests": list(digests),
        "schedule": {"timezone": "Europe/Paris"},
    }
    return validate_settings(data).model_copy(update={"smtp": smtp})


def save(
    store: Store,
    *items: StoredItem,
    at: Any = T0,
    source: str = "lemonde",
    brand: str | None = None,
) -> None:
    """Store items as one successful collection of ``source`` (for ``brand``) at ``at``."""
    run_id = store.begin_run(at)
    store.save_collection(
        run_id,
        source,
        brand,
        list(items),
        SourceState(),
        now=at,
        next_check_at=at + timedelta(hours=1),
        not_modified=False,
        duration=0.0,
    )
    store.finish_run(run_id, at, status="ok")


def sample_items() -> list[StoredItem]:
    """French and English mentions of Danone and Michelin: a recall story on three sites."""
    recall = "rappel-yaourts"
    return [
        make_item(
            f"{recall}-{site}",
            brands=("Danone",),
            tone="negative",
            sentiment=-0.72,
            title="Rappel de yaourts : les clients de Danone sont furieux et déçus",
            text="Un rappel massif. Les consommateurs dénoncent une communication "
            "catastrophique et n'ont aucune confiance dans les explications de Danone.",
            author_name=author,
            site=site,
            canonical_url=f"https://www.{site}/conso/{recall}.html",
            fingerprint=recall,
            published_at=later(hours=hours),
        )
        for site, author, hours in (
            ("quotidien-economie.fr", "Paul Durand", 1),
            ("lefigaro.fr", "Anne Leroy", 2),
            ("ouest-france.fr", None, 3),
        )
    ] + [
        make_item(
            "danone-resultats",
            brands=("Danone",),
            tone="positive",
            sentiment=0.81,
            title="Danone annonce des résultats excellents et une croissance remarquable",
            text="Le groupe Danone publie un trimestre très réussi : les ventes progressent "
            "partout, portées par les produits laitiers frais.",
            author_name="Claire Martin",
            site="quotidien-economie.fr",
            published_at=later(hours=-12),
        ),
        make_item(
            "danone-usine",
            brands=("Danone",),
            tone="neutral",
            title="Danone inaugure une nouvelle ligne de production en Normandie",
            text="L'usine de Danone emploiera 120 personnes d'ici la fin de l'année.",
            site="lesechos.fr",
            published_at=later(hours=-16),
        ),
        make_item(
            "michelin-tyres",
            brands=("Michelin",),
            tone="negative",
            sentiment=-0.45,
            lang="en",
            title="Michelin cuts jobs at two European tyre plants",
            text="Unions criticised Michelin's decision, calling it a blow to the region.",
            author_name="J. Smith",
            site="reuters.com",
            platform="news",
            published_at=later(hours=-5),
        ),
        make_item(
            "michelin-guide",
            brands=("Michelin",),
            tone="positive",
            sentiment=0.62,
            title="Le Guide Michelin 2026 récompense trois nouvelles tables à Lyon",
            text="Une belle année pour la gastronomie lyonnaise, selon le Guide Michelin.",
            author_name="@gastrolyon",
            site="mastodon.social",
            platform="mastodon",
            published_at=later(hours=-8),
        ),
    ]


def write_sample(folder: Path) -> DigestReport:
    """Render the sample digest into ``folder`` (a dry run: nothing sent, nothing moved)."""
    with tempfile.TemporaryDirectory() as work:
        store = Store.open(f"sqlite:///{Path(work) / 'veille.db'}")
        try:
            store.sync_config(
                [BrandSpec("Danone", "danone*"), BrandSpec("Michelin", '"Michelin"')],
                [SourceSpec(str(s["name"]), str(s["kind"])) for s in SOURCES],
            )
            for day, count in ((-6, 2), (-5, 4), (-4, 3), (-3, 6), (-2, 2)):
                # Earlier days, already sent in earlier digests: only the chart shows them.
                earlier = [
                    make_item(
                        f"earlier-{day}-{n}",
                        brands=("Danone", "Michelin") if n % 3 == 0 else ("Danone",),
                        published_at=later(days=day),
                    )
                    for n in range(count)
                ]
                save(store, *earlier, at=later(days=day, hours=1))
            save(store, *sample_items(), at=later(hours=4))
            run_id = store.begin_run(later(hours=4))
            store.record_failure(
                run_id,
                "gnews",
                None,
                "gnews: HTTP 503 Service Unavailable from news.google.com",
                now=later(hours=4),
                next_check_at=later(hours=6),
            )
            smtp = SmtpSettings.model_validate({"from": "veille@example.org"})
            brands = [{"name": "Danone", "query": "danone*"}, {"name": "Michelin"}]
            settings = digest_settings(
                store, smtp, {"name": "sample", "to": ["com@example.org"]}, brands=brands
            )
            return send_digests(settings, store, now=later(hours=5), dry_run_dir=folder)
        finally:
            store.close()


if __name__ == "__main__":
    write_sample(Path(sys.argv[1]))
