"""Shared helpers for feedd's script tests (run by `make check` through
automake's TAP driver): TAP output, where the built programs and the shared
corpora are."""

import os
import sys

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
    """Minimal TAP producer: plan at the end, so tests need not count."""

    def __init__(self):
        self.n = 0
        self.failed = 0

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
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)
