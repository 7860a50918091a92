#!/usr/bin/env python3
"""Hands one message to an SMTP server with Python's smtplib, timed: the
yardstick the service's own hand-off is measured against (the `mail` mode of
the service bench, run by scripts/bench).

    python3 smtplib_handoff.py --url URL [--ca FILE] --message FILE \\
        --sender ADDR --recipient ADDR

- ``--url``: the service's ``OTP_SMTP_URL``: ``smtp://[user:password@]host:port``,
  with ``?tls=required`` for STARTTLS.
- ``--ca``: a PEM CA to trust for STARTTLS besides the system's (the service's
  ``OTP_SMTP_CA_FILE``).
- ``--message``: the raw message, sent as it is.

It opens one session first (connect, EHLO, STARTTLS and EHLO again if the URL
asks, login if it names a user). Then, for every line read on stdin, it
prints one line with two figures in milliseconds:

1. the message handed over on that open session (MAIL, RCPT, DATA, the
   message, until the server's reply to it);
2. the message handed over in a session of its own, as a script does it:
   connect to the server's reply to the message (the QUIT after it is not
   timed).
"""

import argparse
import smtplib
import ssl
import sys
import time
from urllib.parse import parse_qs, unquote, urlsplit

# smtplib otherwise looks up the machine's fully qualified name (DNS) for
# every EHLO; lettre, in the service, sends the host name it already has.
HELO_NAME = "localhost"


class Relay:
    def __init__(self, url: str, ca: str | None) -> None:
        parts = urlsplit(url)
        if parts.scheme != "smtp":
            raise SystemExit(f"unsupported scheme {parts.scheme!r}: use smtp://")
        self.host = parts.hostname
        self.port = parts.port or 25
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = parse_qs(parts.query).get("tls") == ["required"]
        self.context = ssl.create_default_context(cafile=ca) if self.starttls else None

    def session(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, local_hostname=HELO_NAME)
        smtp.ehlo()
        if self.starttls:
            smtp.starttls(context=self.context)
            smtp.ehlo()
        if self.user:
            smtp.login(self.user, self.password)
        return smtp


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca")
    parser.add_argument("--message", required=True)
    parser.add_argument("--sender", required=True)
    parser.add_argument("--recipient", required=True)
    args = parser.parse_args()
    with open(args.message, "rb") as f:
        message = f.read()
    relay = Relay(args.url, args.ca)
    kept = relay.session()
    for _ in sys.stdin:
        started = time.perf_counter()
        kept.sendmail(args.sender, [args.recipient], message)
        on_open = time.perf_counter() - started

        started = time.perf_counter()
        own = relay.session()
        own.sendmail(args.sender, [args.recipient], message)
        in_own = time.perf_counter() - started
        own.quit()

        print(f"{on_open * 1000:.3f} {in_own * 1000:.3f}", flush=True)
    kept.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
