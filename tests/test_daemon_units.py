"""The systemd units: `systemd-analyze verify` accepts the system and user
units, and the system service's exposure (`systemd-analyze security
--offline=true`) stays below 2.0.  Skipped where systemd-analyze is not
installed."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feeddtest  # noqa: E402


def units(tmp, sub):
    """The units of systemd/<sub> with ExecStart pointing at a program that
    exists here (verify checks that it does)."""
    src = os.path.join(feeddtest.SRCDIR, "systemd", sub)
    out = os.path.join(tmp, sub or "system")
    os.makedirs(out)
    for name in ("feedd.service.in", "feedd.socket"):
        with open(os.path.join(src, name)) as f:
            text = f.read().replace("@sbindir@/feedd", "/bin/true")
        with open(os.path.join(out, name.replace(".in", "")), "w") as f:
            f.write(text)
    return [os.path.join(out, n) for n in ("feedd.service", "feedd.socket")]


def main():
    tap = feeddtest.Tap()
    sa = shutil.which("systemd-analyze")
    if sa is None:
        tap.skip("systemd units", "systemd-analyze is not installed")
        tap.done()
    tmp = tempfile.mkdtemp(prefix="feedd-units-")
    try:
        sysu = units(tmp, "")
        r = subprocess.run([sa, "verify", "--man=false"] + sysu,
                           capture_output=True, text=True, timeout=60)
        tap.ok(r.returncode == 0, "system units verify",
               r.stdout + r.stderr)
        rt = os.path.join(tmp, "runtime")
        os.mkdir(rt, 0o700)
        env = dict(os.environ, XDG_RUNTIME_DIR=rt)
        r = subprocess.run([sa, "--user", "verify", "--man=false"] +
                           units(tmp, "user"), capture_output=True,
                           text=True, timeout=60, env=env)
        tap.ok(r.returncode == 0, "user units verify", r.stdout + r.stderr)
        r = subprocess.run([sa, "security", "--offline=true", sysu[0]],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)",
                      r.stdout + r.stderr)
        tap.ok(m and float(m.group(1)) < 2.0,
               "exposure below 2.0 (%s)" % (m.group(1) if m else "?"),
               r.stdout + r.stderr)
        if m:
            tap.diag("systemd-analyze security exposure: %s" % m.group(1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
