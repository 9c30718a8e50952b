#!/usr/bin/env python3
"""feedctl against the Varlink server (tests/serve_store, seeded as its
header says): every command in its text and --json forms, exit statuses
(0 ok, 1 the daemon said no, 2 usage, 3 no daemon), the socket default and
FEEDD_SOCKET, terminal width and colour on a pseudo-terminal, NO_COLOR,
and control characters from feeds kept away from the terminal.  `add`
discovers feeds from pages served by a loopback HTTP server."""

import http.server
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feeddtest  # noqa: E402
import servetest  # noqa: E402

t = feeddtest.Tap()
FEEDCTL = feeddtest.FEEDCTL
ITEM_KEYS = {"id", "feed", "title", "link", "author", "published",
             "updated", "first_seen", "read", "starred", "story", "also"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Loopback Atom</title>
  <id>urn:example:loopback</id>
  <updated>2024-01-01T00:00:00Z</updated>
  <entry><title>One</title><id>urn:example:1</id>
    <updated>2024-01-01T00:00:00Z</updated></entry>
</feed>
"""
RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Loopback RSS</title>
<link>http://example.com/</link><description>d</description>
<item><title>One</title><guid>1</guid></item></channel></rss>
"""
SITE = """<!DOCTYPE html><html><head><title>A site</title>
<link rel="stylesheet" type="text/css" href="/style.css">
<link rel="alternate" type="text/html" href="/other.html">
<link rel="Alternate" type="application/atom+xml" title="Atom" href="/feed.atom">
<link rel="alternate" type="application/rss+xml" href="/b/rss.xml">
</head><body><p>Hello</p></body></html>
"""
BLOG = """<html><head><base href="/b/">
<link rel="feed alternate" type="application/rss+xml; charset=utf-8" href="rss.xml">
</head><body>x</body></html>
"""
PLAIN = "<html><head><title>No feeds</title></head><body>x</body></html>"


class Handler(http.server.BaseHTTPRequestHandler):
    pages = {
        "/feed.atom": ("application/atom+xml", ATOM),
        "/b/rss.xml": ("application/rss+xml", RSS),
        "/site/": ("text/html; charset=utf-8", SITE),
        "/blog/": ("text/html", BLOG),
        "/plain/": ("text/html", PLAIN),
    }

    def do_GET(self):
        page = self.pages.get(self.path.split("?")[0])
        if page is None:
            self.send_error(404)
            return
        body = page[1].encode()
        self.send_response(200)
        self.send_header("Content-Type", page[0])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def run(args, sock=None, env=None, timeout=60):
    e = dict(os.environ)
    for v in ("NO_COLOR", "FEEDD_SOCKET", "RUNTIME_DIRECTORY"):
        e.pop(v, None)
    if sock is not None:
        e["FEEDD_SOCKET"] = sock
    e.update(env or {})
    p = subprocess.run([FEEDCTL] + args, capture_output=True, env=e,
                       timeout=timeout)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def run_pty(args, sock, env=None, timeout=30):
    """feedctl with stdout on a pseudo-terminal; returns (rc, output)."""
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e["FEEDD_SOCKET"] = sock
    e["TERM"] = "xterm"
    e.update(env or {})
    master, slave = pty.openpty()
    p = subprocess.Popen([FEEDCTL] + args, stdout=slave,
                         stderr=subprocess.PIPE, env=e)
    os.close(slave)
    out = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            out += data
        elif p.poll() is not None:
            break
    os.close(master)
    p.wait(10)
    return p.returncode, out.decode("utf-8", "replace").replace("\r\n", "\n")


def jload(s):
    try:
        return json.loads(s)
    except ValueError:
        return None


def ids_of(sock, title):
    rc, out, _ = run(["--json", "list", "--all", "--all-copies"], sock)
    return [it["id"] for it in jload(out) or [] if it["title"] == title]


def test_list(sock):
    rc, out, err = run(["list"], sock)
    lines = out.splitlines()
    t.ok(rc == 0 and len(lines) == 6, "list: one line per unread story",
         out + err)
    t.ok(all("\x1b" not in line for line in lines),
         "list: no colour into a pipe", out)
    first = [ln for ln in lines if "Alpha item 1" in ln]
    t.ok(len(first) == 1 and re.match(r"^\s*\d+ N  alpha\s+\d+\w\s+Alpha "
                                      r"item 1 \[\+1\]$", first[0]),
         "list: id, flags, feed, age, title and the copies", first)
    rc, out, _ = run(["list", "--json"], sock)
    items = jload(out)
    t.ok(rc == 0 and isinstance(items, list) and len(items) == 6 and
         all(set(it) == ITEM_KEYS for it in items),
         "list --json: an array of items with the documented keys", out)
    a1 = [it for it in items or [] if it["title"] == "Alpha item 1"]
    t.ok(a1 and a1[0]["also"] and a1[0]["also"][0]["feed"] == "beta" and
         a1[0]["published"] == "2024-01-01T01:00:00Z",
         "list --json: values", a1)
    rc, out, _ = run(["--json", "list", "--all-copies"], sock)
    t.ok(len(jload(out) or []) == 7, "list --all-copies", out)
    rc, out, _ = run(["list", "--limit", "2", "--json"], sock)
    t.ok(len(jload(out) or []) == 2, "list --limit", out)
    rc, out, _ = run(["list", "--feed", "beta", "--json"], sock)
    t.ok({it["feed"] for it in jload(out) or []} == {"beta"},
         "list --feed", out)
    rc, out, _ = run(["list", "--since", "1h", "--json"], sock)
    t.ok(len(jload(out) or []) == 6, "list --since 1h (all first seen now)",
         out)
    rc, out, _ = run(["list", "--since", "2099-01-01T00:00:00Z"], sock)
    t.ok(rc == 0 and out == "", "list --since a future date: nothing", out)
    rc, out, _ = run(["list", "--starred"], sock)
    t.ok(rc == 0 and out == "", "list --starred: none yet", out)
    for bad in (["list", "--limit", "0"], ["list", "--limit", "x"],
                ["list", "--since", "yesterday-ish"], ["list", "extra"],
                ["list", "--nope"]):
        rc, out, err = run(bad, sock)
        t.ok(rc == 2 and "usage: feedctl list" in err,
             "usage error: %s" % " ".join(bad), (rc, err))
    rc, out, err = run(["list", "--feed", "nope"], sock)
    t.ok(rc == 1 and "no feed named 'nope'" in err, "list of a missing feed",
         (rc, err))


def test_show(sock):
    a1 = ids_of(sock, "Alpha item 1")[0]
    copy = ids_of(sock, "Beta copy of alpha 1")[0]
    rc, out, err = run(["show", str(a1)], sock)
    t.ok(rc == 0 and out.startswith("Alpha item 1\n") and
         re.search(r"^Feed:\s+alpha$", out, re.M) and
         re.search(r"^Link:\s+https://example.com/alpha/1$", out, re.M) and
         re.search(r"^State:\s+unread$", out, re.M),
         "show: headers", out + err)
    t.ok("Summary of alpha 1." in out and "<p>" not in out,
         "show: the summary as text", out)
    t.ok(re.search(r"^Also in:\n\s+%d\s+beta\s+"
                   r"https://example.com/alpha/1\?utm_source=beta$" % copy,
                   out, re.M),
         "show: the story's other copies", out)
    rc, out, _ = run(["show", "--html", str(a1)], sock)
    t.ok("<p>Summary of alpha <b>1</b>.</p>" in out, "show --html", out)
    rc, out, _ = run(["show", str(a1), "--json"], sock)
    it = jload(out) or {}
    t.ok(set(it) == ITEM_KEYS | {"summary", "content", "article",
                                 "story_reason"} and
         it.get("summary") == "<p>Summary of alpha <b>1</b>.</p>" and
         it.get("article") is None,
         "show --json: the item with its bodies", out)
    rc, out, _ = run(["show", "--json", str(copy)], sock)
    t.ok((jload(out) or {}).get("story_reason"),
         "show --json: why a copy joined its story", out)
    rc, _, err = run(["show", "999999"], sock)
    t.ok(rc == 1 and "no item with id 999999" in err, "show a missing id",
         err)
    for bad in (["show"], ["show", "abc"], ["show", "-1"], ["show", "1", "2"]):
        rc, _, err = run(bad, sock)
        t.ok(rc == 2, "usage error: %s" % " ".join(bad), err)


def test_marks(sock):
    a1 = ids_of(sock, "Alpha item 1")[0]
    copy = ids_of(sock, "Beta copy of alpha 1")[0]
    rc, out, err = run(["read", str(copy)], sock)
    t.ok(rc == 0 and out.startswith("2 items now read:") and
         set(out.split(":")[1].split()) == {str(a1), str(copy)},
         "read: the whole story, said", out + err)
    rc, out, _ = run(["read", str(copy)], sock)
    t.ok(rc == 0 and out == "nothing changed\n", "read again", out)
    rc, out, _ = run(["--json", "unread", str(a1)], sock)
    t.ok(sorted((jload(out) or {}).get("changed", [])) ==
         sorted([a1, copy]), "unread --json", out)
    rc, out, _ = run(["star", str(a1), "--json"], sock)
    t.ok((jload(out) or {}).get("changed") == [a1], "star --json", out)
    rc, out, _ = run(["list", "--starred"], sock)
    t.ok(len(out.splitlines()) == 1 and re.match(r"^\s*\d+ N\* alpha", out),
         "list --starred shows the star", out)
    rc, out, _ = run(["unstar", str(a1)], sock)
    t.ok(rc == 0 and out == "1 item now unstarred: %d\n" % a1, "unstar", out)
    rc, out, _ = run(["read", "--feed", "beta"], sock)
    t.ok(rc == 0 and out.startswith("5 items now read"),
         "read --feed (the copy's story too)", out)
    rc, out, _ = run(["list", "--json"], sock)
    t.ok(sorted(it["title"] for it in jload(out) or []) ==
         ["Alpha item 2", "Alpha item 3"], "what is left unread", out)
    rc, out, _ = run(["read", "--all"], sock)
    rc, out, _ = run(["list"], sock)
    t.ok(rc == 0 and out == "", "read --all", out)
    rc, out, _ = run(["unread", "--all", "--json"], sock)
    t.ok(len((jload(out) or {}).get("changed", [])) == 8, "unread --all",
         out)
    rc, _, err = run(["read", "12345678"], sock)
    t.ok(rc == 1 and "no item with id 12345678" in err, "read a missing id",
         err)
    for bad in (["read"], ["read", "x"], ["read", "1", "--all"],
                ["star", "--bogus"]):
        rc, _, err = run(bad, sock)
        t.ok(rc == 2 and "usage: feedctl" in err,
             "usage error: %s" % " ".join(bad), err)


def test_feeds(sock, http_base):
    rc, out, err = run(["feeds"], sock)
    lines = out.splitlines()
    t.ok(rc == 0 and lines[0].split() == ["NAME", "UNREAD", "LAST", "NEXT",
                                          "STATUS"] and
         any(re.match(r"^alpha\s+3\s+never\s+now\s+new$", ln)
             for ln in lines),
         "feeds: a table with unread counts and status", out + err)
    rc, out, _ = run(["feeds", "--json"], sock)
    feeds = jload(out) or []
    t.ok({f["name"] for f in feeds} >= {"alpha", "beta"} and
         all({"name", "url", "origin", "last_fetch", "next_fetch", "error",
              "unread", "items"} <= set(f) for f in feeds),
         "feeds --json", out)

    rc, out, err = run(["add", http_base + "/site/"], sock)
    t.ok(rc == 0 and out == "added feed 127.0.0.1: %s/feed.atom\n" %
         http_base,
         "add SITE: the page's first feed link (Atom), after ignoring "
         "non-feed links", out + err)
    t.ok("announces 2 feeds" in err, "add SITE: says there were two", err)
    rc, out, err = run(["add", "--name", "blog", "--json",
                        http_base + "/blog/"], sock)
    f = jload(out) or {}
    t.ok(rc == 0 and f.get("url") == http_base + "/b/rss.xml" and
         f.get("name") == "blog" and f.get("origin") == "runtime",
         "add: <base href> and a rel list and a type with parameters",
         out + err)
    rc, out, err = run(["add", "--name", "direct", "--fulltext",
                        http_base + "/feed.atom?x=1"], sock)
    t.ok(rc == 0 and out == "added feed direct: %s/feed.atom?x=1\n" %
         http_base, "add FEED-URL: added as given", out + err)
    rc, out, _ = run(["--json", "feeds"], sock)
    d = [f for f in jload(out) or [] if f["name"] == "direct"]
    t.ok(d and d[0]["fulltext"] is True, "add --fulltext", d)
    rc, out, err = run(["add", http_base + "/plain/"], sock)
    t.ok(rc == 1 and "announces none" in err, "add a page without feeds",
         err)
    rc, out, err = run(["add", http_base + "/missing/"], sock)
    t.ok(rc == 1 and "404" in err and "--no-discover" in err,
         "add an unreachable page", err)
    rc, out, err = run(["add", "--no-discover", "--name", "nd",
                        http_base + "/missing/"], sock)
    t.ok(rc == 0 and out.startswith("added feed nd:"), "add --no-discover",
         out + err)
    rc, out, err = run(["add", "--no-discover", http_base + "/missing/"],
                       sock)
    t.ok(rc == 1 and "already exists" in err, "add the same URL twice", err)
    rc, _, err = run(["add", "ftp://example.com/"], sock)
    t.ok(rc == 2, "add a non-http URL: usage", err)
    rc, out, err = run(["remove", "nd"], sock)
    t.ok(rc == 0 and out == "removed feed nd (its items are kept)\n",
         "remove", out + err)
    rc, out, _ = run(["remove", "blog", "--json"], sock)
    t.ok(jload(out) == {"removed": "blog"}, "remove --json", out)
    rc, _, err = run(["remove", "alpha"], sock)
    t.ok(rc == 1 and "feeds.d" in err, "remove a feeds.d feed: refused", err)
    rc, _, err = run(["remove", "nd"], sock)
    t.ok(rc == 1 and "no feed named 'nd'" in err, "remove twice", err)
    for name in ("127.0.0.1", "direct"):
        run(["remove", name], sock)


def test_refresh_watch_search(sock):
    rc, out, err = run(["refresh"], sock)
    t.ok(rc == 0 and out == "refreshing every feed\n", "refresh", out + err)
    rc, out, err = run(["refresh", "--wait", "alpha"], sock)
    t.ok(rc == 0 and out == "refreshed 1 feed\n", "refresh --wait NAME",
         out + err)
    rc, out, _ = run(["refresh", "--json", "beta"], sock)
    t.ok(jload(out) == {"refreshed": ["beta"], "waited": False},
         "refresh --json", out)
    rc, _, err = run(["refresh", "nope"], sock)
    t.ok(rc == 1 and "no feed named 'nope'" in err, "refresh a missing feed",
         err)

    for json_mode in (False, True):
        e = dict(os.environ, FEEDD_SOCKET=sock)
        e.pop("NO_COLOR", None)
        args = [FEEDCTL, "watch", "--feed", "alpha"] + (
            ["--json"] if json_mode else [])
        w = subprocess.Popen(args, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=e)
        try:
            time.sleep(0.5)
            run(["refresh", "--wait", "beta"], sock)
            run(["refresh", "--wait", "alpha"], sock)
            r, _, _ = select.select([w.stdout], [], [], 10)
            line = w.stdout.readline().decode() if r else ""
        finally:
            w.terminate()
            w.wait(10)
            w.stdout.close()
            w.stderr.close()
        if json_mode:
            it = jload(line) or {}
            t.ok(set(it) == ITEM_KEYS and it["feed"] == "alpha" and
                 it["title"].startswith("Fresh alpha item") and
                 line.count("\n") == 1,
                 "watch --json: one object per line, as it arrives", line)
        else:
            t.ok(re.match(r"^\s*\d+ N  alpha\s+\S+\s+Fresh alpha item \d+$",
                          line.rstrip("\n")),
                 "watch: a line per new item of the watched feed", line)

    rc, out, err = run(["search", "alpha"], sock)
    t.ok(rc == 0 and sorted(re.sub(r"^.*  ", "", ln)
                            for ln in out.splitlines())[:3] ==
         ["Alpha item 1 [+1]", "Alpha item 2", "Alpha item 3"],
         "search", out + err)
    rc, out, _ = run(["search", "--json", "--feed", "beta", "beta", "item"],
                     sock)
    got = jload(out) or []
    t.ok(got and all(it["feed"] == "beta" for it in got) and
         all(set(it) == ITEM_KEYS for it in got),
         "search --json with words joined and a feed", out)
    rc, _, err = run(["search", '"unclosed'], sock)
    t.ok(rc == 1 and "bad search query" in err, "search with a bad query",
         err)
    rc, _, err = run(["search"], sock)
    t.ok(rc == 2, "search without a query: usage", err)


def test_status(sock):
    rc, out, err = run(["status"], sock)
    t.ok(rc == 0 and re.match(r"^feedd \S+, running, up \d+d \d+h \d+m\n",
                              out) and re.search(r"^items:\s+\d+ \(", out,
                                                 re.M),
         "status", out + err)
    rc, out, _ = run(["status", "--json"], sock)
    s = jload(out) or {}
    t.ok({"version", "uptime", "feeds", "items", "unread", "clients",
          "fetches_in_flight"} <= set(s) and s.get("clients") == 1,
         "status --json", out)
    rc, _, err = run(["status", "extra"], sock)
    t.ok(rc == 2, "status with an argument: usage", err)


def test_no_daemon(tmp):
    path = os.path.join(tmp, "nowhere", "feedd.sock")
    rc, out, err = run(["status"], None, {"FEEDD_SOCKET": path})
    t.ok(rc == 3 and path in err and "feedd" in err and "start" in err,
         "no daemon: exit 3, naming the socket and how to start feedd", err)
    rc, _, err = run(["--socket", path, "list"], "/elsewhere/x.sock")
    t.ok(rc == 3 and path in err, "--socket wins over FEEDD_SOCKET", err)
    rc, _, err = run(["list", "--socket", path], None)
    t.ok(rc == 3 and path in err, "--socket after the command", err)
    xdg = os.path.join(tmp, "xdg")
    rc, _, err = run(["feeds"], None, {"XDG_RUNTIME_DIR": xdg})
    want = os.path.join(xdg, "feedd", "feedd.sock")
    if os.geteuid() == 0:
        want = "/run/feedd/feedd.sock"
    t.ok(rc == 3 and want in err, "default socket: " + want, err)
    # A socket file nobody listens on counts as no daemon too.
    import socket as so
    dead = os.path.join(tmp, "dead.sock")
    s = so.socket(so.AF_UNIX)
    s.bind(dead)
    s.close()
    rc, _, err = run(["status"], dead)
    t.ok(rc == 3, "a dead socket: exit 3", err)
    rc, _, err = run(["frobnicate"], dead)
    t.ok(rc == 2 and "unknown command" in err, "unknown command: 2", err)


def test_terminal(sock):
    rc, out = run_pty(["list"], sock, {"COLUMNS": "30"})
    lines = [ANSI.sub("", ln) for ln in out.splitlines()]
    t.ok(rc == 0 and lines and all(len(ln) <= 30 for ln in lines),
         "list fits a 30-column terminal", out)
    t.ok(any(ln.endswith("\u2026") or "\u2026 [+" in ln for ln in lines),
         "titles cut with an ellipsis", out)
    t.ok("\x1b[" in out, "colour on a terminal", repr(out[:200]))
    rc, out = run_pty(["list"], sock, {"COLUMNS": "200", "NO_COLOR": "1"})
    t.ok(rc == 0 and "\x1b" not in out and "Alpha item 1 [+1]" in out,
         "NO_COLOR: no colour, full titles on a wide terminal", repr(out))
    rc, out = run_pty(["list", "--all", "--feed", "evil"], sock,
                      {"NO_COLOR": "1"})
    evil_lines = [ln for ln in out.splitlines() if "Evil" in ln]
    t.ok(rc == 0 and "\x1b" not in out and "\x07" not in out and
         "\u009b" not in out and len(evil_lines) == 1 and
         evil_lines[0].endswith("title [2J 1m next 1"),
         "control sequences in a title never reach the terminal", repr(out))
    rc, out, _ = run(["list", "--all", "--feed", "evil"], sock)
    t.ok("\x1b" not in out and "\x07" not in out and "\u009b" not in out
         and len([ln for ln in out.splitlines() if "Evil" in ln]) == 1,
         "nor a pipe", repr(out))
    evil = [it for it in jload(run(["--json", "list", "--all", "--feed",
                                    "evil"], sock)[1]) or []
            if it["title"].startswith("Evil")] or [{}]
    rc, out, _ = run(["show", str(evil[0].get("id"))], sock)
    t.ok(rc == 0 and "\x1b" not in out and "\x07" not in out,
         "show keeps control sequences out too", repr(out[:300]))
    rc, out, _ = run(["list", "--all", "--feed", "evil", "--json"], sock)
    t.ok("\x1b" not in out and "\\u001b" in out.lower(),
         "--json escapes them", repr(out))
    rc, out = run_pty(["list", "--all", "--feed", "evil", "--json"], sock)
    t.ok("\x1b" not in out and "\u009b" not in out and
         "\\u009b" in out.lower(),
         "--json on a terminal escapes C1 controls too", repr(out))


def test_real_feedd(http_base):
    """The same client against the real daemon, fetching from loopback."""
    try:
        import feeddrun
    except ImportError:
        t.skip("feedctl against feedd", "tests/feeddrun.py missing")
        return
    if not os.path.exists(feeddtest.FEEDD):
        t.skip("feedctl against feedd", "feedd not built")
        return
    d = feeddrun.Feedd(feeds={"loop": {"url": http_base + "/b/rss.xml"}})
    d.start()
    try:
        ok = feeddrun.wait_until(lambda: run(["status"], d.socket)[0] == 0,
                                 timeout=30)
        t.ok(ok, "feedd answers feedctl status", d.lines[-20:])
        rc, out, err = run(["refresh", "--wait", "loop"], d.socket)
        t.ok(rc == 0 and out == "refreshed 1 feed\n",
             "feedd: refresh --wait", out + err)
        rc, out, err = run(["list", "--json"], d.socket)
        items = jload(out) or []
        t.ok([(it["feed"], it["title"]) for it in items] ==
             [("loop", "One")], "feedd: list shows the fetched item",
             out + err)
        rc, out, err = run(["feeds"], d.socket)
        t.ok(rc == 0 and re.search(r"^loop\s+1\s+\d+s\s+.*\sok$", out,
                                   re.M), "feedd: feeds says ok", out + err)
        rc, out, err = run(["add", "--name", "atom", http_base + "/site/"],
                           d.socket)
        t.ok(rc == 0, "feedd: add with discovery", out + err)
        rc, out, err = run(["refresh", "--wait", "atom"], d.socket)
        rc, out, err = run(["list", "--all-copies", "--feed", "atom",
                            "--json"], d.socket)
        t.ok([it["title"] for it in jload(out) or []] == ["One"],
             "feedd: the added feed is fetched", out + err)
        rc, out, err = run(["read", "--all"], d.socket)
        rc, out, err = run(["list"], d.socket)
        t.ok(rc == 0 and out == "", "feedd: read --all", out + err)
        rc, out, err = run(["remove", "atom"], d.socket)
        t.ok(rc == 0, "feedd: remove the runtime feed", out + err)
        rc, out, _ = run(["status", "--json"], d.socket)
        t.ok((jload(out) or {}).get("feeds") == 1, "feedd: status", out)
    finally:
        rc, secs = d.stop()
        t.ok(rc == 0, "feedd exits cleanly", d.lines[-20:])
        shutil.rmtree(d.dir, ignore_errors=True)


def main():
    if not os.path.exists(servetest.SERVE_STORE) or \
            not os.path.exists(FEEDCTL):
        t.skip("feedctl tests", "feedctl or tests/serve_store not built")
        t.done()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    th = threading.Thread(target=httpd.serve_forever, daemon=True)
    th.start()
    base = "http://127.0.0.1:%d" % httpd.server_address[1]
    tmp = tempfile.mkdtemp(prefix="feedctl-test-")
    srv = servetest.Server(seed=3, delay=0.1, args=["--evil"])
    try:
        with srv:
            srv.start()
            # The evil feed stays out of the counts below.
            run(["read", "--feed", "evil"], srv.socket)
            test_list(srv.socket)
            test_show(srv.socket)
            test_marks(srv.socket)
            test_feeds(srv.socket, base)
            test_refresh_watch_search(srv.socket)
            test_status(srv.socket)
            test_terminal(srv.socket)
            rc = srv.stop()
            t.ok(rc == 0 and not srv.sanitizer_report(),
                 "server clean after the feedctl tests",
                 srv.sanitizer_report()[-3000:])
        test_no_daemon(tmp)
        test_real_feedd(base)
    finally:
        httpd.shutdown()
        httpd.server_close()
        shutil.rmtree(tmp, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()
