"""The documentation against the repository it describes.

Links: every relative link and `#anchor` in the Markdown files (tracked, or
new and not ignored) must resolve. remark-validate-links checks them
offline, with GitHub's heading anchors (lower-cased, punctuation dropped,
spaces to `-`, a repeated heading `-1`, `-2`); it comes from `tests/`'s npm
packages, configured by `tests/remark-links.json`.

Variables: the configuration reference in docs/operating.md has a row for
every `OTP_…` variable the service reads (each string literal `"OTP_…"`
under lambda/src, whichever file of the settings reads it) and no other;
the table of docs/contributing.md does the same for the `OTP_…` names only
tests, benchmarks and scripts read. `OTP_TEST_…` names under lambda/src
would be test code, so they belong to the second table.

    python3 -m unittest discover -s tests/services -p 'test_*.py'
"""

import re
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REMARK = ROOT / "tests" / "node_modules" / ".bin" / "remark"
REMARK_CONFIG = ROOT / "tests" / "remark-links.json"
OPERATING = ROOT / "docs" / "operating.md"
CONTRIBUTING = ROOT / "docs" / "contributing.md"
TEMPLATE = ROOT / "infra" / "template.yaml"
CONFIGURATION_HEADING = "Configuration"
TEST_VARIABLES_HEADING = "Variables for tests and scripts"
# Where the variables of tests, benchmarks and scripts are read.
TEST_AND_SCRIPT_PATHS = [
    ".ci",
    "scripts",
    "tests",
    "lambda/tests",
    "lambda/benches",
    "lambda/examples",
    "lambda/build.rs",
]

# A setting the service reads is named by a string literal.
SETTING = re.compile(r'"(OTP_[A-Z0-9_]*[A-Z0-9])"')
# Anywhere else, any mention counts (shell, TypeScript, Rust, Python).
NAME = re.compile(r"\bOTP_[A-Z0-9_]*[A-Z0-9]\b")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def repository_files(*pathspecs):
    """Tracked files and new ones git does not ignore, under `pathspecs`."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", *pathspecs],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(
        {
            name
            for name in listed.split("\0")
            if name and "node_modules" not in Path(name).parts and (ROOT / name).is_file()
        }
    )


def check_links(cwd, files):
    """remark-validate-links over `files` (relative to `cwd`): exit status and report."""
    if not REMARK.exists():
        raise AssertionError(f"{REMARK} is missing: run scripts/setup (it installs tests/'s npm packages)")
    run = subprocess.run(
        [
            str(REMARK),
            "--rc-path",
            str(REMARK_CONFIG),
            "--no-ignore",
            "--quiet",
            "--frail",
            "--no-stdout",
            "--color=false",
            *files,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return run.returncode, run.stdout + run.stderr


def headings(markdown):
    """(level, text) of each ATX heading outside fenced code blocks."""
    found, fenced = [], False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line)):
            found.append((len(match.group(1)), match.group(2)))
    return found


def section(markdown, title):
    """The lines under the heading `title`, up to the next heading of its level or above."""
    lines, inside, level, fenced = [], False, 0, False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        match = None if fenced else HEADING.match(line)
        if match and inside and len(match.group(1)) <= level:
            break
        if inside:
            lines.append(line)
        elif match and match.group(2) == title:
            inside, level = True, len(match.group(1))
    if not inside:
        raise AssertionError(f"no heading `{title}`")
    return lines


def table_names(markdown, title):
    """The `OTP_…` names in the first cell of each table row under `title`."""
    names = set()
    for line in section(markdown, title):
        if line.startswith("|"):
            names.update(NAME.findall(line.split("|")[1]))
    return names


def settings_read(src):
    """The `OTP_…` variables the service's code under `src` names in string literals."""
    return {
        name
        for path in sorted(src.rglob("*.rs"))
        for name in SETTING.findall(path.read_text())
        if not name.startswith("OTP_TEST_")
    }


def names_in(files):
    return {name for path in files for name in NAME.findall(path.read_text(errors="replace"))}


def test_and_script_variables(settings):
    """The `OTP_…` names tests, benchmarks and scripts mention that are not settings."""
    files = [
        ROOT / name
        for name in repository_files(*TEST_AND_SCRIPT_PATHS)
        if not name.endswith((".md", "package-lock.json")) and ROOT / name != Path(__file__).resolve()
    ]
    return names_in(files) - settings


class Links(unittest.TestCase):
    def test_every_relative_link_and_anchor_resolves(self):
        files = repository_files("*.md")
        self.assertIn("README.md", files)
        self.assertIn("docs/operating.md", files)
        status, report = check_links(ROOT, files)
        self.assertEqual(status, 0, f"broken links:\n{report}")

    def fixture(self, files):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        for name, text in files.items():
            path = Path(directory.name) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return check_links(directory.name, sorted(files))

    def test_a_broken_anchor_fails(self):
        status, report = self.fixture({"a.md": "# Title\n\n[back](#title) and [gone](#no-such-heading)\n"})
        self.assertNotEqual(status, 0)
        self.assertIn("Cannot find heading for `#no-such-heading`", report)
        self.assertEqual(report.count("Cannot find"), 1, report)

    def test_a_broken_anchor_in_another_file_fails(self):
        status, report = self.fixture(
            {
                "a.md": "# A\n\n[there](docs/b.md#b) and [not there](docs/b.md#c)\n",
                "docs/b.md": "# B\n",
            }
        )
        self.assertNotEqual(status, 0)
        self.assertIn("Cannot find heading for `#c` in `docs/b.md`", report)
        self.assertEqual(report.count("Cannot find"), 1, report)

    def test_a_missing_file_fails(self):
        status, report = self.fixture(
            {
                "a.md": "# A\n\n[file](b.md) [missing](docs/missing.md) ![missing](shot.png)\n",
                "b.md": "# B\n",
            }
        )
        self.assertNotEqual(status, 0)
        self.assertIn("Cannot find file `docs/missing.md`", report)
        self.assertIn("Cannot find file `shot.png`", report)
        self.assertEqual(report.count("Cannot find"), 2, report)

    # Headings of these documents, with the anchors GitHub gives them:
    # backticks, `—`, `:`, `.`, `'` and parentheses dropped.
    REAL_HEADINGS = {
        "otp — email one-time-passcode verification": "otp--email-one-time-passcode-verification",
        "`ErrorsAlarm`: the function crashed or timed out": "errorsalarm-the-function-crashed-or-timed-out",
        "Deploying with cargo-lambda alone (no SAM)": "deploying-with-cargo-lambda-alone-no-sam",
        "1. Create the secrets": "1-create-the-secrets",
        "Staying under Lambda's 4 KB": "staying-under-lambdas-4-kb",
        "Bounces and complaints: the suppression list": "bounces-and-complaints-the-suppression-list",
    }
    # The same rules for `&` and `/`, and a heading written twice.
    MORE_HEADINGS = {
        "Keys & secrets": "keys--secrets",
        "`/token` and `/userinfo`": "token-and-userinfo",
    }

    def test_anchors_follow_githubs_rules_on_the_headings_the_docs_have(self):
        written = {text for name in repository_files("*.md") for _, text in headings((ROOT / name).read_text())}
        for heading in self.REAL_HEADINGS:
            self.assertIn(heading, written, "the docs no longer have this heading; pick another")
        cases = {**self.REAL_HEADINGS, **self.MORE_HEADINGS}
        body = "".join(f"## {heading}\n\n" for heading in cases) + "## Keys & secrets\n\n"
        links = "".join(f"[x](#{anchor})\n" for anchor in cases.values()) + "[x](#keys--secrets-1)\n"
        status, report = self.fixture({"a.md": body + links})
        self.assertEqual(status, 0, report)

        wrong = {
            "a.md": body
            + "[x](#errorsalarm:-the-function-crashed-or-timed-out)\n"
            + "[x](#otp-email-one-time-passcode-verification)\n"
            + "[x](#keys-secrets)\n[x](#tokenand-userinfo)\n[x](#keys--secrets-2)\n"
        }
        status, report = self.fixture(wrong)
        self.assertNotEqual(status, 0)
        self.assertEqual(report.count("Cannot find heading for"), 5, report)


class ConfigurationReference(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.settings = settings_read(ROOT / "lambda" / "src")
        cls.rows = table_names(OPERATING.read_text(), CONFIGURATION_HEADING)

    def test_the_code_reads_settings(self):
        self.assertIn("OTP_HMAC_KEYS", self.settings)
        self.assertGreater(len(self.settings), 30)

    def test_every_setting_the_code_reads_has_a_row(self):
        missing = sorted(self.settings - self.rows)
        self.assertFalse(missing, f"docs/operating.md, Configuration, has no row for {missing}")

    def test_every_row_names_a_setting_the_code_reads(self):
        unread = sorted(self.rows - self.settings)
        self.assertFalse(unread, f"docs/operating.md, Configuration, lists {unread}, which lambda/src never reads")

    def test_the_template_sets_only_settings_the_code_reads(self):
        unread = sorted(set(NAME.findall(TEMPLATE.read_text())) - self.settings)
        self.assertFalse(unread, f"infra/template.yaml sets {unread}, which lambda/src never reads")

    def test_the_check_finds_a_setting_without_a_row(self):
        with tempfile.TemporaryDirectory() as directory:
            src = Path(directory) / "settings"
            src.mkdir()
            (src / "mod.rs").write_text('env.get("OTP_TABLE"); env.get("OTP_NEW_KNOB");\n')
            (src / "tests.rs").write_text('vars(&[("OTP_TEST_ONLY", "1")]);\n')
            read = settings_read(Path(directory))
        self.assertEqual(read, {"OTP_TABLE", "OTP_NEW_KNOB"})
        doc = (
            "# Guide\n\n## Configuration\n\n| variable | meaning |\n| --- | --- |\n"
            "| `OTP_TABLE` | the table |\n| `OTP_GONE` | no longer read |\n\n"
            "```sh\n# a comment, not a heading\n```\n\n| `OTP_AFTER_CODE` | still this table |\n\n"
            "### Details\n\n| `OTP_DETAIL` | a subsection still belongs |\n\n"
            "## Next\n\n| `OTP_ELSEWHERE` | another section |\n"
        )
        rows = table_names(doc, "Configuration")
        self.assertEqual(rows, {"OTP_TABLE", "OTP_GONE", "OTP_AFTER_CODE", "OTP_DETAIL"})
        self.assertEqual(read - rows, {"OTP_NEW_KNOB"})
        self.assertEqual(rows - read, {"OTP_GONE", "OTP_AFTER_CODE", "OTP_DETAIL"})


class TestAndScriptVariables(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.settings = settings_read(ROOT / "lambda" / "src")
        cls.read = test_and_script_variables(cls.settings)
        cls.rows = table_names(CONTRIBUTING.read_text(), TEST_VARIABLES_HEADING)

    def test_tests_and_scripts_read_variables_of_their_own(self):
        self.assertIn("OTP_TEST_DYNAMODB_ENDPOINT", self.read)
        self.assertIn("OTP_SCHEMA_SEED", self.read)
        self.assertNotIn("OTP_TABLE", self.read)

    def test_every_variable_tests_and_scripts_read_has_a_row(self):
        missing = sorted(self.read - self.rows)
        self.assertFalse(missing, f"docs/contributing.md, {TEST_VARIABLES_HEADING}, has no row for {missing}")

    def test_every_row_names_a_variable_tests_or_scripts_read(self):
        unread = sorted(self.rows - self.read)
        self.assertFalse(unread, f"docs/contributing.md, {TEST_VARIABLES_HEADING}, lists {unread}, which nothing reads")


if __name__ == "__main__":
    unittest.main()
