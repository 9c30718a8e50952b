/*
 * Unit tests for html: block-aware text, charset sniffing and decoding,
 * escaping, deep trees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "html.h"
#include "util.h"

static void
check_text(const char *html, const char *want)
{
	char *got = html_to_text(html, strlen(html));

	assert_string_equal(got, want);
	free(got);
}

static void
test_text_blocks(void **state)
{
	check_text("<p>One</p><p>Two</p>", "One\n\nTwo");
	check_text("<div>a</div>b<div>c</div>", "a\n\nb\n\nc");
	check_text("<h2>Head</h2><ul><li>x</li><li>y</li></ul>",
	    "Head\n\nx\n\ny");
	/* Adjacent blocks never run together, even without white space. */
	check_text("<div><span>left</span></div><div><span>right</span></div>",
	    "left\n\nright");
	check_text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr>"
	    "</table>", "a b\n\nc");
}

static void
test_text_inline_and_space(void **state)
{
	check_text("  Hello\n\t <b>bold</b>  <i>world</i> ! ",
	    "Hello bold world !");
	check_text("in<b>line</b>word", "inlineword");
	check_text("a&nbsp;&nbsp;b", "a b");
	check_text("", "");
	check_text("   ", "");
}

static void
test_text_br(void **state)
{
	check_text("<p>line one<br>line two</p>", "line one\nline two");
	check_text("<p>a<br><br>b</p>", "a\n\nb");
	check_text("<br><br>x", "x");
}

static void
test_text_entities(void **state)
{
	check_text("<p>caf&eacute; &amp; &lt;tag&gt; &#8364; &#x1F600;</p>",
	    "caf\xc3\xa9 & <tag> \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void
test_text_hidden(void **state)
{
	check_text("<head><title>T</title><style>p{}</style></head>"
	    "<body><script>var x = 1;</script><p>Body</p>"
	    "<noscript>Enable JS</noscript><template>t</template></body>",
	    "Body");
}

static void
test_text_pre(void **state)
{
	check_text("<p>x</p><pre>a  b\n  c\n\nd</pre>", "x\n\na  b\n  c\n\nd");
}

static void
test_text_invalid_utf8(void **state)
{
	char *got = html_to_text("<p>a\xff" "b\xc3</p>", 9);

	assert_string_equal(got, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	free(got);
	/* NUL and controls do not end or break the text. */
	got = html_to_text("x\0y\001z", 5);
	assert_true(utf8_valid(got, strlen(got)));
	assert_non_null(strstr(got, "x"));
	assert_non_null(strstr(got, "z"));
	free(got);
}

static void
test_text_deep_nesting(void **state)
{
	struct buf b = { 0 };
	char *got;
	int i;

	for (i = 0; i < 20000; i++)
		buf_puts(&b, "<div><span>");
	buf_puts(&b, "deep");
	got = html_to_text(b.data, b.len);
	assert_non_null(strstr(got, "deep"));
	free(got);
	buf_free(&b);
}

static void
test_node_text_appends_paragraph(void **state)
{
	struct buf b = { 0 };
	htmlDocPtr doc = html_parse_utf8("<p>two</p>", 10);

	buf_puts(&b, "one");
	html_node_text(&b, (xmlNode *)doc);
	assert_string_equal(b.data, "one\n\ntwo");
	xmlFreeDoc(doc);
	buf_free(&b);
}

static void
test_sniff_charset(void **state)
{
	const char *latin = "<p>caf\xe9</p>";
	const char *utf8 = "<meta charset=gb2312><p>caf\xc3\xa9</p>";
	const char *sjis = "<meta http-equiv=\"Content-Type\" content=\""
	    "text/html; charset=Shift_JIS\"><p>\x82\xa0</p>";

	/* BOM first. */
	assert_string_equal(html_sniff_charset("\xef\xbb\xbfx", 4, NULL),
	    "UTF-8");
	assert_string_equal(html_sniff_charset("\xff\xfex\0", 4,
	    "text/html; charset=iso-8859-1"), "UTF-16LE");
	/* Valid UTF-8 beats a legacy declaration. */
	assert_string_equal(html_sniff_charset(utf8, strlen(utf8),
	    "text/html; charset=iso-8859-1"), "UTF-8");
	/* The HTTP header, then <meta>. */
	assert_string_equal(html_sniff_charset(latin, strlen(latin),
	    "text/html; charset=\"KOI8-R\""), "KOI8-R");
	assert_string_equal(html_sniff_charset(sjis, strlen(sjis), NULL),
	    "SHIFT_JIS");
	assert_string_equal(html_sniff_charset(
	    "<META CHARSET='windows-1251'>\xe0", 30, "text/html"),
	    "WINDOWS-1251");
	/* ISO-8859-1 means windows-1252; nothing declared too. */
	assert_string_equal(html_sniff_charset(latin, strlen(latin),
	    "text/html;charset=ISO-8859-1"), "WINDOWS-1252");
	assert_string_equal(html_sniff_charset(latin, strlen(latin), NULL),
	    "WINDOWS-1252");
	/* Unknown labels are ignored. */
	assert_string_equal(html_sniff_charset(latin, strlen(latin),
	    "text/html; charset=x-no-such"), "WINDOWS-1252");
}

static void
test_decode(void **state)
{
	struct buf b = { 0 };

	/* windows-1252: 0x80 is the euro sign, 0x93/0x94 curly quotes. */
	html_decode(&b, "\x80 \x93q\x94 \xe9", 7, "WINDOWS-1252");
	assert_string_equal(b.data, "\xe2\x82\xac \xe2\x80\x9cq\xe2\x80\x9d "
	    "\xc3\xa9");
	buf_clear(&b);
	/* Undefined byte 0x81 becomes U+FFFD, the rest goes on. */
	html_decode(&b, "a\x81" "b", 3, "WINDOWS-1252");
	assert_string_equal(b.data, "a\xef\xbf\xbd" "b");
	buf_clear(&b);
	/* GB18030 for "中文" is D6 D0 CE C4. */
	html_decode(&b, "\xd6\xd0\xce\xc4", 4, "GB18030");
	assert_string_equal(b.data, "\xe4\xb8\xad\xe6\x96\x87");
	buf_clear(&b);
	/* A truncated multibyte sequence at the end. */
	html_decode(&b, "x\xd6", 2, "GB18030");
	assert_string_equal(b.data, "x\xef\xbf\xbd");
	buf_clear(&b);
	html_decode(&b, "\xef\xbb\xbfok\xff", 6, "UTF-8");
	assert_string_equal(b.data, "ok\xef\xbf\xbd");
	buf_clear(&b);
	html_decode(&b, "\xff\xfeh\0i\0", 6, "UTF-16LE");
	assert_string_equal(b.data, "hi");
	buf_free(&b);
}

static void
test_escape(void **state)
{
	struct buf b = { 0 };

	html_escape(&b, "<a href=\"x\">&</a>", 17, false);
	assert_string_equal(b.data, "&lt;a href=\"x\"&gt;&amp;&lt;/a&gt;");
	buf_clear(&b);
	html_escape(&b, "say \"hi\" & 'bye'", 16, true);
	assert_string_equal(b.data, "say &quot;hi&quot; &amp; 'bye'");
	buf_free(&b);
}

static void
test_tag_classes(void **state)
{
	assert_true(html_is_block("p"));
	assert_true(html_is_block("li"));
	assert_false(html_is_block("span"));
	assert_true(html_is_hidden("script"));
	assert_false(html_is_hidden("div"));
	assert_true(html_is_void("br"));
	assert_false(html_is_void("p"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_blocks),
		cmocka_unit_test(test_text_inline_and_space),
		cmocka_unit_test(test_text_br),
		cmocka_unit_test(test_text_entities),
		cmocka_unit_test(test_text_hidden),
		cmocka_unit_test(test_text_pre),
		cmocka_unit_test(test_text_invalid_utf8),
		cmocka_unit_test(test_text_deep_nesting),
		cmocka_unit_test(test_node_text_appends_paragraph),
		cmocka_unit_test(test_sniff_charset),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_tag_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
