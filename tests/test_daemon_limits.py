"""feedd against hostile or broken servers: slow, oversized, compressed and
decompression-bomb responses, a dead port, a server that never answers,
redirect loops and redirects to file://, and article links that point at
private or link-local addresses (refused for full-text fetches unless the
feed lives there).  Each must end in a clear error for that feed or item
while the daemon keeps running."""

import gzip
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feeddtest  # noqa: E402
import feeddrun  # noqa: E402
import httpd  # noqa: E402
from feeddrun import ARTICLE, Feedd, wait_until  # noqa: E402


def rss(items):
    body = "".join(
        "<item><title>%s</title><link>%s</link><guid>%s</guid>"
        "<description>%s</description></item>" % (t, link, t, desc)
        for t, link, desc in items)
    return ('<?xml version="1.0"?><rss version="2.0"><channel>'
            "<title>T</title><link>http://example.org/</link>"
            "<description>d</description>%s</channel></rss>" % body)


def error_of(d, name, timeout=10):
    """Waits for the feed's last_error in the database."""
    return wait_until(lambda: (d.feed(name) or {}).get("last_error"),
                      timeout)


def test_slow_and_hang(tap, srv):
    with Feedd(tap=tap, timeout="3s", feeds={
            "slow": {"url": srv.url("/slow?bytes=100&delay=1")},
            "hang": {"url": srv.url("/hang")}}) as d:
        t0 = time.monotonic()
        d.start()
        e = error_of(d, "slow")
        tap.ok(e, "one byte per second: an error", d.log_text())
        tap.diag("slow: %s" % e)
        e2 = error_of(d, "hang")
        took = time.monotonic() - t0
        tap.ok(e2, "a server that never answers: an error", d.log_text())
        tap.diag("hang: %s" % e2)
        tap.ok(took < 6, "both given up within the 3 s timeout (%.1f s)"
               % took)
        tap.ok(d.running(), "daemon still running")


def test_size_caps(tap, srv):
    def gz(h, r):
        body = rss([("Zipped", "http://example.org/z", "z" * 5000)]).encode()
        if "gzip" in (r.header("Accept-Encoding") or ""):
            h.reply(200, gzip.compress(body), "application/rss+xml",
                    {"Content-Encoding": "gzip"})
        else:
            h.reply(200, body, "application/rss+xml")
    srv.route("/gz.xml", gz)
    with Feedd(tap=tap, feeds={
            "big": {"url": srv.url("/big?bytes=300000"), "max_body": "64k"},
            "bomb": {"url": srv.url("/bomb?mb=16"), "max_body": "1M"},
            "gz": {"url": srv.url("/gz.xml")},
            "junk": {"url": srv.url("/big?bytes=5000000")}}) as d:
        t0 = time.monotonic()
        d.start()
        e = error_of(d, "big")
        tap.ok(e and "larger than" in e, "oversized body refused", e)
        e = error_of(d, "bomb")
        tap.ok(e and "larger than" in e, "gzip bomb stopped at the cap", e)
        tap.ok(time.monotonic() - t0 < 8, "quickly")
        tap.ok(d.wait_log(r"feed gz: 1 new"), "gzip-encoded feed stored",
               d.log_text())
        e = error_of(d, "junk")
        tap.ok(e and "cannot parse" in e,
               "5 MB that is no feed: a parse error", e)
        tap.diag("junk: %s" % e)
        tap.ok(d.running(), "daemon still running")
        with open("/proc/%d/status" % d.proc.pid) as f:
            hwm = [l for l in f if l.startswith("VmHWM")]
        tap.diag("peak RSS after the bomb (sanitizer build): %s"
                 % (hwm[0].split(":")[1].strip() if hwm else "?"))


def test_dead_and_redirects(tap, srv):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()
    with Feedd(tap=tap, feeds={
            "dead": {"url": "http://127.0.0.1:%d/feed.xml" % dead},
            "loop": {"url": srv.url("/loop")},
            "file": {"url": srv.url("/file")}}) as d:
        d.start()
        e = error_of(d, "dead")
        tap.ok(e and ("connect" in e.lower() or "refused" in e.lower()),
               "dead port: connection error", e)
        e = error_of(d, "loop")
        tap.ok(e and "redirect" in e.lower(), "redirect loop: an error", e)
        tap.diag("loop: %s after %d requests" % (e, len(srv.seen("/loop"))))
        tap.ok(len(srv.seen("/loop")) <= 6, "at most 5 redirects followed")
        e = error_of(d, "file")
        tap.ok(e and "file" in e.lower(), "redirect to file:// refused", e)
        tap.ok(not d.items("file"), "nothing read from file://")
        for name in ("dead", "loop", "file"):
            row = d.feed(name)
            tap.ok(row and row["error_streak"] >= 1 and row["next_due"] >
                   row["last_fetch"] and row["disabled"] == 0,
                   "%s: backing off, not given up" % name, row)


def test_fulltext_guard(tap, srv):
    srv.resource("/story.html", ARTICLE, content_type="text/html")
    items = [
        ("local", srv.url("/story.html"), "teaser"),
        ("metadata", "http://169.254.169.254/latest/meta-data/", "teaser"),
        ("private", "http://10.0.0.1/secret", "teaser"),
        ("file", "file:///etc/passwd", "teaser"),
    ]
    srv.resource("/ft.xml", rss(items))
    with Feedd(tap=tap, feeds={
            "ft": {"url": srv.url("/ft.xml"), "fulltext": "yes"}}) as d:
        d.start()

        def statuses():
            rows = d.query("SELECT title, extract_status, extract_error "
                           "FROM items")
            return {t: (s, e) for t, s, e in rows}

        def settled():
            st = statuses()
            return (len(st) == 4 and all(st[t][0] in (2, 3) for t in
                                         ("local", "metadata", "private"))
                    and st)
        st = wait_until(settled, 15) or statuses()
        tap.ok(st.get("local", (0,))[0] == 2,
               "article on the feed's own (loopback) range extracted", st)
        m = st.get("metadata", (0, ""))
        tap.ok(m[0] == 3 and "refused" in (m[1] or ""),
               "169.254.169.254 refused (link-local)", m)
        p = st.get("private", (0, ""))
        tap.ok(p[0] == 3 and "refused" in (p[1] or ""),
               "10.0.0.1 refused (private)", p)
        tap.ok(st.get("file", (None,))[0] == 0,
               "file:// link: no fetch at all", st.get("file"))
        tap.ok(len(srv.seen("/story.html")) == 1, "the article fetched once")
        r = srv.seen("/story.html")
        tap.ok(r and "text/html" in (r[0].header("Accept") or ""),
               "article request asks for HTML")


def main():
    tap = feeddtest.Tap()
    with httpd.Server() as srv:
        feeddrun.run_parallel(tap, [
            test_slow_and_hang, test_size_caps, test_dead_and_redirects,
            test_fulltext_guard], srv)
    tap.done()


if __name__ == "__main__":
    main()
