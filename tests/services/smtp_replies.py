#!/usr/bin/env python3
"""SMTP server that refuses whatever the addresses ask it to refuse.

It stands in for a relay that turns mail away, so the tests can check how the
SMTP mailer classifies each refusal against a real SMTP conversation. The
reply is chosen by the local part of an address:

- ``RCPT TO:<550-5.1.1@example.com>`` is answered
  ``550 5.1.1 <550-5.1.1@example.com>: refused as its local part asks``
  (real servers quote the address they refuse); ``RCPT TO:<553@…>`` gets
  ``553 <553@…>: …`` with no enhanced status code.
- ``MAIL FROM:<…>`` reads the sender's local part the same way.
- ``data-554-5.7.1@example.com`` as a recipient is accepted at RCPT and the
  message is refused after DATA with ``554 5.7.1 Message rejected: …``, as
  relays that check the whole message (Amazon SES) do.
- Any other local part is accepted; messages are read and discarded.

The local part is ``CODE`` or ``CODE-X.Y.Z``, optionally followed by ``+tag``
to keep addresses apart: CODE is a 4xx or 5xx reply, X.Y.Z an RFC 3463 code.

AUTH PLAIN and LOGIN are offered on the plain connection and every login is
refused with ``535 5.7.8``; a client that does not log in is served as above.

Usage:

    python3 tests/services/smtp_replies.py --host 127.0.0.1 --port N

It prints ``READY`` on stdout once it accepts connections, and exits cleanly on
SIGTERM or SIGINT. Needs ``aiosmtpd`` (``pip install aiosmtpd``).
"""

import argparse
import asyncio
import re
import sys

from aiosmtpd.smtp import SMTP, AuthResult

from smtp_serve import serve_until_signalled

LOCAL_PART = re.compile(
    r"""^(?P<data>data-)?
        (?P<code>[45]\d\d)
        (?:-(?P<status>[45]\.\d{1,3}\.\d{1,3}))?
        (?:\+.*)?$""",
    re.VERBOSE,
)


def refusal(address: str, stage: str) -> str | None:
    """The reply `address` asks for at `stage` (``envelope`` or ``data``),
    or None to accept it."""
    match = LOCAL_PART.match(address.rpartition("@")[0])
    if not match or (match["data"] is not None) != (stage == "data"):
        return None
    code = match["code"]
    prefix = f"{code} {match['status']}" if match["status"] else code
    if stage == "data":
        return f"{prefix} Message rejected: refused after DATA as the recipient's local part asks"
    return f"{prefix} <{address}>: refused as its local part asks"


class RefusingHandler:
    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        reply = refusal(address, "envelope")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        reply = refusal(address, "envelope")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        for address in envelope.rcpt_tos:
            reply = refusal(address, "data")
            if reply:
                return reply
        return "250 2.0.0 Message accepted and discarded"


def refuse_every_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    # handled=False lets aiosmtpd answer with its 535 5.7.8.
    return AuthResult(success=False, handled=False)


async def serve(args: argparse.Namespace) -> None:
    handler = RefusingHandler()

    def protocol() -> SMTP:
        return SMTP(
            handler,
            hostname="localhost",
            authenticator=refuse_every_login,
            auth_require_tls=False,
        )

    await serve_until_signalled(protocol, args.host, args.port)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
