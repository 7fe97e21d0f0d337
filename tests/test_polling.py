"""Adaptive polling: each check lengthens or shortens a source's interval, within bounds."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.feedserver import FeedServer
from tests.support.project import (
    feed_bytes,
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)
from veille.errors import ConfigError, StoreError
from veille.pipeline import run_once
from veille.polling import PollBounds, next_interval, wait_before_next_check
from veille.settings import load_settings
from veille.store import Store
from veille.types import SourceState

HOUR = timedelta(hours=1)
BOUNDS = PollBounds(start=HOUR, shortest=timedelta(minutes=15), longest=timedelta(hours=24))


def test_the_first_check_uses_the_configured_interval() -> None:
    assert next_interval(None, changed=True, bounds=BOUNDS) == HOUR
    assert next_interval(None, changed=False, bounds=BOUNDS) == HOUR


def test_an_unchanged_source_waits_longer_and_a_changed_one_shorter() -> None:
    assert next_interval(HOUR, changed=False, bounds=BOUNDS) == timedelta(minutes=90)
    assert next_interval(HOUR, changed=True, bounds=BOUNDS) == timedelta(minutes=30)


def test_intervals_stay_within_their_bounds() -> None:
    interval = HOUR
    for _ in range(50):
        interval = next_interval(interval, changed=False, bounds=BOUNDS)
    assert interval == timedelta(hours=24)
    for _ in range(50):
        interval = next_interval(interval, changed=True, bounds=BOUNDS)
    assert interval == timedelta(minutes=15)


def test_without_adaptation_every_check_uses_the_configured_interval() -> None:
    fixed = PollBounds(HOUR, timedelta(minutes=15), timedelta(hours=24), adaptive=False)
    assert next_interval(timedelta(hours=5), changed=False, bounds=fixed) == HOUR


def test_the_server_s_hint_lengthens_the_wait_up_to_the_longest_backoff() -> None:
    day = timedelta(days=1)
    assert wait_before_next_check(HOUR, None, day) == HOUR
    assert wait_before_next_check(HOUR, timedelta(minutes=10), day) == HOUR
    assert wait_before_next_check(HOUR, timedelta(hours=3), day) == timedelta(hours=3)
    assert wait_before_next_check(HOUR, timedelta(days=30), day) == day


def _state(config: Path, source: str) -> SourceState:
    store = Store.open(load_settings(config).database_url)
    try:
        return store.load_state(source)
    finally:
        store.close()


@pytest.mark.usefixtures("project_engine")
def test_passes_adapt_each_source_s_interval(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    feed_server.add("/en.atom", feed_bytes("tech_en.atom"), content_type="application/atom+xml")
    config = write_config(
        tmp_path,
        {"fr": feed_server.url("/fr.xml"), "en": feed_server.url("/en.atom")},
        extra='[collect]\ninterval = "2h"\nmin_interval = "20m"\nmax_interval = "5h"\n',
    )

    def collect() -> None:
        result = run(config, "collect", "--all", "--quiet")
        assert result.exit_code == 0, result.output

    collect()
    assert _state(config, "fr").check_interval == timedelta(hours=2)
    collect()  # both answer 304
    assert _state(config, "fr").check_interval == timedelta(hours=3)
    feed_server.set_body("/fr.xml", feed_bytes("economie_fr.xml").replace(b"2026", b"2027"))
    collect()  # fr changed, en did not
    assert _state(config, "fr").check_interval == timedelta(hours=1, minutes=30)
    assert _state(config, "en").check_interval == timedelta(hours=4, minutes=30)
    collect()
    assert _state(config, "en").check_interval == timedelta(hours=5)  # max_interval
    sources = {row["name"]: row for row in _health(config)}
    assert sources["en"]["next_check_at"] > sources["fr"]["next_check_at"]


@pytest.mark.usefixtures("project_engine")
def test_a_feed_that_only_restamps_its_build_date_is_not_changed(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # Many sites write the time of the request into <lastBuildDate>: new bytes, same items.
    feed = feed_bytes("economie_fr.xml")
    feed_server.add("/fr.xml", feed, conditional=False)
    config = write_config(
        tmp_path,
        {"fr": feed_server.url("/fr.xml")},
        extra='[collect]\ninterval = "2h"\nmin_interval = "20m"\nmax_interval = "5h"\n',
    )
    for build in range(3):
        stamp = f"<lastBuildDate>Sun, 29 Nov 2026 0{build}:00:00 +0000</lastBuildDate>"
        feed_server.set_body("/fr.xml", feed.replace(b"<channel>", b"<channel>" + stamp.encode()))
        result = run(config, "collect", "--all", "--quiet")
        assert result.exit_code == 0, result.output
    # 2 h, then ×1.5 twice: checked less often, as an unchanged feed is.
    assert _state(config, "fr").check_interval == timedelta(hours=4, minutes=30)


def _health(config: Path) -> list[dict[str, object]]:
    result = run(config, "sources", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))


def test_settings_refuse_bounds_in_the_wrong_order(tmp_path: Path) -> None:

    config = write_config(
        tmp_path, {}, extra='[collect]\nmin_interval = "2h"\nmax_interval = "1h"\n'
    )
    with pytest.raises(ConfigError, match="min_interval"):
        load_settings(config)


def test_a_pass_reads_each_state_alone_when_reading_them_together_fails(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    feed_server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    config = write_config(tmp_path, {"lesechos": feed_server.url("/fr.xml")})
    assert run(config, "collect", "--all", "--quiet").exit_code == 0

    def failing(_store: Store, _units: object) -> None:
        raise StoreError("the database is locked")

    monkeypatch.setattr(Store, "load_states", failing)
    again = run(config, "collect", "--all", "--quiet")
    # The pass goes on: the source read its own state, so it still asked conditionally.
    assert again.exit_code == 0, again.output
    assert [request.status for request in feed_server.requests("/fr.xml")] == [200, 304]


@pytest.mark.usefixtures("project_engine")
def test_a_pass_as_far_apart_as_the_interval_finds_each_source_due(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # collect = "0 * * * *" with the default hour: each hourly pass must check the source,
    # though it starts a little earlier or later than the one before and the fetch takes time.
    feed_server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    config = write_config(
        tmp_path, {"fr": feed_server.url("/fr.xml")}, extra="[collect]\nadaptive = false\n"
    )
    settings = load_settings(config)
    store = Store.open(settings.database_url)
    try:
        report = run_once(settings, store)
        assert [outcome.error for outcome in report.outcomes] == [None]
        started = report.started_at
        assert store.due_sources(started + HOUR - timedelta(seconds=5)) == ["fr"]
        assert store.due_sources(started + HOUR) == ["fr"]
        # Not much earlier: the interval still sets the pace.
        assert store.due_sources(started + HOUR / 2) == []
    finally:
        store.close()
