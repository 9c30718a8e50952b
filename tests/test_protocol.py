#!/usr/bin/env python3
"""The Varlink service spoken raw over its Unix socket: the protocol
(varlink.org: NUL-framed JSON, org.varlink.service, named errors, oneway,
more/continues), every org.feedd method, and clients that misbehave —
malformed JSON, wrong parameter types, a 10 MiB message, a client that
never reads its replies, 200 clients at once, a client that leaves in the
middle of Watch.  Expected values come from the IDL and from the items
serve_store seeds (see its header), not from running feedd."""

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feeddtest  # noqa: E402
import servetest  # noqa: E402

t = feeddtest.Tap()
F = "org.feedd."
V = "org.varlink.service."

# Every method the IDL must document and the server must answer.
METHODS = ["ListItems", "GetItem", "MarkRead", "MarkUnread", "Star",
           "Unstar", "ListFeeds", "AddFeed", "RemoveFeed", "Refresh",
           "Watch", "Search", "Status", "ExtractItem", "DigestBegin",
           "DigestCommit", "DigestAbort"]


def err(reply):
    return reply.get("error") if reply else "(connection closed)"


def params(reply):
    return (reply or {}).get("parameters") or {}


def items_by_title(c, **filters):
    r = c.call(F + "ListItems", dict({"all_copies": True, "limit": 1000},
                                     **filters))
    return {it["title"]: it for it in params(r).get("items", [])}


def test_service_interface(srv):
    c = srv.connect()
    r = c.call(V + "GetInfo")
    p = params(r)
    t.ok(err(r) is None and p.get("interfaces") ==
         ["org.varlink.service", "org.feedd"] and
         isinstance(p.get("version"), str) and
         all(isinstance(p.get(k), str) for k in
             ("vendor", "product", "url")),
         "GetInfo names both interfaces", r)
    r = c.call(V + "GetInterfaceDescription", {"interface": "org.feedd"})
    desc = params(r).get("description", "")
    t.ok(desc.lstrip().startswith("#") and
         "\ninterface org.feedd\n" in desc,
         "GetInterfaceDescription serves the org.feedd IDL", desc[:200])
    missing = [m for m in METHODS if "\nmethod %s(" % m not in desc]
    t.ok(not missing, "IDL documents every method", missing)
    for typ in ("type Item (", "type Feed (", "type Copy (",
                "type Article ("):
        t.ok(typ in desc, "IDL defines " + typ.rstrip(" ("))
    # The documented Item fields, as agreed for replies and --json.
    item = desc.split("type Item (", 1)[1].split("\n)", 1)[0]
    fields = ["id: int", "feed: string", "title: ?string", "link: ?string",
              "author: ?string", "published: ?string",
              "updated: ?string", "first_seen: string", "read: bool",
              "starred: bool", "story: int", "also: []Copy",
              "summary: ?string", "content: ?string",
              "article: ?Article", "story_reason: ?string"]
    t.ok(all(f in item for f in fields), "IDL Item has the agreed shape",
         item)
    # An independent Varlink IDL parser (Debian's varlink-go), if present.
    gen = "/usr/bin/varlink-go-interface-generator"
    if os.path.exists(gen):
        d = tempfile.mkdtemp(prefix="feedd-idl-")
        path = os.path.join(d, "org.feedd.varlink")
        with open(path, "w") as f:
            f.write(desc)
        p = subprocess.run([gen, path], cwd=d, capture_output=True)
        t.ok(p.returncode == 0, "varlink-go parses the served IDL",
             p.stdout.decode() + p.stderr.decode())
        shutil.rmtree(d, ignore_errors=True)
    else:
        t.skip("varlink-go parses the served IDL",
               "varlink-go not installed")
    r = c.call(V + "GetInterfaceDescription",
               {"interface": "org.varlink.service"})
    t.ok("interface org.varlink.service" in
         params(r).get("description", ""),
         "GetInterfaceDescription serves org.varlink.service", r)
    r = c.call(V + "GetInterfaceDescription", {"interface": "com.example"})
    t.ok(err(r) == V + "InterfaceNotFound" and
         params(r).get("interface") == "com.example",
         "unknown interface: InterfaceNotFound", r)
    # Every documented method exists (no MethodNotFound for any).
    absent = []
    for m in METHODS:
        r = c.call(F + m, {"no_such_parameter": 1})
        if err(r) == V + "MethodNotFound" or r is None:
            absent.append(m)
    t.ok(not absent, "every IDL method is served", absent)
    c.close()


def test_errors(srv):
    c = srv.connect()
    r = c.call(F + "NoSuchMethod", {})
    t.ok(err(r) == V + "MethodNotFound" and
         params(r).get("method") == F + "NoSuchMethod",
         "unknown method: MethodNotFound", r)
    r = c.call("com.example.Thing.Do", {})
    t.ok(err(r) == V + "InterfaceNotFound", "unknown interface", r)
    cases = [
        ("ListItems", {"limit": "5"}, "limit"),
        ("ListItems", {"limit": 5.5}, "limit"),
        ("ListItems", {"unread": 1}, "unread"),
        ("ListItems", {"feed": ["alpha"]}, "feed"),
        ("ListItems", {"limit": -1}, "limit"),
        ("ListItems", {"limit": 10001}, "limit"),
        ("ListItems", {"bogus": True}, "bogus"),
        ("GetItem", {}, "id"),
        ("GetItem", {"id": "1"}, "id"),
        ("MarkRead", {}, "ids"),
        ("MarkRead", {"ids": [1, "2"]}, "ids"),
        ("MarkRead", {"ids": [1], "all": True}, "all"),
        ("Search", {}, "query"),
        ("AddFeed", {"url": 5}, "url"),
        ("Refresh", {"feeds": "alpha"}, "feeds"),
        ("DigestCommit", {"cursor": "c", "lease": "x"}, "position"),
    ]
    for method, p, bad in cases:
        r = c.call(F + method, p)
        t.ok(err(r) == V + "InvalidParameter" and
             params(r).get("parameter") == bad,
             "%s %s: InvalidParameter %s" % (method, json.dumps(p), bad), r)
    # The connection survives all of these.
    r = c.call(V + "GetInfo")
    t.ok(err(r) is None, "connection usable after errors", r)
    r = c.call(F + "GetItem", {"id": 999999})
    t.ok(err(r) == F + "NoSuchItem" and params(r).get("id") == 999999,
         "GetItem of a missing id: NoSuchItem", r)
    r = c.call(F + "ListItems", {"feed": "nope"})
    t.ok(err(r) == F + "NoSuchFeed" and params(r).get("name") == "nope",
         "ListItems of a missing feed: NoSuchFeed", r)
    r = c.call(F + "Search", {"query": "\"unclosed"})
    t.ok(err(r) == F + "InvalidQuery", "bad FTS5 query: InvalidQuery", r)
    r = c.call(F + "ListItems", {}, upgrade=True)
    t.ok(err(r) == V + "InvalidParameter" and
         params(r).get("parameter") == "upgrade",
         "upgrade is refused with InvalidParameter", r)
    r = c.call(F + "Watch", {})
    t.ok(err(r) == V + "ExpectedMore", "Watch without more: ExpectedMore",
         r)
    c.close()


def test_malformed(srv):
    bad = [
        (b"this is not json\0", "not JSON"),
        (b"[1,2,3]\0", "an array"),
        (b"{\"parameters\":{}}\0", "no method"),
        (b"{\"method\":42}\0", "method not a string"),
        (b"{\"method\":\"org.feedd.Status\",\"parameters\":[]}\0",
         "parameters not an object"),
        (b"{\"method\":\"org.feedd.Status\",\"more\":\"yes\"}\0",
         "more not a boolean"),
        (b"{\"method\":\"org.feedd.St\xffatus\"}\0", "invalid UTF-8"),
        (b"\0", "an empty message"),
        (b"{\"method\":\"org.feedd.Status\"" + b"}" * 3 + b"\0",
         "trailing garbage"),
    ]
    for data, what in bad:
        c = srv.connect()
        c.send_raw(data)
        t.ok(c.recv() is None, "malformed message (%s): connection closed"
             % what)
        c.close()
    c = srv.connect()
    t.ok(err(c.call(V + "GetInfo")) is None,
         "server still serves after malformed messages")
    c.close()


def test_sizes(srv):
    # Just under the 1 MiB cap: served (the feed is missing, but the
    # message was read whole).
    c = srv.connect()
    name = "x" * (1024 * 1024 - 200)
    r = c.call(F + "ListFeeds", {"name": name})
    t.ok(err(r) == F + "NoSuchFeed", "a message just under 1 MiB is served",
         err(r))
    c.close()
    # 10 MiB: refused, the connection closed, the server unharmed.
    c = srv.connect(timeout=30)
    big = json.dumps({"method": F + "ListFeeds",
                      "parameters": {"name": "y" * (10 << 20)}}).encode()
    sent = 0
    try:
        c.s.sendall(big + b"\0")
        sent = len(big)
    except (BrokenPipeError, ConnectionResetError):
        pass
    t.ok(c.recv() is None, "a 10 MiB message closes the connection",
         "sent %d" % sent)
    c.close()
    c = srv.connect()
    t.ok(err(c.call(V + "GetInfo")) is None, "server fine after 10 MiB")
    c.close()
    # No NUL at all, ever: also closed once past the cap.
    c = srv.connect(timeout=30)
    try:
        c.s.sendall(b" " * (2 << 20))
    except (BrokenPipeError, ConnectionResetError):
        pass
    t.ok(c.closed(10), "2 MiB without a NUL closes the connection")
    c.close()


def test_pipelining_oneway(srv):
    c = srv.connect()
    data = b""
    for m in ("GetInfo", "NoSuchThing", "GetInfo"):
        data += json.dumps({"method": V + m}).encode() + b"\0"
    c.send_raw(data)
    r1, r2, r3 = c.recv(), c.recv(), c.recv()
    t.ok(err(r1) is None and err(r2) == V + "MethodNotFound" and
         err(r3) is None, "pipelined calls get replies in order",
         [r1, r2, r3])
    # oneway: no reply, so the next reply is the next call's.
    c.send(V + "GetInfo", oneway=True)
    c.send(F + "NoSuchMethod", oneway=True)
    r = c.call(F + "Status")
    t.ok(err(r) is None and "uptime" in params(r),
         "oneway calls get no reply", r)
    c.close()


def test_items(srv):
    c = srv.connect()
    r = c.call(F + "ListItems", {})
    items = params(r).get("items", [])
    titles = [it["title"] for it in items]
    # Story-collapsed: the copy in beta is not listed on its own.
    t.ok(sorted(titles) == sorted(["Alpha item 1", "Alpha item 2",
                                   "Alpha item 3", "Beta item 1",
                                   "Beta item 2", "Beta item 3"]),
         "ListItems: one row per story", titles)
    # Newest first: published I hours after 2024-01-01, alpha and beta
    # items of the same hour in either order.
    hours = [int(x.split()[-1]) for x in titles]
    t.ok(hours == sorted(hours, reverse=True), "ListItems newest first",
         titles)
    a1 = next((it for it in items if it["title"] == "Alpha item 1"), None)
    t.ok(a1 is not None and len(a1["also"]) == 1 and
         a1["also"][0]["feed"] == "beta" and
         a1["also"][0]["link"] ==
         "https://example.com/alpha/1?utm_source=beta",
         "the story's other copy is in also", a1)
    t.ok(a1 is not None and a1["published"] == "2024-01-01T01:00:00Z" and
         a1["updated"] is None and a1["link"] ==
         "https://example.com/alpha/1" and a1["feed"] == "alpha" and
         a1["read"] is False and a1["starred"] is False and
         isinstance(a1["story"], int) and
         a1["first_seen"].endswith("Z") and "summary" not in a1,
         "Item fields as the IDL says, no bodies in lists", a1)
    every = items_by_title(c)
    t.ok(len(every) == 7 and "Beta copy of alpha 1" in every,
         "all_copies lists every copy", sorted(every))
    r = c.call(F + "ListItems", {"feed": "beta", "limit": 2})
    t.ok([it["feed"] for it in params(r).get("items", [])] ==
         ["beta", "beta"], "feed and limit filters", r)
    r = c.call(F + "ListItems", {"limit": 2, "offset": 5,
                                 "all_copies": True})
    t.ok(len(params(r).get("items", [])) == 2, "offset", r)
    r = c.call(F + "ListItems", {"since": int(time.time()) + 3600})
    t.ok(params(r).get("items") == [], "since in the future: nothing", r)
    r = c.call(F + "ListItems", {"until": 1})
    t.ok(params(r).get("items") == [], "until long ago: nothing", r)

    r = c.call(F + "GetItem", {"id": a1["id"]})
    it = params(r).get("item", {})
    t.ok(it.get("summary") == "<p>Summary of alpha <b>1</b>.</p>" and
         "content" in it and it.get("article") is None and
         "story_reason" in it and len(it.get("also", [])) == 1,
         "GetItem has the bodies", it)
    copy = every["Beta copy of alpha 1"]
    r = c.call(F + "GetItem", {"id": copy["id"]})
    t.ok(params(r).get("item", {}).get("story_reason") is not None,
         "a joined copy says why", r)

    # Marks: reading one copy reads the story.
    r = c.call(F + "MarkRead", {"ids": [copy["id"]]})
    changed = sorted(params(r).get("changed", []))
    t.ok(changed == sorted([copy["id"], a1["id"]]),
         "MarkRead of a copy marks the whole story", r)
    r = c.call(F + "ListItems", {"unread": True})
    t.ok("Alpha item 1" not in [x["title"] for x in
                                params(r).get("items", [])],
         "the read story is not unread any more", r)
    r = c.call(F + "MarkRead", {"ids": [copy["id"]]})
    t.ok(params(r).get("changed") == [], "marking again changes nothing", r)
    r = c.call(F + "MarkUnread", {"ids": [a1["id"]]})
    t.ok(sorted(params(r).get("changed", [])) ==
         sorted([copy["id"], a1["id"]]), "MarkUnread too", r)
    r = c.call(F + "MarkRead", {"ids": [a1["id"], 999999]})
    t.ok(err(r) == F + "NoSuchItem" and params(r).get("id") == 999999,
         "MarkRead of a missing id: NoSuchItem, nothing marked", r)
    r = c.call(F + "Star", {"ids": [a1["id"]]})
    t.ok(params(r).get("changed") == [a1["id"]],
         "Star marks only that copy", r)
    r = c.call(F + "ListItems", {"starred": True})
    t.ok([x["title"] for x in params(r).get("items", [])] ==
         ["Alpha item 1"], "starred filter", r)
    r = c.call(F + "Unstar", {"ids": [a1["id"]]})
    t.ok(params(r).get("changed") == [a1["id"]], "Unstar", r)
    r = c.call(F + "MarkRead", {"feed": "beta"})
    t.ok(len(params(r).get("changed", [])) >= 4, "MarkRead by feed", r)
    r = c.call(F + "ListItems", {"unread": True, "feed": "beta"})
    t.ok(params(r).get("items") == [], "feed read", r)
    r = c.call(F + "MarkUnread", {"all": True})
    r = c.call(F + "ListItems", {"unread": True, "all_copies": True})
    t.ok(len(params(r).get("items", [])) == 7, "MarkUnread all", r)

    r = c.call(F + "Search", {"query": "alpha"})
    got = sorted(x["title"] for x in params(r).get("items", []))
    t.ok(got == ["Alpha item 1", "Alpha item 2", "Alpha item 3"],
         "Search finds the alpha items (the copy joins its story)", got)
    r = c.call(F + "Search", {"query": "beta", "feed": "alpha"})
    t.ok(params(r).get("items") == [], "Search with a feed filter", r)

    r = c.call(F + "ExtractItem", {"id": a1["id"]})
    art = params(r).get("item", {}).get("article") or {}
    t.ok(art.get("text") == "Extracted text of item %d." % a1["id"] and
         art.get("title") == "Extracted title" and
         art.get("byline") == "A. Writer" and
         art.get("html") == "<p>Extracted <em>HTML</em>.</p>",
         "ExtractItem waits and replies with the article", r)
    c.close()


def test_feeds(srv):
    c = srv.connect()
    r = c.call(F + "ListFeeds")
    feeds = {f["name"]: f for f in params(r).get("feeds", [])}
    a = feeds.get("alpha", {})
    t.ok(sorted(feeds) == ["alpha", "beta"] and
         a.get("url") == "http://127.0.0.1:9/alpha.xml" and
         a.get("origin") == "config" and a.get("items") == 3 and
         a.get("last_fetch") is None and a.get("error_streak") == 0 and
         a.get("disabled") is False,
         "ListFeeds with counts and status", r)
    r = c.call(F + "AddFeed", {"url": "https://www.example.org/feed.xml",
                               "fulltext": True})
    f = params(r).get("feed", {})
    t.ok(f.get("name") == "example.org" and f.get("origin") == "runtime"
         and f.get("url") == "https://www.example.org/feed.xml" and
         f.get("fulltext") is True,
         "AddFeed names the feed after its host", r)
    r = c.call(F + "AddFeed", {"url": "https://www.example.org/feed.xml",
                               "name": "other"})
    t.ok(err(r) == F + "FeedExists" and
         params(r).get("name") == "example.org",
         "AddFeed of a followed URL: FeedExists", r)
    r = c.call(F + "AddFeed", {"url": "https://x.example/", "name": "alpha"})
    t.ok(err(r) == F + "FeedExists", "AddFeed of a taken name", r)
    for url in ("ftp://example.com/feed", "file:///etc/passwd",
                "not a url", "javascript:alert(1)"):
        r = c.call(F + "AddFeed", {"url": url})
        t.ok(err(r) == F + "InvalidURL", "AddFeed %s: InvalidURL" % url, r)
    r = c.call(F + "AddFeed", {"url": "https://y.example/", "name": "a/b"})
    t.ok(err(r) == V + "InvalidParameter", "a feed name with a slash", r)
    r = c.call(F + "RemoveFeed", {"name": "alpha"})
    t.ok(err(r) == F + "FeedReadOnly", "feeds.d feeds are read-only", r)
    r = c.call(F + "RemoveFeed", {"name": "example.org"})
    t.ok(err(r) is None, "RemoveFeed of a runtime feed", r)
    r = c.call(F + "ListFeeds")
    t.ok(sorted(f["name"] for f in params(r).get("feeds", [])) ==
         ["alpha", "beta"], "removed feed is not listed", r)
    r = c.call(F + "RemoveFeed", {"name": "example.org"})
    t.ok(err(r) == F + "NoSuchFeed", "RemoveFeed twice: NoSuchFeed", r)
    r = c.call(F + "ListFeeds", {"name": "beta"})
    t.ok([f["name"] for f in params(r).get("feeds", [])] == ["beta"],
         "ListFeeds of one feed", r)
    r = c.call(F + "Status")
    p = params(r)
    t.ok(p.get("feeds") == 2 and p.get("items", 0) >= 7 and
         p.get("clients") == 1 and p.get("state") == "running" and
         isinstance(p.get("uptime"), int) and
         p.get("started", "").endswith("Z"), "Status", r)
    c.close()


def test_refresh_watch(srv):
    w = srv.connect()
    first = w.call(F + "Watch", {"feeds": ["alpha"]}, more=True)
    t.ok(first is not None and first.get("continues") is True and
         params(first).get("item") is None,
         "Watch starts with an item-less reply that continues", first)
    w2 = srv.connect()
    w2.call(F + "Watch", {}, more=True)
    c = srv.connect()
    t0 = time.monotonic()
    r = c.call(F + "Refresh", {"feeds": ["alpha"], "wait": True})
    waited = time.monotonic() - t0
    t.ok(err(r) is None and waited >= 0.15,
         "Refresh with wait replies when the fetch is done (%.2fs)" % waited,
         r)
    m = w.recv()
    it = params(m).get("item") or {}
    t.ok(m is not None and m.get("continues") is True and
         it.get("title") == "Fresh alpha item 1" and
         it.get("feed") == "alpha",
         "Watch streams the new item", m)
    r = c.call(F + "Refresh", {"feeds": ["beta"]})
    t.ok(err(r) is None, "Refresh without wait replies at once", r)
    m1, m2 = w2.recv(), w2.recv()
    t.ok(params(m1).get("item", {}).get("title") == "Fresh alpha item 1"
         and params(m2).get("item", {}).get("title") == "Fresh beta item 2",
         "an unfiltered Watch sees every feed", [m1, m2])
    # The filtered watcher saw nothing of beta: its next message is the
    # next alpha item.
    c.call(F + "Refresh", {"feeds": ["alpha"], "wait": True})
    m = w.recv()
    t.ok(params(m).get("item", {}).get("title") == "Fresh alpha item 3",
         "a Watch on alpha does not see beta", m)
    w2.recv()
    r = c.call(F + "Refresh", {"feeds": ["nope"]})
    t.ok(err(r) == F + "NoSuchFeed", "Refresh of a missing feed", r)
    c.call(F + "AddFeed", {"url": "http://127.0.0.1:9/fail.xml",
                           "name": "fail"})
    r = c.call(F + "Refresh", {"feeds": ["fail"], "wait": True})
    t.ok(err(r) == F + "RefreshFailed" and
         "500" in params(r).get("reason", ""),
         "a failed refresh says why", r)
    c.call(F + "RemoveFeed", {"name": "fail"})

    # A watcher that leaves: the server forgets it and goes on.
    w.close()
    w2.close()
    r = c.call(F + "Refresh", {"wait": True})
    t.ok(err(r) is None, "Refresh after watchers left", r)
    r = c.call(F + "Status")
    t.ok(params(r).get("clients") == 1,
         "watchers that left are gone (clients 1)", r)
    # A client that leaves while its Refresh waits.
    x = srv.connect()
    x.send(F + "Refresh", {"wait": True})
    x.close()
    time.sleep(srv.delay * 2 + 0.2)
    r = c.call(F + "Status")
    t.ok(err(r) is None and srv.alive(),
         "a waiting client that leaves harms nothing", r)
    # Watch while leaving in the middle of a stream of many items.
    w = srv.connect()
    w.call(F + "Watch", {}, more=True)
    c.send(F + "Refresh", {"wait": True})
    w.close()
    r = c.recv()
    t.ok(err(r) is None and srv.alive(),
         "disconnect in the middle of Watch", r)
    c.close()


def test_digest(srv):
    a = srv.connect()
    b = srv.connect()
    total = len(items_by_title(a))
    r = a.call(F + "DigestBegin", {"cursor": "daily"})
    p = params(r)
    lease = p.get("lease")
    got = [x["title"] for x in p.get("items", [])]
    t.ok(err(r) is None and isinstance(lease, str) and len(lease) >= 16 and
         "Alpha item 1" in got and "Beta copy of alpha 1" not in got and
         isinstance(p.get("position"), int),
         "DigestBegin leases a new cursor; items of the last 24 h, one "
         "per story", r)
    t.ok(len(got) == len(set(got)) and len(got) < total,
         "no story twice in a digest", got)
    r = b.call(F + "DigestBegin", {"cursor": "daily"})
    t.ok(err(r) == F + "CursorBusy" and params(r).get("cursor") == "daily",
         "a second lease of the cursor: CursorBusy", r)
    r = a.call(F + "DigestCommit", {"cursor": "daily", "lease": "nope",
                                    "position": p["position"]})
    t.ok(err(r) == F + "LeaseInvalid", "commit with a wrong lease", r)
    r = a.call(F + "DigestCommit", {"cursor": "daily", "lease": lease,
                                    "position": p["position"]})
    t.ok(err(r) is None, "DigestCommit", r)
    r = b.call(F + "DigestBegin", {"cursor": "daily"})
    t.ok(err(r) is None and params(r).get("items") == [],
         "after the commit: nothing new", r)
    b.call(F + "DigestAbort", {"cursor": "daily",
                               "lease": params(r).get("lease")})
    a.call(F + "Refresh", {"feeds": ["alpha"], "wait": True})
    r = b.call(F + "DigestBegin", {"cursor": "daily", "full": True})
    p = params(r)
    t.ok([x["title"] for x in p.get("items", [])] ==
         ["Fresh alpha item %d" % srv.fresh_next] and
         "summary" in p["items"][0],
         "a new item is in the next digest, with bodies when full", r)
    r = b.call(F + "DigestAbort", {"cursor": "daily",
                                   "lease": p.get("lease")})
    t.ok(err(r) is None, "DigestAbort", r)
    r = a.call(F + "DigestBegin", {"cursor": "daily"})
    p = params(r)
    t.ok(len(p.get("items", [])) == 1, "after an abort: the same item", r)
    # A lease dies with its connection.
    a.close()
    time.sleep(0.2)
    r = b.call(F + "DigestBegin", {"cursor": "daily"})
    t.ok(err(r) is None and len(params(r).get("items", [])) == 1,
         "a lease is released when its client leaves", r)
    b.call(F + "DigestAbort", {"cursor": "daily",
                               "lease": params(r).get("lease")})
    r = b.call(F + "DigestBegin", {"feeds": ["beta"], "since": 3600})
    p = params(r)
    t.ok(p.get("lease") is None and p.get("items") and
         all(x["feed"] == "beta" for x in p["items"]),
         "a digest without a cursor, of one feed", r)
    r = b.call(F + "DigestBegin", {"cursor": "other", "limit": 2})
    p = params(r)
    t.ok(len(p.get("items", [])) == 2, "digest limit", r)
    b.call(F + "DigestCommit", {"cursor": "other", "lease": p["lease"],
                                "position": p["position"]})
    r = b.call(F + "DigestBegin", {"cursor": "other", "limit": 1000})
    rest = [x["title"] for x in params(r).get("items", [])]
    firsts = [x["title"] for x in p["items"]]
    t.ok(not set(rest) & set(firsts) and len(rest) > 0,
         "a limited digest leaves the rest for the next, nothing twice",
         [firsts, rest])
    b.close()


def test_never_reads(srv):
    """A client that sends and never reads is dropped; others are served
    meanwhile."""
    bad = srv.connect()
    bad.s.setblocking(False)
    msg = json.dumps({"method": F + "ListItems",
                      "parameters": {"all_copies": True,
                                     "limit": 1000}}).encode() + b"\0"
    sent = 0
    end = time.monotonic() + 5
    while time.monotonic() < end:
        try:
            sent += bad.s.send(msg)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
    good = srv.connect()
    t0 = time.monotonic()
    r = good.call(F + "Status")
    lag = time.monotonic() - t0
    t.ok(err(r) is None and lag < 1.0,
         "others are served while a client does not read (%.3fs)" % lag, r)
    # send_timeout is 1 s in this server: by now it gave up on bad.
    time.sleep(2.5)
    bad.s.setblocking(True)
    t.ok(bad.closed(10), "the client that never reads is dropped",
         "sent %d bytes" % sent)
    r = good.call(F + "Status")
    t.ok(params(r).get("clients") == 1, "and counted out", r)
    good.close()


def test_many_clients(srv):
    n = 200
    conns = []
    for _ in range(n):
        conns.append(srv.connect(timeout=30))
    for c in conns:
        c.send(F + "ListItems", {"limit": 5})
    ok = 0
    for c in conns:
        r = c.recv()
        if r is not None and len(params(r).get("items", [])) == 5:
            ok += 1
    t.ok(ok == n, "200 clients at once all served (%d)" % ok)
    r = conns[0].call(F + "Status")
    t.ok(params(r).get("clients") == n, "Status counts 200 clients", r)
    for c in conns:
        c.close()
    # 200 clients in threads, each doing several calls concurrently.
    errors = []

    def worker():
        try:
            c = srv.connect(timeout=30)
            for _ in range(5):
                r = c.call(F + "ListItems", {"limit": 3})
                if len(params(r).get("items", [])) != 3:
                    errors.append(r)
            c.close()
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
    threads = [threading.Thread(target=worker) for _ in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    t.ok(not errors, "200 concurrent clients, 5 calls each", errors[:3])


def test_socket_file(srv):
    mode = stat.S_IMODE(os.stat(srv.socket).st_mode)
    t.ok(mode == 0o600, "socket mode as configured (0600)", oct(mode))
    dmode = stat.S_IMODE(os.stat(os.path.dirname(srv.socket)).st_mode)
    t.ok(dmode == 0o700, "socket directory created, private", oct(dmode))
    # A second server on a live socket refuses and leaves it alone.
    with servetest.Server() as other:
        other.socket = srv.socket
        try:
            other.start()
            started = True
        except RuntimeError:
            started = False
        other.stop()
        t.ok(not started and "another server" in other.log(),
             "a live socket is not taken over", other.log())
    c = srv.connect()
    t.ok(err(c.call(V + "GetInfo")) is None, "first server still serves")
    c.close()


def test_stale_and_foreign(tmpdir_srv):
    srv = tmpdir_srv
    srv.start()
    srv.stop(9)     # SIGKILL: the socket file stays behind
    t.ok(os.path.exists(srv.socket), "a killed server leaves its socket")
    srv.start()
    c = srv.connect()
    t.ok(err(c.call(V + "GetInfo")) is None,
         "a stale socket (nobody listening) is replaced")
    c.close()
    rc = srv.stop()
    t.ok(rc == 0 and not os.path.exists(srv.socket),
         "a clean stop removes the socket", rc)
    with open(srv.socket, "w") as f:
        f.write("not a socket")
    try:
        srv.start()
        started = True
    except RuntimeError:
        started = False
    t.ok(not started and os.path.isfile(srv.socket),
         "a file that is not a socket is never removed", srv.log()[-300:])


def test_idle(srv):
    c = srv.connect()
    t.ok(err(c.call(V + "GetInfo")) is None, "idle server serves")
    t.ok(c.closed(5), "an idle connection is closed after idle_timeout")
    w = srv.connect()
    w.call(F + "Watch", {}, more=True)
    t.ok(not w.closed(2.5), "a Watch is not idle")
    w.close()


def test_peer_check():
    """SO_PEERCRED: even on a socket anyone may open, only the daemon's
    user, root and the socket's group are served."""
    if os.geteuid() != 0:
        t.skip("peer credentials", "needs root to connect as another user")
        return
    def as_nobody(path):
        """Connects as nobody in a child; "closed" or "served"."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            res = b"error"
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                c = servetest.Conn(path)
                try:
                    got = c.call(V + "GetInfo")
                except (BrokenPipeError, ConnectionResetError):
                    got = None
                res = b"closed" if got is None else b"served"
            finally:
                os.write(w, res)
                os._exit(0)
        os.close(w)
        out = os.read(r, 100).decode()
        os.close(r)
        os.waitpid(pid, 0)
        return out

    with servetest.Server(args=["--mode", "0666"]) as s:
        os.chmod(s.dir, 0o755)
        s.start()
        out = as_nobody(s.socket)
        t.ok(out == "closed" and "refused a client" in s.log(),
             "another user is refused even on a 0666 socket",
             out + s.log())
        c = s.connect()
        t.ok(err(c.call(V + "GetInfo")) is None, "the daemon's user is served")
        c.close()
        s.stop()


def main():
    if not os.path.exists(servetest.SERVE_STORE):
        t.skip("protocol tests", "tests/serve_store not built")
        t.done()
    srv = servetest.Server(seed=3, delay=0.2, args=["--send-timeout", "1"])
    srv.fresh_next = 0
    with srv:
        srv.start()
        try:
            test_service_interface(srv)
            test_errors(srv)
            test_malformed(srv)
            test_sizes(srv)
            test_pipelining_oneway(srv)
            test_items(srv)
            test_feeds(srv)
            test_refresh_watch(srv)
            # Fresh items so far: alpha 1, beta 2, alpha 3, then one per
            # feed (alpha, beta) in the unfiltered refreshes; the digest
            # refresh of alpha comes next.
            c = srv.connect()
            r = c.call(F + "ListItems", {"all_copies": True, "limit": 1000})
            c.close()
            fresh = [x for x in params(r).get("items", [])
                     if x["title"].startswith("Fresh")]
            srv.fresh_next = len(fresh) + 1
            test_digest(srv)
            test_never_reads(srv)
            test_many_clients(srv)
            test_socket_file(srv)
        finally:
            rc = srv.stop()
            t.ok(rc == 0, "server exits cleanly on SIGTERM", rc)
            t.ok(not srv.sanitizer_report(), "no sanitizer reports",
                 srv.sanitizer_report()[-3000:])
    with servetest.Server() as s2:
        test_stale_and_foreign(s2)
        t.ok(not s2.sanitizer_report(), "no sanitizer reports (restarts)",
             s2.sanitizer_report()[-3000:])
    test_peer_check()
    with servetest.Server(args=["--idle-timeout", "1"]) as s3:
        s3.start()
        test_idle(s3)
        s3.stop()
        t.ok(not s3.sanitizer_report(), "no sanitizer reports (idle)",
             s3.sanitizer_report()[-3000:])
    t.done()


if __name__ == "__main__":
    main()
