#!/usr/bin/env python3
"""SMTP capture server that insists on STARTTLS and authentication.

It stands in for a real submission server (port 587 style) in the tests, so
the SMTP mailer's TLS verification and login are exercised for real: a client
that does not upgrade to TLS, does not trust the certificate, or does not log
in cannot deliver anything.

Usage:

    python3 tests/services/smtp_starttls.py --host 127.0.0.1 --port N \
        --cert C --key K --maildir D

- ``--cert``/``--key``: PEM certificate and private key presented after
  STARTTLS (a self-signed certificate for ``localhost`` in the tests; the
  certificate file doubles as the CA the client must trust).
- ``--maildir``: each accepted message is written there, raw bytes as
  received, as ``<n>.eml`` with n = 1, 2, 3, ... The file appears atomically
  (written under a temporary name, then renamed), so a poller never reads half
  a message.
- Only user ``otp`` with password ``otp-test-password`` may log in (AUTH PLAIN
  or LOGIN, offered only after STARTTLS); MAIL FROM before login is refused.

It prints ``READY`` on stdout once it accepts connections, and exits cleanly on
SIGTERM or SIGINT. Needs ``aiosmtpd`` (``pip install aiosmtpd``).
"""

import argparse
import asyncio
import hmac
import itertools
import logging
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, TLSSetupException

from smtp_serve import serve_until_signalled

USER = b"otp"
PASSWORD = b"otp-test-password"


class MaildirHandler:
    """Writes each message into the maildir under the next free number."""

    def __init__(self, maildir: str) -> None:
        self.maildir = maildir
        self.numbers = itertools.count(1)

    def _next_path(self) -> str:
        # Skip numbers already taken, so a reused directory keeps old messages.
        while True:
            path = os.path.join(self.maildir, f"{next(self.numbers)}.eml")
            if not os.path.exists(path):
                return path

    async def handle_DATA(self, server, session, envelope) -> str:
        path = self._next_path()
        partial = path + ".part"
        with open(partial, "wb") as f:
            f.write(envelope.original_content)
        os.replace(partial, path)
        return "250 2.0.0 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and hmac.compare_digest(auth_data.login, USER)
        and hmac.compare_digest(auth_data.password, PASSWORD)
    )
    # handled=False lets aiosmtpd answer a failure with 535.
    return AuthResult(success=ok, handled=False)


class QuietLog(logging.Filter):
    """A client refusing the certificate is a case the tests provoke on
    purpose: one line says so, without a traceback. aiosmtpd warns about its
    own use of a deprecated attribute on every login: dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Session.login_data is deprecated"):
            return False
        if record.exc_info and isinstance(record.exc_info[1], TLSSetupException):
            record.msg = f"{record.msg}: TLS handshake failed"
            record.exc_info = None
            record.exc_text = None
        return True


async def serve(args: argparse.Namespace) -> None:
    os.makedirs(args.maildir, exist_ok=True)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)
    handler = MaildirHandler(args.maildir)

    def protocol() -> SMTP:
        return SMTP(
            handler,
            hostname="localhost",
            tls_context=tls,
            require_starttls=True,
            authenticator=authenticate,
            auth_required=True,
            auth_require_tls=True,
        )

    await serve_until_signalled(protocol, args.host, args.port)


def main() -> int:
    logging.getLogger("mail.log").addFilter(QuietLog())
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True, help="PEM certificate")
    parser.add_argument("--key", required=True, help="PEM private key")
    parser.add_argument("--maildir", required=True, help="directory for <n>.eml files")
    asyncio.run(serve(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
