#!/usr/bin/env python3
"""The manual pages tell the truth: every option feedd and each feedctl
command accept (read from their getopt tables in the C sources) is in
feedd(8) or feedctl(1), every option those pages document is accepted,
and every key config.c accepts is in feedd.conf(5), in the right section,
and nothing more.  Also: mandoc -Tlint finds nothing to say."""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feeddtest  # noqa: E402

t = feeddtest.Tap()
SRC = os.path.join(feeddtest.SRCDIR, "src")
MAN = os.path.join(feeddtest.SRCDIR, "man")
PAGES = ["feedd.8", "feedctl.1", "feedd.conf.5"]
GLOBAL_LONG = {"socket", "json"}	# CTL_GLOBAL_LONGOPTS


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---- the C side ----

def function_body(text, name):
    """The text of a top-level C function definition, or None."""
    m = re.search(r"^%s\([^)]*\)\s*\{" % re.escape(name), text, re.M)
    if not m:
        return None
    end = re.search(r"^\}", text[m.end():], re.M)
    return text[m.start():m.end() + (end.end() if end else len(text))]


def options_in(body):
    """(long names, short letters) of the getopt_long table in body."""
    table = re.search(r"longopts\[\]\s*=\s*\{(.*?)\n\t\};", body, re.S)
    longs = set(re.findall(r'\{\s*"([A-Za-z0-9-]+)",', table.group(1)))
    if "CTL_GLOBAL_LONGOPTS" in table.group(1):
        longs |= GLOBAL_LONG
    optstring = re.search(r'getopt_long\(argc, argv, "([^"]*)"', body)
    shorts = set(re.findall(r"[A-Za-z]", optstring.group(1)))
    return longs, shorts


def command_options(func):
    """Options of feedctl's command function func, following a call to
    the helper that parses them (mark(), global_only())."""
    for path in sorted(os.listdir(SRC)):
        if not (path.startswith("ctl_") and path.endswith(".c")):
            continue
        text = read(os.path.join(SRC, path))
        body = function_body(text, func)
        if body is None:
            continue
        if "longopts[]" not in body:
            for callee in re.findall(r"(\w+)\(argc, argv", body):
                inner = function_body(text, callee)
                if inner and "longopts[]" in inner:
                    body = inner
                    break
        return options_in(body)
    return None


# ---- the mdoc side ----

def fl_options(text):
    """Long names and short letters of the Fl macros in mdoc text."""
    longs, shorts = set(), set()
    for m in re.finditer(r"\bFl +(\S+)", text):
        tok = m.group(1).rstrip(",.;:)|")
        if tok.startswith("-") and len(tok) > 1:
            longs.add(tok[1:])
        elif re.fullmatch(r"[A-Za-z]", tok):
            shorts.add(tok)
    # "Fl u | a | s": the letters after a bar are options too.
    for m in re.finditer(r"\bFl ([A-Za-z](?: \| [A-Za-z])+)\b", text):
        shorts.update(re.findall(r"[A-Za-z]", m.group(1)))
    return longs, shorts


def command_sections(page, names):
    """mdoc text of each command's .It Ic items; consecutive items with no
    text between them (read, unread, ...) share the text that follows."""
    lines = page.splitlines()
    starts = []
    for i, ln in enumerate(lines):
        m = re.match(r"\.It Ic (\S+)", ln)
        if m and m.group(1) in names:
            starts.append((i, m.group(1)))
    out = {}
    for k, (i, name) in enumerate(starts):
        j = k
        while j + 1 < len(starts) and starts[j + 1][0] == starts[j][0] + 1:
            j += 1
        end = starts[j + 1][0] if j + 1 < len(starts) else \
            next((x for x in range(i, len(lines))
                  if lines[x].startswith(".Sh") and x > i), len(lines))
        # A command may have several entries (extract FILE, extract --item).
        out[name] = out.get(name, "") + lines[i] + "\n" + \
            "\n".join(lines[starts[j][0] + 1:end]) + "\n"
    return out


def subsection(page, title):
    m = re.search(r"^\.Ss %s\n(.*?)(?=^\.S[sh] )" % re.escape(title), page,
                  re.S | re.M)
    return m.group(1) if m else ""


def check_both_ways(name, accepted, documented):
    missing = sorted(accepted - documented)
    extra = sorted(documented - accepted)
    t.ok(not missing, "%s: every accepted option documented" % name,
         missing)
    t.ok(not extra, "%s: every documented option accepted" % name, extra)


# ---- lint ----

mandoc = shutil.which("mandoc")
for p in PAGES:
    path = os.path.join(MAN, p)
    if not mandoc:
        t.skip("mandoc -Tlint %s" % p, "mandoc not installed")
        continue
    r = subprocess.run([mandoc, "-Tlint", path], capture_output=True,
                       text=True)
    msgs = [ln for ln in (r.stdout + r.stderr).splitlines()
            if "referenced manual not found" not in ln and
            "mandoc.db" not in ln]
    t.ok(not msgs, "mandoc -Tlint %s" % p, "\n".join(msgs))

# ---- feedd(8) ----

feedd_c = read(os.path.join(SRC, "feedd.c"))
acc_long, acc_short = options_in(function_body(feedd_c, "main"))
page = read(os.path.join(MAN, "feedd.8"))
doc_long, doc_short = fl_options(page)
check_both_ways("feedd(8)", acc_long | {"-" + s for s in acc_short},
                doc_long | {"-" + s for s in doc_short})

# ---- feedctl(1) ----

feedctl_c = read(os.path.join(SRC, "feedctl.c"))
commands = dict(re.findall(r'\{ "([a-z]+)", (ctl_\w+),', feedctl_c))
t.ok(len(commands) >= 10, "feedctl: command table read", commands)
page = read(os.path.join(MAN, "feedctl.1"))
sections = command_sections(page, set(commands))
t.ok(set(sections) == set(commands), "feedctl(1): every command documented",
     sorted(set(commands) ^ set(sections)))

g_long, g_short = options_in(function_body(feedctl_c, "main"))
desc = page.split(".Sh COMMANDS")[0]
d_long, d_short = fl_options(desc)
check_both_ways("feedctl(1) global options",
                g_long | {"-" + s for s in g_short},
                d_long | {"-" + s for s in d_short})

for name, func in sorted(commands.items()):
    opts = command_options(func)
    if opts is None:
        t.ok(False, "feedctl %s: options found in the source" % name, func)
        continue
    a_long, a_short = opts
    # The global ones and --help are documented once, at the top.
    a_long -= GLOBAL_LONG | {"help"}
    a_short -= {"h"}
    d_long, d_short = fl_options(sections.get(name, ""))
    d_long -= GLOBAL_LONG | {"help"}
    check_both_ways("feedctl %s" % name, a_long | {"-" + s for s in a_short},
                    d_long | {"-" + s for s in d_short})

# ---- feedd.conf(5) ----

config_c = read(os.path.join(SRC, "config.c"))


def keys_of(table):
    m = re.search(r"static const struct key %s\[\] = \{(.*?)\n\};" % table,
                  config_c, re.S)
    return set(re.findall(r'\{ "([a-z0-9_]+)", KT_', m.group(1))) if m \
        else set()


page = read(os.path.join(MAN, "feedd.conf.5"))
for table, title in (("main_keys", "feedd.conf"), ("feed_keys", "Feeds")):
    accepted = keys_of(table)
    documented = set(re.findall(r"^\.It Ic ([a-z0-9_]+)",
                                subsection(page, title), re.M))
    t.ok(len(accepted) >= 10, "config.c %s read" % table, accepted)
    missing = sorted(accepted - documented)
    extra = sorted(documented - accepted)
    t.ok(not missing, "feedd.conf(5) %s: every key documented" % title,
         missing)
    t.ok(not extra, "feedd.conf(5) %s: no key config.c refuses" % title,
         extra)

# ---- installed by make install ----

makefile = read(os.path.join(feeddtest.SRCDIR, "Makefile.am"))
m = re.search(r"^dist_man_MANS\s*=((?:.*\\\n)*.*)$", makefile, re.M)
listed = set(re.findall(r"man/(\S+)", m.group(1))) if m else set()
t.ok(listed == set(PAGES), "Makefile.am installs the pages", listed)

t.done()
