/*
 * Unit tests for extract: what the article keeps and drops, block
 * separators, charsets, metadata, and hostile input that must still give
 * a result in bounded time and memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "extract.h"
#include "util.h"

/* A paragraph long enough to count as article text. */
#define PARA(x) "<p>" x " The committee met on Tuesday, and after a long " \
	"debate, with many amendments, it approved the plan for the new " \
	"bridge, which will open next year.</p>"

#define ARTICLE \
	"<article>" \
	PARA("First.") PARA("Second.") PARA("Third.") PARA("Fourth.") \
	"</article>"

static struct article *
extract(const char *html, const char *url, const char *ctype)
{
	struct extract_opts o = { url, ctype };
	struct article *a = NULL;
	char *err = NULL;

	assert_int_equal(extract_article(html, strlen(html), &o, &a, &err), 0);
	assert_non_null(a);
	assert_non_null(a->text);
	assert_non_null(a->html);
	assert_true(utf8_valid(a->text, strlen(a->text)));
	assert_true(utf8_valid(a->html, strlen(a->html)));
	return a;
}

static void
assert_has(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("'%s' not in '%s'", needle, hay);
}

static void
assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL)
		fail_msg("'%s' should not be in '%s'", needle, hay);
}

static void
test_main_content_chosen(void **state)
{
	struct article *a = extract("<html><body>"
	    "<nav><a href=/>Home</a> <a href=/news>News</a></nav>"
	    "<div class=sidebar><p>Popular: <a href=/x>Something else "
	    "entirely, with commas, many of them</a></p></div>"
	    ARTICLE
	    "<footer>Contact us, Imprint, Privacy</footer>"
	    "</body></html>", "https://example.com/a", NULL);

	assert_has(a->text, "First. The committee met");
	assert_has(a->text, "Fourth.");
	assert_lacks(a->text, "Home");
	assert_lacks(a->text, "Something else");
	assert_lacks(a->text, "Imprint");
	assert_null(a->reason);
	article_free(a);
}

static void
test_banners_and_boxes_removed(void **state)
{
	struct article *a = extract("<html><body><div class=content>"
	    "<div class=\"cookie-banner\">We use cookies to improve your "
	    "experience. By continuing you accept our use of cookies.</div>"
	    PARA("First.")
	    "<p>Read also: <a href=/other>Another story about bridges</a></p>"
	    PARA("Second.")
	    "<div class=\"share-bar\"><a href=/s>Share</a> <a href=/t>Tweet</a>"
	    "</div>"
	    PARA("Third.")
	    "<div class=\"related-articles\"><h3>Related</h3><ul>"
	    "<li><a href=/r1>Old bridge closes</a></li>"
	    "<li><a href=/r2>Ferry prices rise</a></li></ul></div>"
	    PARA("Fourth.")
	    "<p>Tags: bridges, city council, transport</p>"
	    "<p>Comments are moderated. Please be respectful and follow our "
	    "community guidelines.</p>"
	    "</div></body></html>", "https://example.com/a", NULL);

	assert_has(a->text, "First.");
	assert_has(a->text, "Fourth.");
	assert_lacks(a->text, "cookies");
	assert_lacks(a->text, "Read also");
	assert_lacks(a->text, "Tweet");
	assert_lacks(a->text, "Ferry");
	assert_lacks(a->text, "Tags:");
	assert_lacks(a->text, "moderated");
	article_free(a);
}

static void
test_block_separators(void **state)
{
	struct article *a = extract("<html><body><article>"
	    PARA("One.")
	    "<div><span>alpha</span></div><div><span>beta</span></div>"
	    "<ul><li>gamma</li><li>delta</li></ul>"
	    "<p>line<br>break</p>"
	    PARA("Two.") PARA("Three.")
	    "</article></body></html>", NULL, NULL);

	assert_has(a->text, "alpha\n\nbeta");
	assert_has(a->text, "gamma\n\ndelta");
	assert_has(a->text, "line\nbreak");
	assert_lacks(a->text, "alphabeta");
	article_free(a);
}

static void
test_captions_not_in_text(void **state)
{
	struct article *a = extract("<html><body><article>"
	    PARA("One.")
	    "<figure><img src=\"/i.jpg\"><figcaption>The old bridge at dawn."
	    "</figcaption></figure>"
	    PARA("Two.") PARA("Three.")
	    "</article></body></html>", "https://example.com/n/a.html", NULL);

	assert_lacks(a->text, "old bridge at dawn");
	/* The HTML keeps the figure, with an absolute image URL. */
	assert_has(a->html, "<figure>");
	assert_has(a->html, "src=\"https://example.com/i.jpg\"");
	assert_has(a->html, "old bridge at dawn");
	article_free(a);
}

static void
test_html_is_sanitized(void **state)
{
	struct article *a = extract("<html><body><article>"
	    PARA("One.")
	    "<p onclick=\"evil()\">Click <a href=\"javascript:alert(1)\">here"
	    "</a> and <a href=\"/more\">there</a>, which is fine.</p>"
	    "<script>alert(1)</script>"
	    PARA("Two.") PARA("Three.")
	    "</article></body></html>", "https://example.com/", NULL);

	assert_lacks(a->html, "onclick");
	assert_lacks(a->html, "javascript");
	assert_lacks(a->html, "<script");
	assert_has(a->html, "href=\"https://example.com/more\"");
	article_free(a);
}

static void
test_charset_undeclared_is_windows_1252(void **state)
{
	/* "café" and curly quotes in windows-1252, nothing declared. */
	struct article *a = extract("<html><body><article>"
	    PARA("Caf\xe9 \x93quoted\x94.") PARA("Two.") PARA("Three.")
	    "</article></body></html>", NULL, NULL);

	assert_has(a->text, "Caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d.");
	article_free(a);
}

static void
test_charset_declared(void **state)
{
	struct article *a;

	/* KOI8-R "мир" is CD C9 D2, named by the HTTP header. */
	a = extract("<html><body><article>" PARA("\xcd\xc9\xd2.")
	    PARA("Two.") PARA("Three.") "</article></body></html>", NULL,
	    "text/html; charset=KOI8-R");
	assert_has(a->text, "\xd0\xbc\xd0\xb8\xd1\x80.");
	article_free(a);
	/* ... or by <meta>. */
	a = extract("<html><head><meta charset=\"koi8-r\"></head><body>"
	    "<article>" PARA("\xcd\xc9\xd2.") PARA("Two.") PARA("Three.")
	    "</article></body></html>", NULL, NULL);
	assert_has(a->text, "\xd0\xbc\xd0\xb8\xd1\x80.");
	article_free(a);
	/* UTF-8 bytes win over a legacy declaration that cannot be right. */
	a = extract("<html><head><meta charset=\"iso-8859-1\"></head><body>"
	    "<article>" PARA("Caf\xc3\xa9.") PARA("Two.") PARA("Three.")
	    "</article></body></html>", NULL, NULL);
	assert_has(a->text, "Caf\xc3\xa9.");
	article_free(a);
}

static void
test_metadata(void **state)
{
	struct article *a = extract("<html lang=\"de-AT\"><head>"
	    "<title>Bridge plan approved | Example News</title>"
	    "<meta property=\"og:site_name\" content=\"Example News\">"
	    "<meta name=\"author\" content=\"Jane Roe\">"
	    "<meta property=\"article:published_time\" "
	    "content=\"2019-11-18T16:07:00-05:00\">"
	    "</head><body>" ARTICLE "</body></html>", NULL, NULL);

	assert_string_equal(a->title, "Bridge plan approved");
	assert_string_equal(a->byline, "Jane Roe");
	assert_string_equal(a->published, "2019-11-18T21:07:00Z");
	assert_string_equal(a->lang, "de-AT");
	article_free(a);
}

static void
test_metadata_json_ld(void **state)
{
	struct article *a = extract("<html><head>"
	    "<title>Site | Something</title>"
	    "<script type=\"application/ld+json\">{\"@context\":"
	    "\"https://schema.org\",\"@graph\":[{\"@type\":\"WebSite\","
	    "\"name\":\"Site\"},{\"@type\":\"NewsArticle\",\"headline\":"
	    "\"The real headline\",\"author\":[{\"@type\":\"Person\","
	    "\"name\":\"A. Writer\"},{\"name\":\"B. Writer\"}],"
	    "\"datePublished\":\"2020-02-29T12:00:00Z\"}]}</script>"
	    "</head><body>" ARTICLE "</body></html>", NULL, NULL);

	assert_string_equal(a->title, "The real headline");
	assert_string_equal(a->byline, "A. Writer, B. Writer");
	assert_string_equal(a->published, "2020-02-29T12:00:00Z");
	article_free(a);
}

static void
test_json_ld_body_fallback(void **state)
{
	/* A page its scripts would fill in: the body is only in JSON-LD. */
	struct article *a = extract("<html><head>"
	    "<script type=\"application/ld+json\">{\"@type\":\"BlogPosting\","
	    "\"headline\":\"H\",\"articleBody\":\"The council approved the "
	    "bridge plan on Tuesday after a long debate. Work starts in the "
	    "spring and should end within two years, the mayor said, adding "
	    "that the ferry will keep running until then. Residents welcomed "
	    "the decision but asked for a footpath. The cost is estimated at "
	    "twelve million, shared by the city and the region. A second "
	    "vote on the footpath is planned for next month, and the design "
	    "will be shown to the public in a series of meetings.\"}</script>"
	    "</head><body><div id=app>Loading...</div></body></html>",
	    NULL, NULL);

	assert_has(a->text, "The council approved the bridge plan");
	assert_has(a->text, "series of meetings.");
	assert_null(a->reason);
	article_free(a);
}

static void
test_byline_in_page(void **state)
{
	struct article *a = extract("<html><body><article>"
	    "<div class=\"byline\">By Jane Roe</div>"
	    PARA("One.") PARA("Two.") PARA("Three.")
	    "</article></body></html>", NULL, NULL);

	assert_string_equal(a->byline, "Jane Roe");
	assert_lacks(a->text, "Jane Roe");
	article_free(a);
}

static void
test_binary_input(void **state)
{
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10";
	struct extract_opts o = { 0 };
	struct article *a = NULL;
	char *err = NULL;

	assert_int_equal(extract_article(png, sizeof(png) - 1, &o, &a, &err),
	    0);
	assert_string_equal(a->text, "");
	assert_non_null(a->reason);
	article_free(a);
	/* Random bytes. */
	{
		char junk[4096];
		size_t i;

		srand(1);
		for (i = 0; i < sizeof(junk); i++)
			junk[i] = (char)(rand() & 0xff);
		assert_int_equal(extract_article(junk, sizeof(junk), &o, &a,
		    &err), 0);
		assert_true(utf8_valid(a->text, strlen(a->text)));
		article_free(a);
	}
	assert_int_equal(extract_article("", 0, &o, &a, &err), 0);
	assert_string_equal(a->text, "");
	assert_non_null(a->reason);
	article_free(a);
	assert_int_equal(extract_article(NULL, 0, &o, &a, &err), -1);
	assert_non_null(err);
	free(err);
}

static void
test_broken_encoding(void **state)
{
	/* Invalid UTF-8 among valid, NULs and controls, a declared charset
	 * iconv does not know. */
	static const char page[] = "<html><head><meta charset=\"x-bogus\">"
	    "</head><body><article><p>Broken \xc3\x28 bytes \xe2\x82 and "
	    "\xf0\x9f\x98 here\x01\x02, with text, enough of it, to be an "
	    "article paragraph that the scorer will keep.</p>"
	    PARA("Two.") PARA("Three.") "</article></body></html>";
	struct extract_opts o = { NULL, "text/html; charset=utf-16" };
	struct article *a = NULL;
	char *err = NULL;

	assert_int_equal(extract_article(page, sizeof(page) - 1, &o, &a,
	    &err), 0);
	assert_true(utf8_valid(a->text, strlen(a->text)));
	assert_has(a->text, "Broken");
	assert_has(a->text, "Three.");
	article_free(a);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_huge_page(void **state)
{
	struct buf b = { 0 };
	struct article *a;
	double t0;
	size_t i;

	buf_puts(&b, "<html><body><article>");
	for (i = 0; b.len < 50 * 1024 * 1024; i++)
		buf_puts(&b, PARA("Again."));
	buf_puts(&b, "</article></body></html>");
	t0 = now();
	a = extract(b.data, NULL, NULL);
	/* Only EXTRACT_MAX_INPUT is read: minutes would mean it was not. */
	assert_true(now() - t0 < 120);
	assert_has(a->text, "Again.");
	assert_true(strlen(a->text) < EXTRACT_MAX_INPUT);
	article_free(a);
	buf_free(&b);
}

static void
test_deep_nesting(void **state)
{
	struct buf b = { 0 };
	struct article *a;
	int i;

	buf_puts(&b, "<html><body>");
	for (i = 0; i < 10000; i++)
		buf_puts(&b, "<div>");
	buf_puts(&b, PARA("Deep.") PARA("Deeper."));
	for (i = 0; i < 10000; i++)
		buf_puts(&b, "<span><b>");
	buf_puts(&b, PARA("Deepest."));
	a = extract(b.data, NULL, NULL);
	assert_has(a->text, "Deep.");
	article_free(a);
	buf_free(&b);
}

static void
test_many_elements(void **state)
{
	struct buf b = { 0 };
	struct article *a;
	double t0;
	int i;

	/* An article, then a flood of empty elements, nested and not. */
	buf_puts(&b, "<html><body>" ARTICLE);
	for (i = 0; i < 300000; i++)
		buf_puts(&b, "<div></div>");
	for (i = 0; i < 100000; i++)
		buf_puts(&b, "<div><span>");
	t0 = now();
	a = extract(b.data, NULL, NULL);
	assert_true(now() - t0 < 120);
	assert_has(a->text, "Fourth.");
	article_free(a);
	buf_free(&b);
}

static void
test_navigation_only(void **state)
{
	struct buf b = { 0 };
	struct article *a;
	int i;

	buf_puts(&b, "<html><body><nav><ul>");
	for (i = 0; i < 200; i++)
		buf_printf(&b, "<li><a href=\"/s%d\">Section number %d</a></li>",
		    i, i);
	buf_puts(&b, "</ul></nav><div class=menu><a href=/>Home</a></div>"
	    "</body></html>");
	a = extract(b.data, "https://example.com/", NULL);
	assert_string_equal(a->text, "");
	assert_non_null(a->reason);
	article_free(a);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_content_chosen),
		cmocka_unit_test(test_banners_and_boxes_removed),
		cmocka_unit_test(test_block_separators),
		cmocka_unit_test(test_captions_not_in_text),
		cmocka_unit_test(test_html_is_sanitized),
		cmocka_unit_test(test_charset_undeclared_is_windows_1252),
		cmocka_unit_test(test_charset_declared),
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_metadata_json_ld),
		cmocka_unit_test(test_json_ld_body_fallback),
		cmocka_unit_test(test_byline_in_page),
		cmocka_unit_test(test_binary_input),
		cmocka_unit_test(test_broken_encoding),
		cmocka_unit_test(test_huge_page),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_many_elements),
		cmocka_unit_test(test_navigation_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
