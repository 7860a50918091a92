#!/usr/bin/env python3
"""Process plumbing for the test services started by `scripts/services`.

The shell script decides what runs; this module does the parts that shell
does badly: asking the kernel for free ports, starting a service in its own
process group that dies with the script even if the script is killed with
SIGKILL, waiting for a service to answer (with a deadline, failing at once if
it exits), and stopping whole process groups.

    harness.py free-ports N
    harness.py spawn --log FILE [--cwd DIR] -- CMD [ARG]...
    harness.py wait --pid PID --log FILE --timeout S (dynamodb URL | http URL | smtp HOST:PORT)
    harness.py stop [--timeout S] PGID...
"""

import argparse
import ctypes
import json
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request

PR_SET_PDEATHSIG = 1


def free_ports(count: int) -> list[int]:
    """Ports the kernel hands out for loopback; all held open until each is
    chosen, so the `count` ports are distinct."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def spawn(log: str, cwd: str | None, command: list[str]) -> None:
    """Replaces this process with `command`, keeping the PID the shell knows."""
    parent = os.getppid()
    os.setsid()
    # If the script that started us dies, so do we: no orphaned servers.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        sys.exit("the parent exited before the service started")
    if cwd:
        os.chdir(cwd)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.execvp(command[0], command)


def alive(pid: int) -> bool:
    """True while `pid` runs; a zombie has exited and only waits to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def group_members(pgids: set[int]) -> list[int]:
    """Live processes whose process group is one of `pgids`."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # After the command name: state, ppid, pgrp.
        if fields[0] not in ("Z", "X") and int(fields[2]) in pgids:
            members.append(int(entry))
    return members


def probe_dynamodb(url: str) -> bool:
    request = urllib.request.Request(
        url,
        data=b"{}",
        method="POST",
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/"
            "dynamodb/aws4_request, SignedHeaders=host, Signature=x",
        },
    )
    with urllib.request.urlopen(request, timeout=2) as response:
        return response.status == 200 and "TableNames" in json.load(response)


def probe_http(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200


def probe_smtp(address: str) -> bool:
    host, _, port = address.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=2) as s:
        s.settimeout(2)
        banner = s.recv(512)
        s.sendall(b"QUIT\r\n")
        return banner.startswith(b"220")


PROBES = {"dynamodb": probe_dynamodb, "http": probe_http, "smtp": probe_smtp}


def tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except FileNotFoundError:
        return "(no log)\n"


def wait(pid: int, log: str, timeout: float, kind: str, target: str) -> int:
    """Polls until the service answers; fails at once if it exits first."""
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while True:
        if not alive(pid):
            sys.stderr.write(f"{kind} at {target} exited before it was ready; log {log}:\n")
            sys.stderr.write(tail(log))
            return 1
        try:
            if PROBES[kind](target):
                return 0
            last_error = "unexpected answer"
        except (OSError, ValueError, urllib.error.URLError) as error:
            last_error = str(error)
        if time.monotonic() >= deadline:
            sys.stderr.write(
                f"{kind} at {target} not ready after {timeout:g}s ({last_error}); log {log}:\n"
            )
            sys.stderr.write(tail(log))
            return 1
        time.sleep(0.1)


def stop(pgids: set[int], timeout: float) -> int:
    """SIGTERM to each group, SIGKILL to whatever is left after `timeout`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pgid in pgids:
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while group_members(pgids):
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        else:
            return 0
    left = group_members(pgids)
    if left:
        sys.stderr.write(f"processes still running after SIGKILL: {left}\n")
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("free-ports")
    p.add_argument("count", type=int)

    p = commands.add_parser("spawn")
    p.add_argument("--log", required=True)
    p.add_argument("--cwd")
    p.add_argument("argv", nargs=argparse.REMAINDER)

    p = commands.add_parser("wait")
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("kind", choices=sorted(PROBES))
    p.add_argument("target")

    p = commands.add_parser("stop")
    p.add_argument("--timeout", type=float, default=10)
    p.add_argument("pgids", type=int, nargs="+")

    args = parser.parse_args()
    if args.command == "free-ports":
        print(" ".join(map(str, free_ports(args.count))))
        return 0
    if args.command == "spawn":
        argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
        if not argv:
            parser.error("spawn needs a command after --")
        spawn(args.log, args.cwd, argv)
    if args.command == "wait":
        return wait(args.pid, args.log, args.timeout, args.kind, args.target)
    return stop(set(args.pgids), args.timeout)


if __name__ == "__main__":
    sys.exit(main())
