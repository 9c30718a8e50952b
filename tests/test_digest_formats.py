#!/usr/bin/env python3
"""Digest formats parsed back with real parsers: Python's email package for
mbox, html.parser for HTML, json for JSON; the text format's layout and the
Markdown escaping checked line by line.  Renders saved items with
`feedctl digest --input`, so no daemon is needed."""

import email
import email.policy
import email.utils
import html.parser
import json
import mailbox
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feeddtest  # noqa: E402

t = feeddtest.Tap()
tmp = tempfile.mkdtemp(prefix="feedd-digest-formats-")

LONG = ("The quick brown fox jumps over the lazy dog. " * 12).strip()
ITEMS = [
    {"id": 1, "feed": "lwn", "title": "Kernel 6.10 <released> & *more*",
     "link": "https://lwn.net/Articles/1/", "author": "J. Corbet",
     "published": "2025-06-30T10:00:00Z",
     "first_seen": "2025-06-30T10:05:00Z", "read": False, "starred": False,
     "story": 1,
     "also": [{"id": 7, "feed": "hn",
               "link": "https://news.ycombinator.com/item?id=1"}],
     "summary": "<p>From the top: a = b.</p><p>.</p><p>" + LONG + "</p>",
     "content": None, "article": None, "story_reason": None},
    {"id": 2, "feed": "lwn", "title": "Older [news] with `code` and #tag",
     "link": "https://lwn.net/Articles/2/", "author": None,
     "published": "2025-06-01T10:00:00Z",
     "first_seen": "2025-06-01T10:05:00Z", "read": False, "starred": False,
     "story": 2, "also": [], "summary": "<p>1. not a list</p>",
     "content": None, "article": None, "story_reason": None},
    {"id": 3, "feed": "blog", "title": "Caf\u00e9 \u2615 \u6f22\u5b57 "
     "\u05e9\u05dc\u05d5\u05dd notes",
     "link": "javascript:alert(1)", "author": "Zo\u00eb",
     "published": None, "first_seen": "2025-07-01T06:00:00Z",
     "read": False, "starred": True, "story": 3, "also": [],
     "summary": None,
     "content": "<p onclick=\"x()\">Some <i>content</i> "
                "<img src=\"x.png\" onerror=\"y()\"></p>"
                "<script>alert('x')</script><style>p{}</style>",
     "article": None, "story_reason": None},
    {"id": 4, "feed": "blog", "title": None,
     "link": "https://blog.example/untitled", "author": None,
     "published": "2025-06-15T00:00:00Z",
     "first_seen": "2025-06-15T00:00:00Z", "read": False, "starred": False,
     "story": 4, "also": [], "summary": None, "content": None,
     "article": {"title": "A", "byline": None,
                 "text": "Extracted text.\n\nFrom the article.",
                 "html": "<p>Extracted text.</p><p>From the article.</p>"},
     "story_reason": None},
    {"id": 5, "feed": "podcast", "title": "Episode " + "x" * 120,
     "link": "https://pod.example/" + "y" * 100, "author": None,
     "published": "2025-06-20T00:00:00Z",
     "first_seen": "2025-06-20T00:00:00Z", "read": False, "starred": False,
     "story": 5, "also": [], "summary": "<p>Show notes.</p>",
     "content": None, "article": None, "story_reason": None},
]
# Grouped by feed name, newest first within a feed.
ORDER = [3, 4, 1, 2, 5]
BY_ID = {i["id"]: i for i in ITEMS}
items_path = os.path.join(tmp, "items.json")
with open(items_path, "w", encoding="utf-8") as f:
    json.dump(ITEMS, f)


def digest(*args, stdin=None):
    p = subprocess.run([feeddtest.FEEDCTL, "digest", "--input", items_path]
                       + list(args), capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def title_of(i):
    return BY_ID[i]["title"] or "(untitled)"


def flat(s):
    return " ".join(s.split())


def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else
               0 if unicodedata.combining(c) else 1 for c in s)


try:
    # ---- text ----
    rc, out, err = digest("--format", "text")
    text = out.decode("utf-8")
    t.ok(rc == 0, "text: exit 0", err)
    long_lines = [ln for ln in text.splitlines() if width(ln) > 72 and
                  " " in ln.strip().lstrip("* ")]
    t.ok(not long_lines, "text: lines wrapped at 72 columns", long_lines)
    ftext = flat(text)
    pos = [ftext.find(flat(title_of(i))) for i in ORDER]
    t.ok(all(p >= 0 for p in pos) and pos == sorted(pos),
         "text: grouped by feed, newest first", pos)
    t.ok("Also in: hn <https://news.ycombinator.com/item?id=1>" in ftext,
         "text: also-in line")
    t.ok("javascript" not in text or "javascript:alert(1)" in text,
         "text: links shown as text only")

    # ---- markdown ----
    rc, out, err = digest("--format", "markdown", "--excerpt", "1000")
    md = out.decode("utf-8")
    t.ok(rc == 0, "markdown: exit 0", err)
    heads = [ln[4:] for ln in md.splitlines() if ln.startswith("### ")]

    def unescape(s):
        # CommonMark: a backslash before ASCII punctuation is that character.
        s = re.sub(r"\]\(<[^>]*>\)$", "", s)
        if s.startswith("[") and not s.startswith("\\["):
            s = s[1:]
        return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", s)
    got = [unescape(h) for h in heads]
    t.ok(got == [title_of(i) for i in ORDER], "markdown: titles round-trip",
         got)
    # Links are the one place brackets may be bare: [text](<url>).
    bare = re.sub(r"\[((?:\\.|[^\]\\])*)\]\(<[^>]*>\)", r"\1", md)
    bare = re.sub(r"\\.", "", bare)
    t.ok(not re.search(r"[<>*_`\[]", bare),
         "markdown: every special character escaped",
         re.findall(r".{0,20}[<>*_`\[].{0,20}", bare)[:5])
    t.ok("javascript" not in md, "markdown: unsafe link not linked")
    t.ok(not re.search(r"^\d+\. ", md, re.M),
         "markdown: no accidental ordered list")

    # ---- html ----
    rc, out, err = digest("--format", "html", "--full")
    page = out.decode("utf-8")
    t.ok(rc == 0, "html: exit 0", err)

    class Checker(html.parser.HTMLParser):
        VOID = {"br", "img", "meta", "hr", "link", "input", "source",
                "wbr", "col", "area", "base", "embed", "track"}

        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.stack, self.errors, self.h3 = [], [], []
            self.in_h3 = False
            self.style = ""
            self.in_style = False

        def handle_starttag(self, tag, attrs):
            if tag in ("script", "iframe", "object"):
                self.errors.append("element " + tag)
            for k, v in attrs:
                if k.startswith("on"):
                    self.errors.append("attribute " + k)
                if k in ("href", "src") and not re.match(
                        r"(https?:|mailto:)", v or ""):
                    self.errors.append("%s=%r" % (k, v))
            if tag == "h3":
                self.in_h3 = True
                self.h3.append("")
            if tag == "style":
                self.in_style = True
            if tag not in self.VOID:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            if not self.stack or self.stack[-1] != tag:
                self.errors.append("unbalanced </%s> in %s" %
                                   (tag, self.stack[-3:]))
            else:
                self.stack.pop()
            if tag == "h3":
                self.in_h3 = False
            if tag == "style":
                self.in_style = False

        def handle_data(self, data):
            if self.in_h3:
                self.h3[-1] += data
            if self.in_style:
                self.style += data

    c = Checker()
    c.feed(page)
    c.close()
    t.ok(not c.errors and not c.stack, "html: well-formed and safe",
         (c.errors, c.stack))
    t.ok(c.h3 == [title_of(i) for i in ORDER], "html: titles in order", c.h3)
    t.ok("prefers-color-scheme:dark" in c.style and
         "color-scheme" in page, "html: light and dark styles")
    t.ok(page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in
         page and "<link" not in page, "html: one self-contained document")
    t.ok("Extracted text." in page, "html: full article body")

    # ---- json ----
    rc, out, err = digest("--format", "json")
    t.ok(rc == 0, "json: exit 0", err)
    try:
        doc = json.loads(out)
        ids = [i["id"] for i in doc["items"]]
        t.ok(ids == ORDER and doc["count"] == len(ORDER),
             "json: parses, all items in order", ids)
        t.ok(doc["items"][0]["title"] == ITEMS[2]["title"],
             "json: UTF-8 intact")
    except (ValueError, KeyError) as e:
        t.ok(False, "json: parses", e)

    # ---- mbox: one digest ----
    to = "J\u00f6rg Reader <reader@example.org>"
    rc, out, err = digest("--format", "mbox", "--to", to, "--from",
                          "Feeds <feeds@example.org>", "--subject",
                          "Daily digest \u2615")
    t.ok(rc == 0, "mbox: exit 0", err)
    raw_lines = out.split(b"\n")
    t.ok(all(not ln.startswith(b"From ") for ln in raw_lines[1:]),
         "mbox: no stray From_ line")
    t.ok(b"." not in raw_lines, "mbox: no line sendmail would stop at")
    t.ok(all(len(ln) <= 998 for ln in raw_lines) and
         all(b < 0x80 for b in out), "mbox: 7-bit, short lines")
    path = os.path.join(tmp, "one.mbox")
    with open(path, "wb") as f:
        f.write(out)
    box = mailbox.mbox(path, factory=lambda fp: email.message_from_binary_file(
        fp, policy=email.policy.default), create=False)
    msgs = list(box)
    t.ok(len(msgs) == 1, "mbox: one message", len(msgs))
    if msgs:
        m = msgs[0]
        t.ok(str(m["Subject"]) == "Daily digest \u2615",
             "mbox: RFC 2047 subject", m["Subject"])
        t.ok(m["To"].addresses[0].display_name == "J\u00f6rg Reader" and
             m["To"].addresses[0].addr_spec == "reader@example.org",
             "mbox: RFC 2047 display name", m["To"])
        t.ok(m["From"].addresses[0].addr_spec == "feeds@example.org",
             "mbox: From")
        t.ok(email.utils.parsedate_to_datetime(m["Date"]) is not None and
             re.match(r"^<[^<>@\s]+@example\.org>$", m["Message-ID"]),
             "mbox: Date and Message-ID", (m["Date"], m["Message-ID"]))
        t.ok(m.get_content_type() == "multipart/alternative",
             "mbox: multipart/alternative", m.get_content_type())
        parts = list(m.iter_parts())
        types = [p.get_content_type() for p in parts]
        t.ok(types == ["text/plain", "text/html"], "mbox: text then html",
             types)
        if types == ["text/plain", "text/html"]:
            plain, htm = parts[0].get_content(), parts[1].get_content()
            t.ok(plain == text.replace("Feed digest", "Daily digest \u2615",
                                       1).replace(
                text.splitlines()[1], plain.splitlines()[1], 1),
                 "mbox: text part decodes to the text digest")
            t.ok("From the top: a = b." in plain and
                 "\n  .\n" not in plain, "mbox: body lines intact")
            c = Checker()
            c.feed(htm)
            t.ok(not c.errors and c.h3 == [title_of(i) for i in ORDER],
                 "mbox: html part decodes", c.errors)

    # ---- mbox: one message per item ----
    rc, out, err = digest("--format", "mbox", "--per-item", "--full")
    t.ok(rc == 0, "mbox --per-item: exit 0", err)
    path = os.path.join(tmp, "many.mbox")
    with open(path, "wb") as f:
        f.write(out)
    box = mailbox.mbox(path, factory=lambda fp: email.message_from_binary_file(
        fp, policy=email.policy.default), create=False)
    msgs = list(box)
    t.ok(len(msgs) == len(ORDER), "mbox --per-item: one message each",
         len(msgs))
    subjects = [str(m["Subject"]) for m in msgs]
    t.ok(subjects == ["[%s] %s" % (BY_ID[i]["feed"], title_of(i))
                      for i in ORDER], "mbox --per-item: subjects", subjects)
    ids = {m["Message-ID"] for m in msgs}
    t.ok(len(ids) == len(msgs), "mbox --per-item: distinct Message-IDs")
    d = email.utils.parsedate_to_datetime(msgs[2]["Date"])
    t.ok(d.isoformat() == "2025-06-30T10:00:00+00:00",
         "mbox --per-item: Date is the item's", d)
    if len(msgs) >= 2:
        body = msgs[1].get_body(("plain",)).get_content()
        t.ok("Extracted text.\n\nFrom the article." in body,
             "mbox --per-item: From at a line start survives", body)

    # ---- output file, empty digests, usage ----
    outfile = os.path.join(tmp, "page.html")
    rc, out, err = digest("--format", "html", "--output", outfile)
    rc2, out2, err2 = digest("--format", "html", "--output", outfile)
    t.ok(rc == 0 and rc2 == 0 and out == b"" and os.path.getsize(outfile) > 0
         and sorted(os.listdir(tmp)) == ["items.json", "many.mbox",
                                          "one.mbox", "page.html"],
         "--output: written in place, no temporary left",
         (err, err2, os.listdir(tmp)))
    rc, out, err = digest("--format", "html", "--output",
                          os.path.join(tmp, "no", "such", "dir.html"))
    t.ok(rc == 1 and "cannot" in err, "--output: failure reported", err)

    piped = os.path.join(tmp, "piped.mbox")
    rc, out, err = digest("--format", "mbox", "--pipe", "cat >'%s'" % piped)
    body = open(piped, "rb").read() if os.path.exists(piped) else b""
    t.ok(rc == 0 and out == b"" and body.startswith(b"From ") and
         b"multipart/alternative" in body and body.endswith(b"--\n\n"),
         "--pipe: the command reads the whole digest", err)
    os.unlink(piped)
    rc, out, err = digest("--pipe", "cat >/dev/null; exit 3")
    t.ok(rc == 1 and "exit status 3" in err, "--pipe: failure reported",
         err)
    rc, out, err = digest("--pipe", "true", "--output", piped)
    t.ok(rc == 2, "usage: --pipe and --output exclude each other", err)

    with open(items_path, "w") as f:
        json.dump([], f)
    rc, out, err = digest()
    t.ok(rc == 0 and out == b"", "empty digest: nothing written, exit 0")
    rc, out, err = digest("--always")
    t.ok(rc == 0 and b"No new items" in out, "--always: empty digest written")
    rc, out, err = digest("--format", "mbox", "--always")
    t.ok(rc == 0 and out.startswith(b"From "), "--always: empty mbox mail")

    rc, out, err = digest("--per-item")
    t.ok(rc == 2, "usage: --per-item needs mbox", err)
    rc, out, err = digest("--full", "--excerpt", "5")
    t.ok(rc == 2, "usage: --full and --excerpt exclude each other", err)
    rc, out, err = digest("--format", "pdf")
    t.ok(rc == 2, "usage: unknown format", err)
    rc, out, err = digest("--cursor", "x")
    t.ok(rc == 2, "usage: --input takes no cursor", err)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

t.done()
