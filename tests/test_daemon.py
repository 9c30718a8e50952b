"""feedd as publishers see it: the real daemon against a loopback server
that records every request.  The acceptance list of a polite feed reader:
conditional requests with the exact validators and no unconditional
refetch, a descriptive User-Agent with a URL, Cache-Control honoured,
permanent moves remembered and temporary ones not, 410 ends polling,
429/503 Retry-After honoured, errors back off.  Expected behaviour comes
from RFC 9110/9111 and the issue, not from running feedd."""

import email.utils
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feeddtest  # noqa: E402
import httpd  # noqa: E402
import feeddrun  # noqa: E402
from feeddrun import Feedd, wait_until  # noqa: E402

def rss(*titles, ttl=None):
    items = "".join(
        "<item><title>%s</title><link>http://example.org/%d</link>"
        "<guid>g%d-%s</guid><description>text of %s</description></item>"
        % (t, i, i, t, t) for i, t in enumerate(titles))
    extra = "<ttl>%d</ttl>" % ttl if ttl else ""
    return ('<?xml version="1.0"?><rss version="2.0"><channel>'
            "<title>T</title><link>http://example.org/</link>"
            "<description>d</description>%s%s</channel></rss>"
            % (extra, items))


def gaps(reqs):
    return [b.time - a.time for a, b in zip(reqs, reqs[1:])]


def report(tap, name, srv, path):
    tap.diag("%s: %d requests to %s" % (name, len(srv.seen(path)), path))


def test_validators(tap, srv):
    etag = 'W/"abc-1"'
    lm = "Tue, 15 Nov 1994 12:45:26 GMT"
    srv.resource("/v.xml", rss("One", "Two"), etag=etag, last_modified=lm)
    srv.resource("/lm.xml", rss("Three"), last_modified=lm)
    with Feedd(tap=tap, feeds={
            "v": {"url": srv.url("/v.xml"), "interval": "1s"},
            "lm": {"url": srv.url("/lm.xml"), "interval": "1s"}}) as d:
        d.start()
        ok = wait_until(lambda: len(srv.seen("/v.xml")) >= 3 and
                        len(srv.seen("/lm.xml")) >= 3, 15)
        tap.ok(ok, "polled three times", d.log_text())
        v = srv.seen("/v.xml")
        first, rest = v[0], v[1:3]
        tap.ok(first.header("If-None-Match") is None and
               first.header("If-Modified-Since") is None,
               "first request is unconditional")
        tap.ok(all(r.header("If-None-Match") == etag for r in rest),
               "If-None-Match is the exact (weak) ETag",
               [r.header("If-None-Match") for r in rest])
        tap.ok(all(r.header("If-Modified-Since") == lm for r in rest),
               "If-Modified-Since is the exact Last-Modified",
               [r.header("If-Modified-Since") for r in rest])
        lmr = srv.seen("/lm.xml")
        tap.ok(all(r.header("If-Modified-Since") == lm and
                   r.header("If-None-Match") is None for r in lmr[1:3]),
               "Last-Modified alone is sent back alone")
        tap.ok(d.wait_log(r"feed v: 2 new"), "items stored once",
               d.log_text())
        tap.ok(d.wait_log(r"feed v: 304", count=2), "304s logged")
        tap.ok(len(d.items("v")) == 2, "two items in the store",
               d.items("v"))
        row = d.feed("v")
        tap.ok(row and row["etag"] == etag and row["last_modified"] == lm,
               "validators persisted", row)
        ua = first.header("User-Agent") or ""
        tap.ok(ua.startswith("feedd/") and "+http" in ua,
               "descriptive User-Agent with a URL", ua)
        tap.ok("gzip" in (first.header("Accept-Encoding") or ""),
               "asks for compressed responses")
        tap.ok("application/rss+xml" in (first.header("Accept") or ""),
               "Accept names feed types")
        # Nothing else was requested: no unconditional refetch.
        tap.ok(all(r.header("If-None-Match") == etag for r in
                   srv.seen("/v.xml")[1:]), "never an unconditional refetch")
        reqs = srv.seen("/v.xml") + srv.seen("/lm.xml")
        ports = set(r.port for r in reqs)
        tap.ok(len(ports) <= 2, "%d requests on %d connections (at most 2 "
               "per host), reused between polls" % (len(reqs), len(ports)))
        report(tap, "validators", srv, "/v.xml")


def test_feed_settings(tap, srv):
    srv.resource("/ua.xml", rss("U"))
    with Feedd(tap=tap, feeds={
            "ua": {"url": srv.url("/ua.xml"),
                   "user_agent": "MyReader/2 (+https://example.org/r)",
                   "headers": "X-Token: 42"}}) as d:
        d.start()
        r = wait_until(lambda: srv.seen("/ua.xml"), 10)
        tap.ok(r and r[0].header("User-Agent") ==
               "MyReader/2 (+https://example.org/r)", "per-feed User-Agent")
        tap.ok(r and r[0].header("X-Token") == "42", "per-feed header")


def test_cache_control(tap, srv):
    srv.resource("/cc.xml", rss("C"), etag='"c"',
                 headers={"Cache-Control": "public, max-age=3"})
    srv.resource("/ttl.xml", rss("T", ttl=1), etag='"t"')
    with Feedd(tap=tap, feeds={
            "cc": {"url": srv.url("/cc.xml"), "interval": "1s"},
            "ttl": {"url": srv.url("/ttl.xml"), "interval": "1s"}}) as d:
        d.start()
        wait_until(lambda: len(srv.seen("/cc.xml")) >= 2, 10)
        g = gaps(srv.seen("/cc.xml"))
        tap.ok(g and g[0] >= 2.9, "max-age=3 is a lower bound (gap %s)" % g)
        time.sleep(1.5)
        t = gaps(srv.seen("/ttl.xml"))
        # <ttl>1</ttl> is one minute: no second request within the test.
        tap.ok(len(srv.seen("/ttl.xml")) == 1, "RSS ttl is a lower bound",
               t)
        report(tap, "cache-control", srv, "/cc.xml")


def test_moves(tap, srv):
    srv.resource("/new301.xml", rss("A"), etag='"a"')
    srv.resource("/new308.xml", rss("B"), etag='"b"')
    srv.resource("/target.xml", rss("C"), etag='"c"')
    srv.route("/old301", lambda h, r: h.reply(
        301, b"", None, {"Location": "/new301.xml"}))
    srv.route("/old308", lambda h, r: h.reply(
        308, b"", None, {"Location": srv.url("/new308.xml")}))
    srv.route("/tmp302", lambda h, r: h.reply(
        302, b"", None, {"Location": "/target.xml"}))
    with Feedd(tap=tap, feeds={
            "p1": {"url": srv.url("/old301"), "interval": "1s"},
            "p8": {"url": srv.url("/old308"), "interval": "1s"},
            "t2": {"url": srv.url("/tmp302"), "interval": "1s"}}) as d:
        d.start()
        wait_until(lambda: len(srv.seen("/new301.xml")) >= 2 and
                   len(srv.seen("/new308.xml")) >= 2 and
                   len(srv.seen("/tmp302")) >= 2, 15)
        tap.ok(len(srv.seen("/old301")) == 1,
               "301: the old URL is asked once", len(srv.seen("/old301")))
        tap.ok(len(srv.seen("/old308")) == 1,
               "308: the old URL is asked once", len(srv.seen("/old308")))
        tap.ok(d.feed("p1")["url"] == srv.url("/new301.xml"),
               "301 moved the stored URL", d.feed("p1"))
        tap.ok(d.feed("p8")["url"] == srv.url("/new308.xml"),
               "308 moved the stored URL")
        tap.ok(d.grep(r"feed p1: moved permanently"), "the move is logged")
        tap.ok(len(srv.seen("/tmp302")) >= 2 and
               d.feed("t2")["url"] == srv.url("/tmp302"),
               "302: the configured URL is kept and asked again",
               d.feed("t2"))
        n = srv.seen("/new301.xml")
        tap.ok(len(n) >= 2 and n[1].header("If-None-Match") == '"a"',
               "conditional requests at the new URL")
        report(tap, "301", srv, "/old301")
        report(tap, "302", srv, "/tmp302")


def test_gone(tap, srv):
    srv.route("/gone", lambda h, r: h.reply(410, b"gone\n"))
    with Feedd(tap=tap, feeds={
            "g": {"url": srv.url("/gone"), "interval": "1s"}}) as d:
        d.start()
        tap.ok(d.wait_log(r"feed g: HTTP 410"), "410 logged", d.log_text())
        time.sleep(2.5)
        tap.ok(len(srv.seen("/gone")) == 1, "410: never asked again",
               len(srv.seen("/gone")))
        row = d.feed("g")
        tap.ok(row and row["disabled"] == 1 and "410" in
               (row["last_error"] or ""), "410: disabled with a clear status",
               row)
        report(tap, "410", srv, "/gone")


def test_retry_after(tap, srv):
    srv.route("/busy", lambda h, r: h.reply(
        429, b"slow down\n", "text/plain", {"Retry-After": "3"}))

    def unavailable(h, r):
        when = email.utils.formatdate(time.time() + 4, usegmt=True)
        h.reply(503, b"later\n", "text/plain", {"Retry-After": when})
    srv.route("/down", unavailable)
    with Feedd(tap=tap, feeds={
            "busy": {"url": srv.url("/busy"), "interval": "1s"},
            "down": {"url": srv.url("/down"), "interval": "1s"}}) as d:
        d.start()
        wait_until(lambda: len(srv.seen("/busy")) >= 2 and
                   len(srv.seen("/down")) >= 2, 15)
        g = gaps(srv.seen("/busy"))
        tap.ok(g and g[0] >= 2.9, "429 Retry-After: 3 honoured (gap %s)" % g)
        g = gaps(srv.seen("/down"))
        # An HTTP date has one-second resolution: at least 3 s of the 4.
        tap.ok(g and g[0] >= 2.9,
               "503 Retry-After as an HTTP date honoured (gap %s)" % g)
        tap.ok(d.grep(r"feed busy: HTTP 429, retrying in .* \(Retry-After\)"),
               "429 logged with the retry time", d.log_text())
        report(tap, "429", srv, "/busy")
        report(tap, "503", srv, "/down")


def test_backoff(tap, srv):
    srv.route("/err", lambda h, r: h.reply(500, b"oops\n"))
    with Feedd(tap=tap, feeds={
            "e": {"url": srv.url("/err"), "interval": "1s"}}) as d:
        d.start()
        wait_until(lambda: len(srv.seen("/err")) >= 4, 15)
        g = gaps(srv.seen("/err"))
        tap.ok(len(g) >= 3 and g[2] >= 1.9 and g[2] > g[0],
               "errors back off exponentially (gaps %s)" % g)
        row = d.feed("e")
        tap.ok(row and row["error_streak"] >= 3 and row["last_status"] == 500
               and row["disabled"] == 0,
               "error streak kept, feed not given up", row)
        tap.ok(d.grep(r"feed e: HTTP 500, retrying in"), "one line per error")
        report(tap, "500 backoff", srv, "/err")


def main():
    tap = feeddtest.Tap()
    with httpd.Server() as srv:
        feeddrun.run_parallel(tap, [
            test_validators, test_feed_settings, test_cache_control,
            test_moves, test_gone, test_retry_after, test_backoff], srv)
    tap.done()


if __name__ == "__main__":
    main()
