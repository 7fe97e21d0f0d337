"""Hosts shown to readers: decoded when they read as themselves, in ASCII when they could pass
for another site (IDN homographs), as browsers show them."""

from __future__ import annotations

import pytest

from tests.support.digests import digest_settings, save
from tests.support.smtpserver import SmtpServer
from tests.support.stores import later, make_item, store_fixture  # noqa: F401
from veille.digest import send_digests
from veille.normalize.domains import ascii_host, readable_host
from veille.store import MentionFilter, Store


@pytest.mark.parametrize(
    "written",
    [
        "beauté.fr",
        "blog.beauté.fr",
        "bücher.de",
        "ząb.pl",
        "việt.vn",
        "пример.рф",  # one script, and its own top-level domain
        "аррӏе.рф",  # Latin-looking Cyrillic, but under .рф
        "сайт.com",  # Cyrillic that does not read as Latin
        "ελληνικά.gr",
        "日本語.jp",
        "ドメイン名例.jp",
        "exampleテスト.jp",  # Latin with Japanese
        "한국어.kr",
        "हिन्दी.in",
        "مثال.com",
        "ok.рф",
    ],
)
def test_a_host_in_one_script_is_shown_as_written(written: str) -> None:
    stored = ascii_host(written)
    assert stored is not None and "xn--" in stored
    assert readable_host(stored) == written


@pytest.mark.parametrize(
    "written",
    [
        "lеmonde.fr",  # Cyrillic е among Latin letters
        "www.lеmonde.fr",
        "аpple.com",  # Cyrillic а
        "аррӏе.com",  # entirely Cyrillic, every letter Latin-looking, under .com
        "αρpha.com",  # Greek and Latin
        "éxampleテスト.jp",  # accented Latin beside Japanese
        "straße.de",  # read as strasse.de by some, as straße.de by others
        "ab丿cd.com",  # a slash-looking ideograph between Latin letters
    ],
)
def test_a_lookalike_host_is_shown_in_its_ascii_form(written: str) -> None:
    stored = ascii_host(written)
    assert stored is not None and "xn--" in stored
    assert readable_host(stored) == stored


def test_mentions_and_site_counts_show_a_lookalike_host_in_ascii(store: Store) -> None:
    # The mentions list, the top sites (dashboard, `veille stats`, digests) read it alike.
    url = "https://www.xn--lmonde-3of.fr/economie/recall.html"
    save(store, make_item("spoof", site="xn--lmonde-3of.fr", url=url, canonical_url=url))
    [mention] = store.list_mentions(MentionFilter(limit=None))
    assert mention["site"] == "xn--lmonde-3of.fr"
    [row] = store.stats(MentionFilter(), by="site")
    assert row["key"] == "xn--lmonde-3of.fr"


def test_a_digest_names_a_lookalike_site_in_ascii_and_a_real_one_as_written(store: Store) -> None:
    spoof = "https://www.xn--lmonde-3of.fr/economie/recall.html"
    real = "https://www.xn--beaut-fsa.fr/acme"
    save(
        store,
        make_item("spoof", title="Acme recall", site="xn--lmonde-3of.fr", canonical_url=spoof),
        make_item("real", title="Acme shop", site="xn--beaut-fsa.fr", canonical_url=real),
    )
    with SmtpServer() as server:
        settings = digest_settings(store, server.smtp_settings(), {"name": "m", "to": ["a@b.fr"]})
        send_digests(settings, store, now=later(hours=1))
        [message] = server.messages
    text = message.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    assert "xn--lmonde-3of.fr ·" in content and "lеmonde" not in content
    assert "beauté.fr ·" in content
    assert "Sites (sur la période)\u00a0: " in content and "xn--lmonde-3of.fr (1)" in content
