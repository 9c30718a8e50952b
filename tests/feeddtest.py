"""Shared helpers for feedd's script tests (run by `make check` through
automake's TAP driver): TAP output, where the built programs and the shared
corpora are."""

import os
import shutil
import sys
import tempfile

BUILDDIR = os.environ.get("FEEDD_BUILDDIR") or os.getcwd()
SRCDIR = os.environ.get("FEEDD_SRCDIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
FEEDD = os.path.join(BUILDDIR, "src", "feedd")
FEEDCTL = os.path.join(BUILDDIR, "src", "feedctl")


def shared_dir():
    """The shared material (corpora) beside the repository, or None.

    It lives in ../shared from the repository root; a clone elsewhere finds
    it through FEEDD_SHARED or the workplace's /work/shared."""
    for d in (os.environ.get("FEEDD_SHARED"),
              os.path.join(SRCDIR, "..", "shared"),
              "/work/shared"):
        if d and os.path.isdir(os.path.join(d, "corpus")):
            return os.path.abspath(d)
    return None


class Tap:
    """Minimal TAP producer: plan at the end, so tests need not count.

    The sanitizer reports of every program the test starts (feedd,
    feedctl, helpers; with --enable-sanitizers) go to files in a private
    directory (ASAN_OPTIONS log_path, inherited through the environment),
    and done() fails the test if there is any, whether or not the test
    looked at that program's exit status or output."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        self.san_dir = tempfile.mkdtemp(prefix="feedd-san-")
        os.chmod(self.san_dir, 0o1777)  # children that drop privileges
        path = os.path.join(self.san_dir, "report")
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            old = os.environ.get(var)
            os.environ[var] = "log_path=%s%s" % (
                path, ":" + old if old else "")

    def sanitizer_reports(self):
        """The text of every sanitizer report written so far."""
        out = []
        for name in sorted(os.listdir(self.san_dir)):
            with open(os.path.join(self.san_dir, name), errors="replace") \
                    as f:
                out.append("%s:\n%s" % (name, f.read()))
        return out

    def ok(self, cond, name, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print(("ok" if cond else "not ok"), self.n, "-", name)
        if not cond and diag:
            for line in str(diag).splitlines():
                print("#", line)
        sys.stdout.flush()
        return cond

    def skip(self, name, why):
        self.n += 1
        print("ok", self.n, "-", name, "# SKIP", why)
        sys.stdout.flush()

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("#", line)
        sys.stdout.flush()

    def done(self):
        reports = self.sanitizer_reports()
        self.ok(not reports, "no sanitizer report from any program started",
                "\n".join(reports)[:20000])
        shutil.rmtree(self.san_dir, ignore_errors=True)
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)
