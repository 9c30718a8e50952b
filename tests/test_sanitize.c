/*
 * Unit tests for sanitize: what is kept, what goes, how URLs come out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dedup.h"
#include "html.h"
#include "parse.h"
#include "sanitize.h"
#include "util.h"

#define BASE "https://example.com/news/story.html"

static void
check(const char *html, const char *base, const char *want)
{
	char *got = sanitize_html(html, strlen(html), base);

	assert_string_equal(got, want);
	free(got);
}

/* The output must not contain needle (case-insensitive). */
static void
check_absent(const char *html, const char *needle)
{
	char *got = sanitize_html(html, strlen(html), BASE);
	char *lower = xstrdup(got), *p;

	for (p = lower; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	if (strstr(lower, needle) != NULL)
		fail_msg("'%s' survived in '%s'", needle, got);
	free(lower);
	free(got);
}

static void
test_keeps_structure(void **state)
{
	check("<p>Hello <b>bold</b> <em>em</em></p>", NULL,
	    "<p>Hello <b>bold</b> <em>em</em></p>");
	check("<h2>T</h2><ul><li>a</li></ul><blockquote>q</blockquote>", NULL,
	    "<h2>T</h2><ul><li>a</li></ul><blockquote>q</blockquote>");
	check("<table><tr><td colspan=\"2\">x</td></tr></table>", NULL,
	    "<table><tr><td colspan=\"2\">x</td></tr></table>");
	check("<p>a<br>b</p><hr>", NULL, "<p>a<br>b</p><hr>");
	check("<pre><code>x &lt; y</code></pre>", NULL,
	    "<pre><code>x &lt; y</code></pre>");
}

static void
test_drops_dangerous_elements(void **state)
{
	check("<p>a</p><script>alert(1)</script><p>b</p>", NULL,
	    "<p>a</p><p>b</p>");
	check("<style>p{color:red}</style><p>x</p>", NULL, "<p>x</p>");
	check("<p>x<iframe src=\"https://evil.example/\">f</iframe></p>", NULL,
	    "<p>x</p>");
	check("<object data=\"x.swf\"><embed src=\"x.swf\"></object><p>y</p>",
	    NULL, "<p>y</p>");
	check("<form action=\"/post\"><p>in form</p><input name=q>"
	    "<button>Go</button><textarea>t</textarea></form>", NULL,
	    "<p>in form</p>");
	check_absent("<meta http-equiv=refresh content=\"0;url=x\"><p>x</p>",
	    "refresh");
	check_absent("<base href=\"https://evil.example/\"><a href=\"a\">a</a>",
	    "evil");
	check_absent("<link rel=stylesheet href=x.css><p>x</p>", "stylesheet");
	check_absent("<svg><script>alert(1)</script></svg><p>x</p>", "alert");
	check_absent("<math><mi xlink:href=\"javascript:alert(1)\">x</mi>"
	    "</math>", "javascript");
}

static void
test_unwraps_unknown_elements(void **state)
{
	check("<font color=red>red</font> <custom-el>c</custom-el>", NULL,
	    "red c");
	check("<center><p>c</p></center>", NULL, "<p>c</p>");
}

static void
test_drops_attributes(void **state)
{
	check("<p class=\"x\" id=\"y\" style=\"color:red\" onclick=\"evil()\" "
	    "title=\"t\" lang=\"de\">x</p>", NULL,
	    "<p title=\"t\" lang=\"de\">x</p>");
	check_absent("<img src=\"https://example.com/a.png\" onerror=\"alert(1)\">",
	    "onerror");
	check_absent("<p style=\"background:url(javascript:alert(1))\">x</p>",
	    "javascript");
	check_absent("<div style=\"width:expression(alert(1))\">x</div>",
	    "expression");
	check("<img src=\"https://e.com/a.png\" width=\"100\" height=\"50px\" "
	    "alt=\"A &quot;cat&quot;\">", NULL,
	    "<img width=\"100\" alt=\"A &quot;cat&quot;\" "
	    "src=\"https://e.com/a.png\">");
}

static void
test_urls(void **state)
{
	/* Relative URLs become absolute against the base. */
	check("<a href=\"../about\">x</a>", BASE,
	    "<a href=\"https://example.com/about\">x</a>");
	check("<img src=\"/i/p.jpg\">", BASE,
	    "<img src=\"https://example.com/i/p.jpg\">");
	check("<a href=\"//cdn.example.net/x\">x</a>", BASE,
	    "<a href=\"https://cdn.example.net/x\">x</a>");
	/* Without a base they stay relative. */
	check("<a href=\"/about\">x</a>", NULL, "<a href=\"/about\">x</a>");
	/* Scripting schemes go, whatever their spelling; the text stays. */
	check("<a href=\"javascript:alert(1)\">x</a>", BASE, "x");
	check("<a href=\" JaVaScRiPt:alert(1)\">x</a>", BASE, "x");
	check("<a href=\"java&#x09;script:alert(1)\">x</a>", BASE, "x");
	check("<a href=\"&#106;avascript:alert(1)\">x</a>", BASE, "x");
	check("<a href=\"vbscript:msgbox(1)\">x</a>", BASE, "x");
	check("<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
	    BASE, "x");
	check("<a href=\"mailto:a@example.com\">m</a>", BASE,
	    "<a href=\"mailto:a@example.com\">m</a>");
	/* data: only for raster images. */
	check("<img src=\"data:image/png;base64,iVBORw0KGgo=\">", BASE,
	    "<img src=\"data:image/png;base64,iVBORw0KGgo=\">");
	check("<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">", BASE,
	    "");
	check("<img src=\"javascript:alert(1)\">", BASE, "");
	check("<blockquote cite=\"javascript:x\">q</blockquote>", BASE,
	    "<blockquote>q</blockquote>");
}

static void
test_images(void **state)
{
	/* A lazy-loading placeholder gives way to the real source. */
	check("<img src=\"data:image/gif;base64,R0lGOD\" data-src=\"/big.jpg\">",
	    BASE, "<img src=\"https://example.com/big.jpg\">");
	check("<img srcset=\"a.jpg 1x, b.jpg 2x\">", BASE,
	    "<img srcset=\"https://example.com/news/a.jpg 1x, "
	    "https://example.com/news/b.jpg 2x\">");
	check("<img srcset=\"javascript:x 1x, ok.jpg 2x\">", BASE,
	    "<img srcset=\"https://example.com/news/ok.jpg 2x\">");
	check("<figure><img src=\"a.jpg\"><figcaption>Cap</figcaption></figure>",
	    BASE, "<figure><img src=\"https://example.com/news/a.jpg\">"
	    "<figcaption>Cap</figcaption></figure>");
	check("<picture><source srcset=\"a.webp\" type=\"image/webp\">"
	    "<img src=\"a.jpg\"></picture>", BASE,
	    "<picture><source srcset=\"https://example.com/news/a.webp\" "
	    "type=\"image/webp\">"
	    "<img src=\"https://example.com/news/a.jpg\"></picture>");
	/* An image with no usable source is dropped. */
	check("<p>x<img alt=\"nothing\"></p>", BASE, "<p>x</p>");
}

static void
test_escaping_and_utf8(void **state)
{
	char *got;

	check("<p>a &lt;b&gt; &amp; \"q\"</p>", NULL,
	    "<p>a &lt;b&gt; &amp; \"q\"</p>");
	check("<p title='x\"><script>'>t</p>", NULL,
	    "<p title=\"x&quot;&gt;&lt;script&gt;\">t</p>");
	got = sanitize_html("<p>a\xff\xfe</p>", 9, NULL);
	assert_true(utf8_valid(got, strlen(got)));
	free(got);
	check("", NULL, "");
	check("<!-- comment --><p>x</p>", NULL, "<p>x</p>");
}

static void
test_deep_nesting_bounded(void **state)
{
	struct buf b = { 0 };
	char *got, *p;
	size_t opened = 0;
	int i;

	for (i = 0; i < 10000; i++)
		buf_puts(&b, "<div>");
	buf_puts(&b, "deep");
	got = sanitize_html(b.data, b.len, NULL);
	assert_non_null(strstr(got, "deep"));
	for (p = got; (p = strstr(p, "<div>")) != NULL; p++)
		opened++;
	assert_true(opened <= SANITIZE_MAX_DEPTH);
	free(got);
	buf_free(&b);
}

/* The text of the output from the one parse: written by hand. */
static void
check_text(const char *html, const char *want_html, const char *want_text)
{
	char *text, *got = sanitize_html_text(html, strlen(html), BASE, &text);

	assert_string_equal(got, want_html);
	if (want_text == NULL)
		assert_null(text);
	else {
		assert_non_null(text);
		assert_string_equal(text, want_text);
	}
	free(text);
	free(got);
}

static void
test_text_from_one_parse(void **state)
{
	(void)state;
	check_text("<p>One <b>two</b></p><script>x()</script>"
	    "<form><div>Three</div></form>",
	    "<p>One <b>two</b></p><div>Three</div>", "One two\n\nThree");
	/* Unwrapped blocks (center) leave no paragraph in the output. */
	check_text("<b>a</b><center>b</center>c", "<b>a</b>bc", "abc");
	check_text("<p>x<br>y<br><br>z</p>", "<p>x<br>y<br><br>z</p>",
	    "x\ny\n\nz");
	check_text("<pre>  a\n\n b</pre>", "<pre>  a\n\n b</pre>",
	    "  a\n\n b");
	check_text("<table><tr><td>1</td><td>2</td></tr></table>",
	    "<table><tr><td>1</td><td>2</td></tr></table>", "1 2");
	check_text("fish &amp;&nbsp;chips &lt;3", "<p>fish &amp;\xc2\xa0"
	    "chips &lt;3</p>", "fish & chips <3");
	check_text("a<hr>b", "<p>a</p><hr>b", "a\n\nb");
	/* Nothing but an image, or only white space: no text. */
	check_text("<img src=\"/i.png\">",
	    "<img src=\"https://example.com/i.png\">", NULL);
	check_text("<p> \n </p>", "<p> \n </p>", NULL);
	check_text("", "", NULL);
}

/*
 * Plain text (no markup, no reference) is written without a parse: it must
 * come out as libxml2 reads it, in an implied paragraph, white space before
 * it skipped, the rest kept as written.
 */
static void
test_plain_text(void **state)
{
	(void)state;
	check_text("hello", "<p>hello</p>", "hello");
	check_text(" \t\r\n  a  b\r\nc\n\n", "<p>a  b\r\nc\n\n</p>",
	    "a b c");
	check_text("x > \"y\" 'z'", "<p>x &gt; \"y\" 'z'</p>", "x > \"y\" 'z'");
	/* No-break spaces are text to libxml2, white space to the text. */
	check_text("\xc2\xa0", "<p>\xc2\xa0</p>", NULL);
	check_text("\xc2\xa0x\xc2\xa0 y", "<p>\xc2\xa0x\xc2\xa0 y</p>", "x y");
	check_text(" \n\t", "", NULL);
	/* What the parser changes takes the parse: controls, U+FFFF, BOM. */
	check_text("a\x01" "b", "<p>a b</p>", "a b");
	check_text("\x0b x", "<p>x</p>", "x");
	check_text("\x7f", "", NULL);
	check_text("a\xef\xbf\xbf" "b", "<p>ab</p>", "ab");
	check_text("\xef\xbb\xbfx", "<p>x</p>", "x");
	check_text("a\xff" "b", "<p>a\xef\xbf\xbd" "b</p>", "a\xef\xbf\xbd" "b");
}

/* The text is what html_to_text() reads from the output, parsed again. */
static void
test_text_as_reparsed(void **state)
{
	static const char *const cases[] = {
		"<div><p>a</p>b<span>c</span><ul><li>d<li>e</ul></div>",
		"<picture><source srcset=\"/a.webp\"><img src=\"/a.jpg\">"
		    "fallback</picture> after",
		"long<wbr>word and<wbr> more",
		"<font>x</font><div>y</div><font>z</font>",
		"<p>a<table><tr><th>h</th><td>c<br>d</td></tr></table>e",
		"<h1>T</h1><blockquote><p>q</p></blockquote><pre>\n\n p\n</pre>",
		"<a>no link</a> <a href=\"javascript:x\">bad</a> "
		    "<a href=\"/ok\">ok</a>",
		"<figure><img src=/x.png><figcaption>cap</figcaption></figure>",
		"<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>字",
		"<math><mi>x</mi><mo>=</mo><mn>1</mn></math> text",
		"<p>one</p>\n\n<p>two</p>\n<!-- c --><style>p{}</style>three",
		"<col><colgroup><col></colgroup>x",
	};
	char *text, *out, *want;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		out = sanitize_html_text(cases[i], strlen(cases[i]), BASE,
		    &text);
		want = html_to_text(out, strlen(out));
		if (text == NULL)
			assert_string_equal(want, "");
		else if (strcmp(text, want) != 0)
			fail_msg("%s: one parse '%s', parsed again '%s'",
			    cases[i], text, want);
		free(want);
		free(text);
		free(out);
	}
}

static void
clear(struct item *it)
{
	free(it->content);
	free(it->summary);
	free(it->text);
	memset(it, 0, sizeof(*it));
}

static void
test_item(void **state)
{
	struct item it = { 0 };
	char *want;

	(void)state;
	/* Content with no text: the summary's text. */
	it.content = xstrdup("<img src=\"/i.png\"><script>s</script>");
	it.summary = xstrdup("<p>Summary <i>text</i></p><iframe></iframe>");
	sanitize_item(&it, BASE);
	assert_string_equal(it.content,
	    "<img src=\"https://example.com/i.png\">");
	assert_string_equal(it.summary, "<p>Summary <i>text</i></p>");
	assert_string_equal(it.text, "Summary text");
	want = dedup_body_text(it.content, it.summary);
	assert_string_equal(it.text, want);
	free(want);
	clear(&it);

	/* Nothing safe left: the fields go, and there is no text. */
	it.content = xstrdup("<script>alert(1)</script>");
	it.summary = xstrdup(" ");
	it.text = xstrdup("stale");
	sanitize_item(&it, BASE);
	assert_null(it.content);
	assert_null(it.summary);
	assert_null(it.text);
	clear(&it);

	/* Content wins over summary. */
	it.content = xstrdup("Full <em>story</em>");
	it.summary = xstrdup("Teaser");
	sanitize_item(&it, NULL);
	assert_string_equal(it.text, "Full story");
	clear(&it);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_structure),
		cmocka_unit_test(test_drops_dangerous_elements),
		cmocka_unit_test(test_unwraps_unknown_elements),
		cmocka_unit_test(test_drops_attributes),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_images),
		cmocka_unit_test(test_escaping_and_utf8),
		cmocka_unit_test(test_deep_nesting_bounded),
		cmocka_unit_test(test_text_from_one_parse),
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_text_as_reparsed),
		cmocka_unit_test(test_item),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
