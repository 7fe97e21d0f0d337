"""UTF-8 feeds with a few bytes of another encoding pasted in, repaired before they are read.

A CMS writes UTF-8, and one snippet pasted from elsewhere brings a Latin-1 « é » (byte E9).
feedparser then finds the document is not UTF-8 and reads all of it as windows-1252, so that
every other accent becomes mojibake (« sociÃ©tÃ© ») and brand queries stop matching. Here
such a body is decoded as UTF-8 and only the bytes that are not UTF-8 are read as
windows-1252, one at a time (what such a byte almost always is): a bad byte damages at most
its own word.

Only a body meant to be UTF-8 (by the charset of its Content-Type, else its XML declaration,
else by default, as feedparser chooses) is repaired, and only when most of its non-ASCII
bytes are valid UTF-8: a body in windows-1252 or ISO-8859-1 declared UTF-8 by mistake is
mostly invalid bytes, and feedparser's reading of the whole body in windows-1252 stays right
for it.
"""

from __future__ import annotations

import codecs
import re

from feedparser.encodings import RE_XML_PI_ENCODING, parse_content_type

_HIGH_BYTES = bytes(range(0x80, 0x100))
# How a UTF-16 or UTF-32 body (BOM or "<?" in two or four bytes) or an EBCDIC one begins.
_NOT_ASCII_BASED = re.compile(rb"\xff\xfe|\xfe\xff|[^\x00]{0,3}\x00|\x4c\x6f\xa7\x94")
# surrogateescape gives each byte that is not UTF-8 as one of these code points.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _read_as_windows_1252(escaped: re.Match[str]) -> str:
    byte = bytes([ord(escaped.group()) - 0xDC00])
    # The five bytes windows-1252 leaves undefined (81, 8D, 8F, 90, 9D) are no text.
    return byte.decode("cp1252", "replace")


def _intended_encoding(body: bytes, headers: dict[str, str]) -> str:
    """The encoding feedparser reads this body in first, when it can (its headers given).

    The charset of the Content-Type, else the XML declaration's, else UTF-8. A charset of
    US-ASCII (or text/* without charset, which feedparser takes for it) cannot hold a
    non-ASCII body, so feedparser goes on to the declaration: so does this.
    """
    _, charset = parse_content_type(headers.get("content-type", ""))
    if charset and _codec_name(charset) != "ascii":
        return charset
    declared = RE_XML_PI_ENCODING.match(body.removeprefix(codecs.BOM_UTF8))
    return declared.group(1).decode("ascii", "replace") if declared else "utf-8"


def _codec_name(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def repair_stray_bytes(body: bytes, headers: dict[str, str]) -> tuple[bytes, str | None]:
    """The body, with the bytes of a UTF-8 feed that are not UTF-8 read as windows-1252.

    ``headers`` are the response headers as feedparser sees them. Return the body unchanged
    and None when there is nothing to repair (valid UTF-8, another encoding, or a body mostly
    not UTF-8); otherwise the repaired body, valid UTF-8, and a warning saying what was done.
    """
    if body.isascii() or _NOT_ASCII_BASED.match(body):
        return body, None
    if _codec_name(_intended_encoding(body, headers)) != "utf-8":
        return body, None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        first_bad = error.start
    else:
        return body, None
    text = body.decode("utf-8", "surrogateescape")
    stray = len(_ESCAPED_BYTE.findall(text))
    non_ascii = len(body) - len(body.translate(None, _HIGH_BYTES))
    if non_ascii - stray <= stray:
        return body, None  # mostly not UTF-8: another encoding, read as a whole by feedparser
    repaired = _ESCAPED_BYTE.sub(_read_as_windows_1252, text).encode("utf-8")
    line = body.count(b"\n", 0, first_bad) + 1
    what = "1 byte" if stray == 1 else f"{stray} bytes"
    return repaired, f"{what} not in UTF-8 read as windows-1252 (the first on line {line})"
