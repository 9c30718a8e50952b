"""Full-text fetches refuse article links that resolve to loopback,
link-local (169.254.169.254, cloud metadata) or private addresses the feed
itself does not live in -- also when the link is a DNS name, or a redirect
from an allowed page (issue 8).

Names need a resolver we control: the test re-runs itself in a private
network and mount namespace (unshare(1); skipped where that is not
allowed), where /etc/hosts is a bind-mounted file of its own and the loop
device also carries 10.254.0.1, the address of the "remote" feed server.
Nothing leaves the namespace: it has no other interface, so even a guard
that failed could reach nothing but the trap server on its own
127.0.0.1, which records every request."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feeddtest  # noqa: E402
import httpd  # noqa: E402
from feeddrun import ARTICLE, Feedd, wait_until  # noqa: E402

MARK = "FEEDD_SSRF_NAMESPACE"
FEED_ADDR = "10.254.0.1"

HOSTS = """127.0.0.1 localhost
::1 localhost
%s feeds.test
169.254.169.254 metadata.test
127.0.0.1 rebind.test
127.0.0.2 rebind2.test
""" % FEED_ADDR


def rss(items):
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>T'
            '</title><link>http://example.org/</link><description>d'
            '</description>%s</channel></rss>' % "".join(
                "<item><title>%s</title><link>%s</link><guid>%s</guid>"
                "<description>teaser</description></item>" % (t, l, t)
                for t, l in items))


def reexec():
    """Runs this file again inside new namespaces; False if impossible."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    try:
        probe = subprocess.run(["unshare", "--net", "--mount", "true"],
                               capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    if probe.returncode != 0:
        return False
    sys.stdout.flush()
    env = dict(os.environ)
    env[MARK] = "1"
    os.execvpe("unshare", ["unshare", "--net", "--mount", "--fork", "--",
                           sys.executable, os.path.abspath(__file__)], env)


def setup_namespace(tap):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    r = subprocess.run(["ip", "addr", "add", FEED_ADDR + "/32", "dev", "lo"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "ip addr add: " + r.stderr.strip()
    fd, path = tempfile.mkstemp(prefix="feedd-hosts-")
    with os.fdopen(fd, "w") as f:
        f.write(HOSTS)
    os.chmod(path, 0o644)
    r = subprocess.run(["mount", "--bind", path, "/etc/hosts"],
                       capture_output=True, text=True)
    os.unlink(path)     # the mount keeps it
    if r.returncode != 0:
        return "mount --bind: " + r.stderr.strip()
    return None


def statuses(d):
    rows = d.query("SELECT title, extract_status, extract_error FROM items")
    return {t: (s, e) for t, s, e in rows}


def main():
    tap = feeddtest.Tap()
    if os.environ.get(MARK) != "1":
        if reexec() is False:
            tap.skip("SSRF guard through names",
                     "no unshare(1)/ip(8) or namespaces not allowed here")
            tap.done()
    why = setup_namespace(tap)
    if why:
        tap.skip("SSRF guard through names", why)
        tap.done()

    trap = httpd.Server("127.0.0.1").start()
    remote = httpd.Server(FEED_ADDR).start()
    try:
        run(tap, trap, remote)
    finally:
        remote.stop()
        trap.stop()
    tap.done()


def run(tap, trap, remote):
    tp = trap.port
    rbase = "http://feeds.test:%d" % remote.port
    remote.resource("/story.html", ARTICLE, content_type="text/html")
    remote.route("/hop", lambda h, r: h.reply(
        302, b"", None, {"Location": "http://rebind.test:%d/hop" % tp}))
    # A feed that lives on a private address: its articles may be on
    # private addresses, never on loopback or link-local ones.
    remote.resource("/remote.xml", rss([
        ("own", rbase + "/story.html"),
        ("lit-loop", "http://127.0.0.1:%d/a" % tp),
        ("localhost", "http://localhost:%d/b" % tp),
        ("rebind", "http://rebind.test:%d/c" % tp),
        ("rebind2", "http://rebind2.test:%d/d" % tp),
        ("v6-loop", "http://[::1]:%d/e" % tp),
        ("mapped", "http://[::ffff:127.0.0.1]:%d/f" % tp),
        ("metadata", "http://metadata.test/latest/meta-data/"),
        ("lit-meta", "http://169.254.169.254/latest/meta-data/"),
        ("decimal", "http://2130706433:%d/g" % tp),
        ("redirect", rbase + "/hop"),
    ]))
    # A feed on loopback: loopback articles are fine, the metadata name
    # is not.
    trap.resource("/local.xml", rss([
        ("local-meta", "http://metadata.test/latest/meta-data/"),
        ("local-lit", "http://169.254.169.254/"),
    ]))
    with Feedd(tap=tap, feeds={
            "remote": {"url": rbase + "/remote.xml", "fulltext": "yes"},
            "local": {"url": "http://127.0.0.1:%d/local.xml" % tp,
                      "fulltext": "yes"}}) as d:
        d.start()

        def settled():
            st = statuses(d)
            return (len(st) == 13 and all(s in (2, 3) for s, _ in
                                          st.values()) and st)
        st = wait_until(settled, 30) or statuses(d)
        tap.ok(len(st) == 13, "both feeds stored (13 items)", st)
        tap.ok(st.get("own", (0,))[0] == 2,
               "an article on the feed's own host is fetched and extracted",
               st.get("own"))
        for t in ("lit-loop", "localhost", "rebind", "rebind2", "v6-loop",
                  "mapped", "metadata", "lit-meta", "decimal", "redirect",
                  "local-meta", "local-lit"):
            s, e = st.get(t, (None, None))
            tap.ok(s == 3 and e and "refused" in e,
                   "%s: refused with a clear error" % t, (s, e))
        hits = [r.raw_path for r in trap.seen() if r.path != "/local.xml"]
        tap.ok(not hits, "nothing reached the trap on 127.0.0.1", hits)
        r = subprocess.run([feeddtest.FEEDCTL, "--socket", d.socket,
                            "status"], capture_output=True, text=True,
                           timeout=30)
        tap.ok(r.returncode == 0, "the daemon keeps serving", r.stderr)


if __name__ == "__main__":
    main()
