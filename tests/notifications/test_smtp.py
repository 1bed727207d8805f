"""The SMTP sender against a real SMTP server on loopback (aiosmtpd): plain, STARTTLS and
implicit TLS, with and without a login; one connection for many messages; clear errors."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
import trustme

from notifications import mail
from notifications.errors import RecipientDeferred, RecipientError, TransportError
from notifications.smtp import SmtpConfig, SmtpSender
from tests.mailserver import free_port, mail_server
from tests.notifications.samples import AS_OF, digest, email, item

PASSWORD = "s3cret-Pa55"


@pytest.fixture(scope="module")
def certificates() -> Iterator[tuple[ssl.SSLContext, ssl.SSLContext]]:
    """(server context, client context trusting it) for 127.0.0.1."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    yield server, client


def message(n: int, to: str = "researcher@ki.se"):  # type: ignore[no-untyped-def]
    return mail.digest_message(digest(), sender="monitor@ki.se", recipient=to,
                               message_id=f"<d.{n}@ki.se>", date=AS_OF)  # fmt: skip


def test_many_messages_over_one_plain_connection() -> None:
    with mail_server() as box:
        config = SmtpConfig(host=box.host, port=box.port, security="none")
        with SmtpSender(config) as smtp:
            for n in range(5):
                smtp.send(message(n, f"r{n}@ki.se"))
        assert box.connections == 1
        assert [m["Message-ID"] for m in box.messages] == [f"<d.{n}@ki.se>" for n in range(5)]
        assert box.envelopes[2] == ("monitor@ki.se", ["r2@ki.se"])


def test_starttls_with_login(certificates) -> None:  # type: ignore[no-untyped-def]
    server_tls, client_tls = certificates
    with mail_server(tls=server_tls, login=("monitor", PASSWORD)) as box:
        config = SmtpConfig(host=box.host, port=box.port, security="starttls",
                            username="monitor", password=PASSWORD, tls=client_tls)  # fmt: skip
        with SmtpSender(config) as smtp:
            smtp.send(message(1))
            smtp.send(message(2))
        assert box.logins == ["monitor"] and len(box.messages) == 2 and box.connections == 1


def test_implicit_tls_with_login(certificates) -> None:  # type: ignore[no-untyped-def]
    server_tls, client_tls = certificates
    with mail_server(tls=server_tls, implicit_tls=True, login=("monitor", PASSWORD)) as box:
        config = SmtpConfig(host=box.host, port=box.port, security="ssl",
                            username="monitor", password=PASSWORD, tls=client_tls)  # fmt: skip
        with SmtpSender(config) as smtp:
            smtp.send(message(1))
        assert len(box.messages) == 1


def test_untrusted_certificate_is_a_transport_error(certificates) -> None:  # type: ignore[no-untyped-def]
    server_tls, _ = certificates
    with mail_server(tls=server_tls) as box:
        config = SmtpConfig(host=box.host, port=box.port, security="starttls")
        with pytest.raises(TransportError, match="cannot connect"), SmtpSender(config) as smtp:
            smtp.send(message(1))
        assert box.messages == []


def test_wrong_password_names_the_user_never_the_password(certificates) -> None:  # type: ignore[no-untyped-def]
    server_tls, client_tls = certificates
    with mail_server(tls=server_tls, login=("monitor", PASSWORD)) as box:
        config = SmtpConfig(
            host=box.host,
            port=box.port,
            security="starttls",
            username="monitor",
            password="wrong-" + PASSWORD,
            tls=client_tls,
        )
        with pytest.raises(TransportError) as info, SmtpSender(config) as smtp:
            smtp.send(message(1))
    assert "monitor" in str(info.value) and PASSWORD not in str(info.value)
    assert "SMTP_PASSWORD" in (info.value.hint or "")
    assert PASSWORD not in repr(config)


def test_refused_recipient_is_permanent_and_busy_server_is_not() -> None:
    with mail_server() as box:
        box.refuse.add("gone@ki.se")
        config = SmtpConfig(host=box.host, port=box.port, security="none")
        with SmtpSender(config) as smtp:
            with pytest.raises(RecipientError, match="gone@ki.se"):
                smtp.send(message(1, "gone@ki.se"))
            smtp.send(message(2))  # the connection is still usable
            box.fail_from = 1
            with pytest.raises(TransportError, match="451"):
                smtp.send(message(3))
        assert [m["Message-ID"] for m in box.messages] == ["<d.2@ki.se>"]


def test_a_recipient_refused_for_now_is_deferred_alone() -> None:
    with mail_server() as box:
        box.defer.add("full@ki.se")
        config = SmtpConfig(host=box.host, port=box.port, security="none")
        with SmtpSender(config) as smtp:
            with pytest.raises(RecipientDeferred, match="full@ki.se: 450") as deferred:
                smtp.send(message(1, "full@ki.se"))
            smtp.send(message(2))  # the connection is still usable
        assert not isinstance(deferred.value, (RecipientError, TransportError))
        assert deferred.value.retry and "next run" in deferred.value.hint
        assert [m["Message-ID"] for m in box.messages] == ["<d.2@ki.se>"]


def test_no_server_is_a_transport_error() -> None:
    config = SmtpConfig(host="127.0.0.1", port=free_port(), security="none", timeout=2)
    with pytest.raises(TransportError, match="cannot connect to SMTP server 127.0.0.1"):
        SmtpSender(config).send(message(1))


@pytest.mark.parametrize("language", ["en", "sv"])
def test_wire_bytes_are_the_standard_generators_bytes(language: str) -> None:
    import io
    from email.generator import BytesGenerator

    from notifications.smtp import wire_bytes

    long_link = "https://monitor.example.org/unsubscribe?token=" + "Wz" * 80
    built = mail.digest_message(digest(language=language, unsubscribe_url=long_link),
                                sender="Övervakning <monitor@ki.se>", recipient="r@ki.se",
                                message_id="<d.1@ki.se>", date=AS_OF)  # fmt: skip
    out = io.BytesIO()
    BytesGenerator(out, policy=built.policy.clone(linesep="\r\n")).flatten(built)
    assert wire_bytes(built) == out.getvalue()
    assert b"\r\nList-Unsubscribe: <" + long_link.encode() + b">\r\n" in wire_bytes(built)


def test_a_server_without_8bitmime_gets_quoted_printable() -> None:
    from email import message_from_bytes, policy

    from notifications.smtp import seven_bit, wire_bytes

    built = email(digest(language="sv"))
    assert not wire_bytes(built).isascii()  # 8bit UTF-8 as built
    plain = wire_bytes(seven_bit(built))
    assert plain.isascii() and b"Content-Transfer-Encoding: quoted-printable" in plain
    before = message_from_bytes(wire_bytes(built), policy=policy.default)
    after = message_from_bytes(plain, policy=policy.default)
    for kind in ("plain", "html"):
        assert after.get_body((kind,)).get_content() == before.get_body((kind,)).get_content()


def test_a_line_over_998_octets_is_quoted_printable() -> None:
    long_title = "Ö" * 1200
    built = mail.digest_message(digest(item(1, title=long_title), changed=()),
                                sender="monitor@ki.se", recipient="r@ki.se",
                                message_id="<d.1@ki.se>", date=AS_OF)  # fmt: skip
    from notifications.smtp import wire_bytes

    raw = wire_bytes(built)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert b"quoted-printable" in raw


def test_notice_subject_cannot_add_headers() -> None:
    from notifications.digest import Notice
    from notifications.smtp import wire_bytes

    notice = Notice(language="en", timezone="UTC", as_of=AS_OF, source="evil\r\nBcc: x@evil.org",
                    state="unhealthy", reason="HTTP 503")  # fmt: skip
    raw = wire_bytes(mail.notice_message(notice, sender="m@ki.se", recipient="c@ki.se",
                                         message_id="<n.1@ki.se>", date=AS_OF))  # fmt: skip
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in headers and b"Subject: Source evil Bcc: x@evil.org" in headers
