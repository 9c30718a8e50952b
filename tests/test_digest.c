/*
 * Unit tests for digest: grouping and order, excerpts and full text,
 * wrapping, escaping in every format, and the mail encodings (RFC 2047
 * headers, quoted-printable, dates, mbox From_ lines).  The formats are
 * parsed back with real parsers in tests/test_digest_formats.py.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "digest.h"
#include "util.h"

/* 2025-07-01T08:05:00Z */
#define NOW	1751357100

static json_t *
item(int id, const char *feed, const char *title, const char *published)
{
	json_t *j = json_pack("{s:i, s:s, s:s, s:s, s:b, s:b, s:i, s:[]}",
	    "id", id, "feed", feed, "link", "https://example.com/a",
	    "first_seen", "2025-07-01T00:00:00Z", "read", 0, "starred", 0,
	    "story", id, "also");

	if (title != NULL)
		json_object_set_new(j, "title", json_string(title));
	if (published != NULL)
		json_object_set_new(j, "published", json_string(published));
	return j;
}

static char *
render(json_t *items, const struct digest_opts *o)
{
	struct buf b = { 0 };
	char *err = NULL;

	if (digest_render(items, o, &b, &err) == -1)
		fail_msg("digest_render: %s", err);
	return buf_take(&b);
}

static struct digest_opts
opts(enum digest_format f)
{
	struct digest_opts o = {
		.format = f,
		.excerpt = DIGEST_DEFAULT_EXCERPT,
		.now = NOW,
		.from = "feedd <feedd@example.org>",
		.msgid_domain = "example.org",
	};

	return o;
}

/* Position of needle in hay; fails if absent. */
static size_t
pos(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);

	if (p == NULL)
		fail_msg("'%s' not found in:\n%s", needle, hay);
	return (size_t)(p - hay);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p;

	for (p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void
test_format_names(void **state)
{
	enum digest_format f = DIGEST_JSON;

	assert_int_equal(digest_format_parse("text", &f), 0);
	assert_int_equal(f, DIGEST_TEXT);
	assert_int_equal(digest_format_parse("markdown", &f), 0);
	assert_int_equal(f, DIGEST_MARKDOWN);
	assert_int_equal(digest_format_parse("md", &f), 0);
	assert_int_equal(f, DIGEST_MARKDOWN);
	assert_int_equal(digest_format_parse("html", &f), 0);
	assert_int_equal(f, DIGEST_HTML);
	assert_int_equal(digest_format_parse("json", &f), 0);
	assert_int_equal(f, DIGEST_JSON);
	assert_int_equal(digest_format_parse("mbox", &f), 0);
	assert_int_equal(f, DIGEST_MBOX);
	assert_int_equal(digest_format_parse("pdf", &f), -1);
	assert_int_equal(f, DIGEST_MBOX);
}

static void
test_grouped_by_feed_newest_first(void **state)
{
	json_t *items = json_array();
	struct digest_opts o = opts(DIGEST_TEXT);
	char *s;

	json_array_append_new(items, item(1, "zeta", "Z old",
	    "2025-06-01T00:00:00Z"));
	json_array_append_new(items, item(2, "alpha", "A old",
	    "2025-06-01T00:00:00Z"));
	json_array_append_new(items, item(3, "zeta", "Z new",
	    "2025-06-30T00:00:00Z"));
	json_array_append_new(items, item(4, "alpha", "A new",
	    "2025-06-02T00:00:00Z"));
	/* No date: first seen (2025-07-01) makes it the newest. */
	json_array_append_new(items, item(5, "alpha", "A undated", NULL));
	s = render(items, &o);
	assert_true(pos(s, "alpha (3)") < pos(s, "* A undated"));
	assert_true(pos(s, "* A undated") < pos(s, "* A new"));
	assert_true(pos(s, "* A new") < pos(s, "* A old"));
	assert_true(pos(s, "* A old") < pos(s, "zeta (2)"));
	assert_true(pos(s, "zeta (2)") < pos(s, "* Z new"));
	assert_true(pos(s, "* Z new") < pos(s, "* Z old"));
	assert_true(pos(s, "5 items from 2 feeds, 2025-07-01 08:05 UTC") <
	    pos(s, "alpha"));
	pos(s, "2025-06-30 00:00 UTC");
	free(s);
	json_decref(items);
}

static void
test_one_entry_per_story(void **state)
{
	json_t *items = json_array(), *a, *b;
	struct digest_opts o = opts(DIGEST_TEXT);
	char *s;

	a = item(1, "one", "Shared story", "2025-06-01T00:00:00Z");
	b = item(2, "two", "Shared story again", "2025-06-01T00:00:00Z");
	json_object_set_new(b, "story", json_integer(1));
	json_object_set_new(a, "also", json_pack("[{s:i, s:s, s:s}]", "id", 2,
	    "feed", "two", "link", "https://two.example/x"));
	json_array_append_new(items, a);
	json_array_append_new(items, b);
	s = render(items, &o);
	assert_int_equal(count(s, "Shared story"), 1);
	pos(s, "Also in: two <https://two.example/x>");
	free(s);
	json_decref(items);
}

static void
test_excerpt_full_and_titles_only(void **state)
{
	json_t *items = json_array(), *it;
	struct digest_opts o = opts(DIGEST_TEXT);
	char *s;

	it = item(1, "f", "T", NULL);
	json_object_set_new(it, "summary", json_string(
	    "<p>The quick brown fox jumps over the lazy dog, again and "
	    "again.</p>"));
	json_object_set_new(it, "content", json_string("<p>Content body</p>"));
	json_object_set_new(it, "article", json_pack("{s:s, s:s}", "text",
	    "Extracted article text.\n\nSecond paragraph.", "html",
	    "<p>Extracted <b>article</b></p><script>x()</script>"));
	json_array_append_new(items, it);

	/* Excerpts come from the summary, cut at a word. */
	o.excerpt = 20;
	s = render(items, &o);
	pos(s, "  The quick brown fox\xe2\x80\xa6\n");
	assert_null(strstr(s, "jumps"));
	free(s);

	/* Full: the extracted article, paragraphs kept. */
	o.full = true;
	s = render(items, &o);
	pos(s, "  Extracted article text.\n\n  Second paragraph.\n");
	assert_null(strstr(s, "quick"));
	free(s);

	/* In HTML, the article's HTML, sanitized. */
	o.format = DIGEST_HTML;
	s = render(items, &o);
	pos(s, "Extracted <b>article</b>");
	assert_null(strstr(s, "<script>x()"));
	free(s);

	/* Titles only. */
	o.format = DIGEST_TEXT;
	o.full = false;
	o.excerpt = 0;
	s = render(items, &o);
	assert_null(strstr(s, "quick"));
	assert_null(strstr(s, "Extracted"));
	pos(s, "* T\n");
	free(s);
	json_decref(items);
}

/* Every line at most 72 columns, unless it is one long word. */
static void
test_text_wrapped_at_72(void **state)
{
	json_t *items = json_array(), *it;
	struct digest_opts o = opts(DIGEST_TEXT);
	const char *line, *nl;
	struct buf long_text = { 0 };
	char *s;
	int i;

	for (i = 0; i < 60; i++)
		buf_puts(&long_text, "word\xc3\xa9 ");
	buf_puts(&long_text, "https://example.com/a/very/long/url/that/"
	    "cannot/be/broken/anywhere/without/breaking/the/link/itself");
	it = item(1, "f", long_text.data, NULL);
	json_object_set_new(it, "summary", json_string(long_text.data));
	json_array_append_new(items, it);
	o.excerpt = 100000;
	s = render(items, &o);
	for (line = s; *line != '\0'; line = nl + 1) {
		size_t cols = 0;
		const char *p;

		nl = strchr(line, '\n');
		assert_non_null(nl);
		for (p = line; p < nl; p++)
			if (((unsigned char)*p & 0xc0) != 0x80)
				cols++;
		if (cols > DIGEST_TEXT_WIDTH) {
			/* Only an unbreakable word (after its indent). */
			const char *w = line + strspn(line, " *");

			assert_null(memchr(w, ' ', (size_t)(nl - w)));
		}
	}
	/* Continuation lines of an item are indented. */
	pos(s, "\n  word\xc3\xa9 ");
	free(s);
	buf_free(&long_text);
	json_decref(items);
}

static void
test_empty_digest(void **state)
{
	json_t *items = json_array();
	struct digest_opts o = opts(DIGEST_TEXT);
	char *s;

	s = render(items, &o);
	pos(s, "No new items, 2025-07-01 08:05 UTC");
	free(s);
	o.format = DIGEST_JSON;
	s = render(items, &o);
	pos(s, "\"count\": 0");
	free(s);
	json_decref(items);
}

static void
test_bad_input(void **state)
{
	struct digest_opts o = opts(DIGEST_TEXT);
	struct buf b = { 0 };
	json_t *bad;
	char *err = NULL;

	bad = json_object();
	assert_int_equal(digest_render(bad, &o, &b, &err), -1);
	assert_non_null(err);
	free(err);
	json_decref(bad);
	bad = json_pack("[{s:s}]", "feed", "f");	/* no id */
	err = NULL;
	assert_int_equal(digest_render(bad, &o, &b, &err), -1);
	assert_non_null(err);
	free(err);
	json_decref(bad);

	/* mbox without a sender. */
	bad = json_array();
	o.format = DIGEST_MBOX;
	o.from = NULL;
	err = NULL;
	assert_int_equal(digest_render(bad, &o, &b, &err), -1);
	assert_non_null(err);
	free(err);
	json_decref(bad);
	buf_free(&b);
}

static void
test_markdown_escaping(void **state)
{
	json_t *items = json_array(), *it;
	struct digest_opts o = opts(DIGEST_MARKDOWN);
	char *s;

	it = item(1, "f_1", "*Not* [a] `link` <b>#1</b> & more", NULL);
	json_object_set_new(it, "link",
	    json_string("https://example.com/a_(b)?q=1"));
	json_object_set_new(it, "summary", json_string(
	    "<p># not a heading</p><p>1. not a list</p><p>- nor this</p>"));
	json_array_append_new(items, it);
	it = item(2, "f_1", "Evil", NULL);
	json_object_set_new(it, "link", json_string("javascript:alert(1)"));
	json_array_append_new(items, it);
	o.excerpt = 1000;
	s = render(items, &o);
	pos(s, "## f\\_1 (2)\n");
	pos(s, "### [\\*Not\\* \\[a\\] \\`link\\` \\<b\\>\\#1\\</b\\> \\& more]"
	    "(<https://example.com/a_(b)?q=1>)\n");
	/* An unsafe link is not a link. */
	pos(s, "### Evil\n");
	assert_null(strstr(s, "javascript"));
	/* The excerpt is one paragraph, escaped. */
	pos(s, "\n\\# not a heading 1. not a list - nor this\n");
	free(s);
	json_decref(items);
}

static void
test_markdown_block_starts(void **state)
{
	json_t *items = json_array(), *it;
	struct digest_opts o = opts(DIGEST_MARKDOWN);
	char *s;

	it = item(1, "f", "T", NULL);
	json_object_set_new(it, "article", json_pack("{s:s, s:s}", "text",
	    "> quoted?\n\n12) numbered?\n\n+ plus\n\n=== setext", "html",
	    "<p>x</p>"));
	json_array_append_new(items, it);
	o.full = true;
	s = render(items, &o);
	pos(s, "\n\\> quoted?\n\n12\\) numbered?\n\n\\+ plus\n\n\\=== setext\n");
	free(s);
	json_decref(items);
}

static void
test_html_escaping_and_safety(void **state)
{
	json_t *items = json_array(), *it;
	struct digest_opts o = opts(DIGEST_HTML);
	char *s;

	it = item(1, "<feed>", "A <b>bold</b> & \"quoted\" title", NULL);
	json_object_set_new(it, "link", json_string("javascript:alert(1)"));
	json_object_set_new(it, "author", json_string("<i>Eve</i>"));
	json_object_set_new(it, "content", json_string(
	    "<p onclick=\"x()\">Hi <a href=\"javascript:y()\">there</a>"
	    "<img src=\"rel.png\"></p><script>evil()</script>"));
	json_object_set_new(it, "also", json_pack("[{s:i, s:s, s:s}]", "id",
	    9, "feed", "o<t>her", "link", "data:text/html,x"));
	json_array_append_new(items, it);
	o.full = true;
	o.title = "Digest <&>";
	s = render(items, &o);
	pos(s, "<!DOCTYPE html>");
	pos(s, "<title>Digest &lt;&amp;&gt;</title>");
	pos(s, "prefers-color-scheme:dark");
	pos(s, "<h2>&lt;feed&gt; (1)</h2>");
	pos(s, "<h3>A &lt;b&gt;bold&lt;/b&gt; &amp; \"quoted\" title</h3>");
	pos(s, "by &lt;i&gt;Eve&lt;/i&gt;");
	pos(s, "Also in: o&lt;t&gt;her</p>");
	assert_null(strstr(s, "javascript"));
	assert_null(strstr(s, "evil()"));
	assert_null(strstr(s, "onclick"));
	assert_null(strstr(s, "data:text"));
	/* Relative URLs resolved against the item's link (it has none). */
	free(s);

	json_object_set_new(it, "link", json_string("https://ex.org/p/a.html"));
	s = render(items, &o);
	pos(s, "<h3><a href=\"https://ex.org/p/a.html\">A &lt;b&gt;");
	pos(s, "src=\"https://ex.org/p/rel.png\"");
	free(s);
	json_decref(items);
}

static void
test_json_roundtrip(void **state)
{
	json_t *items = json_array(), *root, *arr;
	struct digest_opts o = opts(DIGEST_JSON);
	json_error_t jerr;
	char *s;

	json_array_append_new(items, item(7, "b", "Second feed", NULL));
	json_array_append_new(items, item(8, "a", "First feed", NULL));
	s = render(items, &o);
	root = json_loads(s, 0, &jerr);
	assert_non_null(root);
	assert_int_equal(json_integer_value(json_object_get(root, "count")),
	    2);
	assert_string_equal(json_string_value(json_object_get(root,
	    "generated")), "2025-07-01T08:05:00Z");
	arr = json_object_get(root, "items");
	assert_int_equal(json_array_size(arr), 2);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(arr, 0), "id")), 8);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(arr, 1), "title")), "Second feed");
	json_decref(root);
	free(s);
	json_decref(items);
}

/* ---- mail encodings ---- */

static void
test_mime_header(void **state)
{
	struct buf b = { 0 };

	mime_header(&b, "Subject", "Plain subject");
	assert_string_equal(b.data, "Subject: Plain subject\n");
	buf_clear(&b);
	/* "Café": 43 61 66 c3 a9 in base64, by hand. */
	mime_header(&b, "Subject", "Caf\xc3\xa9");
	assert_string_equal(b.data, "Subject: =?UTF-8?B?Q2Fmw6k=?=\n");
	buf_clear(&b);
	/* No header injection: a newline becomes a space. */
	mime_header(&b, "Subject", "a\nBcc: x@y");
	assert_string_equal(b.data, "Subject: a Bcc: x@y\n");
	buf_clear(&b);
	/* Text that looks like an encoded word is encoded itself. */
	mime_header(&b, "Subject", "=?x?");
	assert_true(str_has_prefix(b.data, "Subject: =?UTF-8?B?"));
	buf_clear(&b);
	/* Long ASCII folds at spaces under 78 columns. */
	mime_header(&b, "Subject", "aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd "
	    "eeeeeeeee fffffffff ggggggggg hhhhhhhhh iiiiiiiii");
	assert_string_equal(b.data, "Subject: aaaaaaaaa bbbbbbbbb ccccccccc "
	    "ddddddddd eeeeeeeee fffffffff ggggggggg\n hhhhhhhhh iiiiiiiii\n");
	buf_free(&b);
}

static void
test_mime_header_long_utf8_splits_on_characters(void **state)
{
	struct buf b = { 0 }, v = { 0 };
	const char *p, *nl;
	int i;

	/* 30 two-byte characters: 60 bytes, more than one word holds. */
	for (i = 0; i < 30; i++)
		buf_puts(&v, "\xc3\xa9");
	mime_header(&b, "Subject", v.data);
	/* Two words of 19 characters (38 bytes) and 11. */
	assert_int_equal(count(b.data, "=?UTF-8?B?"), 2);
	for (p = b.data; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_true(nl - p <= 78);
	}
	buf_free(&b);
	buf_free(&v);
}

static void
test_mime_address_header(void **state)
{
	struct buf b = { 0 };

	mime_address_header(&b, "To", "plain@example.org");
	assert_string_equal(b.data, "To: plain@example.org\n");
	buf_clear(&b);
	mime_address_header(&b, "To", "Ann Example <ann@example.org>, "
	    "bob@example.org");
	assert_string_equal(b.data, "To: Ann Example <ann@example.org>, "
	    "bob@example.org\n");
	buf_clear(&b);
	/* A special in the name: quoted; a quoted name stays one address. */
	mime_address_header(&b, "From", "\"Doe, J.\" <j@example.org>");
	assert_string_equal(b.data, "From: \"Doe, J.\" <j@example.org>\n");
	buf_clear(&b);
	mime_address_header(&b, "From", "J. Doe <j@example.org>");
	assert_string_equal(b.data, "From: \"J. Doe\" <j@example.org>\n");
	buf_clear(&b);
	/* "Jöran": 4a c3 b6 72 61 6e in base64. */
	mime_address_header(&b, "From", "J\xc3\xb6ran <j@example.org>");
	assert_string_equal(b.data,
	    "From: =?UTF-8?B?SsO2cmFu?= <j@example.org>\n");
	buf_free(&b);
}

/* A decoder written from RFC 2045 section 6.7, for round trips. */
static char *
qp_decode(const char *s)
{
	struct buf b = { 0 };
	unsigned int v;

	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\n') {
			s += 2;
		} else if (s[0] == '=') {
			assert_int_equal(sscanf(s + 1, "%2X", &v), 1);
			buf_putc(&b, (int)v);
			s += 3;
		} else {
			buf_putc(&b, *s++);
		}
	}
	return b.data != NULL ? buf_take(&b) : xstrdup("");
}

static void
test_mime_qp(void **state)
{
	static const char *cases[][2] = {
		{ "a=b", "a=3Db" },
		{ "caf\xc3\xa9", "caf=C3=A9" },
		{ "trailing \nspace\t", "trailing=20\nspace=09" },
		{ ".\nx\n.y", "=2E\nx\n=2Ey" },
		{ "From me\nnot From", "=46rom me\nnot From" },
		{ "Frome", "Frome" },
	};
	struct buf b = { 0 }, in = { 0 };
	const char *p, *nl;
	char *back;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_clear(&b);
		mime_qp(&b, cases[i][0], strlen(cases[i][0]));
		assert_string_equal(b.data, cases[i][1]);
	}

	/* Long lines: soft breaks, every line at most 76, round trip. */
	for (i = 0; i < 300; i++)
		buf_puts(&in, i % 7 == 0 ? "\xc3\xa9=" : i % 50 == 0 ? "\n" :
		    "x From .");
	buf_clear(&b);
	mime_qp(&b, in.data, in.len);
	for (p = b.data; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		assert_true(nl - p <= 76);
		/* No line may start a message or end sendmail's input. */
		assert_false(str_has_prefix(p, "From "));
		assert_false(p[0] == '.' && (p[1] == '\n' || p[1] == '\0'));
		if (*nl == '\0')
			break;
	}
	back = qp_decode(b.data);
	assert_string_equal(back, in.data);
	free(back);
	buf_free(&b);
	buf_free(&in);
}

static void
test_mime_dates(void **state)
{
	struct buf b = { 0 };

	mime_date(&b, 0);
	assert_string_equal(b.data, "Thu, 01 Jan 1970 00:00:00 +0000");
	buf_clear(&b);
	mime_date(&b, NOW);
	assert_string_equal(b.data, "Tue, 01 Jul 2025 08:05:00 +0000");
	buf_clear(&b);
	mbox_from_line(&b, "Me <me@example.org>", NOW);
	assert_string_equal(b.data,
	    "From me@example.org Tue Jul  1 08:05:00 2025\n");
	buf_clear(&b);
	mbox_from_line(&b, "me@example.org", 0);
	assert_string_equal(b.data,
	    "From me@example.org Thu Jan  1 00:00:00 1970\n");
	buf_free(&b);
}

static void
test_mbox_digest_and_per_item(void **state)
{
	json_t *items = json_array(), *it;
	struct digest_opts o = opts(DIGEST_MBOX);
	char *s;

	it = item(1, "f", "Caf\xc3\xa9 news", "2025-06-30T10:00:00Z");
	json_object_set_new(it, "summary", json_string(
	    "<p>From the start.</p><p>.</p>"));
	json_array_append_new(items, it);
	json_array_append_new(items, item(2, "g", "Other", NULL));
	o.to = "Reader <reader@example.org>";
	s = render(items, &o);
	assert_true(str_has_prefix(s,
	    "From feedd@example.org Tue Jul  1 08:05:00 2025\n"));
	assert_int_equal(count(s, "\nFrom "), 0);
	pos(s, "\nFrom: feedd <feedd@example.org>\n");
	pos(s, "\nTo: Reader <reader@example.org>\n");
	pos(s, "\nSubject: Feed digest: 2 new items\n");
	pos(s, "\nDate: Tue, 01 Jul 2025 08:05:00 +0000\n");
	pos(s, "\nMessage-ID: <feedd.digest.1751357100.1-2.2@example.org>\n");
	pos(s, "\nMIME-Version: 1.0\n");
	pos(s, "Content-Type: multipart/alternative;");
	pos(s, "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n");
	pos(s, "Content-Type: text/html; charset=utf-8\n");
	free(s);

	o.per_item = true;
	o.title = NULL;
	s = render(items, &o);
	assert_int_equal(count(s, "\nFrom feedd@example.org "), 1);
	assert_true(str_has_prefix(s, "From feedd@example.org "));
	/* "[f] Café news" */
	pos(s, "\nSubject: =?UTF-8?B?W2ZdIENhZsOpIG5ld3M=?=\n");
	pos(s, "\nSubject: [g] Other\n");
	pos(s, "\nDate: Mon, 30 Jun 2025 10:00:00 +0000\n");
	pos(s, "\nMessage-ID: <feedd.item.1.1751328000@example.org>\n");
	/* Its text part starts a line with "From": encoded. */
	pos(s, "\n=46rom the start.");
	free(s);
	json_decref(items);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_grouped_by_feed_newest_first),
		cmocka_unit_test(test_one_entry_per_story),
		cmocka_unit_test(test_excerpt_full_and_titles_only),
		cmocka_unit_test(test_text_wrapped_at_72),
		cmocka_unit_test(test_empty_digest),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_markdown_escaping),
		cmocka_unit_test(test_markdown_block_starts),
		cmocka_unit_test(test_html_escaping_and_safety),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_mime_header),
		cmocka_unit_test(test_mime_header_long_utf8_splits_on_characters),
		cmocka_unit_test(test_mime_address_header),
		cmocka_unit_test(test_mime_qp),
		cmocka_unit_test(test_mime_dates),
		cmocka_unit_test(test_mbox_digest_and_per_item),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
