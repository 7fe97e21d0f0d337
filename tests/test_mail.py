"""Sending mail through a real SMTP server on 127.0.0.1: success, and every way it can fail."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.smtpserver import SmtpServer, free_port
from veille.mail import DeliveryError, send_message, write_preview

SECRET = "s3cret-Pa55word"


def message(*recipients: str) -> EmailMessage:
    """A small message to the given recipients."""
    built = EmailMessage()
    built["Subject"] = "Test"
    built["From"] = "veille@example.org"
    built["To"] = ", ".join(recipients or ("com@example.org",))
    built.set_content("Bonjour")
    return built


def failure(error: DeliveryError) -> str:
    """Everything a user could see of an error."""
    return f"{error} {error.hint} {error.args!r}"


def test_a_message_is_delivered() -> None:
    with SmtpServer() as server:
        send_message(server.smtp_settings(), message("a@example.org", "b@example.org"))
        [received] = server.received
    assert received.sender == "veille@example.org"
    assert received.recipients == ("a@example.org", "b@example.org")
    assert received.message.get_content().strip() == "Bonjour"


def test_login_with_user_and_password() -> None:
    with SmtpServer(user="veille", password=SECRET) as server:
        send_message(server.smtp_settings(user="veille", password=SECRET), message())
        assert len(server.messages) == 1


def test_a_refused_login_never_shows_the_password() -> None:
    with SmtpServer(user="veille", password="the-right-one") as server:
        with pytest.raises(DeliveryError) as caught:
            send_message(server.smtp_settings(user="veille", password=SECRET), message())
        assert server.messages == []
    assert "refused the login of 'veille'" in str(caught.value)
    assert "VEILLE_SMTP_PASSWORD" in str(caught.value.hint)
    assert SECRET not in failure(caught.value)


def test_an_unreachable_server_says_what_to_check() -> None:
    with SmtpServer() as server:
        settings = server.smtp_settings(port=free_port(), password=SECRET, user="veille")
    with pytest.raises(DeliveryError) as caught:
        send_message(settings, message())
    assert f"cannot reach the mail server 127.0.0.1:{settings.port}" in str(caught.value)
    assert "VEILLE_SMTP_HOST/PORT" in str(caught.value.hint)
    assert SECRET not in failure(caught.value)


def test_every_recipient_refused() -> None:
    with SmtpServer() as server:
        server.refuse("gone@example.org")
        with pytest.raises(DeliveryError) as caught:
            send_message(server.smtp_settings(), message("gone@example.org"))
    error = caught.value
    assert "refused every recipient (gone@example.org: 550" in str(error)
    assert "refused the recipient" in str(error.hint)
    assert (error.refused, error.accepted) == (("gone@example.org",), False)


def test_some_recipients_refused() -> None:
    with SmtpServer() as server:
        server.refuse("gone@example.org")
        with pytest.raises(DeliveryError) as caught:
            send_message(server.smtp_settings(), message("ok@example.org", "gone@example.org"))
        assert len(server.messages) == 1
    assert (caught.value.refused, caught.value.accepted) == (("gone@example.org",), True)


def test_a_refused_sender() -> None:
    with SmtpServer() as server:
        server.refused_senders.add("veille@example.org")
        with pytest.raises(DeliveryError) as caught:
            send_message(server.smtp_settings(), message())
        assert server.messages == []
    assert "refused the sender veille@example.org (553" in str(caught.value)
    assert "VEILLE_SMTP_FROM" in str(caught.value.hint)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("close", "closed the connection before accepting the message"),
        ("reject", "did not accept the message (554"),
    ],
)
def test_the_server_fails_during_the_message(mode: str, expected: str) -> None:
    with SmtpServer() as server:
        server.mode = mode
        with pytest.raises(DeliveryError) as caught:
            send_message(server.smtp_settings(), message())
        assert server.messages == []
    assert expected in str(caught.value) and caught.value.hint


def test_a_temporary_failure_says_it_is_temporary() -> None:
    with SmtpServer() as server:
        server.mode = "defer"
        with pytest.raises(DeliveryError) as caught:
            send_message(server.smtp_settings(), message())
        assert server.messages == []
    error = caught.value
    assert "could not take the message for now (451 4.3.0 try again later)" in str(error)
    assert "temporary" in str(error.hint) and "next run" in str(error.hint)
    assert "refused" not in f"{error} {error.hint}"


def test_starttls_asked_of_a_server_without_it() -> None:
    with SmtpServer() as server:
        with pytest.raises(DeliveryError) as caught:
            send_message(server.smtp_settings(security="starttls"), message())
        assert server.messages == []
    assert "does not offer STARTTLS" in str(caught.value)
    assert "VEILLE_SMTP_SECURITY" in str(caught.value.hint)


def test_ssl_asked_of_a_plain_server() -> None:
    with SmtpServer() as server, pytest.raises(DeliveryError) as caught:
        send_message(server.smtp_settings(security="ssl"), message())
    assert "VEILLE_SMTP_SECURITY" in str(caught.value.hint)


@pytest.mark.parametrize(
    ("reply", "wants", "hint"),
    [
        ("530 5.7.0 Must issue a STARTTLS command first", "STARTTLS", 'security = "starttls"'),
        ("530 5.7.0 Authentication required", "a login", "VEILLE_SMTP_USER"),
    ],
)
def test_a_server_wanting_tls_or_a_login_first_says_so(reply: str, wants: str, hint: str) -> None:
    with SmtpServer() as server:
        server.sender_reply = reply
        with pytest.raises(DeliveryError) as caught:
            send_message(server.smtp_settings(), message())
        assert server.messages == []
    error = caught.value
    assert f"wants {wants} before it takes mail ({reply})" in str(error)
    assert hint in str(error.hint) and "VEILLE_SMTP_FROM" not in str(error.hint)


def test_an_accented_domain_is_sent_in_its_ascii_form() -> None:
    with SmtpServer(smtputf8=False) as server:
        send_message(server.smtp_settings(), message("dir@société.fr", "com@example.org"))
        [received] = server.received
    assert received.recipients == ("dir@xn--socit-esab.fr", "com@example.org")
    assert received.message["To"] == "dir@xn--socit-esab.fr, com@example.org"


@pytest.mark.parametrize("sender", ["veille@société.fr", "Veille Presse <veille@société.fr>"])
def test_digests_and_alerts_from_an_accented_domain_are_sent(sender: str) -> None:
    from veille.alerts.render import alert_message
    from veille.digest.render import build_message

    with SmtpServer(smtputf8=False) as server:
        smtp = server.smtp_settings(**{"from": sender})
        for build in (build_message, alert_message):
            send_message(smtp, build(smtp, ["com@example.org"], "Objet", "texte", "<p>texte</p>"))
        received = server.received
    assert [r.sender for r in received] == ["veille@xn--socit-esab.fr"] * 2
    for each in received:
        assert str(each.message["Message-ID"]).endswith("@xn--socit-esab.fr>")


def test_an_accented_mailbox_name_needs_a_server_that_takes_it() -> None:
    with SmtpServer(smtputf8=False) as server:
        with pytest.raises(DeliveryError) as caught:
            send_message(server.smtp_settings(), message("andré@example.org"))
        assert server.messages == []
    error = caught.value
    assert "andré@example.org" in str(error) and "SMTPUTF8" in str(error)
    assert "VEILLE_SMTP_SECURITY" not in str(error.hint) and "without accents" in str(error.hint)


def test_digests_and_alerts_go_out_in_7_bit_whatever_their_accents() -> None:
    # Short lines with accents: as 8bit they would need BODY=8BITMIME, which is not said.
    from veille.alerts.render import alert_message
    from veille.digest.render import build_message

    text = "Rappel : les clients sont déçus\n« Danone » répond\n"
    html = "<p>Les clients sont déçus — « Danone » répond</p>\n" + "<p>é</p>" * 400 + "\n"
    with SmtpServer() as server:
        smtp = server.smtp_settings()
        for build in (build_message, alert_message):
            send_message(smtp, build(smtp, ["com@example.org"], "Été", text, html))
        received = server.received
    assert len(received) == 2
    for each in received:
        assert each.raw.isascii(), each.raw[:400]
        assert max(len(line) for line in each.raw.splitlines()) <= 78
        assert not any(option.upper().startswith("BODY=") for option in each.mail_options)
        plain, rich = each.message.get_body(("plain",)), each.message.get_body(("html",))
        assert plain is not None and rich is not None
        read = [part.get_content().replace("\r\n", "\n") for part in (plain, rich)]
        assert read == [text, html]
        assert each.message["Subject"] == "Été"


@pytest.mark.parametrize("kind", ["digest", "alert"])
def test_a_preview_is_the_message_as_sent(tmp_path: Path, kind: str) -> None:
    from veille.alerts.render import alert_message
    from veille.digest.render import build_message

    build = build_message if kind == "digest" else alert_message
    sender = "Veille Médias Société <veille@société.fr>"
    with SmtpServer(smtputf8=False) as server:
        smtp = server.smtp_settings(**{"from": sender})
        written = build(smtp, ["dir@société.fr"], "Objet", "texte", "<p>texte</p>")
        eml, page = write_preview(written, "<p>texte</p>", tmp_path / "m.eml", tmp_path / "m.html")
        send_message(smtp, build(smtp, ["dir@société.fr"], "Objet", "texte", "<p>texte</p>"))
        [received] = server.received
    preview = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(preview, EmailMessage)
    for header in ("From", "To"):
        assert preview[header].defects == ()
        assert str(preview[header]) == str(received.message[header])
    [author] = preview["From"].addresses
    assert (author.display_name, author.domain) == ("Veille Médias Société", "xn--socit-esab.fr")
    assert page.read_text(encoding="utf-8") == "<p>texte</p>"
