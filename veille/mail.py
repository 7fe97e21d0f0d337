"""Sending e-mail through the configured SMTP server (digests, alerts).

Every failure becomes a :class:`DeliveryError` with a one-line hint; the SMTP password never
appears in a message. Addresses go out with their domain in ASCII (IDNA), which every server
takes; only accents before the ``@`` need a server offering SMTPUTF8.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formataddr, getaddresses, make_msgid, parseaddr
from pathlib import Path

from veille.delivery_settings import SmtpSettings
from veille.errors import VeilleError
from veille.normalize.domains import ascii_host

_REACH_HINT = "check VEILLE_SMTP_HOST/PORT (or [smtp] host/port) and that the mail server runs"
_SECURITY_HINT = "check VEILLE_SMTP_SECURITY: ssl for port 465, starttls for 587, none for 25"
_TLS_FIRST_HINT = (
    'set VEILLE_SMTP_SECURITY=starttls (or [smtp] security = "starttls"; port 587 by default), '
    "or ssl for port 465"
)
_LOGIN_FIRST_HINT = (
    "set VEILLE_SMTP_USER and VEILLE_SMTP_PASSWORD (or [smtp] user and password), most often "
    "with VEILLE_SMTP_SECURITY=starttls"
)
_ADDRESS_HEADERS = ("From", "To", "Cc")


class DeliveryError(VeilleError):
    """The mail server could not be reached or did not accept the message.

    ``accepted`` is true when the server took the message for some recipients and refused others
    (listed in ``refused``).
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        refused: tuple[str, ...] = (),
        accepted: bool = False,
    ) -> None:
        super().__init__(message, hint=hint)
        self.refused = refused
        self.accepted = accepted


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}".strip()


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    port = smtp.effective_port
    if smtp.security == "ssl":
        return smtplib.SMTP_SSL(smtp.host, port, timeout=smtp.timeout, context=context)
    client = smtplib.SMTP(smtp.host, port, timeout=smtp.timeout)
    if smtp.security == "starttls":
        client.ehlo()
        if not client.has_extn("starttls"):
            client.close()
            raise DeliveryError(
                f"the mail server {smtp.host}:{port} does not offer STARTTLS",
                hint=_SECURITY_HINT,
            )
        client.starttls(context=context)
        client.ehlo()
    return client


def ascii_address(address: str) -> str:
    """The address with its domain in ASCII (IDNA: ``dir@xn--socit-esab.fr``) when that is all
    it needs to be ASCII; otherwise as it is (it then needs a server offering SMTPUTF8)."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii() or not local.isascii():
        return address
    host = ascii_host(domain)
    return f"{local}@{host}" if host else address


def message_id(kind: str, from_address: str) -> str:
    """A Message-ID on the sender's domain, in ASCII (``<…veille-digest@xn--socit-esab.fr>``).

    Made when the message is built, before its addresses are written in ASCII to be sent: an
    accented domain here would make the message impossible to write.
    """
    _name, address = parseaddr(from_address)
    domain = ascii_host(address.rpartition("@")[2]) if "@" in address else None
    return make_msgid(kind, domain=domain or "localhost")


def _with_ascii_domains(message: EmailMessage) -> None:
    """Write the message's addresses with ASCII domains: a server without SMTPUTF8 refuses
    others, and the headers cannot carry them either (an encoded word is no domain)."""
    for header in _ADDRESS_HEADERS:
        values = message.get_all(header)
        if not values:
            continue
        pairs = getaddresses([str(value) for value in values])
        written = [(name, ascii_address(address)) for name, address in pairs]
        if written != pairs:
            del message[header]
            message[header] = ", ".join(formataddr(pair) for pair in written)


def _international(message: EmailMessage) -> bool:
    """Whether an address keeps accents once its domain is ASCII (it needs SMTPUTF8)."""
    values = [str(value) for header in _ADDRESS_HEADERS for value in message.get_all(header, [])]
    return not all(address.isascii() for _, address in getaddresses(values))


def write_preview(message: EmailMessage, html: str, eml: Path, page: Path) -> tuple[Path, Path]:
    """Write the message as it would be sent (``eml``) and its HTML part (``page``)."""
    _with_ascii_domains(message)
    # As smtplib writes it: UTF-8 headers only for addresses that need SMTPUTF8.
    policy = message.policy
    if _international(message) and isinstance(policy, EmailPolicy):
        policy = policy.clone(utf8=True)
    try:
        eml.parent.mkdir(parents=True, exist_ok=True)
        eml.write_bytes(message.as_bytes(policy=policy))
        page.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise VeilleError(
            f"cannot write the preview into {eml.parent}: {exc.strerror or exc}",
            hint="choose another folder with --out DIR",
        ) from None
    return eml, page


def _deliver(smtp: SmtpSettings, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
    _with_ascii_domains(message)
    client = _connect(smtp)
    try:
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        # The envelope takes the bare address ("Veille <veille@société.fr>" names one).
        sender = parseaddr(smtp.from_address)[1] or smtp.from_address
        refused = client.send_message(message, from_addr=ascii_address(sender))
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
    return refused


def send_message(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Send one message; raise DeliveryError (with a hint) unless every recipient was accepted."""
    where = f"{smtp.host}:{smtp.effective_port}"
    try:
        refused = _deliver(smtp, message)
    except DeliveryError:
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        codes = {code for code, _ in exc.recipients.values()}
        if codes == {530}:  # refused at RCPT by a server that wants TLS or a login first
            error = _wants_tls_or_login(where, *next(iter(exc.recipients.values())))
        else:
            reasons = "; ".join(f"{who}: {_reply(*why)}" for who, why in exc.recipients.items())
            error = DeliveryError(
                f"the mail server {where} refused every recipient ({reasons})",
                hint="the server refused the recipient(s): check the digest's addresses",
                refused=tuple(exc.recipients),
            )
    except smtplib.SMTPSenderRefused as exc:
        if exc.smtp_code == 530:
            error = _wants_tls_or_login(where, exc.smtp_code, exc.smtp_error)
        else:
            error = DeliveryError(
                f"the mail server {where} refused the sender {exc.sender} "
                f"({_reply(exc.smtp_code, exc.smtp_error)})",
                hint="the server refused the sender: check VEILLE_SMTP_FROM (or [smtp] from)",
            )
    except smtplib.SMTPAuthenticationError as exc:
        error = DeliveryError(
            f"the mail server {where} refused the login of {smtp.user!r} "
            f"({_reply(exc.smtp_code, exc.smtp_error)})",
            hint="check VEILLE_SMTP_USER and VEILLE_SMTP_PASSWORD (or VEILLE_SMTP_PASSWORD_FILE)",
        )
    except smtplib.SMTPNotSupportedError as exc:
        if "SMTPUTF8" in str(exc):
            error = _no_smtputf8(where, smtp, message)
        else:
            error = DeliveryError(f"the mail server {where}: {exc}", hint=_SECURITY_HINT)
    except smtplib.SMTPServerDisconnected as exc:
        if isinstance(exc.__context__, TimeoutError):
            # smtplib reports a reply that never came as a closed connection.
            error = _no_answer(where, smtp.timeout)
        else:
            error = DeliveryError(
                f"the mail server {where} closed the connection before accepting the message "
                f"({exc})",
                hint="try again later; the message was not sent, the next run sends it",
            )
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code == 530:
            error = _wants_tls_or_login(where, exc.smtp_code, exc.smtp_error)
        else:
            error = _not_accepted(where, exc)
    except ssl.SSLError as exc:
        error = DeliveryError(
            f"TLS with the mail server {where} failed ({exc.reason or exc})", hint=_SECURITY_HINT
        )
    except TimeoutError:
        error = _no_answer(where, smtp.timeout)
    except (OSError, smtplib.SMTPException) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        error = DeliveryError(
            f"cannot reach the mail server {where}: {reason or type(exc).__name__}",
            hint=_REACH_HINT,
        )
    else:
        if not refused:
            return
        reasons = "; ".join(f"{who}: {_reply(*why)}" for who, why in refused.items())
        error = DeliveryError(
            f"the mail server {where} refused some recipients ({reasons})",
            hint="the server refused the recipient(s): check the digest's addresses",
            refused=tuple(refused),
            accepted=True,
        )
    raise _without_password(error, smtp.password)


def _wants_tls_or_login(where: str, code: int, text: bytes | str) -> DeliveryError:
    """A 530: the server takes mail only over TLS, or only from a logged-in user."""
    reply = _reply(code, text)
    if "TLS" in reply.upper():
        return DeliveryError(
            f"the mail server {where} wants STARTTLS before it takes mail ({reply})",
            hint=_TLS_FIRST_HINT,
        )
    return DeliveryError(
        f"the mail server {where} wants a login before it takes mail ({reply})",
        hint=_LOGIN_FIRST_HINT,
    )


def _no_smtputf8(where: str, smtp: SmtpSettings, message: EmailMessage) -> DeliveryError:
    """Addresses with accents before the @, which a server without SMTPUTF8 cannot take."""
    values = [str(value) for header in _ADDRESS_HEADERS for value in message.get_all(header, [])]
    addresses = [smtp.from_address] + [address for _, address in getaddresses(values)]
    accented = ", ".join(dict.fromkeys(a for a in addresses if not ascii_address(a).isascii()))
    return DeliveryError(
        f"the mail server {where} does not take addresses with accents before the @ "
        f"(it offers no SMTPUTF8): {accented}",
        hint="give these recipients (or the sender) an address without accents before the @, "
        "or send through a server that offers SMTPUTF8",
    )


def _not_accepted(where: str, exc: smtplib.SMTPResponseException) -> DeliveryError:
    reply = _reply(exc.smtp_code, exc.smtp_error)
    if 400 <= exc.smtp_code < 500:  # a transient failure: greylisting, a full queue, …
        return DeliveryError(
            f"the mail server {where} could not take the message for now ({reply})",
            hint="a temporary failure on the server's side; the next run sends the message again",
        )
    return DeliveryError(
        f"the mail server {where} did not accept the message ({reply})",
        hint="the server refused the message; see its reply",
    )


def _no_answer(where: str, timeout: float) -> DeliveryError:
    return DeliveryError(
        f"the mail server {where} did not answer within {timeout:g} s",
        hint="the server is slow or overloaded: try again later, or raise [smtp] timeout; "
        "the next run sends what this one could not",
    )


def _without_password(error: DeliveryError, password: str | None) -> DeliveryError:
    if password and password in error.message:
        error.message = error.message.replace(password, "***")
        error.args = (error.message,)
    return error
