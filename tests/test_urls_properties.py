"""Properties of canonical_url on generated URLs and on arbitrary text."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit

from hypothesis import example, given, settings
from hypothesis import strategies as st

from veille.normalize.urls import TRACKING_PARAMETERS, canonical_url

_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_HOST = st.one_of(
    st.lists(_LABEL, min_size=1, max_size=3).map(lambda labels: ".".join([*labels, "fr"])),
    st.sampled_from(["Bücher.de", "société.example", "EXAMPLE.COM", "127.0.0.1", "[::1]"]),
)
_SEGMENT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"), max_size=8
)
_PATH = st.lists(_SEGMENT, max_size=4).map(lambda segments: "/" + "/".join(segments))
_PARAMETER_NAME = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,6}", fullmatch=True).filter(
    lambda name: not name.lower().startswith("utm_") and name.lower() not in TRACKING_PARAMETERS
)
_PARAMETER_VALUE = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="&#"), max_size=8
)
_PARAMETERS = st.lists(st.tuples(_PARAMETER_NAME, _PARAMETER_VALUE), max_size=4)
_TRACKING = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(sorted(TRACKING_PARAMETERS)),
            st.from_regex(r"[uU][tT][mM]_[a-z]{1,8}", fullmatch=True),
        ),
        st.text(st.characters(codec="ascii", blacklist_characters="&#"), max_size=6),
    ),
    min_size=1,
    max_size=4,
)


def _build(scheme: str, host: str, port: str, path: str, parameters: list[tuple[str, str]]) -> str:
    query = "&".join(f"{name}={quote(value)}" for name, value in parameters)
    return f"{scheme}://{host}{port}{path}" + (f"?{query}" if query else "")


@st.composite
def web_urls(draw: st.DrawFn) -> tuple[str, str, str, str, list[tuple[str, str]]]:
    """Parts of a plausible http(s) URL: scheme, host, port, path and query parameters."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(_HOST)
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    return scheme, host, port, draw(_PATH), draw(_PARAMETERS)


@settings(max_examples=300)
@given(st.text())
@example("http://example.com/%%34%31")
@example("https://www.google.com/url?q=https://www.google.com/url?q=http://x.fr")
def test_canonical_url_never_raises_and_is_idempotent(text: str) -> None:
    canonical = canonical_url(text)
    assert canonical is None or canonical.startswith(("http://", "https://"))
    assert canonical_url(canonical) == canonical


@settings(max_examples=300)
@given(st.from_regex(r"\s*[hH][tT][tT][pP][sS]?://[^\s]{0,40}\s*", fullmatch=True))
def test_canonical_url_of_url_like_text(text: str) -> None:
    canonical = canonical_url(text)
    assert canonical is None or canonical.startswith(("http://", "https://"))
    assert canonical_url(canonical) == canonical
    if canonical is not None:
        assert "#" not in canonical
        names = [name.strip().lower() for name, _ in parse_qsl(urlsplit(canonical).query)]
        assert not any(name.startswith("utm_") for name in names)


@settings(max_examples=300)
@given(web_urls(), st.text(max_size=6), _TRACKING, st.integers(min_value=0, max_value=4))
def test_tracking_parameters_and_fragments_do_not_change_the_canonical_url(
    parts: tuple[str, str, str, str, list[tuple[str, str]]],
    fragment: str,
    tracking: list[tuple[str, str]],
    insert_at: int,
) -> None:
    scheme, host, port, path, parameters = parts
    plain = canonical_url(_build(scheme, host, port, path, parameters))
    assert plain is not None
    tracked_parameters = parameters[:insert_at] + tracking + parameters[insert_at:]
    tracked = _build(scheme, host, port, path, tracked_parameters) + "#" + fragment
    canonical = canonical_url(tracked)
    assert canonical == plain
    assert "#" not in canonical
    query_names = [name.lower() for name, _ in parse_qsl(urlsplit(canonical).query)]
    assert not any(name.startswith("utm_") for name in query_names)
    assert canonical_url(canonical) == canonical


@given(web_urls())
def test_wrapped_urls_have_the_canonical_url_of_their_target(
    parts: tuple[str, str, str, str, list[tuple[str, str]]],
) -> None:
    target = _build(*parts)
    wrapped = "https://www.google.com/url?rct=j&sa=t&url=" + quote(target, safe="") + "&ct=ga"
    assert canonical_url(wrapped) == canonical_url(target)
