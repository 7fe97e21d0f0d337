"""Digests end to end: the store on both engines, a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.support.digests import BRANDS, digest_settings, save
from tests.support.smtpserver import SmtpServer, free_port
from tests.support.stores import later, make_item, store_fixture  # noqa: F401
from veille.digest import send_digests
from veille.store import Store
from veille.store.digests import DigestKey

MORNING = {"name": "morning", "to": ["com@example.org"]}
KEY = DigestKey.of("morning", ["com@example.org"])


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1."""
    with SmtpServer() as server:
        yield server


def parts(message: EmailMessage, *, marks: bool = False) -> tuple[str, str]:
    """The plain text and HTML parts of a digest (HTML without its ``<mark>`` tags)."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    content = html.get_content()
    return text.get_content(), content if marks else re.sub(r"</?mark[^>]*>", "", content)


class Tags(HTMLParser):
    """Every tag name and attribute of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


def a_day(store: Store) -> None:
    """acme: a negative story on three sites, a positive and a neutral mention; globex: one."""
    recall = [
        make_item(
            f"recall-{site}",
            tone="negative",
            sentiment=-0.6,
            title="Acme recalls its anvils",
            text="Acme Corp admits the anvils were faulty.",
            site=site,
            fingerprint="recall",
            author_name="Paul Durand",
        )
        for site in ("lemonde.fr", "lefigaro.fr", "liberation.fr")
    ]
    save(
        store,
        make_item("win", tone="positive", sentiment=0.7, title="Acme wins a prize #AcmeWin"),
        *recall,
        make_item("plain", title="Acme opens a shop"),
        make_item("gx", brands=("globex",), title="Globex news"),
    )


def test_the_digest_arrives_with_both_parts_counts_negatives_first(
    store: Store, smtp: SmtpServer
) -> None:
    a_day(store)
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    report = send_digests(settings, store, now=later(hours=2))
    [outcome] = report.outcomes
    assert (outcome.status, outcome.mentions, outcome.error) == ("sent", 6, None)
    [received] = smtp.received
    assert received.recipients == ("com@example.org",)
    message = received.message
    assert message["Subject"] == (
        "veille — 6 nouvelles mentions (acme 5, globex 1), dont 3 négatives"
    )
    assert message["From"] == "veille@example.org"
    text, html = parts(message)
    assert (
        '<mark style="background:#ffec99;color:inherit;">Acme</mark> recalls'
        in parts(message, marks=True)[1]
    )
    # One line per story, negative first, the two other sites counted.
    assert html.count("Acme recalls its anvils") == 1
    assert html.index("recalls") < html.index("wins a prize")
    assert html.index("recalls") < html.index("opens a shop")
    assert "+2 autres sites" in html and "+2 autres sites (lefigaro.fr, liberation.fr)" in text
    assert "· 3 apparitions" in html and "· 3 apparitions · +2 autres sites" in text
    assert "Paul Durand" in html and "lemonde.fr" in html
    assert "3 négatives" in html and "1 positive" in html
    assert text.index("[négatif] Acme recalls") < text.index("[positif] Acme wins")
    assert "lundi 2 mars 2026" in text
    # Who, where and in what terms over the period: the hashtags of the brand's mentions too.
    assert "Hashtags (sur la période)\u00a0: #AcmeWin (1)" in text and "#AcmeWin" in html


def test_a_second_digest_right_after_sends_nothing_new(store: Store, smtp: SmtpServer) -> None:
    a_day(store)
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    send_digests(settings, store, now=later(hours=2))
    again = send_digests(settings, store, now=later(hours=2, minutes=1))
    assert [(o.status, o.error) for o in again.outcomes] == [("skipped", "nothing new")]
    assert len(smtp.messages) == 1
    save(store, make_item("late", title="Acme late news"), at=later(hours=3))
    third = send_digests(settings, store, now=later(hours=4))
    assert third.outcomes[0].mentions == 1
    _, html = parts(smtp.messages[-1])
    assert "late news" in html and "recalls" not in html
    assert [s["status"] for s in store.digest_sends(KEY)] == ["sent", "empty", "sent"]


@pytest.mark.parametrize("failure", ["down", "refused", "close", "reject"])
def test_a_failed_send_keeps_its_mentions_for_the_next_run(
    store: Store, smtp: SmtpServer, failure: str
) -> None:
    save(store, make_item("first", title="Acme first"))
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    send_digests(settings, store, now=later(hours=1))
    save(store, make_item("second", title="Acme second"), at=later(hours=2))
    broken = settings
    if failure == "down":
        broken = settings.model_copy(update={"smtp": smtp.smtp_settings(port=free_port())})
    elif failure == "refused":
        smtp.refuse("com@example.org")
    else:
        smtp.mode = failure
    report = send_digests(broken, store, now=later(hours=3))
    [outcome] = report.outcomes
    assert outcome.status == "failed" and outcome.error and outcome.hint
    assert report.all_failed
    assert len(smtp.messages) == 1
    state = store.load_digest(KEY)
    assert state is not None and state.last_status == "failed"
    smtp.refused.clear()
    smtp.mode = "ok"
    retry = send_digests(settings, store, now=later(hours=4))
    assert (retry.outcomes[0].status, retry.outcomes[0].mentions) == ("sent", 1)
    _, html = parts(smtp.messages[-1])
    assert "Acme second" in html and "Acme first" not in html  # nothing twice, nothing skipped
    assert [s["status"] for s in store.digest_sends(KEY)] == ["sent", "failed", "sent"]


def test_some_recipients_refused_still_counts_as_sent(store: Store, smtp: SmtpServer) -> None:
    save(store, make_item("one"))
    digest = {"name": "morning", "to": ["com@example.org", "gone@example.org"]}
    smtp.refuse("gone@example.org")
    settings = digest_settings(store, smtp.smtp_settings(), digest)
    [outcome] = send_digests(settings, store, now=later(hours=1)).outcomes
    assert outcome.status == "sent" and "gone@example.org" in str(outcome.error)
    assert smtp.received[0].recipients == ("com@example.org",)
    again = send_digests(settings, store, now=later(hours=2)).outcomes[0]
    assert again.error == "nothing new"  # the accepted recipient does not get it twice


def test_hostile_feed_content_arrives_inert(store: Store, smtp: SmtpServer) -> None:
    save(
        store,
        make_item(
            "hostile",
            title='<script>alert(1)</script> acme "><svg onload=alert(2)>',
            text="<img src=http://evil.example/x.png> acme <b><i>broken</p <a href='x'>",
            url="javascript:alert(3)",
            canonical_url="javascript:alert(3)",
            author_name='<a href="http://evil.example">Mallory</a>',
            author_url="javascript:alert(4)",
            site='"><script>x</script>',
        ),
    )
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    send_digests(settings, store, now=later(hours=1))
    text, html = parts(smtp.messages[0], marks=True)
    tags = Tags()
    tags.feed(html)
    assert tags.names <= {
        "html", "head", "meta", "title", "body", "table", "tr", "td", "div", "span", "a", "mark",
        "br",
    }  # fmt: skip
    assert not [(name, value) for name, value in tags.attributes if name.startswith("on")]
    assert not [value for name, value in tags.attributes if name in ("src", "background")]
    hrefs = [value for name, value in tags.attributes if name == "href"]
    assert hrefs == []  # neither the javascript: link nor the author's URL became a link
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;svg onload=alert(2)&gt;" in html
    assert "&lt;img src=http://evil.example/x.png&gt;" in html
    assert "&lt;a href=&#34;http://evil.example&#34;&gt;Mallory&lt;/a&gt;" in html
    # The plain text part is shown as text; its one non-http link is not printed at all.
    assert "<script>alert(1)</script>" in text and "javascript:" not in text


def test_a_post_without_a_title_is_headed_by_its_text(store: Store, smtp: SmtpServer) -> None:
    post = "https://bsky.app/profile/papoo.bsky.social/post/3msjx"
    text = "Nouvelle recette acme ce matin, franchement décevante. " * 3
    save(store, make_item("post", title="", text=text, url=post, canonical_url=post))
    send_digests(digest_settings(store, smtp.smtp_settings(), MORNING), store, now=later(hours=1))
    plain, html = parts(smtp.messages[0])
    assert (
        "] Nouvelle recette acme ce matin, franchement décevante. Nouvelle recette acme ce…\r\n"
        in plain
    )
    headline = f'<a href="{post}" style="color:#1a4e8a;text-decoration:none;">Nouvelle recette'
    assert headline in html
    # Said once: the excerpt under the headline would only repeat it.
    assert html.count("Nouvelle recette acme ce matin") == 1


def test_empty_period_sends_only_when_asked(store: Store, smtp: SmtpServer) -> None:
    quiet = {"name": "quiet", "to": ["com@example.org"], "language": "en"}
    always = {"name": "always", "to": ["boss@example.org"], "send_when_empty": True}
    settings = digest_settings(store, smtp.smtp_settings(), quiet, always)
    report = send_digests(settings, store, now=later(hours=1))
    assert [(o.name, o.status) for o in report.outcomes] == [
        ("quiet", "skipped"),
        ("always", "sent"),
    ]
    [message] = smtp.messages
    assert message["Subject"] == "veille — aucune nouvelle mention"
    assert "Aucune nouvelle mention depuis le dernier envoi." in parts(message)[0]


def test_english_digest(store: Store, smtp: SmtpServer) -> None:
    save(
        store,
        make_item("a", tone="negative", sentiment=-0.5, title="Acme fails"),
        make_item("b", title="Acme ships"),
    )
    digest = {"name": "en", "to": ["com@example.org"], "language": "en", "brands": ["acme"]}
    settings = digest_settings(store, smtp.smtp_settings(), digest)
    send_digests(settings, store, now=later(hours=1))
    [message] = smtp.messages
    assert message["Subject"] == "acme — 2 new mentions, 1 negative"
    text, html = parts(message)
    assert "Monday 2 March 2026" in text and "Volume by day" in html
    assert "[negative] Acme fails" in text and "nouvelles" not in html


def test_the_chart_counts_the_days_of_the_digest_time_zone(store: Store, smtp: SmtpServer) -> None:
    # 23:30 UTC on Sunday 1 March is 00:30 on Monday 2 March in Paris, the digest's time zone.
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    save(store, make_item("late", title="Acme at midnight", published_at=late), at=late)
    digest = {"name": "en", "to": ["com@example.org"], "language": "en", "brands": ["acme"]}
    settings = digest_settings(store, smtp.smtp_settings(), digest)
    send_digests(settings, store, now=datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    text, _ = parts(smtp.messages[0])
    lines = text.splitlines()
    chart = lines[lines.index("Volume by day:") + 1 :][:7]
    # One line per day, the last one today in Paris.
    # Counts right-aligned in five columns: room for « 1 234 ».
    assert chart[0] == "  Tue 24/02      0" and chart[-2] == "  Sun 01/03      0"
    assert chart[-1] == "  Mon 02/03      1  " + "#" * 20


def test_to_has_its_own_watermark(store: Store, smtp: SmtpServer) -> None:
    save(store, make_item("one"))
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    send_digests(settings, store, now=later(hours=1))
    report = send_digests(settings, store, now=later(hours=1), to=["me@example.org"])
    assert (report.outcomes[0].status, report.outcomes[0].mentions) == ("sent", 1)
    assert smtp.received[-1].recipients == ("me@example.org",)
    assert send_digests(settings, store, now=later(hours=2)).outcomes[0].error == "nothing new"
    assert store.load_digest(DigestKey.of("morning", ["me@example.org"])) is not None


def test_to_without_configured_digest_covers_every_brand(store: Store, smtp: SmtpServer) -> None:
    save(store, make_item("one"), make_item("two", brands=("globex",)))
    settings = digest_settings(store, smtp.smtp_settings())
    report = send_digests(settings, store, now=later(hours=1), to=["me@example.org"])
    assert [(o.name, o.status, o.mentions) for o in report.outcomes] == [("veille", "sent", 2)]


def test_brand_narrowed_runs_do_not_skip_the_other_brands(store: Store, smtp: SmtpServer) -> None:
    save(store, make_item("one"), make_item("two", brands=("globex",)))
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    narrowed = send_digests(settings, store, now=later(hours=1), brands=["globex"])
    assert narrowed.outcomes[0].mentions == 1
    full = send_digests(settings, store, now=later(hours=2))
    assert full.outcomes[0].mentions == 2


def test_since_narrowed_runs_do_not_skip_older_mentions(store: Store, smtp: SmtpServer) -> None:
    # The older mention is stored first (the lower id): a --since run that left it out and
    # moved the digest's watermark past the newer one lost it for good.
    save(store, make_item("old", published_at=later(hours=-20)), make_item("new"))
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    narrowed = send_digests(settings, store, now=later(hours=1), since=later(hours=-1))
    assert (narrowed.outcomes[0].status, narrowed.outcomes[0].mentions) == ("sent", 1)
    full = send_digests(settings, store, now=later(hours=2))
    assert (full.outcomes[0].status, full.outcomes[0].mentions) == ("sent", 2)
    assert send_digests(settings, store, now=later(hours=3)).outcomes[0].error == "nothing new"


def test_a_wider_since_after_a_narrow_one_sends_what_it_asks(
    store: Store, smtp: SmtpServer
) -> None:
    # Mentions published days ago and this morning, stored before the one of the last hour.
    save(
        store,
        make_item("monday", title="Acme monday", published_at=later(days=-3)),
        at=later(days=-3),
    )
    save(
        store,
        make_item("morning", title="Acme morning", published_at=later(hours=-5)),
        make_item("noon", title="Acme noon", published_at=later(hours=-3)),
        make_item("recent", title="Acme recent", published_at=later(minutes=30)),
    )
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    narrow = send_digests(settings, store, now=later(hours=1), since=later())
    assert (narrow.outcomes[0].status, narrow.outcomes[0].mentions) == ("sent", 1)
    wide = send_digests(settings, store, now=later(hours=1, minutes=5), since=later(hours=-6))
    assert (wide.outcomes[0].status, wide.outcomes[0].mentions) == ("sent", 3)
    _, html = parts(smtp.messages[-1])
    assert "Acme morning" in html and "Acme noon" in html and "Acme recent" in html
    # A --since longer than the digest's period reaches back as far as it says.
    week = send_digests(settings, store, now=later(hours=1, minutes=6), since=later(days=-7))
    assert (week.outcomes[0].status, week.outcomes[0].mentions) == ("sent", 4)
    # The --since runs moved no watermark: the full digest sends the last day's three.
    assert store.load_digest(KEY) is None
    full = send_digests(settings, store, now=later(hours=2))
    assert (full.outcomes[0].status, full.outcomes[0].mentions) == ("sent", 3)


def test_dry_run_writes_files_and_moves_nothing(
    store: Store, smtp: SmtpServer, tmp_path: Path
) -> None:
    folder = tmp_path / "preview"
    save(store, make_item("one", title="Acme preview"))
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    report = send_digests(settings, store, now=later(hours=1), dry_run_dir=folder)
    [outcome] = report.outcomes
    assert outcome.status == "dry-run" and outcome.mentions == 1
    assert sorted(p.name for p in folder.iterdir()) == ["morning.eml", "morning.html"]
    assert "</mark> preview" in (folder / "morning.html").read_text(encoding="utf-8")
    assert smtp.messages == [] and store.load_digest(KEY) is None
    assert send_digests(settings, store, now=later(hours=1)).outcomes[0].status == "sent"


def test_a_preview_from_an_accented_domain_has_the_from_header_that_is_sent(
    store: Store, smtp: SmtpServer, tmp_path: Path
) -> None:
    import email
    import email.policy

    save(store, make_item("one", title="Acme preview"))
    sender = "Veille Médias Société <veille@société.fr>"
    settings = digest_settings(store, smtp.smtp_settings(**{"from": sender}), MORNING)
    send_digests(settings, store, now=later(hours=1), dry_run_dir=tmp_path)
    send_digests(settings, store, now=later(hours=1))
    preview = email.message_from_bytes(
        (tmp_path / "morning.eml").read_bytes(), policy=email.policy.default
    )
    assert preview["From"].defects == ()
    assert str(preview["From"]) == str(smtp.messages[0]["From"])
    assert preview["From"].addresses[0].domain == "xn--socit-esab.fr"


def test_a_brand_never_collected_has_no_empty_chart(store: Store, smtp: SmtpServer) -> None:
    save(store, make_item("one", title="Acme news"))
    brands = [*BRANDS, {"name": "initech", "query": "initech"}]  # not in the database yet
    settings = digest_settings(store, smtp.smtp_settings(), MORNING, brands=brands)
    send_digests(settings, store, now=later(hours=1))
    text, html = parts(smtp.messages[0])
    initech = text.split("== initech")[1].split("-- État des collecteurs")[0]
    assert "aucune nouvelle mention" in initech and "Volume par jour" not in initech
    assert text.count("Volume par jour") == 2  # acme's and globex's
    assert html.count("Volume par jour") == 2


def test_long_days_are_cut_at_max_mentions(store: Store, smtp: SmtpServer) -> None:
    # Five different stories (titles that differ by a number only would be one story).
    topics = ("usine", "rappel", "grève", "bourse", "recrutement")
    save(store, *(make_item(f"n{i}", title=f"Acme item {i} {t}") for i, t in enumerate(topics)))
    digest = dict(MORNING, max_mentions=2)
    send_digests(digest_settings(store, smtp.smtp_settings(), digest), store, now=later(hours=1))
    _, html = parts(smtp.messages[0])
    assert html.count("Acme item") == 2 and "+3 autres récits" in html
    assert smtp.messages[0]["Subject"].startswith("veille — 5 nouvelles mentions")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "+1 autre récit, non listé\u00a0: voir"), ("en", "+1 more story, not listed: see")],
)
def test_one_story_left_out_is_said_in_the_singular(
    store: Store, smtp: SmtpServer, language: str, expected: str
) -> None:
    topics = ("usine", "rappel", "grève", "bourse", "recrutement")
    save(store, *(make_item(f"n{i}", title=f"Acme item {i} {t}") for i, t in enumerate(topics)))
    digest = dict(MORNING, max_mentions=4, language=language)
    send_digests(digest_settings(store, smtp.smtp_settings(), digest), store, now=later(hours=1))
    text, html = parts(smtp.messages[0])
    assert f"{expected} `veille mentions`" in text
    assert f"{expected} <code>veille mentions</code>" in html and "`" not in html


def test_collectors_health_footer(store: Store, smtp: SmtpServer) -> None:
    save(store, make_item("one"))
    save(store, at=later(hours=-10), source="hn")  # silent: last success 12 h before the digest
    run_id = store.begin_run(later(hours=1))
    store.record_failure(
        run_id, "gnews", None, "gnews: HTTP 503", now=later(hours=1), next_check_at=later(hours=2)
    )
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    send_digests(settings, store, now=later(hours=2))
    text, html = parts(smtp.messages[0])
    # The reason is veille's own message, in English: the French footer says so.
    failing = "gnews — en échec x1, jamais réussie — dernière erreur (en anglais)\u00a0: HTTP 503"
    assert failing in text
    assert "dernière erreur (en anglais)\u00a0: HTTP 503" in html
    assert "hn — muette, depuis 2 mars 00:30" in text  # 23:30 UTC, shown in Paris time
    assert "lemonde" not in text.split("État des collecteurs")[1]


def test_the_health_footer_lists_the_sources_serving_the_digest_s_brands(
    store: Store, smtp: SmtpServer
) -> None:
    save(store, make_item("one"), make_item("gx", brands=("globex",)))
    run_id = store.begin_run(later(hours=1))
    for source, brand in (("gnews", "acme"), ("gnews", "globex"), ("lemonde", None)):
        store.record_failure(
            run_id, source, brand, f"{source}: HTTP 503", now=later(hours=1), next_check_at=later(2)
        )
    digests = (
        {"name": "acme-only", "to": ["a@example.org"], "brands": ["acme"], "language": "en"},
        {"name": "globex-only", "to": ["g@example.org"], "brands": ["globex"]},
    )
    settings = digest_settings(store, smtp.smtp_settings(), *digests)
    send_digests(settings, store, now=later(hours=2))
    footers = {message["To"]: parts(message)[0].split("-- ")[1] for message in smtp.messages}
    acme = footers["a@example.org"]
    assert "gnews (acme) — failing x1, never succeeded — last error: HTTP 503" in acme
    assert "globex" not in acme and "lemonde — failing x1" in acme  # a feed for every brand
    globex = footers["g@example.org"]
    assert "gnews (globex)" in globex and "acme" not in globex and "lemonde" in globex
    # Narrowed by --brand, the digest reports on that brand's sources alike.
    send_digests(settings, store, now=later(hours=3), only=["acme-only"], brands=["acme"])
    assert "gnews (globex)" not in parts(smtp.messages[-1])[0]


def test_a_digest_another_process_is_sending_is_skipped(store: Store, smtp: SmtpServer) -> None:
    from datetime import timedelta

    save(store, make_item("one"))
    assert store.claim_digest(KEY, later(hours=1), timedelta(minutes=15)) is not None
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    busy = send_digests(settings, store, now=later(hours=1, minutes=1)).outcomes[0]
    assert busy.status == "skipped" and "another veille process" in str(busy.error)
    assert smtp.messages == []
    later_run = send_digests(settings, store, now=later(hours=2)).outcomes[0]
    assert later_run.status == "sent"  # the stale claim (its holder died) was taken over


def test_a_source_waiting_for_the_next_daily_collect_is_not_silent(
    store: Store, smtp: SmtpServer
) -> None:
    # The default schedule: collect at 06:00 in Paris (05:00 UTC in March), the digest later.
    collected = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
    save(store, make_item("one"), at=collected)
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    send_digests(settings, store, now=collected + timedelta(hours=3))
    text, _ = parts(smtp.messages[0])
    assert "Toutes les sources répondent." in text  # hourly, but the next pass is tomorrow
    # Tomorrow's 06:00 pass did not check it: now it is silent.
    save(store, make_item("two"), at=collected + timedelta(days=1), source="gnews")
    send_digests(settings, store, now=collected + timedelta(days=1, hours=3))
    text, _ = parts(smtp.messages[1])
    assert "lemonde — muette, depuis 2 mars 06:00" in text


def test_a_first_digest_leaves_a_new_feed_s_old_backlog_out_and_old_dates_say_their_year(
    store: Store, smtp: SmtpServer
) -> None:
    # A feed collected for the first time brings articles from 2019 along with today's.
    recall = datetime(2019, 5, 3, 16, 35, tzinfo=UTC)
    save(
        store,
        make_item("backlog", title="Acme recall of 2019", published_at=recall),
        make_item("today", title="Acme today"),
        make_item("undated", title="Acme undated", published_at=None),  # time: its collection
        at=later(hours=1),
    )
    settings = digest_settings(store, smtp.smtp_settings(), MORNING)
    first = send_digests(settings, store, now=later(hours=2))
    assert (first.outcomes[0].status, first.outcomes[0].mentions) == ("sent", 2)
    text, _ = parts(smtp.messages[-1])
    assert "Acme today" in text and "Acme undated" in text and "recall of 2019" not in text
    assert "· 2 mars 10:30" in text  # this year's: no year
    # The backlog it left out never comes later as new; an old article found later says its year.
    save(store, make_item("found", title="Acme found", published_at=recall), at=later(hours=3))
    second = send_digests(settings, store, now=later(hours=4))
    assert (second.outcomes[0].status, second.outcomes[0].mentions) == ("sent", 1)
    text, html = parts(smtp.messages[-1])
    assert "Acme found" in text and "recall of 2019" not in text
    assert "· 3 mai 2019 18:35" in text and "3 mai 2019 18:35" in html
