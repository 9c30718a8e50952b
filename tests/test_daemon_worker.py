"""The hand-offs between feedd's loop and its parsing thread, where a
feed's body and its parse outlive the fetch that brought them: the feed
removed while its body still arrives (its pieces already parsing), feedd
stopped while a body it fetched is being parsed (the items must still be
stored: what was fetched is stored before feedd stops), and a Refresh of
a feed whose last body is being parsed (it waits for that parse and does
not fetch again meanwhile).  Each ends with feedd exiting cleanly, without
a sanitizer report."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feeddtest  # noqa: E402
import feeddrun  # noqa: E402
import httpd  # noqa: E402
from feeddrun import Client, Feedd, wait_until  # noqa: E402

# Large enough that parsing and sanitizing it takes a while (more so in
# the sanitizer build), each item distinct so that every one is stored.
N_ITEMS = 3000


def big_feed(tag):
    items = "".join(
        "<item><title>%s item %d</title><link>http://example.org/%s/%d"
        "</link><guid>%s-%d</guid><description>&lt;p&gt;%s&lt;/p&gt;"
        "</description></item>" % (
            tag, i, tag, i, tag, i,
            " ".join("%s%d word%d" % (tag, i, k) for k in range(120)))
        for i in range(N_ITEMS))
    return ('<?xml version="1.0"?><rss version="2.0"><channel>'
            "<title>%s</title><link>http://example.org/</link>"
            "<description>d</description>%s</channel></rss>"
            % (tag, items)).encode()


class Body:
    """A route that serves one feed, at once or in drips, and says when
    it started and when it sent the last byte."""

    def __init__(self, data, drip=None):
        self.data = data
        self.drip = drip
        self.started = threading.Event()
        self.sent = threading.Event()

    def __call__(self, h, req):
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(self.data)))
        h.end_headers()
        self.started.set()
        step = len(self.data) if self.drip is None else 65536
        try:
            for i in range(0, len(self.data), step):
                h.wfile.write(self.data[i:i + step])
                h.wfile.flush()
                if self.drip is not None and \
                        h.server.owner.stopping.wait(self.drip):
                    return
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True
            return
        self.sent.set()


def count(d, name):
    r = d.query("SELECT count(*) FROM items i JOIN feeds f ON "
                "f.id = i.feed_id WHERE f.name = ?", (name,))
    return r[0][0] if r else 0


def test_removed_while_arriving(tap, srv):
    body = Body(big_feed("drip"), drip=0.05)
    srv.route("/drip.xml", body)
    srv.resource("/small.xml",
                 b'<?xml version="1.0"?><rss version="2.0"><channel>'
                 b"<title>s</title><item><title>One</title><guid>s-1</guid>"
                 b"</item></channel></rss>")
    with Feedd(tap=tap, timeout="60s", feeds={
            "drip": {"url": srv.url("/drip.xml")},
            "small": {"url": srv.url("/small.xml")}}) as d:
        d.start()
        tap.ok(body.started.wait(10), "the dripping body started")
        # A few pieces (64 kB each) reach the parser meanwhile.
        time.sleep(0.5)
        d.write_config({"small": {"url": srv.url("/small.xml")}})
        d.reload()
        tap.ok(d.wait_log(r"feed drip: removed from the configuration"),
               "removed while its body arrived", d.log_text())
        tap.ok(not body.sent.is_set(), "its body was not all there yet")
        tap.ok(wait_until(lambda: count(d, "small") == 1),
               "the other feed stored", d.log_text())
        tap.ok(d.running(), "daemon still running")


def test_stop_while_parsing(tap, srv):
    body = Body(big_feed("stop"))
    srv.route("/stop.xml", body)
    d = Feedd(feeds={"stop": {"url": srv.url("/stop.xml")}})
    try:
        d.start()
        handed = d.wait_log(r"feed stop: \d+ bytes fetched, to the parser",
                            20)
        tap.ok(handed, "the body went to the parser", d.log_text())
        stored_before = count(d, "stop")
        rc, secs = d.stop(30)
        tap.ok(rc == 0, "feedd stopped (%.1f s)" % secs, d.log_text())
        tap.diag("items stored when the stop was asked: %d" % stored_before)
        tap.ok(count(d, "stop") == N_ITEMS,
               "every item of the body fetched before the stop is stored "
               "(%d of %d)" % (count(d, "stop"), N_ITEMS))
        text = d.log_text()
        tap.ok("Sanitizer" not in text and "runtime error:" not in text,
               "no sanitizer report", text)
    finally:
        d.close()


def test_refresh_while_parsing(tap, srv):
    body = Body(big_feed("again"))
    srv.route("/again.xml", body)
    with Feedd(tap=tap, timeout="60s", feeds={
            "again": {"url": srv.url("/again.xml")}}) as d:
        d.start()
        tap.ok(d.wait_log(r"feed again: \d+ bytes fetched, to the parser",
                          20), "the body went to the parser", d.log_text())
        c = Client(d.socket, timeout=120)
        try:
            c.call("Refresh", {"feeds": ["again"], "wait": True})
            ok = True
        except (RuntimeError, ConnectionError) as e:
            ok = e
        finally:
            c.close()
        tap.ok(ok is True, "Refresh with wait answered", ok)
        tap.ok(count(d, "again") == N_ITEMS,
               "it answered once the body being parsed was stored (%d of %d)"
               % (count(d, "again"), N_ITEMS))
        tap.ok(len(srv.seen("/again.xml")) == 1,
               "no second fetch while the first body was parsed (%d)"
               % len(srv.seen("/again.xml")))


def main():
    tap = feeddtest.Tap()
    with httpd.Server() as srv:
        feeddrun.run_parallel(tap, [
            test_removed_while_arriving,
            test_stop_while_parsing,
            test_refresh_while_parsing,
        ], srv)
    tap.done()


if __name__ == "__main__":
    main()
