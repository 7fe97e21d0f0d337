"""Alert checks end to end: a store on SQLite and PostgreSQL, a real SMTP server, a set clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from tests.support.digests import digest_settings, save
from tests.support.smtpserver import SmtpServer
from tests.support.stores import T0, configure, make_item, store_fixture  # noqa: F401
from veille.alerts import check_alerts, find_spikes
from veille.settings import Settings
from veille.store import Store, StoredItem
from veille.store.schema import brand_table

NOW = T0 + timedelta(days=15)
HOSTILE_TITLE = "acme <script>alert('x')</script> rappel"
HOSTILE_TEXT = "<img src=x onerror=alert(1)> acme <b>unclosed <a href='javascript:alert(2)'>"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1."""
    with SmtpServer() as server:
        yield server


def settings_for(store: Store, smtp: SmtpServer, **alerts: Any) -> Settings:
    """Settings of the store fixture's brands, alerting com@example.org through ``smtp``."""
    settings = digest_settings(store, smtp.smtp_settings())
    values = {"to": ("com@example.org",), "language": "fr", **alerts}
    return settings.model_copy(update={"alerts": settings.alerts.model_copy(update=values)})


def backdate_brands(store: Store, when: datetime) -> None:
    """Make every brand look configured since ``when`` (veille watched it from then on)."""
    with store.engine.begin() as connection:
        connection.execute(update(brand_table).values(created_at=when))


def background(store: Store) -> None:
    """Two weeks of ordinary traffic for acme: 20 mentions a day (6 negative), 1 an hour lately."""
    backdate_brands(store, NOW - timedelta(days=30))
    items: list[StoredItem] = []
    for day in range(1, 15):
        moment = NOW - timedelta(days=day, hours=1)
        items += [
            make_item(
                f"d{day}-{n}",
                tone="negative" if n < 6 else "neutral",
                published_at=moment,
            )
            for n in range(20)
        ]
    items += [
        make_item(f"h{hours}", published_at=NOW - timedelta(hours=hours, minutes=30))
        for hours in range(1, 23)
    ]
    save(store, *items, at=NOW - timedelta(minutes=30))


def surge(store: Store, at: Any = NOW, *, count: int = 25, negative: int = 15) -> None:
    """``count`` acme mentions in the 10 minutes before ``at``, ``negative`` of them negative."""
    items = [
        make_item(
            f"s{at:%H%M}-{n}",
            tone="negative" if n < negative else "neutral",
            published_at=at - timedelta(minutes=10),
            engagement=n,
        )
        for n in range(count)
    ]
    save(store, *items, at=at - timedelta(minutes=5))


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML parts of a message."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_a_surge_sends_one_email_listing_its_spikes(store: Store, smtp: SmtpServer) -> None:
    background(store)
    surge(store)
    report = check_alerts(settings_for(store, smtp), store, now=NOW)
    assert report.status == "sent"
    assert {(s.brand, s.signal, s.horizon) for s in report.spikes} == {
        ("acme", "volume", "hour"),
        ("acme", "negative", "hour"),
    }
    [message] = smtp.messages
    assert message["To"] == "com@example.org"
    assert message["Subject"] == "veille — 2 alertes : acme (2)"
    text, html = parts(message)
    assert (
        "acme : 15 mentions négatives dans la dernière heure (aucune sur les 12 h précédentes)"
        in text
    )
    assert "acme : 25 mentions dans la dernière heure, 25× la normale (1/h sur 12 h)" in text
    # The most engaged first: the volume alert lists s0930-24, s0930-23…; the negative one 14, 13…
    assert text.index("Title s0930-24") < text.index("Title s0930-23")
    assert "Title s0930-20" in text and "Title s0930-14" in text
    assert "Title s0930-19" not in text  # five mentions per alert
    assert "acme : 15 mentions négatives" in html and "https://www.lemonde.fr/s0930-24" in html
    records = store.list_alerts()
    assert [(r.signal, r.status, r.attempts) for r in records] == [
        ("volume", "sent", 1),
        ("negative", "sent", 1),
    ]


def test_flat_traffic_sends_nothing(store: Store, smtp: SmtpServer) -> None:
    background(store)
    report = check_alerts(settings_for(store, smtp), store, now=NOW)
    assert (report.status, report.spikes, smtp.messages) == ("quiet", [], [])
    assert store.list_alerts() == []
    assert store.last_alert_check() == NOW  # a quiet check is still one, for the scheduler


def test_cooldown_keeps_a_rising_surge_quiet(store: Store, smtp: SmtpServer) -> None:
    settings = settings_for(store, smtp)
    background(store)
    surge(store)
    assert check_alerts(settings, store, now=NOW).status == "sent"
    # An hour later the surge goes on: a spike again, but the cooldown holds it back.
    surge(store, NOW + timedelta(hours=1), count=12, negative=0)
    assert ("acme", "volume", "hour") in {
        (s.brand, s.signal, s.horizon)
        for s in find_spikes(settings, store, NOW + timedelta(hours=1))
    }
    later = check_alerts(settings, store, now=NOW + timedelta(hours=1))
    assert (later.status, later.spikes, later.alerts) == ("quiet", [], [])
    assert len(smtp.messages) == 1
    # After the cooldown a new, larger surge alerts again.
    surge(store, NOW + timedelta(hours=7), count=200, negative=0)
    again = check_alerts(settings, store, now=NOW + timedelta(hours=7))
    assert [(s.signal, s.horizon) for s in again.spikes] == [("volume", "hour"), ("volume", "day")]
    assert len(smtp.messages) == 2 and len(store.list_alerts()) == 4


def test_a_surge_that_did_not_grow_does_not_alert_again(store: Store, smtp: SmtpServer) -> None:
    settings = settings_for(store, smtp)
    backdate_brands(store, NOW - timedelta(days=30))
    surge(store, count=12, negative=12)
    first = check_alerts(settings, store, now=NOW)
    assert {(r.signal, r.horizon) for r in first.alerts} == {
        ("volume", "hour"),
        ("negative", "hour"),
        ("volume", "day"),
        ("negative", "day"),
    }
    # One surge, four alerts, one e-mail: each of its mentions is listed once.
    text, html = parts(smtp.messages[0])
    assert text.count("Title s0930-11") == 1 and html.count("Title s0930-11") == 1
    assert "Les mentions qui portent ces pics :" in text
    assert text.count("Toutes les mentions : ") == 1
    # Every mention of the widest window, negative or not, as the volume alerts count them.
    assert "veille mentions --brand acme --since 2026-03-16T09:30Z\r\n" in text
    # The day windows hold the same twelve mentions until tomorrow: nothing new to say.
    for hours in (1, 3, 6.1, 8, 12.3, 18.5, 23):
        report = check_alerts(settings, store, now=NOW + timedelta(hours=hours))
        assert (report.status, report.spikes) == ("quiet", []), hours
    assert len(smtp.messages) == 1
    # Twelve more: the day windows doubled, and the hour ones surge again.
    later = NOW + timedelta(hours=23, minutes=30)
    surge(store, later, count=12, negative=12)
    again = check_alerts(settings, store, now=later)
    assert len(again.spikes) == 4 and len(smtp.messages) == 2


def test_the_usual_busy_hour_is_no_surge_and_a_real_one_says_its_baseline(
    store: Store, smtp: SmtpServer
) -> None:
    settings = settings_for(store, smtp)
    backdate_brands(store, NOW - timedelta(days=30))
    # Every morning 10 mentions between 9:30 and 10:30 in Paris, and nothing at night.
    usual = [
        make_item(f"m{day}-{n}", published_at=NOW - timedelta(days=day, minutes=5 + 5 * n))
        for day in range(0, 15)
        for n in range(10)
    ]
    save(store, *usual, at=NOW - timedelta(minutes=1))
    # The last hour is many times the night before it, but the usual for that hour.
    assert check_alerts(settings, store, now=NOW).status == "quiet"
    surge(store, count=30, negative=0)
    report = check_alerts(settings, store, now=NOW)
    assert [(s.signal, s.horizon, s.reference) for s in report.spikes] == [
        ("volume", "hour", "daily"),
        ("volume", "day", "recent"),
    ]
    text, html = parts(smtp.messages[0])
    line = (
        "acme : 40 mentions dans la dernière heure, 4× la normale "
        "(10/h à la même heure sur 14 jours)"
    )
    assert line in text and line in html
    assert (
        "acme : 40 mentions dans les dernières 24 heures, 4× la normale (10/jour sur 14 jours)"
        in text
    )
    assert [r.reference for r in store.list_alerts()] == ["daily", "recent"]


def test_the_undated_backlog_of_a_new_source_is_no_spike(store: Store, smtp: SmtpServer) -> None:
    settings = settings_for(store, smtp)
    background(store)

    def undated(name: str, at: datetime) -> None:
        """A collection of hn at ``at`` bringing 20 acme items without a date."""
        items = [make_item(f"{name}-{n}", published_at=None) for n in range(20)]
        save(store, *items, at=at, source="hn")

    # Its first collection brings items published whenever: they have no time to count at.
    undated("backlog", NOW - timedelta(minutes=5))
    assert check_alerts(settings, store, now=NOW).status == "quiet"
    # The next one's are new since the collection before: a surge in the last hour.
    undated("new", NOW + timedelta(minutes=55))
    report = check_alerts(settings, store, now=NOW + timedelta(hours=1))
    assert [(s.signal, s.horizon, s.count) for s in report.spikes] == [("volume", "hour", 20)]
    text, _ = parts(smtp.messages[0])
    assert "Title new-" in text and "Title backlog-" not in text
    # Changed settings (another address, perhaps): its next collection is a first one again.
    configure(store, hn_options={"tags": "story"})
    undated("moved", NOW + timedelta(hours=8))
    assert find_spikes(settings, store, NOW + timedelta(hours=8, minutes=5)) == []


def test_changed_settings_leave_out_the_next_backlog_not_the_mentions_seen_before(
    store: Store, smtp: SmtpServer
) -> None:
    settings = settings_for(store, smtp)
    backdate_brands(store, NOW - timedelta(days=30))

    def undated(name: str, at: datetime, count: int = 20) -> None:
        """A collection of gnews for acme at ``at`` bringing ``count`` acme items without a date."""
        items = [make_item(f"{name}-{n}", published_at=None) for n in range(count)]
        save(store, *items, at=at, source="gnews", brand="acme")

    def counted(until: datetime) -> int:
        """How many acme mentions alerts count, seen by ``until``."""
        return len(store.alert_events(["acme"], NOW - timedelta(days=20), until))

    # Its first collection, its backlog; then 20 new items a day, at the same time each day.
    undated("backlog", NOW - timedelta(days=15))
    for day in range(14, 0, -1):
        undated(f"d{day}", NOW - timedelta(days=day) + timedelta(minutes=55))
    assert counted(NOW) == 14 * 20

    # A new query: the next collection may bring another backlog, left out; those seen before
    # (and not the first backlog) still count, so the day's ordinary 20 after it are no spike.
    configure(store, acme_query='acme OR "acme inc"')
    undated("requeried", NOW + timedelta(minutes=5))
    assert counted(NOW + timedelta(minutes=10)) == 14 * 20
    undated("today", NOW + timedelta(minutes=55))
    assert counted(NOW + timedelta(hours=1)) == 15 * 20
    assert find_spikes(settings, store, NOW + timedelta(hours=1)) == []

    # Another address: its first collection's backlog is left out too, and nothing else.
    configure(store, acme_query='acme OR "acme inc"', gnews_options={"hl": "en"})
    undated("moved", NOW + timedelta(hours=2), count=40)
    assert counted(NOW + timedelta(hours=3)) == 15 * 20
    assert find_spikes(settings, store, NOW + timedelta(hours=2, minutes=5)) == []


def test_a_failed_send_is_retried_by_the_next_check_not_detected_again(
    store: Store, smtp: SmtpServer
) -> None:
    settings = settings_for(store, smtp)
    background(store)
    surge(store)
    smtp.mode = "reject"
    failed = check_alerts(settings, store, now=NOW)
    assert failed.status == "failed" and "554" in (failed.error or "")
    assert {r.status for r in store.list_alerts()} == {"failed"}
    smtp.mode = "ok"
    retry = check_alerts(settings, store, now=NOW + timedelta(hours=1))
    assert (retry.status, retry.spikes, retry.retried) == ("sent", [], 2)
    [message] = smtp.messages
    text, _ = parts(message)
    assert text.count("envoi retardé, détecté le 17 mars 10:30") == 2  # Europe/Paris
    assert "Title s0930-24" in text  # the window of the detection, not of the retry
    assert [(r.status, r.attempts) for r in store.list_alerts()] == [("sent", 2), ("sent", 2)]
    assert check_alerts(settings, store, now=NOW + timedelta(hours=2)).status == "quiet"
    assert len(smtp.messages) == 1


def test_an_alert_undelivered_past_its_cooldown_expires(store: Store, smtp: SmtpServer) -> None:
    settings = settings_for(store, smtp)
    background(store)
    surge(store)
    smtp.mode = "close"
    assert check_alerts(settings, store, now=NOW).status == "failed"
    smtp.mode = "ok"
    report = check_alerts(settings, store, now=NOW + timedelta(hours=7))
    assert (report.status, report.alerts) == ("quiet", [])
    assert {r.status for r in store.list_alerts()} == {"expired"}
    assert smtp.messages == []


def test_without_recipients_spikes_are_recorded_not_sent(store: Store, smtp: SmtpServer) -> None:
    settings = settings_for(store, smtp, to=())
    background(store)
    surge(store)
    report = check_alerts(settings, store, now=NOW)
    assert report.status == "recorded" and len(report.alerts) == 2
    assert {r.status for r in store.list_alerts()} == {"recorded"}
    assert check_alerts(settings, store, now=NOW + timedelta(minutes=30)).status == "quiet"
    assert smtp.messages == []


def test_dry_run_writes_the_email_and_records_nothing(
    store: Store, smtp: SmtpServer, tmp_path: Path
) -> None:
    settings = settings_for(store, smtp, language="en")
    background(store)
    surge(store)
    report = check_alerts(settings, store, now=NOW, dry_run_dir=tmp_path / "out")
    assert report.status == "dry-run" and len(report.spikes) == 2
    eml, page = report.files
    assert eml.name == "alerts-20260317T0930Z.eml"
    assert "acme: 15 negative mentions in the last hour (none in the previous 12 h)" in (
        page.read_text(encoding="utf-8")
    )
    assert store.list_alerts() == [] and smtp.messages == []
    assert store.last_alert_check() is None  # nor is the check counted as made
    assert check_alerts(settings, store, now=NOW).status == "sent"


def test_hostile_feed_content_arrives_inert(store: Store, smtp: SmtpServer) -> None:
    background(store)
    items = [
        make_item(
            f"evil-{n}",
            tone="negative",
            title=HOSTILE_TITLE,
            text=HOSTILE_TEXT,
            author_name="<b>Mallory</b>",
            author_url="javascript:alert(3)",
            canonical_url=f"javascript:alert({n})",
            url=f"javascript:alert({n})",
            published_at=NOW - timedelta(minutes=20),
        )
        for n in range(20)
    ]
    save(store, *items, at=NOW - timedelta(minutes=10))
    assert check_alerts(settings_for(store, smtp), store, now=NOW).status == "sent"
    text, html = parts(smtp.messages[0])
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert 'href="javascript' not in html.lower() and "href='javascript" not in html.lower()
    assert "javascript:alert(0)" not in html  # the mentions' own links were dropped
    assert "&lt;script&gt;" in html and "&lt;b&gt;Mallory&lt;/b&gt;" in html
    assert "javascript:" not in text.replace(HOSTILE_TEXT, "")
    assert HOSTILE_TITLE in text  # plain text shows it as it is, inert


def test_alert_headlines_write_numbers_as_their_readers_do() -> None:
    from veille.alerts.wording import headline
    from veille.store.alerts import AlertRecord

    big = AlertRecord("Crédit Agricole", "negative", "day", NOW, NOW, 1235, 0.0, 0.0)
    assert headline(big, "fr", detail=False) == (
        "Crédit Agricole : 1\u202f235 mentions négatives dans les dernières 24 heures"
    )
    assert headline(big, "en", detail=False) == (
        "Crédit Agricole: 1,235 negative mentions in the last 24 hours"
    )


def test_an_alert_says_how_long_veille_really_watched_the_brand(
    store: Store, smtp: SmtpServer
) -> None:
    backdate_brands(store, NOW - timedelta(days=3, hours=2))
    surge(store, count=12, negative=12)
    assert check_alerts(settings_for(store, smtp), store, now=NOW).status == "sent"
    text, html = parts(smtp.messages[0])
    # Two whole days watched before the last 24 hours, not fourteen.
    assert "dernières 24 heures (aucune sur les 2 jours précédents)" in text
    assert "14 jours" not in text and "14 jours" not in html
    assert "dernière heure (aucune sur les 12 h précédentes)" in text


def test_a_baseline_of_one_window_is_said_in_the_singular() -> None:
    from veille.alerts.wording import headline
    from veille.store.alerts import AlertRecord

    day = AlertRecord("acme", "volume", "day", NOW, NOW, 12, 0.0, 0.0, baseline_windows=1)
    assert headline(day, "fr").endswith("(aucune sur le jour précédent)")
    assert headline(day, "en").endswith("(none in the previous day)")
    hour = AlertRecord("acme", "volume", "hour", NOW, NOW, 12, 1.5, 0.0, baseline_windows=1)
    assert headline(hour, "fr").endswith("(1,5/h sur 1 h)")
    assert headline(hour, "en").endswith("(1.5/h over 1 h)")


@pytest.mark.parametrize(
    ("reference", "horizon", "windows", "french", "english"),
    [
        (
            "daily", "hour", 14,
            "(7,5/h à la même heure sur 14 jours)", "(7.5/h at the same hour over 14 days)",
        ),
        (
            "daily", "hour", 1,
            "(7,5/h à la même heure sur 1 jour)", "(7.5/h at the same hour over 1 day)",
        ),
        (
            "weekly", "hour", 2,
            "(7,5/h le même jour de la semaine à la même heure sur 2 semaines)",
            "(7.5/h on the same weekday at the same hour over 2 weeks)",
        ),
        (
            "weekly", "day", 1,
            "(7,5/jour le même jour de la semaine sur 1 semaine)",
            "(7.5/day on the same weekday over 1 week)",
        ),
        ("weekly", "day", None, "sur 2 semaines)", "over 2 weeks)"),
    ],
)  # fmt: skip
def test_an_alert_says_which_usual_level_it_stands_out_of(
    reference: str, horizon: str, windows: int | None, french: str, english: str
) -> None:
    from veille.alerts.wording import headline
    from veille.store.alerts import AlertRecord

    record = AlertRecord(
        "acme", "volume", horizon, NOW, NOW, 60, 7.5, 0.0,
        reference=reference, baseline_windows=windows,
    )  # fmt: skip
    assert headline(record, "fr").endswith(french)
    assert headline(record, "en").endswith(english)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ("5\u202f000 mentions", "(1\u202f234,5/h sur 12 h)", "12\u202f345 interactions")),
        ("en", ("5,000 mentions", "(1,234.5/h over 12 h)", "12,345 engagement")),
    ],
)
def test_alert_numbers_are_written_as_their_readers_do(
    language: str, expected: tuple[str, ...]
) -> None:
    from veille.alerts.render import AlertItem, render
    from veille.store.alerts import AlertRecord

    record = AlertRecord("acme", "volume", "hour", NOW, NOW - timedelta(hours=1), 5000, 1234.5, 0)
    mention = {
        "id": 1, "title": "Acme", "text": "", "url": None, "author": None, "author_url": None,
        "site": "exemple.fr", "platform": "news", "tone": "neutral", "engagement": 12345,
        "matched": ["acme"], "time": NOW,
    }  # fmt: skip
    _, text, html = render(
        [AlertItem(record, [mention])],
        language=language,
        timezone="Europe/Paris",
        cooldown=timedelta(hours=6),
        now=NOW,
    )
    for part in (text, html):
        assert all(words in part for words in expected), part
        assert "12345" not in part and "1234" not in part


@pytest.mark.parametrize(
    ("cooldown", "french", "english"),
    [
        (timedelta(hours=6), "6 h", "6 hours"),
        (timedelta(days=1), "1 j", "1 day"),
        (timedelta(weeks=2), "2 sem.", "2 weeks"),
        (timedelta(minutes=90), "90 min", "90 minutes"),
        (timedelta(hours=1), "1 h", "1 hour"),
    ],
)
def test_the_footer_gives_the_cooldown_in_the_readers_units(
    cooldown: timedelta, french: str, english: str
) -> None:
    from veille.alerts.render import AlertItem, render
    from veille.store.alerts import AlertRecord

    record = AlertRecord("acme", "volume", "hour", NOW, NOW - timedelta(hours=1), 50, 2.0, 0)
    footers = {
        "fr": f"une alerte par pic, pas de nouvelle alerte pendant {french}.",
        "en": f"one alert per surge, no new alert for {english}.",
    }
    for language, footer in footers.items():
        _, text, html = render(
            [AlertItem(record)], language=language, timezone="UTC", cooldown=cooldown, now=NOW
        )
        assert footer in text and footer in html


@pytest.mark.parametrize(
    ("count", "baseline", "french", "english"),
    [
        (40, 1 / 3, "121× la normale (0,33/h sur 12 h)", "121× the usual (0.33/h over 12 h)"),
        (12, 1 / 12, "145× la normale (0,083/h sur 12 h)", "145× the usual (0.083/h over 12 h)"),
        (42, 61 / 12, "8,2× la normale (5,1/h sur 12 h)", "8.2× the usual (5.1/h over 12 h)"),
    ],
)
def test_an_alert_s_ratio_is_that_of_the_baseline_it_shows(
    count: int, baseline: float, french: str, english: str
) -> None:
    from veille.alerts.wording import headline
    from veille.store.alerts import AlertRecord

    record = AlertRecord("acme", "negative", "hour", NOW, NOW, count, baseline, 0.0)
    assert headline(record, "fr").endswith(french)
    assert headline(record, "en").endswith(english)


@pytest.mark.parametrize(
    ("brand", "spelled"),
    [
        ("acme", "acme"),
        ("L'Oréal", '"L\'Oréal"'),
        ("Crédit Agricole", '"Crédit Agricole"'),
        ("Ben & Jerry's", '"Ben & Jerry\'s"'),
        ('Le "Petit" $Bateau', "'Le \"Petit\" $Bateau'"),
        ("Rock'n'Roll $hop", "'Rock'\"'\"'n'\"'\"'Roll $hop'"),
    ],
)
def test_the_mentions_command_spells_the_brand_simply_for_a_posix_shell(
    brand: str, spelled: str
) -> None:
    import shlex

    from veille.alerts.wording import mentions_command
    from veille.store.alerts import AlertRecord

    record = AlertRecord(brand, "volume", "hour", NOW, NOW - timedelta(hours=1), 50, 2.0, 0)
    command = mentions_command([record])
    assert command == f"veille mentions --brand {spelled} --since 2026-03-17T08:30Z"
    assert shlex.split(command)[3] == brand  # one word, as a POSIX shell reads it
