"""Canonical URLs, redirect wrappers and registrable domains."""

from __future__ import annotations

import base64

import pytest

from veille.normalize.domains import registrable_domain
from veille.normalize.urls import (
    canonical_url,
    is_tracking_parameter,
    mirror_marks,
    same_page_key,
    unwrap_redirect,
)


def _bing_click(target: str) -> str:
    encoded = base64.urlsafe_b64encode(target.encode()).decode().rstrip("=")
    return f"https://www.bing.com/ck/a?!&&p=8f3c&ptn=3&u=a1{encoded}&ntb=1"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.lemonde.fr/economie/", "https://www.lemonde.fr/economie/"),
        ("  \n https://www.lemonde.fr/a \t", "https://www.lemonde.fr/a"),
        ("HTTPS://WWW.LeMonde.FR/Economie/", "https://www.lemonde.fr/Economie/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("http://example.com:8080", "http://example.com:8080/"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?", "https://example.com/a"),
        ("https://example.com/a?&&", "https://example.com/a"),
        ("https://jean:secret@example.com/a", "https://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://bücher.de/é", "https://xn--bcher-kva.de/%C3%A9"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/%7euser/%2f", "https://example.com/~user/%2F"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("https://example.com/?b=2&a=1", "https://example.com/?b=2&a=1"),
        (
            "https://www.lemonde.fr/a.html?utm_source=rss&utm_medium=feed&id=4&UTM_Campaign=x",
            "https://www.lemonde.fr/a.html?id=4",
        ),
        (
            "https://www.lefigaro.fr/a?xtor=RSS-1&at_medium=rss&at_campaign=x&page=2",
            "https://www.lefigaro.fr/a?page=2",
        ),
        (
            "https://example.com/a?fbclid=IwAR0&gclid=1&msclkid=2&_ga=3&mc_eid=4&igshid=5",
            "https://example.com/a",
        ),
        ("https://example.com/a?utm_source", "https://example.com/a"),
        ("https://example.com/a?ref=home&utm_term=x", "https://example.com/a?ref=home"),
    ],
)
def test_canonical_url_normalises(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "javascript:alert(1)",
        "mailto:jean@example.fr",
        "file:///etc/passwd",
        "data:text/html,hello",
        "ftp://example.com/",
        "www.example.com/a",
        "//example.com/a",
        "http://",
        "http:///path",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://example.com:port/",
        "http://[::1/",
        "https://example.com/\ud800",
    ],
)
def test_canonical_url_refuses_what_is_not_a_web_page(raw: str | None) -> None:
    assert canonical_url(raw) is None


@pytest.mark.parametrize(
    ("wrapped", "target"),
    [
        (
            "https://www.google.com/url?rct=j&sa=t&url=https://www.lesechos.fr/danone-"
            "2024%3Futm_medium%3Demail%26page%3D2&ct=ga&cd=CAIyGjk&usg=AOvVaw0",
            "https://www.lesechos.fr/danone-2024?page=2",
        ),
        (
            "https://www.google.fr/url?q=https%3A%2F%2Fwww.ouest-france.fr%2Fx.html&sa=U",
            "https://www.ouest-france.fr/x.html",
        ),
        (
            "http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=6F2&url=https%3a%2f%2f"
            "www.bfmtv.com%2feconomie%2fdanone.html&c=1234&mkt=fr-fr",
            "https://www.bfmtv.com/economie/danone.html",
        ),
        (_bing_click("https://www.20minutes.fr/a?b=1"), "https://www.20minutes.fr/a?b=1"),
        (
            "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.leparisien.fr%2Fx%3Ffbclid%3D1&h=AT",
            "https://www.leparisien.fr/x",
        ),
        (
            "https://out.reddit.com/t3_1abc?url=https%3A%2F%2Fexample.org%2Fpost&token=x",
            "https://example.org/post",
        ),
        (
            # A Google wrapper around a Bing wrapper.
            "https://www.google.com/url?url="
            + "http%3A%2F%2Fwww.bing.com%2Fnews%2Fapiclick.aspx%3Furl%3Dhttps%253A%252F%252F"
            "example.fr%252Fdeep",
            "https://example.fr/deep",
        ),
    ],
)
def test_canonical_url_unwraps_redirects(wrapped: str, target: str) -> None:
    assert canonical_url(wrapped) == target


def test_only_http_targets_are_unwrapped() -> None:
    wrapper = "https://www.google.fr/url?q=javascript:alert(1)&sa=U"
    assert unwrap_redirect(wrapper) == wrapper
    assert canonical_url(wrapper) == "https://www.google.fr/url?q=javascript:alert(1)&sa=U"


def test_google_search_is_not_a_wrapper() -> None:
    search = "https://www.google.com/search?q=https://example.com/"
    assert unwrap_redirect(search) == search


def test_unwrap_redirect_returns_the_raw_target() -> None:
    wrapped = "https://www.google.com/url?url=https%3A%2F%2Fexample.com%2Fa%3Futm_source%3Dx"
    assert unwrap_redirect(wrapped) == "https://example.com/a?utm_source=x"
    assert unwrap_redirect("https://example.com/a") == "https://example.com/a"


@pytest.mark.parametrize(
    ("name", "tracking"),
    [
        ("utm_source", True),
        ("UTM_Whatever", True),
        ("xtor", True),
        ("fbclid", True),
        (" gclid ", True),
        ("id", False),
        ("q", False),
        ("ref", False),
        ("utm", False),
    ],
)
def test_tracking_parameters(name: str, tracking: bool) -> None:
    assert is_tracking_parameter(name) is tracking


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.lemonde.fr/x", "lemonde.fr"),
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("https://news.bbc.co.uk:8443/a", "bbc.co.uk"),
        ("WWW.LeFigaro.FR", "lefigaro.fr"),
        ("lemonde.fr:8080/chemin", "lemonde.fr"),
        ("https://bücher.de/", "xn--bcher-kva.de"),
        ("alice.blogspot.com", "alice.blogspot.com"),
        ("localhost", "localhost"),
        ("http://localhost:8000/feed", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("http://[::1]:8080/", "::1"),
        ("co.uk", "co.uk"),
        (None, None),
        ("", None),
        ("https:///nothing", None),
        ("exa mple.com", None),
    ],
)
def test_registrable_domain(value: str | None, expected: str | None) -> None:
    assert registrable_domain(value) == expected


ONE_ARTICLE = [
    "https://www.lemonde.fr/economie/article/danone.html",
    "http://www.lemonde.fr/economie/article/danone.html",
    "https://lemonde.fr/economie/article/danone.html/",
    "https://m.lemonde.fr/economie/article/danone.html",
    "https://amp.lemonde.fr/economie/article/danone.html",
    "https://www.lemonde.fr/amp/economie/article/danone.html",
    "https://www.lemonde.fr/economie/article/danone.html/amp/",
    "https://www.lemonde.fr/economie/article/danone.html?amp=1",
    "https://www.lemonde.fr/economie/article/danone.html?outputType=amp",
]


@pytest.mark.parametrize("spelling", ONE_ARTICLE)
def test_the_spellings_of_one_article_share_its_page_key(spelling: str) -> None:
    canonical = canonical_url(spelling)
    assert canonical is not None
    assert same_page_key(canonical) == "lemonde.fr/economie/article/danone.html"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://www.lemonde.fr/a", "https://www.lemonde.fr/b"),
        ("https://blog.danone.com/a", "https://www.danone.com/a"),
        ("https://example.com/a?id=1", "https://example.com/a?id=2"),
        ("https://example.com/a", "https://example.com:8443/a"),
        ("https://example.com/Article", "https://example.com/article"),
        ("https://amp.dev/a", "https://dev/a"),  # amp.dev is a site, not a rendering
        ("https://example.com/amp-stories", "https://example.com/"),
    ],
)
def test_other_pages_keep_other_page_keys(first: str, second: str) -> None:
    assert same_page_key(first) != same_page_key(second)


def test_page_keys_leave_out_tracking_parameters() -> None:
    address = "https://www.dailymail.co.uk/a.html?ns_mchannel=rss&id=3&ito=1490&utm_source=x"
    assert same_page_key(address) == "dailymail.co.uk/a.html?id=3"
    assert canonical_url(address) == "https://www.dailymail.co.uk/a.html?id=3"


def test_page_keys_keep_the_query_but_not_its_order() -> None:
    assert same_page_key("https://example.com/a?b=2&a=1") == "example.com/a?a=1&b=2"
    assert same_page_key("https://[::1]:8080/a/") == "[::1]:8080/a"


@pytest.mark.parametrize(
    ("address", "marks"),
    [
        ("https://www.lemonde.fr/economie/danone.html", 0),
        ("https://lemonde.fr/economie/danone.html", 0),
        ("http://www.lemonde.fr/economie/danone.html", 1),
        ("https://m.lemonde.fr/economie/danone.html", 1),
        ("https://www.lemonde.fr/amp/economie/danone.html?amp=1", 2),
        ("http://amp.lemonde.fr/economie/danone.html/amp", 3),
        # A site whose own name starts like a mobile copy's is not one.
        ("https://mobile.de/auto/danone", 0),
    ],
)
def test_mirror_marks_count_what_sets_a_copy_apart(address: str, marks: int) -> None:
    assert mirror_marks(address) == marks
