"""Checks the process plumbing the test services rely on: a harness that
leaks servers or waits forever would make every later test run flaky.

    PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s tests/services -p 'test_*.py'
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402

HARNESS = os.path.join(HERE, "harness.py")


def spawn(log: str, *command: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, HARNESS, "spawn", "--log", log, "--", *command])


class HarnessTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.log = os.path.join(self.tmp.name, "service.log")

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def test_free_ports_are_distinct_and_bindable(self) -> None:
        ports = harness.free_ports(4)
        self.assertEqual(len(set(ports)), 4)
        for port in ports:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))

    def test_spawn_keeps_the_pid_and_leads_its_own_group(self) -> None:
        process = spawn(self.log, "sleep", "30")
        try:
            deadline = time.monotonic() + 10
            while os.getpgid(process.pid) != process.pid:
                self.assertLess(time.monotonic(), deadline, "never became a group leader")
                time.sleep(0.01)
        finally:
            harness.stop({process.pid}, timeout=5)
            process.wait()

    def test_wait_fails_at_once_when_the_service_exits(self) -> None:
        process = spawn(self.log, "sh", "-c", "echo broken config; exit 3")
        port = harness.free_ports(1)[0]
        started = time.monotonic()
        status = harness.wait(process.pid, self.log, 60, "smtp", f"127.0.0.1:{port}")
        process.wait()
        self.assertEqual(status, 1)
        self.assertLess(time.monotonic() - started, 10)

    def test_wait_gives_up_at_the_deadline(self) -> None:
        port = harness.free_ports(1)[0]
        started = time.monotonic()
        status = harness.wait(os.getpid(), self.log, 0.5, "http", f"http://127.0.0.1:{port}/")
        self.assertEqual(status, 1)
        self.assertLess(time.monotonic() - started, 5)

    def test_wait_succeeds_once_the_banner_arrives(self) -> None:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen()

        def greet() -> None:
            connection, _ = server.accept()
            with connection:
                connection.sendall(b"220 ready\r\n")
                connection.recv(64)

        threading.Thread(target=greet, daemon=True).start()
        address = "127.0.0.1:%d" % server.getsockname()[1]
        try:
            self.assertEqual(harness.wait(os.getpid(), self.log, 10, "smtp", address), 0)
        finally:
            server.close()

    def test_stop_ends_the_whole_group_even_if_it_ignores_sigterm(self) -> None:
        process = spawn(self.log, "sh", "-c", "trap '' TERM; sleep 300 & sleep 300; wait")
        deadline = time.monotonic() + 10
        while len(harness.group_members({process.pid})) < 3:
            self.assertLess(time.monotonic(), deadline, "the group never formed")
            time.sleep(0.01)
        self.assertEqual(harness.stop({process.pid}, timeout=0.5), 0)
        process.wait()
        self.assertEqual(harness.group_members({process.pid}), [])

    def test_a_service_dies_with_the_shell_that_started_it(self) -> None:
        pid_file = os.path.join(self.tmp.name, "pid")
        shell = subprocess.Popen(
            [
                "bash",
                "-c",
                f'"{sys.executable}" "{HARNESS}" spawn --log "{self.log}" -- sleep 300 & '
                f'echo $! > "{pid_file}"; wait',
            ]
        )
        deadline = time.monotonic() + 10
        while not (os.path.exists(pid_file) and harness.alive(int(open(pid_file).read() or 0))):
            self.assertLess(time.monotonic(), deadline, "the service never started")
            time.sleep(0.01)
        service = int(open(pid_file).read())
        while os.getpgid(service) != service:
            self.assertLess(time.monotonic(), deadline, "the service never set up")
            time.sleep(0.01)
        shell.send_signal(signal.SIGKILL)
        shell.wait()
        try:
            deadline = time.monotonic() + 10
            while harness.alive(service):
                self.assertLess(time.monotonic(), deadline, "the service outlived its shell")
                time.sleep(0.01)
        finally:
            harness.stop({service}, timeout=1)


if __name__ == "__main__":
    unittest.main()
