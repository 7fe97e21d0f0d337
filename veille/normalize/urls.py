"""Canonical URLs: one spelling per page, without tracking parameters or redirect wrappers."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from urllib.parse import quote, unquote, unquote_plus, urlsplit

from veille.normalize.domains import ascii_host, registrable_domain

# How many redirect wrappers inside one another are followed before giving up.
MAX_UNWRAP_DEPTH = 8

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that identify a campaign, a click or a visitor, never the page.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid",
        "mc_eid", "_ga", "_gl", "igshid", "yclid", "twclid", "ttclid", "li_fat_id",
        "oly_enc_id", "oly_anon_id", "vero_id", "vero_conv", "_hsenc", "_hsmi", "__hstc",
        "__hssc", "__hsfp", "hsctatracking", "mkt_tok", "spm", "ref_src", "ref_url",
        "cmpid", "xtor", "xtref", "at_medium", "at_campaign", "at_platform", "at_creation",
        "at_variant", "at_send_date", "at_recipient_id", "at_recipient_list", "at_format",
        "at_link", "at_type", "ocid", "ncid", "sr_share", "soc_src", "soc_trk", "wt_mc",
        "wt.mc_id", "sc_cid", "srsltid", "_openstat", "s_kwcid", "ef_id", "rb_clickid",
        "trk", "trkcampaign", "icid", "ito", "ns_mchannel", "ns_campaign", "ns_source",
        "ns_linkname", "ns_fee", "cmp", "smid", "emc",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_",)

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def is_tracking_parameter(name: str) -> bool:
    """Whether a (decoded) query parameter name only tracks the visitor or the campaign."""
    name = name.strip().lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def _normalize_escapes(component: str, safe: str) -> str:
    """Percent-encode what must be, decode escaped unreserved characters, upper-case the rest."""
    quoted = _LONE_PERCENT.sub("%25", quote(component, safe=safe))

    def normalize_escape(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _ESCAPE.sub(normalize_escape, quoted)


def _clean_query(query: str) -> str:
    """Drop tracking and empty parameters, keeping the others in their order."""
    kept = []
    for pair in query.split("&"):
        if not pair or is_tracking_parameter(unquote_plus(pair.split("=", 1)[0])):
            continue
        kept.append(_normalize_escapes(pair, _QUERY_SAFE))
    return "&".join(kept)


def _canonicalize(url: str) -> str | None:
    """Canonical spelling of one http(s) URL, without following redirect wrappers."""
    text = url.strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        port = parts.port
        host = ascii_host(parts.hostname)
        if host is None:
            return None
        # Whitespace ending the path is stray (a raw space is not valid in a URL): dropping it
        # keeps "…/ ?utm_x=1" and "…/ " the same URL.
        path = _normalize_escapes(parts.path.rstrip(), _PATH_SAFE) or "/"
        query = _clean_query(parts.query)
    except (ValueError, UnicodeError):  # bad port, bad IPv6 literal, lone surrogates
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def _decode_bing_click(value: str) -> str:
    """Bing's /ck/a wrapper stores the target as "a1" + unpadded URL-safe base64."""
    if not value.startswith("a1"):
        return value
    payload = value[2:]
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return value


def _keep(value: str) -> str:
    return value


# (does the wrapper live on this registrable domain and host?, path, parameters, decoder)
_Rule = tuple[Callable[[str, str], bool], str | None, tuple[str, ...], Callable[[str], str]]
_REDIRECT_RULES: tuple[_Rule, ...] = (
    (lambda domain, host: domain.startswith("google."), "/url", ("url", "q"), _keep),
    (lambda domain, host: host == "news.google.com", "/news/url", ("url",), _keep),
    (lambda domain, host: domain == "bing.com", "/news/apiclick.aspx", ("url",), _keep),
    (lambda domain, host: domain == "bing.com", "/ck/a", ("u",), _decode_bing_click),
    (lambda domain, host: domain == "facebook.com", "/l.php", ("u",), _keep),
    (lambda domain, host: host == "l.instagram.com", None, ("u",), _keep),
    (lambda domain, host: host == "out.reddit.com", None, ("url",), _keep),
    (lambda domain, host: domain == "youtube.com", "/redirect", ("q",), _keep),
    (lambda domain, host: domain == "linkedin.com", "/redir/redirect", ("url",), _keep),
    (lambda domain, host: host == "t.umblr.com", "/redirect", ("z",), _keep),
    (lambda domain, host: domain == "duckduckgo.com", "/l/", ("uddg",), _keep),
    (lambda domain, host: domain == "slack-redir.net", "/link", ("url",), _keep),
)


def _redirect_target(url: str) -> str | None:
    """The http(s) URL a known redirect wrapper points to, or None when it is not one."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    if not host or not parts.query:
        return None
    domain = registrable_domain(host) or host
    for applies_to, path, parameters, decode in _REDIRECT_RULES:
        if not applies_to(domain, host) or (path is not None and parts.path != path):
            continue
        values: dict[str, str] = {}
        for pair in parts.query.split("&"):
            name, _, value = pair.partition("=")
            values.setdefault(unquote(name), value)
        for parameter in parameters:
            target = decode(unquote(values.get(parameter, ""))).strip()
            if target.lower().startswith(("http://", "https://")):
                return target
    return None


def unwrap_redirect(url: str) -> str:
    """Follow known redirect wrappers (Google, Bing, Facebook…) to the URL they point to."""
    current = url.strip()
    for _ in range(MAX_UNWRAP_DEPTH):
        target = _redirect_target(current)
        if target is None:
            break
        current = target
    return current


def canonical_url(url: str | None) -> str | None:
    """Canonical http(s) URL: unwrapped, tracking-free, default port and fragment dropped."""
    if not url:
        return None
    current = _canonicalize(url)
    # Wrappers are recognised on the canonical form, so that a canonical URL is never a
    # wrapper that a second pass would unwrap (canonical_url is idempotent).
    for _ in range(MAX_UNWRAP_DEPTH):
        if current is None:
            return None
        target = _redirect_target(current)
        unwrapped = _canonicalize(target) if target is not None else None
        if unwrapped is None:
            return current
        current = unwrapped
    return current


# Sub-domains that serve a site's same pages to other devices or readers.
_MIRROR_PREFIXES = ("www.", "m.", "mobile.", "amp.")
_OTHER_READERS = _MIRROR_PREFIXES[1:]  # not www.: a site's own address as often as not
# Query parameters that only ask for the AMP rendering of a page ("amp", "amp=1").
_AMP_PARAMETER = "amp"
_AMP_OUTPUT = "outputtype=amp"


def same_page_key(canonical: str) -> str | None:
    """One key for the spellings of a canonical URL that publishers serve the same page at.

    http and https, ``www.`` and the bare domain, the mobile (``m.``) and AMP renderings, a
    trailing slash: feeds and search engines link one article under each of these, and a
    reader sees one article. The key is only compared, never shown or fetched. It is stored
    (``documents.page_key``, filled by migrations 0015 and 0017): a change here, or to the
    tracking parameters, needs a migration that fills the stored keys again, or old documents
    stop meeting their new sightings.
    """
    try:
        parts = urlsplit(canonical)
        host = parts.hostname
    except ValueError:
        return None
    if not host:
        return None
    site = registrable_domain(host)
    for prefix in _MIRROR_PREFIXES:
        if host.startswith(prefix) and host != site:
            host = host[len(prefix) :]
            break
    segments = [segment for segment in parts.path.split("/") if segment]
    if segments and segments[0] == "amp":
        segments = segments[1:]
    if segments and segments[-1] == "amp":
        segments = segments[:-1]
    pairs = sorted(
        pair
        for pair in parts.query.split("&")
        if pair
        and pair.lower() != _AMP_OUTPUT
        and pair.split("=", 1)[0].lower() != _AMP_PARAMETER
        # Canonical URLs drop them, but not those stored before a parameter was known.
        and not is_tracking_parameter(unquote_plus(pair.split("=", 1)[0]))
    )
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = "?" + "&".join(pairs) if pairs else ""
    return f"{netloc}/{'/'.join(segments)}{query}"


def mirror_marks(canonical: str) -> int:
    """How many marks of a copy for other devices or readers a page's address carries.

    http rather than https, a mobile or AMP host, an AMP path or parameter: of the spellings
    of one page (``same_page_key``), the one with the fewest is the address shown for it.
    """
    try:
        parts = urlsplit(canonical)
        host = parts.hostname or ""
    except ValueError:
        return 0
    segments = [segment for segment in parts.path.split("/") if segment]
    pairs = [pair.lower() for pair in parts.query.split("&") if pair]
    return (
        (parts.scheme == "http")
        + (host != registrable_domain(host) and host.startswith(_OTHER_READERS))
        + (bool(segments) and "amp" in (segments[0], segments[-1]))
        + any(pair == _AMP_OUTPUT or pair.split("=", 1)[0] == _AMP_PARAMETER for pair in pairs)
    )
