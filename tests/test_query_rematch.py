"""``veille query rematch``: a changed brand query applied to the stored mentions, on both engines.

The brand Orange is first configured with a naive query (``title:orange``) that catches the
operator and the fruit; the query is then narrowed and widened in the configuration, as the
README's *Trying a brand query* suggests, and the stored mentions are matched again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.feedserver import FeedServer
from tests.support.project import (
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)
from tests.support.stores import fresh_postgres_database
from veille.settings import load_settings
from veille.store.db import create_store_engine
from veille.store.schema import brand_table, document_table, mention_table

pytestmark = pytest.mark.usefixtures("project_engine")

NAIVE = "title:orange"
# Narrowed to the operator, and widened to an article that names it beside its competitor.
OPERATOR = "orange NEAR/3 opérateur"

# (key, hours ago, site, title, text), newest first.
ITEMS = {
    "fibre": (
        1,
        "telecoms-info.fr",
        "Orange lance une excellente offre fibre",
        "L'opérateur Orange annonce une nouvelle box, très appréciée de ses abonnés.",
    ),
    "panne": (
        2,
        "telecoms-info.fr",
        "Panne géante chez Orange",
        "L'opérateur Orange est en panne depuis ce matin. Les clients sont furieux.",
    ),
    "tarte": (
        3,
        "cuisine-facile.fr",
        "Recette : tarte à l'orange",
        "Pressez une orange bien mûre, ajoutez le zeste et le sucre. Un délice !",
    ),
    "reseau": (
        4,
        "telecoms-info.fr",
        "Bouygues Telecom partage son réseau 5G",
        "Bouygues Telecom s'accorde avec l'opérateur Orange, une excellente nouvelle. "
        "Les élus ruraux sont ravis.",
    ),
    "box": (
        5,
        "telecoms-info.fr",
        "Bouygues Telecom lance une box",
        "Bouygues Telecom présente une box plus rapide.",
    ),
    "jus": (
        24 * 40,
        "agri-marches.fr",
        "Le jus d'orange plus cher cette année",
        "Les récoltes d'oranges au Brésil ont souffert de la sécheresse.",
    ),
    "forfait": (
        0,
        "telecoms-info.fr",
        "Orange baisse ses forfaits",
        "L'opérateur Orange baisse le prix de ses forfaits mobiles.",
    ),
}
FIRST = ("fibre", "panne", "tarte", "reseau", "box", "jus")
TITLES = {key: item[2] for key, item in ITEMS.items()}


def _brands(orange_query: str) -> str:
    return f"""
[[brands]]
name = "Orange"
query = "{orange_query}"
tone = "brand"

[[brands]]
name = "Bouygues"
query = '"Bouygues Telecom"'
"""


def _feed(keys: tuple[str, ...], now: datetime) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>https://www.{site}/{key}</link>"
        f"<description>{text}</description>"
        f"<pubDate>{format_datetime(now - timedelta(hours=hours))}</pubDate></item>"
        for key, (hours, site, title, text) in ITEMS.items()
        if key in keys
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>Actualités</title><link>https://www.telecoms-info.fr/</link><language>fr</language>"
        f"{items}</channel></rss>"
    ).encode()


class Project:
    """A project collecting one feed, whose Orange query the tests change."""

    def __init__(self, server: FeedServer, directory: Path, query: str, keys: tuple[str, ...]):
        self.server = server
        self.now = datetime.now(UTC)
        server.add("/actu.xml", _feed(keys, self.now))
        self.directory = directory
        self.config = write_config(directory, {"actu": server.url("/actu.xml")})
        self.configure(query)

    def configure(self, orange_query: str) -> None:
        """Write the configuration with this query for Orange (the rest unchanged)."""
        self.config = write_config(
            self.directory, {"actu": self.server.url("/actu.xml")}, extra=_brands(orange_query)
        )

    def serve(self, keys: tuple[str, ...]) -> None:
        self.server.set_body("/actu.xml", _feed(keys, self.now))

    def collect(self) -> str:
        """A pass over every source; its standard error."""
        result = run(self.config, "collect", "--all", "--quiet")
        assert result.exit_code == 0, result.output
        return result.stderr

    def json(self, *args: str) -> dict[str, object]:
        result = run(self.config, *args, "--quiet", "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    def mentions(self, brand: str) -> dict[str, dict[str, object]]:
        """The brand's stored mentions by item key."""
        result = run(self.config, "mentions", "--brand", brand, "--format", "json")
        assert result.exit_code == 0, result.output
        keys = {title: key for key, title in TITLES.items()}
        return {keys[mention["title"]]: mention for mention in json.loads(result.stdout)}


@pytest.fixture
def project(feed_server: FeedServer, tmp_path: Path) -> Project:
    """Orange configured with the naive query, the first items collected."""
    project = Project(feed_server, tmp_path, NAIVE, FIRST)
    project.collect()
    return project


def _predicted(project: Project, query: str, *since: str) -> dict[str, object]:
    """What ``query test --brand Orange`` says of a query: the brand's counts."""
    report = project.json("query", "test", query, "--brand", "Orange", *since)
    return {"mentions": report["mentions"], "added": report["added"]}


def _rematched(report: dict[str, object], brand: str) -> dict[str, object]:
    brands = report["brands"]
    assert isinstance(brands, list)
    found = next(entry for entry in brands if entry["brand"] == brand)
    return {"mentions": found["mentions"], "added": found["added"]}


def test_rematch_makes_the_stored_mentions_what_query_test_predicted(project: Project) -> None:
    assert set(project.mentions("Orange")) == {"fibre", "panne", "tarte", "jus"}
    documents = project.json("query", "test", "orange", "--since", "90d")["documents"]
    predicted = _predicted(project, OPERATOR, "--since", "90d")
    assert predicted == {"mentions": {"total": 4, "kept": 2, "dropped": 2}, "added": 1}
    recent = _predicted(project, OPERATOR)  # the default 30 days leave out "jus"
    project.configure(OPERATOR)
    # A dry run counts as query test does, over every document or those of a period, and
    # writes nothing.
    dry = project.json("query", "rematch", "--dry-run")
    assert _rematched(dry, "Orange") == predicted
    assert _rematched(dry, "Bouygues")["mentions"] == {"total": 2, "kept": 2, "dropped": 0}
    assert dry["saved"] == {"removed": 0, "rewritten": 0, "added": 0}
    dry_recent = project.json("query", "rematch", "--dry-run", "--since", "30d")
    assert _rematched(dry_recent, "Orange") == recent
    assert set(project.mentions("Orange")) == {"fibre", "panne", "tarte", "jus"}

    done = project.json("query", "rematch", "--brand", "orange")
    assert _rematched(done, "Orange") == predicted
    # The kept ones were found by the old query's term alone: they take the new terms.
    assert done["saved"] == {"removed": 2, "rewritten": 2, "added": 1}
    mentions = project.mentions("Orange")
    assert set(mentions) == {"fibre", "panne", "reseau"}
    assert all(m["matched"] == ["orange", "opérateur"] for m in mentions.values())
    # The stored mentions are now what the configured query finds: query test agrees.
    assert _predicted(project, OPERATOR, "--since", "90d") == {
        "mentions": {"total": 3, "kept": 3, "dropped": 0},
        "added": 0,
    }
    again = run(project.config, "query", "rematch", "--dry-run", "--quiet")
    assert again.exit_code == 0, again.output
    assert "the stored mentions are what the queries find" in again.stdout
    # Documents stay, those no brand mentions any more too; the other brand is untouched.
    assert project.json("query", "test", "orange", "--since", "90d")["documents"] == documents
    assert set(project.mentions("Bouygues")) == {"reseau", "box"}


def test_the_same_configuration_gives_the_same_mentions_as_a_fresh_installation(
    project: Project,
    feed_server: FeedServer,
    tmp_path: Path,
    project_engine: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project.configure(OPERATOR)
    table = run(project.config, "query", "rematch", "--quiet")
    assert table.exit_code == 0, table.output
    assert "Orange: of its 4 current mention(s), 2 kept (2 of them with other terms" in table.stdout
    assert "2 mention(s) removed, 2 rewritten and 1 added." in table.stdout

    def seen(mentions: dict[str, dict[str, object]]) -> dict[str, tuple[object, ...]]:
        return {key: (m["matched"], m["tone"], m["sentiment"]) for key, m in mentions.items()}

    rematched = {brand: seen(project.mentions(brand)) for brand in ("Orange", "Bouygues")}
    # The brand's own tone is that of the sentences naming the operator.
    assert rematched["Orange"]["panne"][1] == "negative"
    assert rematched["Orange"]["reseau"][1] == "positive"
    with _another_database(project_engine, monkeypatch):
        fresh = Project(feed_server, tmp_path / "fresh", OPERATOR, FIRST)
        fresh.collect()
        assert {brand: seen(fresh.mentions(brand)) for brand in rematched} == rematched


@contextmanager
def _another_database(engine: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The commands run in the block use a database of their own (SQLite: the project's file)."""
    with ExitStack() as stack:
        if engine == "postgresql":
            url = stack.enter_context(fresh_postgres_database())
            monkeypatch.setenv("VEILLE_DATABASE_URL", url)
        yield


def test_a_pass_says_which_queries_changed_until_a_whole_rematch(project: Project) -> None:
    assert "note:" not in project.collect()
    project.configure(OPERATOR)
    note = project.collect()
    assert "note: 'Orange''s query changed after some of its stored mentions were found" in note
    assert "`veille query rematch --brand Orange --dry-run`" in note
    # Said at every pass, until every stored mention was matched with the new query.
    assert "'Orange''s query changed" in project.collect()
    assert run(project.config, "query", "rematch", "--dry-run", "-q").exit_code == 0
    assert run(project.config, "query", "rematch", "--since", "7d", "-q").exit_code == 0
    assert "'Orange''s query changed" in project.collect()
    assert run(project.config, "query", "rematch", "--brand", "Bouygues", "-q").exit_code == 0
    assert "'Orange''s query changed" in project.collect()
    assert run(project.config, "query", "rematch", "-q").exit_code == 0
    assert "note:" not in project.collect()


def test_a_brand_without_mentions_has_nothing_to_match_again(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    project = Project(feed_server, tmp_path, "sosh", FIRST)
    project.collect()
    project.configure("title:sosh")
    assert "note:" not in project.collect()


def test_query_test_says_what_becomes_of_the_stored_mentions(project: Project) -> None:
    tried = run(project.config, "query", "test", OPERATOR, "--brand", "Orange", "--quiet")
    assert tried.exit_code == 0, tried.output
    assert "note: nothing is changed: the stored mentions stay as they were found" in tried.stderr
    assert "`veille query rematch --brand Orange` makes these changes" in tried.stderr
    project.configure(OPERATOR)
    configured = run(project.config, "query", "test", OPERATOR, "--brand", "Orange", "--quiet")
    assert "note: this is Orange's configured query" in configured.stderr
    assert run(project.config, "query", "rematch", "--quiet").exit_code == 0
    after = run(project.config, "query", "test", OPERATOR, "--brand", "Orange", "--quiet")
    assert "0 dropped; 0 other document(s) newly kept" in after.stdout
    assert "note:" not in after.stderr


def test_a_removed_mention_s_id_is_never_given_again(project: Project) -> None:
    # The last mention stored has the highest id: the one a digest's watermark may stand at.
    project.serve((*FIRST, "forfait"))
    project.collect()
    newest = project.mentions("Orange")["forfait"]
    narrowed = "title:orange NOT forfait*"
    project.configure(narrowed)
    done = project.json("query", "rematch")
    assert done["saved"] == {"removed": 1, "rewritten": 0, "added": 0}
    project.configure(NAIVE)
    project.collect()
    # Found again by the widened query: a new mention, with a new id.
    found_again = project.mentions("Orange")["forfait"]
    assert isinstance(found_again["id"], int) and isinstance(newest["id"], int)
    assert found_again["id"] > newest["id"]


def test_a_prune_keeps_the_recent_documents_a_rematch_left_without_mention(
    project: Project,
) -> None:
    project.configure(OPERATOR)
    assert run(project.config, "query", "rematch", "--quiet").exit_code == 0
    dry = run(project.config, "prune", "--older-than", "30d", "--dry-run")
    assert dry.exit_code == 0, dry.output
    pruned = run(project.config, "prune", "--older-than", "30d")
    assert pruned.exit_code == 0, pruned.output
    # The old one goes (its mention is old); the recipe of an hour ago stays, with no mention.
    kept = project.json("query", "test", "title:orange", "--since", "90d")
    titles = {entry["title"] for entry in kept["listed"]}  # type: ignore[union-attr]
    assert TITLES["tarte"] in titles and TITLES["jus"] not in titles
    widened = project.json("query", "test", "orange", "--brand", "Orange", "--since", "90d")
    assert widened["added"] == 1


def test_a_mention_a_rematch_adds_keeps_its_document_s_backlog_mark(project: Project) -> None:
    # The first collection is the source's first: its mentions are its backlog, which alerts
    # leave out when undated. Orange's new mention of « reseau » comes from that collection too.
    project.configure(OPERATOR)
    done = project.json("query", "rematch", "--brand", "orange")
    saved = done["saved"]
    assert isinstance(saved, dict) and saved["added"] == 1
    settings = load_settings(project.config)
    engine = create_store_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            marks = dict(
                connection.execute(
                    select(brand_table.c.name, mention_table.c.backlog)
                    .join(brand_table, brand_table.c.id == mention_table.c.brand_id)
                    .join(document_table, document_table.c.id == mention_table.c.document_id)
                    .where(document_table.c.title == TITLES["reseau"])
                ).all()
            )
    finally:
        engine.dispose()
    assert marks == {"Bouygues": True, "Orange": True}
