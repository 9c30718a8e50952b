/*
 * Unit tests for opml: nested categories, title/text, xmlUrl/htmlUrl,
 * errors with lines, hostile input, and write-then-read round trips.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "opml.h"
#include "util.h"

static struct opml *
parse_ok(const char *text)
{
	struct opml *o = NULL;
	char *err = NULL;

	if (opml_parse(text, strlen(text), &o, &err) == -1)
		fail_msg("opml_parse: %s", err);
	return o;
}

static char *
parse_err(const char *text)
{
	struct opml *o = NULL;
	char *err = NULL;

	assert_int_equal(opml_parse(text, strlen(text), &o, &err), -1);
	assert_null(o);
	assert_non_null(err);
	return err;
}

static void
test_nested_categories(void **state)
{
	struct opml *o;

	o = parse_ok(
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<opml version=\"2.0\">\n"
	    "  <head><title>My feeds</title></head>\n"
	    "  <body>\n"
	    "    <outline text=\"Top\" type=\"rss\" xmlUrl=\"https://t.example/f\"/>\n"
	    "    <outline text=\"Tech\">\n"
	    "      <outline text=\"Linux\" title=\"Linux news\">\n"
	    "        <outline text=\"LWN text\" title=\"LWN\" type=\"rss\"\n"
	    "          xmlUrl=\"https://lwn.net/headlines/rss\"\n"
	    "          htmlUrl=\"https://lwn.net/\"/>\n"
	    "      </outline>\n"
	    "      <outline text=\"Only text\" xmlurl=\" https://x.example/a \"/>\n"
	    "    </outline>\n"
	    "    <outline text=\"Empty category\"/>\n"
	    "    <outline title=\"Last\" xmlUrl=\"http://l.example/\"/>\n"
	    "  </body>\n"
	    "</opml>\n");
	assert_string_equal(o->title, "My feeds");
	assert_int_equal(o->n_feeds, 4);
	assert_string_equal(o->feeds[0].title, "Top");
	assert_null(o->feeds[0].category);
	assert_int_equal(o->feeds[0].line, 5);
	assert_string_equal(o->feeds[1].title, "LWN");
	assert_string_equal(o->feeds[1].xml_url,
	    "https://lwn.net/headlines/rss");
	assert_string_equal(o->feeds[1].html_url, "https://lwn.net/");
	assert_string_equal(o->feeds[1].category, "Tech/Linux news");
	/* libxml2 numbers an element by the line its start tag ends on. */
	assert_int_equal(o->feeds[1].line, 10);
	/* Attribute names in any case; values trimmed. */
	assert_string_equal(o->feeds[2].title, "Only text");
	assert_string_equal(o->feeds[2].xml_url, "https://x.example/a");
	assert_null(o->feeds[2].html_url);
	assert_string_equal(o->feeds[2].category, "Tech");
	assert_string_equal(o->feeds[3].title, "Last");
	assert_null(o->feeds[3].category);
	opml_free(o);
}

static void
test_opml1_and_entities(void **state)
{
	struct opml *o;

	o = parse_ok("<opml version=\"1.0\"><body>"
	    "<outline text=\"A &amp; B &#233;\" "
	    "xmlUrl=\"https://e.example/?a=1&amp;b=2\"/></body></opml>");
	assert_null(o->title);
	assert_int_equal(o->n_feeds, 1);
	assert_string_equal(o->feeds[0].title, "A & B \xc3\xa9");
	assert_string_equal(o->feeds[0].xml_url, "https://e.example/?a=1&b=2");
	opml_free(o);
}

static void
test_errors_name_the_line(void **state)
{
	char *err;

	err = parse_err("<opml version=\"2.0\">\n<body>\n"
	    "<outline text=\"x\" xmlUrl=\"https://a/\">\n</body>\n</opml>\n");
	assert_true(str_has_prefix(err, "line 4: "));
	free(err);
	err = parse_err("<opml>\n<body>\n<outline text=\"unterminated/>\n");
	assert_true(str_has_prefix(err, "line "));
	free(err);
	err = parse_err("");
	assert_true(str_has_prefix(err, "line "));
	free(err);
	err = parse_err("<?xml version=\"1.0\"?>\n\n<rss version=\"2.0\">"
	    "<channel/></rss>");
	assert_string_equal(err, "line 3: not an OPML file (the document is "
	    "<rss>, not <opml>)");
	free(err);
	err = parse_err("<opml version=\"2.0\">\n<head/>\n</opml>");
	assert_string_equal(err, "line 1: <opml> has no <body>");
	free(err);
}

static void
test_hostile_input(void **state)
{
	struct buf b = { 0 };
	struct opml *o = NULL;
	char *err = NULL;
	int i;

	static const char laughs[] = "<?xml version=\"1.0\"?><!DOCTYPE opml ["
	    "<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
	    "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
	    "<opml><body><outline text=\"&c;\" xmlUrl=\"https://a/\"/>"
	    "</body></opml>";
	static const char external[] = "<?xml version=\"1.0\"?><!DOCTYPE opml ["
	    "<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	    "<opml><body><outline text=\"&x;\" xmlUrl=\"https://a/\"/>"
	    "</body></opml>";

	/* Entity expansion (billion laughs) is refused or bounded. */
	o = NULL;
	if (opml_parse(laughs, strlen(laughs), &o, &err) == 0) {
		assert_int_equal(o->n_feeds, 1);
		opml_free(o);
	} else
		free(err);

	/* External entities are not fetched or read. */
	o = NULL;
	err = NULL;
	if (opml_parse(external, strlen(external), &o, &err) == 0) {
		assert_null(o->feeds[0].title != NULL ?
		    strstr(o->feeds[0].title, "root:") : NULL);
		opml_free(o);
	} else
		free(err);

	/* Deep nesting: no recursion, no crash. */
	buf_puts(&b, "<opml><body>");
	for (i = 0; i < 200; i++)
		buf_puts(&b, "<outline text=\"c\">");
	buf_puts(&b, "<outline text=\"deep\" xmlUrl=\"https://d/\"/>");
	for (i = 0; i < 200; i++)
		buf_puts(&b, "</outline>");
	buf_puts(&b, "</body></opml>");
	o = parse_ok(b.data);
	assert_int_equal(o->n_feeds, 1);
	assert_int_equal(strlen(o->feeds[0].category), 200 * 2 - 1);
	opml_free(o);
	buf_free(&b);

	/* Too large. */
	err = NULL;
	assert_int_equal(opml_parse("x", OPML_MAX_BYTES + 1, &o, &err), -1);
	assert_non_null(err);
	free(err);
}

static void
test_write_then_read(void **state)
{
	struct opml_feed feeds[] = {
		{ "LWN", "https://lwn.net/headlines/rss", "https://lwn.net/",
		    "Tech/Linux", 0 },
		{ "No category & <specials> \"quoted\"",
		    "https://e.example/?a=1&b=2", NULL, NULL, 0 },
		{ "Kernel", "https://kernel.example/feed", NULL, "Tech/Linux",
		    0 },
		{ "Caf\xc3\xa9 \x01 control", "https://c.example/", NULL,
		    "Tech", 0 },
		{ NULL, "https://untitled.example/", NULL, "Other", 0 },
	};
	struct buf b = { 0 };
	struct opml *o;
	size_t i, j;

	opml_write(&b, "feedd subscriptions", feeds, ARRAY_SIZE(feeds),
	    1751357100);
	assert_true(str_has_prefix(b.data, "<?xml version=\"1.0\" "
	    "encoding=\"UTF-8\"?>\n<opml version=\"2.0\">"));
	assert_non_null(strstr(b.data,
	    "<dateCreated>Tue, 01 Jul 2025 08:05:00 +0000</dateCreated>"));
	/* Each category once, nested. */
	assert_non_null(strstr(b.data, "<outline text=\"Tech\" "
	    "title=\"Tech\">"));
	assert_null(strstr(strstr(b.data, "title=\"Tech\"") + 1,
	    "title=\"Tech\">"));
	o = parse_ok(b.data);
	assert_string_equal(o->title, "feedd subscriptions");
	assert_int_equal(o->n_feeds, ARRAY_SIZE(feeds));
	for (i = 0; i < ARRAY_SIZE(feeds); i++) {
		for (j = 0; j < o->n_feeds; j++)
			if (strcmp(o->feeds[j].xml_url, feeds[i].xml_url) == 0)
				break;
		assert_true(j < o->n_feeds);
		if (feeds[i].category == NULL)
			assert_null(o->feeds[j].category);
		else
			assert_string_equal(o->feeds[j].category,
			    feeds[i].category);
		if (feeds[i].html_url != NULL)
			assert_string_equal(o->feeds[j].html_url,
			    feeds[i].html_url);
	}
	/* Titles come back, control characters dropped. */
	for (j = 0; j < o->n_feeds; j++) {
		if (strcmp(o->feeds[j].xml_url, "https://c.example/") == 0)
			assert_string_equal(o->feeds[j].title,
			    "Caf\xc3\xa9  control");
		if (strcmp(o->feeds[j].xml_url, "https://e.example/?a=1&b=2")
		    == 0)
			assert_string_equal(o->feeds[j].title,
			    "No category & <specials> \"quoted\"");
		if (strcmp(o->feeds[j].xml_url, "https://untitled.example/")
		    == 0)
			assert_string_equal(o->feeds[j].title,
			    "https://untitled.example/");
	}
	opml_free(o);
	buf_free(&b);

	/* Nothing to write: still a valid document. */
	opml_write(&b, "empty", NULL, 0, 0);
	o = parse_ok(b.data);
	assert_int_equal(o->n_feeds, 0);
	opml_free(o);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_categories),
		cmocka_unit_test(test_opml1_and_entities),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_write_then_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
