"""feedd as a process: --check-config, reload adding and removing feeds, a
configuration that becomes invalid on reload, SIGTERM during a fetch, a
second feedd on the same state directory, a restart that does not refetch
everything, start-up spreading, socket activation, the service manager's
notifications, and the daemon driven through feedctl (refresh --wait,
status, runtime feeds)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feeddtest  # noqa: E402
import feeddrun  # noqa: E402
import httpd  # noqa: E402
from feeddrun import Feedd, wait_until  # noqa: E402


def rss(*titles):
    items = "".join("<item><title>%s</title><guid>%s</guid>"
                    "<link>http://example.org/%s</link></item>" % (t, t, t)
                    for t in titles)
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>T'
            "</title><link>http://example.org/</link><description>d"
            "</description>%s</channel></rss>" % items)


def feedctl(d, *args, timeout=30):
    return subprocess.run([feeddtest.FEEDCTL, "--socket", d.socket] +
                          list(args), capture_output=True, text=True,
                          timeout=timeout)


def test_check_config(tap, srv):
    with Feedd(feeds={"a": {"url": srv.url("/a.xml")}}) as d:
        r = subprocess.run([feeddtest.FEEDD, "-c", d.conf, "--check-config"],
                           capture_output=True, text=True, timeout=30)
        tap.ok(r.returncode == 0 and r.stdout.strip() == "configuration OK",
               "--check-config: OK", r.stdout + r.stderr)
        d.write_raw("[a]\nurl = ftp://example.org/x\ninterval = banana\n"
                    "[b]\n")
        r = subprocess.run([feeddtest.FEEDD, "-c", d.conf, "--check-config"],
                           capture_output=True, text=True, timeout=30)
        errs = [l for l in r.stderr.splitlines() if "test.conf:" in l]
        tap.ok(r.returncode == 1 and len(errs) >= 3,
               "--check-config: every error as file:line", r.stderr)
        r = subprocess.run([feeddtest.FEEDD, "-c", d.conf], timeout=30,
                           capture_output=True, text=True)
        tap.ok(r.returncode == 1 and "test.conf:2:" in r.stderr,
               "a bad configuration does not start", r.stderr)
        r = subprocess.run([feeddtest.FEEDD, "--version"], timeout=30,
                           capture_output=True, text=True)
        tap.ok(r.returncode == 0 and r.stdout.startswith("feedd "),
               "--version")
        r = subprocess.run([feeddtest.FEEDD, "--bogus"], timeout=30,
                           capture_output=True, text=True)
        tap.ok(r.returncode == 2 and "usage" in r.stderr, "usage error: 2")


def test_reload(tap, srv):
    srv.resource("/r-a.xml", rss("A1"), etag='"a"')
    srv.resource("/r-b.xml", rss("B1", "B2"), etag='"b"')
    with Feedd(tap=tap, feeds={
            "a": {"url": srv.url("/r-a.xml"), "interval": "1s"}}) as d:
        d.start()
        tap.ok(d.wait_notify("READY=1"), "READY=1 sent", d.notifications())
        tap.ok(d.wait_log(r"feed a: 1 new"), "a fetched", d.log_text())
        d.write_config({"b": {"url": srv.url("/r-b.xml"), "interval": "1s"}})
        n_notes = len(d.notifications())
        d.reload()
        tap.ok(d.wait_log(r"feed b: 2 new"), "reload: added feed fetched",
               d.log_text())
        tap.ok(d.grep(r"feed a: removed from the configuration"),
               "reload: removal logged")
        notes = d.notifications()[n_notes:]
        tap.ok(any("RELOADING=1" in m for m in notes) and
               any("READY=1" in m for m in notes),
               "RELOADING=1 then READY=1", notes)
        seen = len(srv.seen("/r-a.xml"))
        time.sleep(2.2)
        tap.ok(len(srv.seen("/r-a.xml")) == seen,
               "reload: removed feed no longer fetched")
        tap.ok(len(d.items("a")) == 1, "removed feed's items stay")

        # Now a configuration with an error: refused, the old one runs on.
        d.write_raw("[b]\nurl = %s\ninterval = 1s\n[c]\nurl = nope\n"
                    % srv.url("/r-b.xml"))
        mark = len(d.log())
        d.reload()
        tap.ok(d.wait_log(r"reload refused", start=mark),
               "invalid reload refused", d.log_text())
        tap.ok(d.wait_log(r"test\.conf:5: url", start=mark),
               "the error is logged as file:line", d.log()[mark:])
        before = len(srv.seen("/r-b.xml"))
        tap.ok(wait_until(lambda: len(srv.seen("/r-b.xml")) > before, 5),
               "the old configuration keeps running")
        tap.ok(d.running(), "still running")


def test_reload_changes(tap, srv):
    srv.resource("/x1.xml", rss("X1"), etag='"x1"')
    srv.resource("/x2.xml", rss("X2"), etag='"x2"')
    with Feedd(tap=tap, feeds={"x": {"url": srv.url("/x1.xml")}}) as d:
        d.start()
        tap.ok(d.wait_log(r"feed x: 1 new"), "x fetched")
        d.write_config({"x": {"url": srv.url("/x2.xml")}})
        d.reload()
        tap.ok(wait_until(lambda: srv.seen("/x2.xml"), 10),
               "a changed URL is fetched at once", d.log_text())
        r = srv.seen("/x2.xml")
        tap.ok(r and r[0].header("If-None-Match") is None,
               "with the old URL's validators forgotten")
        tap.ok(wait_until(lambda: d.feed("x") and d.feed("x")["etag"] ==
                          '"x2"', 5), "new validators stored", d.feed("x"))
        tap.ok(len(srv.seen("/x1.xml")) == 1, "the old URL is left alone")


PAGE = ("<html><head><title>P</title></head><body><article>"
        + "<p>A paragraph of the article, with words, commas, and a full "
          "stop.</p>" * 12 + "</article></body></html>")


def test_refresh_waits_for_articles(tap, srv):
    def slow_page(h, r):
        time.sleep(1)
        h.reply(200, PAGE.encode(), "text/html")
    srv.route("/slowpage", slow_page)
    srv.resource("/ft2.xml", (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<link>http://example.org/</link><description>d</description>"
        "<item><title>P1</title><guid>p1</guid><link>%s</link>"
        "<description>Short teaser [...]</description></item>"
        "</channel></rss>" % srv.url("/slowpage")))
    with Feedd(tap=tap, interval="1d", feeds={
            "ft": {"url": srv.url("/ft2.xml"), "fulltext": "auto"}}) as d:
        d.start()
        wait_until(lambda: os.path.exists(d.socket), 10)
        # The start-up fetch may be under way: refresh joins it.
        r = feedctl(d, "refresh", "--wait", "ft")
        st = d.query("SELECT extract_status FROM items")
        tap.ok(r.returncode == 0 and st == [(2,)],
               "refresh --wait returns once the article is stored",
               (r.stdout, r.stderr, st, d.log_text()))
        tap.ok(len(srv.seen("/slowpage")) == 1, "the article fetched once")
        # Re-extraction on demand fetches the page again and prints it.
        (item_id,), = d.query("SELECT id FROM items")
        r = feedctl(d, "extract", "--item", str(item_id))
        try:
            art = json.loads(r.stdout)
        except ValueError:
            art = {}
        tap.ok(r.returncode == 0 and "full stop" in art.get("text", ""),
               "extract --item prints the article again", (r.stdout, r.stderr))
        tap.ok(len(srv.seen("/slowpage")) == 2,
               "extract --item fetched the page again")
        r = feedctl(d, "extract", "--item", "999999")
        tap.ok(r.returncode == 1 and "999999" in r.stderr,
               "extract --item of an unknown item is an error", r.stderr)


def test_extract_feed(tap, srv):
    srv.resource("/art1", PAGE.replace("full stop", "first page"),
                 content_type="text/html")
    srv.resource("/art2", PAGE.replace("full stop", "second page"),
                 content_type="text/html")
    srv.resource("/nofull.xml", (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<link>http://example.org/</link><description>d</description>"
        "<item><title>A1</title><guid>a1</guid><link>%s</link>"
        "<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>"
        "<description>Teaser one [...]</description></item>"
        "<item><title>A2</title><guid>a2</guid><link>%s</link>"
        "<pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate>"
        "<description>Teaser two [...]</description></item>"
        "</channel></rss>" % (srv.url("/art1"), srv.url("/art2"))))
    with Feedd(tap=tap, interval="1d", feeds={
            "nf": {"url": srv.url("/nofull.xml"), "fulltext": "no"}}) as d:
        d.start()
        tap.ok(d.wait_log(r"feed nf: 2 new"), "two teasers stored")
        tap.ok(not srv.seen("/art1") and not srv.seen("/art2"),
               "fulltext = no fetches no page")
        # The newest item only.
        r = feedctl(d, "extract", "--feed", "nf", "--limit", "1", "--wait")
        tap.ok(r.returncode == 0 and "1 article" in r.stdout,
               "extract --feed --limit 1 --wait", (r.stdout, r.stderr))
        tap.ok(len(srv.seen("/art2")) == 1 and not srv.seen("/art1"),
               "only the newest item's page was fetched")
        r = feedctl(d, "--json", "extract", "--feed", "nf", "--wait")
        try:
            queued = json.loads(r.stdout).get("queued")
        except ValueError:
            queued = None
        st = d.query("SELECT title, extract_status FROM items "
                     "ORDER BY title")
        tap.ok(r.returncode == 0 and queued == 2,
               "extract --feed --wait queues both", (r.stdout, r.stderr))
        tap.ok([row[1] for row in st] == [2, 2],
               "both articles stored once it returns", st)
        arts = [a for a, in d.query("SELECT article_text FROM items "
                                    "ORDER BY title")]
        tap.ok(len(arts) == 2 and "first page" in (arts[0] or "") and
               "second page" in (arts[1] or ""),
               "each item has its own page's text", arts)
        r = feedctl(d, "extract", "--feed", "nosuch")
        tap.ok(r.returncode == 1 and "nosuch" in r.stderr,
               "extract --feed of an unknown feed is an error", r.stderr)


def test_retention_on_reload(tap, srv):
    srv.resource("/keep.xml", rss("K1", "K2", "K3"))
    with Feedd(tap=tap, feeds={"k": {"url": srv.url("/keep.xml")}}) as d:
        d.start()
        tap.ok(d.wait_log(r"feed k: 3 new"), "three items stored")
        d.write_config({"k": {"url": srv.url("/keep.xml"),
                              "keep_items": "1"}})
        d.reload()
        tap.ok(d.wait_log(r"retention done"), "retention runs on reload",
               d.log_text())
        tap.ok(len(d.items("k")) == 3,
               "keep_items = 1 deletes no unread item", d.items("k"))
        d.write_config({"k": {"url": srv.url("/keep.xml"),
                              "keep_items": "1"}}, expire_unread="yes")
        d.reload()
        tap.ok(d.wait_log(r"retention done", count=2),
               "retention runs on the second reload", d.log_text())
        tap.ok(wait_until(lambda: len(d.items("k")) == 1, 5),
               "with expire_unread, keep_items = 1 keeps one item",
               d.items("k"))


def test_sigterm_during_fetch(tap, srv):
    with Feedd(timeout="60s", feeds={"h": {"url": srv.url("/hang")}}) as d:
        d.start()
        wait_until(lambda: srv.seen("/hang"), 10)
        time.sleep(0.3)
        tap.ok(srv.seen("/hang"), "fetch in flight")
        rc, secs = d.stop()
        tap.ok(rc == 0 and secs < 5,
               "SIGTERM during a fetch: exit 0 in %.2f s" % secs,
               d.log_text())
        tap.ok(d.wait_notify("STOPPING=1", 2), "STOPPING=1 sent",
               d.notifications())
        tap.ok("Sanitizer" not in d.log_text(), "no sanitizer report",
               d.log_text())


def test_lock_and_restart(tap, srv):
    srv.resource("/once.xml", rss("O"), etag='"o"')
    with Feedd(feeds={"o": {"url": srv.url("/once.xml")}}) as d:
        d.start()
        tap.ok(d.wait_log(r"feed o: 1 new"), "first run fetched")
        r = subprocess.run([feeddtest.FEEDD, "-c", d.conf], timeout=30,
                           capture_output=True, text=True)
        tap.ok(r.returncode == 1 and "in use by another feedd (pid %d)"
               % d.proc.pid in r.stderr,
               "a second feedd on the same state directory is refused",
               r.stderr)
        rc, secs = d.stop()
        tap.ok(rc == 0, "stopped")
        d.lines = []
        d.start()
        tap.ok(d.wait_log(r"ready:"), "restarted", d.log_text())
        time.sleep(1.5)
        tap.ok(len(srv.seen("/once.xml")) == 1,
               "a restart does not refetch a feed that is not due",
               len(srv.seen("/once.xml")))
        rc, secs = d.stop()
        tap.ok(rc == 0 and "Sanitizer" not in d.log_text(), "stopped again",
               d.log_text())


def test_spreading(tap, srv):
    feeds = {}
    for i in range(30):
        srv.resource("/s%d.xml" % i, rss("S%d" % i))
        feeds["s%d" % i] = {"url": srv.url("/s%d.xml" % i)}
    with Feedd(tap=tap, feeds=feeds) as d:
        d.start()
        ok = wait_until(lambda: all(srv.seen("/s%d.xml" % i)
                                    for i in range(30)), 15)
        tap.ok(ok, "30 feeds fetched at start-up")
        times = sorted(srv.seen("/s%d.xml" % i)[0].time for i in range(30))
        span = times[-1] - times[0]
        tap.ok(0.7 <= span <= 5,
               "their first fetches are spread (%.2f s)" % span)


def test_socket_activation(tap, srv):
    srv.resource("/sa.xml", rss("S"))
    with Feedd(tap=tap, feeds={"sa": {"url": srv.url("/sa.xml")}}) as d:
        lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lst.bind(d.socket)
        lst.listen(16)

        env = dict(os.environ, NOTIFY_SOCKET=d.notify_path, LISTEN_FDS="1")
        env.pop("JOURNAL_STREAM", None)
        # As systemd does: the socket as fd 3, LISTEN_PID the pid that
        # feedd keeps after exec.
        launcher = ("import os, sys; os.dup2(int(sys.argv[1]), 3); "
                    "os.environ['LISTEN_PID'] = str(os.getpid()); "
                    "os.execv(sys.argv[2], sys.argv[2:])")
        d.proc = subprocess.Popen(
            [sys.executable, "-c", launcher, str(lst.fileno()),
             feeddtest.FEEDD, "-c", d.conf, "--foreground"], env=env,
            pass_fds=(lst.fileno(),), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        lst.close()
        import threading
        for target in (d._read_log, d._read_notify):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            d._threads.append(t)
        tap.ok(d.wait_log(r"ready:"), "started with a passed socket",
               d.log_text())
        r = feedctl(d, "status")
        tap.ok(r.returncode == 0, "served on the passed socket",
               r.stdout + r.stderr + d.log_text())
        ok, why = d.stop_clean()
        tap.ok(ok, "stopped", why)
        tap.ok(os.path.exists(d.socket),
               "the passed socket file is not unlinked")
        d.proc = None


def test_feedctl(tap, srv):
    srv.resource("/c.xml", rss("C1", "C2"), etag='"c"')
    srv.resource("/rt.xml", rss("R1"))
    with Feedd(tap=tap, feeds={"c": {"url": srv.url("/c.xml")}}) as d:
        d.start()
        tap.ok(d.wait_log(r"feed c: 2 new"), "fetched at start")
        tap.ok(wait_until(lambda: os.path.exists(d.socket), 5),
               "socket created")
        n = len(srv.seen("/c.xml"))
        r = feedctl(d, "refresh", "--wait")
        tap.ok(r.returncode == 0 and len(srv.seen("/c.xml")) == n + 1,
               "refresh --wait returns after the fetch",
               r.stdout + r.stderr + d.log_text())
        last = srv.seen("/c.xml")[-1]
        tap.ok(last.header("If-None-Match") == '"c"',
               "a forced refresh is still conditional")
        # The reply must not wait for the loop's next timer (the status
        # update, every 5 s): the refreshes after the first start just
        # after such a wake-up, so each would take the whole period.
        slow = []
        for _ in range(3):
            t0 = time.monotonic()
            r = feedctl(d, "refresh", "--wait", "c")
            took = time.monotonic() - t0
            if r.returncode != 0 or took > 2.0:
                slow.append("%.2f s (exit %d)" % (took, r.returncode))
        tap.ok(not slow, "refresh --wait answers as soon as it is done",
               ", ".join(slow))
        r = feedctl(d, "refresh", "nosuchfeed")
        tap.ok(r.returncode == 1 and "nosuchfeed" in r.stderr,
               "refresh of an unknown feed fails", r.stdout + r.stderr)
        r = feedctl(d, "--json", "status")
        tap.ok(r.returncode == 0 and '"feeds"' in r.stdout, "status",
               r.stdout + r.stderr)
        r = feedctl(d, "add", "--name", "rt", "--no-discover",
                    srv.url("/rt.xml"))
        tap.ok(r.returncode == 0, "add a runtime feed", r.stdout + r.stderr)
        tap.ok(d.wait_log(r"feed rt: 1 new"), "runtime feed fetched",
               d.log_text())
        r = feedctl(d, "remove", "rt")
        tap.ok(r.returncode == 0 and d.wait_log(r"feed rt: removed"),
               "remove it", r.stdout + r.stderr)
        r = feedctl(d, "feeds")
        tap.ok(r.returncode == 0 and "c" in r.stdout, "feeds lists c",
               r.stdout + r.stderr)


def main():
    tap = feeddtest.Tap()
    with httpd.Server() as srv:
        feeddrun.run_parallel(tap, [
            test_check_config, test_reload, test_reload_changes,
            test_refresh_waits_for_articles, test_extract_feed,
            test_retention_on_reload,
            test_sigterm_during_fetch,
            test_lock_and_restart, test_spreading, test_socket_activation,
            test_feedctl], srv)
    tap.done()


if __name__ == "__main__":
    main()
