#!/usr/bin/env python3
"""feedctl import and export against tests/serve_store: feeds added once
(a second import adds nothing), names made unique, bad URLs and broken
files reported with their line, and export read back as OPML 2.0 by
Python's XML parser."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feeddtest  # noqa: E402
import servetest  # noqa: E402

t = feeddtest.Tap()

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Imported</title></head>
  <body>
    <outline text="Tech">
      <outline text="LWN" title="LWN.net" type="rss"
        xmlUrl="https://lwn.net/headlines/rss" htmlUrl="https://lwn.net/"/>
      <outline text="Blog" xmlUrl="https://blog.example/feed.xml"/>
    </outline>
    <outline text="Blog" xmlUrl="https://other.example/blog/rss"/>
    <outline text="Caf\u00e9" xmlUrl="https://www.cafe.example/feed"/>
    <outline text="Bad" xmlUrl="ftp://files.example/feed"/>
    <outline text="Again" xmlUrl="https://lwn.net/headlines/rss"/>
  </body>
</opml>
"""


def feedctl(srv, *args, stdin=None):
    env = dict(os.environ, FEEDD_SOCKET=srv.socket)
    return subprocess.run([feeddtest.FEEDCTL] + list(args), env=env,
                          capture_output=True, timeout=60, input=stdin)


with servetest.Server(seed=1, delay=0.05) as srv:
    srv.start()
    path = os.path.join(srv.dir, "feeds.opml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(OPML)

    p = feedctl(srv, "import", path)
    out = p.stdout.decode()
    t.ok(p.returncode == 1 and "4 feeds added" in out and
         "1 already followed" in out and "1 failed" in out,
         "import: added, duplicate in the file, bad URL failed", (out,
                                                                  p.stderr))
    t.ok(b"feeds.opml:12: 'ftp://files.example/feed' is not an http or "
         b"https URL" in p.stderr, "import: the bad URL with its line",
         p.stderr)
    p = feedctl(srv, "--json", "feeds")
    try:
        import json
        feeds = {f["name"]: f["url"] for f in json.loads(p.stdout)}
    except ValueError:
        feeds = {}
    t.ok(feeds.get("lwn-net") == "https://lwn.net/headlines/rss" and
         feeds.get("blog") == "https://blog.example/feed.xml" and
         feeds.get("blog-2") == "https://other.example/blog/rss" and
         feeds.get("caf\u00e9") == "https://www.cafe.example/feed",
         "import: names from titles, made unique", feeds)

    p = feedctl(srv, "import", path)
    t.ok(b"0 feeds added, 5 already followed" in p.stdout,
         "import twice: nothing added twice", p.stdout)
    p = feedctl(srv, "import", "-", stdin=OPML.encode())
    t.ok(b"-: 0 feeds added" in p.stdout, "import from standard input",
         p.stdout)

    broken = os.path.join(srv.dir, "broken.opml")
    with open(broken, "w") as f:
        f.write("<opml version=\"2.0\">\n<body>\n<outline text=\"x\">\n"
                "</body>\n</opml>\n")
    p = feedctl(srv, "import", broken)
    t.ok(p.returncode == 1 and b"broken.opml: line 4: " in p.stderr,
         "broken file: error with the line", p.stderr)
    p = feedctl(srv, "import", os.path.join(srv.dir, "missing.opml"))
    t.ok(p.returncode == 1 and b"No such file" in p.stderr,
         "missing file", p.stderr)
    p = feedctl(srv, "import")
    t.ok(p.returncode == 2, "import without a file: usage", p.stderr)

    p = feedctl(srv, "export")
    try:
        root = ET.fromstring(p.stdout)
        urls = {o.get("xmlUrl") for o in root.iter("outline")
                if o.get("xmlUrl")}
        ok = (root.tag == "opml" and root.get("version") == "2.0" and
              root.find("head/title") is not None and
              root.find("head/dateCreated") is not None)
    except ET.ParseError as e:
        urls, ok = set(), False
        t.diag(e)
    t.ok(p.returncode == 0 and ok, "export: OPML 2.0", p.stderr)
    t.ok(set(feeds.values()) <= urls and len(urls) >= len(feeds),
         "export: every feed", (urls, feeds))

    # Export, then import the export: nothing new.
    exported = os.path.join(srv.dir, "exported.opml")
    with open(exported, "wb") as f:
        f.write(p.stdout)
    p = feedctl(srv, "import", exported)
    t.ok(p.returncode == 0 and b" 0 feeds added" in p.stdout,
         "import of the export adds nothing", p.stdout)

t.done()
