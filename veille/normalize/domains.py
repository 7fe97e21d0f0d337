"""Host names: ASCII (IDNA) form and registrable domain (eTLD+1)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

import idna
from publicsuffixlist import PublicSuffixList

from veille.normalize.lookalikes import is_deceptive_label

# Letters, digits, hyphens and underscores (seen in real sub-domains), dot-separated.
_ASCII_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")


@lru_cache(maxsize=1)
def _suffix_list() -> PublicSuffixList:
    # The list ships inside the publicsuffixlist package; it is never downloaded at run time.
    return PublicSuffixList()


@lru_cache(maxsize=16384)
def ascii_host(host: str) -> str | None:
    """Lower-case ASCII (IDNA) form of a host name or IP address, or None when it is invalid."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError:
            return None
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (UnicodeError, ValueError):
            return None
    return host if _ASCII_HOST.fullmatch(host) else None


# What may start an address before its host (https://), and what ends the host in one.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_AFTER_HOST = re.compile(r"[/?#]")


class SectionOfSiteError(ValueError):
    """A site written as a page or section of it (lemonde.fr/economie): sites are compared
    whole, so it would silently stand for all of ``host``."""

    def __init__(self, host: str) -> None:
        super().__init__(f"compares sites, not pages or sections; write {host}")
        self.host = host


def whole_site(value: str) -> str:
    """A site as a ``site:`` scope or a site filter writes it (lemonde.fr, or an address copied
    from a browser, https://www.lemonde.fr/), as written but for the scheme and a final "/";
    SectionOfSiteError when a path, query or fragment follows the host."""
    written = value.strip()
    scheme = _SCHEME.match(written)
    if scheme is not None:
        written = written[scheme.end() :]
    after_host = _AFTER_HOST.search(written)
    if after_host is None:
        return written
    host = written[: after_host.start()]
    if written[after_host.start() :] != "/":
        raise SectionOfSiteError(host)
    return host


def is_ip_address(host: str) -> bool:
    """Whether a host is a literal IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def host_of(url_or_host: str) -> str | None:
    """The ASCII host of a URL, or of a bare host name with an optional port and path."""
    value = url_or_host.strip()
    if not value:
        return None
    if "://" in value or value.startswith("//"):
        try:
            hostname = urlsplit(value).hostname
        except ValueError:
            return None
    else:
        hostname = value.split("/", 1)[0]
        if hostname.startswith("["):
            hostname = hostname.split("]", 1)[0] + "]"
        elif hostname.count(":") == 1:
            hostname = hostname.split(":", 1)[0]
    return ascii_host(hostname) if hostname else None


@lru_cache(maxsize=16384)
def registrable_domain(url_or_host: str | None) -> str | None:
    """Registrable domain (eTLD+1) of a URL or host; IPs and single labels are returned as is."""
    if not url_or_host:
        return None
    host = host_of(url_or_host)
    if host is None:
        return None
    if is_ip_address(host):
        return host
    # A host that is itself a public suffix ("localhost", "co.uk") has no eTLD+1: it is
    # its own site.
    return _suffix_list().privatesuffix(host) or host


def site_host(site: str | None, url: str | None) -> str | None:
    """The host a document was published on, for ``site:`` scopes that name a subdomain.

    ``site`` is the document's registrable domain, ``url`` its (canonical) address. The URL's
    host is only taken when it belongs to that site: an aggregator's link (Google News) gives
    the publisher's domain as site, and its own host says nothing of the publisher's.
    """
    if not site or not url:
        return site
    host = host_of(url)
    if host is None or not (host == site or host.endswith("." + site)):
        return site
    return host


@lru_cache(maxsize=4096)
def readable_host(host: str | None) -> str | None:
    """A host as its readers write it: « blog.beauté.fr » for blog.xn--beaut-fsa.fr.

    Sites are stored and compared in their ASCII (IDNA) form; they are shown in this one,
    unless a label could pass for another site's (« lеmonde.fr » with a Cyrillic е, « аррӏе.com »):
    such a host stays in its ASCII form (xn--lmonde-3of.fr), as browsers show it.
    """
    if not host or "xn--" not in host:
        return host
    try:
        decoded = idna.decode(host, uts46=True)
    except (UnicodeError, ValueError):
        return host
    ascii_tld = not host.rsplit(".", 1)[-1].startswith("xn--")
    if any(is_deceptive_label(label, ascii_tld=ascii_tld) for label in decoded.split(".")):
        return host
    return decoded
