"""Checks that tests/services/smtp_replies.py answers as its addresses ask:
the mailer tests read its refusals as ground truth.

    PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s tests/services -p 'test_*.py'
"""

import os
import smtplib
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402

SERVER = os.path.join(HERE, "smtp_replies.py")


class SmtpRepliesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.port = harness.free_ports(1)[0]
        cls.server = subprocess.Popen(
            [sys.executable, "-u", SERVER, "--host", "127.0.0.1", "--port", str(cls.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        ready = cls.server.stdout.readline().strip()
        if ready != "READY":
            cls.server.kill()
            cls.server.wait()
            raise RuntimeError(f"smtp_replies.py did not start: {ready!r}")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.terminate()
        cls.server.wait(timeout=10)
        cls.server.stdout.close()

    def setUp(self) -> None:
        self.smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=5)
        self.smtp.ehlo()

    def tearDown(self) -> None:
        self.smtp.quit()

    def test_recipients_are_refused_as_their_local_part_asks(self) -> None:
        self.assertEqual(self.smtp.mail("sender@example.com")[0], 250)
        code, text = self.smtp.rcpt("550-5.1.1@example.com")
        self.assertEqual(code, 550)
        self.assertEqual(text, b"5.1.1 <550-5.1.1@example.com>: refused as its local part asks")
        code, text = self.smtp.rcpt("553+x@example.com")
        self.assertEqual((code, text.split()[0]), (553, b"<553+x@example.com>:"))
        self.assertEqual(self.smtp.rcpt("450-4.2.1@example.com")[0], 450)
        self.assertEqual(self.smtp.rcpt("ann@example.com")[0], 250)

    def test_the_sender_is_refused_as_its_local_part_asks(self) -> None:
        code, text = self.smtp.mail("553-5.1.8@example.com")
        self.assertEqual(code, 553)
        self.assertTrue(text.startswith(b"5.1.8 <553-5.1.8@example.com>"), text)

    def test_a_data_refusal_comes_after_the_message(self) -> None:
        self.smtp.mail("sender@example.com")
        self.assertEqual(self.smtp.rcpt("data-554-5.7.1@example.com")[0], 250)
        code, text = self.smtp.data(b"Subject: hi\r\n\r\nhello\r\n")
        self.assertEqual(code, 554)
        self.assertTrue(text.startswith(b"5.7.1 Message rejected"), text)

    def test_other_addresses_deliver(self) -> None:
        self.smtp.mail("sender@example.com")
        self.smtp.rcpt("ann@example.com")
        self.assertEqual(self.smtp.data(b"Subject: hi\r\n\r\nhello\r\n")[0], 250)

    def test_every_login_is_refused(self) -> None:
        with self.assertRaises(smtplib.SMTPAuthenticationError) as refused:
            self.smtp.login("otp", "any-password")
        self.assertEqual(refused.exception.smtp_code, 535)


if __name__ == "__main__":
    unittest.main()
