/*
 * Unit tests for the feed parser: one group per format, the real-web
 * breakage it must survive, the push API's chunk boundaries, and the
 * security cases (each would fail without its protection).  Expected
 * values follow from the specs (RSS 2.0, RFC 4287, JSON Feed 1.1, XML
 * 1.0) and are written by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "parse.h"
#include "util.h"

/*
 * Parses s (or fails the test) with an optional base and Content-Type;
 * len 0 means strlen(s).
 */
static struct feed *
parse3(const char *s, size_t len, const char *base, const char *ctype)
{
	struct parse_opts o = { .base_url = base, .content_type = ctype };
	struct feed *f = NULL;
	char *err = NULL;

	if (len == 0)
		len = strlen(s);
	if (parse_feed(s, len, &o, &f, &err) != 0)
		fail_msg("parse failed: %s", err);
	assert_non_null(f);
	return f;
}

static struct feed *
parse(const char *s)
{
	return parse3(s, strlen(s), NULL, NULL);
}

/* The error for s, which must not parse.  Caller frees. */
static char *
parse_error(const char *s, size_t len)
{
	struct feed *f = NULL;
	char *err = NULL;

	if (parse_feed(s, len, NULL, &f, &err) == 0) {
		feed_free(f);
		fail_msg("'%.40s' parsed; it should not", s);
	}
	assert_null(f);
	assert_non_null(err);
	return err;
}

static const char *
date_str(int64_t t, char *out)
{
	if (t == DATE_NONE)
		return "none";
	date_format_rfc3339(t, out, DATE_RFC3339_LEN + 1);
	return out;
}

#define assert_date(t, want) do {					\
	char _d[DATE_RFC3339_LEN + 1];					\
	assert_string_equal(date_str((t), _d), (want));			\
} while (0)

/* ---- RSS ---- */

static void
test_rss20(void **state)
{
	struct feed *f = parse(
	    "<?xml version=\"1.0\"?>\n"
	    "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/"
	    "modules/content/\">\n"
	    "<channel><title>Site  \n title</title>"
	    "<link>http://example.com/</link>"
	    "<description>About &lt;b&gt;us&lt;/b&gt;</description>"
	    "<lastBuildDate>Sat, 07 Sep 2002 09:42:31 GMT</lastBuildDate>"
	    "<ttl>60</ttl>"
	    "<skipHours><hour>0</hour><hour>23</hour></skipHours>"
	    "<skipDays><day>Sunday</day></skipDays>"
	    "<image><title>Not the title</title><url>http://example.com/"
	    "logo.png</url><link>http://example.com/not</link></image>"
	    "<item><title>First &amp; best</title>"
	    "<link>http://example.com/1</link>"
	    "<guid isPermaLink=\"false\">id-1</guid>"
	    "<pubDate>Sun, 19 May 2002 15:21:36 GMT</pubDate>"
	    "<author>me@example.com (Me)</author>"
	    "<category>a</category><category>b</category>"
	    "<comments>http://example.com/1#comments</comments>"
	    "<description><![CDATA[<p>Sum</p>]]></description>"
	    "<content:encoded><![CDATA[<p>Body</p>]]></content:encoded>"
	    "<enclosure url=\"http://example.com/a.mp3\" length=\"1234\" "
	    "type=\"audio/mpeg\"/>"
	    "<source url=\"http://other.example/\">Other title</source>"
	    "</item></channel></rss>");

	assert_int_equal(f->format, FEED_FORMAT_RSS20);
	assert_string_equal(feed_format_name(f->format), "rss2.0");
	assert_string_equal(f->title, "Site title");
	assert_string_equal(f->link, "http://example.com/");
	assert_string_equal(f->description, "About <b>us</b>");
	assert_string_equal(f->image, "http://example.com/logo.png");
	assert_date(f->updated, "2002-09-07T09:42:31Z");
	assert_int_equal(f->hints.ttl_minutes, 60);
	assert_int_equal(f->hints.skip_hours, (1u << 0) | (1u << 23));
	assert_int_equal(f->hints.skip_days, 1u << 0);
	assert_int_equal(f->n_items, 1);
	assert_string_equal(f->items[0].title, "First & best");
	assert_string_equal(f->items[0].link, "http://example.com/1");
	assert_string_equal(f->items[0].id, "id-1");
	assert_string_equal(f->items[0].key, "id-1");
	assert_date(f->items[0].published, "2002-05-19T15:21:36Z");
	assert_date(f->items[0].updated, "none");
	assert_string_equal(f->items[0].author, "me@example.com (Me)");
	assert_int_equal(f->items[0].n_categories, 2);
	assert_string_equal(f->items[0].categories[1], "b");
	assert_string_equal(f->items[0].comments,
	    "http://example.com/1#comments");
	assert_string_equal(f->items[0].summary, "<p>Sum</p>");
	assert_string_equal(f->items[0].content, "<p>Body</p>");
	assert_int_equal(f->items[0].n_enclosures, 1);
	assert_string_equal(f->items[0].enclosures[0].url,
	    "http://example.com/a.mp3");
	assert_string_equal(f->items[0].enclosures[0].type, "audio/mpeg");
	assert_int_equal(f->items[0].enclosures[0].length, 1234);
	feed_free(f);
}

/* <link> beats a permalink <guid> in either order; a guid alone links. */
static void
test_rss_guid_and_link(void **state)
{
	struct feed *f = parse(
	    "<rss version=\"2.0\"><channel>"
	    "<item><guid>http://example.com/guid</guid>"
	    "<link>http://example.com/link</link></item>"
	    "<item><guid>http://example.com/only-guid</guid></item>"
	    "<item><guid isPermaLink=\"false\">http://example.com/x</guid>"
	    "</item>"
	    "<item><guid>not-a-url</guid></item>"
	    "</channel></rss>");

	assert_int_equal(f->n_items, 4);
	assert_string_equal(f->items[0].link, "http://example.com/link");
	assert_string_equal(f->items[1].link, "http://example.com/only-guid");
	assert_null(f->items[2].link);
	assert_null(f->items[3].link);
	feed_free(f);
}

/* Identity: id, else canonical link, else a hash of title + content. */
static void
test_item_keys(void **state)
{
	struct feed *f = parse(
	    "<rss version=\"2.0\"><channel>"
	    "<item><link>HTTP://Example.COM:80/a/index.html?utm_source=x&amp;"
	    "id=1#top</link></item>"
	    "<item><title>T</title><description>D</description></item>"
	    "<item><title>T</title><description>D</description></item>"
	    "<item><title>T</title><description>E</description></item>"
	    "<item><title>TD</title></item>"
	    "</channel></rss>");

	assert_int_equal(f->n_items, 5);
	assert_string_equal(f->items[0].key, "http://example.com/a/?id=1");
	assert_true(str_has_prefix(f->items[1].key, "hash:"));
	assert_int_equal(strlen(f->items[1].key), 5 + 16);
	assert_string_equal(f->items[1].key, f->items[2].key);
	assert_string_not_equal(f->items[1].key, f->items[3].key);
	/* "T"+"D" and "TD"+"" are different items. */
	assert_string_not_equal(f->items[1].key, f->items[4].key);
	feed_free(f);
}

static void
test_rss10_rdf(void **state)
{
	struct feed *f = parse(
	    "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\""
	    " xmlns=\"http://purl.org/rss/1.0/\""
	    " xmlns:dc=\"http://purl.org/dc/elements/1.1/\""
	    " xmlns:sy=\"http://purl.org/rss/1.0/modules/syndication/\""
	    " xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">"
	    "<channel rdf:about=\"http://example.com/rss\">"
	    "<title>RDF</title><link>http://example.com/</link>"
	    "<dc:date>2003-12-31T10:14:55-08:00</dc:date>"
	    "<sy:updatePeriod>daily</sy:updatePeriod>"
	    "<sy:updateFrequency>2</sy:updateFrequency>"
	    "</channel>"
	    "<item rdf:about=\"http://example.com/1\"><title>One</title>"
	    "<link>http://example.com/1</link>"
	    "<dc:creator>Ann</dc:creator><dc:subject>topic</dc:subject>"
	    "<dc:date>2004-01-01T00:00:00Z</dc:date>"
	    "<content:encoded>&lt;i&gt;x&lt;/i&gt;</content:encoded>"
	    "</item></rdf:RDF>");

	assert_string_equal(feed_format_name(f->format), "rss1.0");
	assert_string_equal(f->title, "RDF");
	assert_date(f->updated, "2003-12-31T18:14:55Z");
	assert_int_equal(f->hints.sy_period_seconds, 86400);
	assert_int_equal(f->hints.sy_frequency, 2);
	assert_int_equal(f->n_items, 1);
	assert_string_equal(f->items[0].id, "http://example.com/1");
	assert_string_equal(f->items[0].author, "Ann");
	assert_string_equal(f->items[0].categories[0], "topic");
	assert_date(f->items[0].updated, "2004-01-01T00:00:00Z");
	assert_string_equal(f->items[0].content, "<i>x</i>");
	feed_free(f);
}

/*
 * RSS 0.91 names its DTD, which defines the HTML entities: they must be
 * known without loading it (and nothing may be loaded).
 */
static void
test_rss091_html_entities(void **state)
{
	struct feed *f = parse(
	    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
	    "<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91"
	    "//EN\" \"http://my.netscape.com/publish/formats/rss-0.91.dtd\">\n"
	    "<rss version=\"0.91\"><channel><title>caf&eacute;&nbsp;&amp;"
	    "&hellip;&#8217;&#x2019;&unknown;</title>"
	    "<item><title>x</title></item></channel></rss>");

	assert_string_equal(feed_format_name(f->format), "rss0.9x");
	assert_string_equal(f->title,
	    "caf\xc3\xa9\xc2\xa0&\xe2\x80\xa6\xe2\x80\x99\xe2\x80\x99&unknown;");
	feed_free(f);
}

/* ---- Atom ---- */

static void
test_atom10(void **state)
{
	struct feed *f = parse3(
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\" "
	    "xml:base=\"http://example.com/blog/\">"
	    "<title type=\"html\">A &lt;em&gt;blog&lt;/em&gt;</title>"
	    "<subtitle>1 &lt; 2</subtitle>"
	    "<link rel=\"self\" href=\"feed.atom\"/>"
	    "<link href=\"./\"/>"
	    "<updated>2005-07-31T12:29:29Z</updated>"
	    "<author><name>Ann</name><email>ann@example.com</email></author>"
	    "<entry xml:base=\"2005/\">"
	    "<title>Entry <![CDATA[one]]></title>"
	    "<link rel=\"alternate\" type=\"application/pdf\" href=\"1.pdf\"/>"
	    "<link rel=\"related\" href=\"http://other.example/\"/>"
	    "<link rel=\"alternate\" type=\"text/html\" href=\"1.html\"/>"
	    "<link rel=\"alternate\" href=\"2.html\"/>"
	    "<link rel=\"enclosure\" type=\"audio/mpeg\" length=\"1337\" "
	    "href=\"a.mp3\"/>"
	    "<id>tag:example.org,2003:3.2397</id>"
	    "<published>2003-12-13T08:29:29-04:00</published>"
	    "<updated>2005-07-31T12:29:29Z</updated>"
	    "<category term=\"tech\"/>"
	    "<summary type=\"text\">a &lt;tag&gt; &amp; more</summary>"
	    "<content type=\"xhtml\" xml:base=\"x/\"><div xmlns="
	    "\"http://www.w3.org/1999/xhtml\"><p>Hi <a href=\"y.html\">y</a>"
	    "<br/></p></div></content>"
	    "<source><title>Not this</title><id>not-this</id></source>"
	    "</entry></feed>", 0, NULL, NULL);

	assert_string_equal(feed_format_name(f->format), "atom1.0");
	assert_string_equal(f->title, "A blog");
	assert_string_equal(f->description, "1 &lt; 2");
	assert_string_equal(f->link, "http://example.com/blog/");
	assert_string_equal(f->language, "en");
	assert_string_equal(f->author, "Ann (ann@example.com)");
	assert_int_equal(f->n_items, 1);
	assert_string_equal(f->items[0].title, "Entry one");
	/* The first HTML alternate, resolved against both xml:base. */
	assert_string_equal(f->items[0].link,
	    "http://example.com/blog/2005/1.html");
	assert_string_equal(f->items[0].id, "tag:example.org,2003:3.2397");
	assert_date(f->items[0].published, "2003-12-13T12:29:29Z");
	assert_date(f->items[0].updated, "2005-07-31T12:29:29Z");
	assert_string_equal(f->items[0].categories[0], "tech");
	assert_string_equal(f->items[0].summary, "a &lt;tag&gt; &amp; more");
	/* xhtml: the wrapping div is not content; URLs are absolute. */
	assert_string_equal(f->items[0].content, "<p>Hi <a href=\""
	    "http://example.com/blog/2005/x/y.html\">y</a><br /></p>");
	assert_int_equal(f->items[0].n_enclosures, 1);
	assert_string_equal(f->items[0].enclosures[0].url,
	    "http://example.com/blog/2005/a.mp3");
	assert_int_equal(f->items[0].enclosures[0].length, 1337);
	feed_free(f);
}

static void
test_atom_html_content_urls(void **state)
{
	struct feed *f = parse3(
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>"
	    "<content type=\"html\">&lt;p&gt;&lt;a href=\"/rel\"&gt;x&lt;/a&gt;"
	    " &lt;img src=\"i.png\"&gt; &lt;a href=\"mailto:a@b.c\"&gt;m&lt;"
	    "/a&gt;&lt;/p&gt;</content></entry></feed>", 0,
	    "http://example.com/feed/atom", NULL);

	assert_string_equal(f->items[0].content,
	    "<p><a href=\"http://example.com/rel\">x</a> "
	    "<img src=\"http://example.com/feed/i.png\" /> "
	    "<a href=\"mailto:a@b.c\">m</a></p>");
	feed_free(f);
}

/*
 * Long HTML with raw-text elements (style, script) around a URL to
 * resolve comes back whole, each part once (issue 8: with a static input
 * buffer libxml2 2.9 repeated or dropped text past the first kilobytes).
 */
static void
test_html_resolve_long_raw(void **state)
{
	struct buf doc = { 0 }, want = { 0 };
	struct feed *f;
	int i;

	buf_puts(&doc, "<rss version=\"2.0\"><channel><item><guid>g</guid>"
	    "<description><![CDATA[<p>");
	buf_puts(&want, "<p>");
	for (i = 0; i < 3000; i++) {
		buf_puts(&doc, "word ");
		buf_puts(&want, "word ");
	}
	buf_puts(&doc, "</p><style>body { background: red }</style>"
	    "<p>tail</p><script>var a = 1;</script><a href=\"/r\">x</a>"
	    "]]></description></item></channel></rss>");
	buf_puts(&want, "</p><style>body { background: red }</style>"
	    "<p>tail</p><script>var a = 1;</script>"
	    "<a href=\"http://h.example/r\">x</a>");
	f = parse3(doc.data, doc.len, "http://h.example/feed", NULL);
	assert_int_equal(f->n_items, 1);
	assert_string_equal(f->items[0].summary, want.data);
	feed_free(f);
	buf_free(&doc);
	buf_free(&want);
}

static void
test_atom03(void **state)
{
	struct feed *f = parse(
	    "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\">"
	    "<title mode=\"escaped\" type=\"text/html\">&lt;b&gt;Old&lt;/b&gt;"
	    "</title><modified>2004-01-01T19:48:21Z</modified><entry>"
	    "<title>E</title>"
	    "<issued>2003-12-31T10:14:55Z</issued>"
	    "<content type=\"text/html\" mode=\"base64\">"
	    "PHA+SGk8L3A+</content>"		/* <p>Hi</p> */
	    "</entry></feed>");

	assert_string_equal(feed_format_name(f->format), "atom0.3");
	assert_string_equal(f->title, "Old");
	assert_date(f->updated, "2004-01-01T19:48:21Z");
	assert_date(f->items[0].published, "2003-12-31T10:14:55Z");
	assert_string_equal(f->items[0].content, "<p>Hi</p>");
	feed_free(f);
}

/* ---- CDF, JSON Feed ---- */

static void
test_cdf(void **state)
{
	struct feed *f = parse(
	    "<CHANNEL HREF=\"http://example.com/\" "
	    "LASTMOD=\"2004-04-06T23:05:43-05:00\"><TITLE>CDF</TITLE>"
	    "<ABSTRACT>About</ABSTRACT>"
	    "<ITEM HREF=\"http://example.com/1\"><TITLE>One</TITLE>"
	    "<ABSTRACT>First</ABSTRACT></ITEM></CHANNEL>");

	assert_string_equal(feed_format_name(f->format), "cdf");
	assert_string_equal(f->title, "CDF");
	assert_string_equal(f->link, "http://example.com/");
	assert_string_equal(f->description, "About");
	assert_date(f->updated, "2004-04-07T04:05:43Z");
	assert_string_equal(f->items[0].link, "http://example.com/1");
	assert_string_equal(f->items[0].summary, "First");
	feed_free(f);
}

static void
test_json_feed(void **state)
{
	struct feed *f = parse3(
	    "\xef\xbb\xbf{\"version\": \"https://jsonfeed.org/version/1.1\","
	    " \"title\": \"J\", \"home_page_url\": \"/\","
	    " \"authors\": [{\"name\": \"Ann\"}], \"items\": ["
	    "{\"id\": \"1\", \"url\": \"/1\", \"title\": \" A  title \","
	    " \"content_html\": \"<a href=\\\"x\\\">x</a>\","
	    " \"summary\": \"1 < 2\","
	    " \"date_published\": \"2010-02-07T14:04:00-05:00\","
	    " \"tags\": [\"t\"], \"attachments\": [{\"url\": \"a.mp3\","
	    " \"mime_type\": \"audio/mpeg\", \"size_in_bytes\": 99}]},"
	    "{\"id\": 2, \"content_text\": \"<plain>\"}, 7]}", 0,
	    "http://example.com/feed.json", NULL);

	assert_string_equal(feed_format_name(f->format), "json1.1");
	assert_string_equal(f->title, "J");
	assert_string_equal(f->link, "http://example.com/");
	assert_string_equal(f->author, "Ann");
	assert_int_equal(f->n_items, 2);
	assert_string_equal(f->items[0].link, "http://example.com/1");
	assert_string_equal(f->items[0].title, "A title");
	assert_string_equal(f->items[0].content,
	    "<a href=\"http://example.com/x\">x</a>");
	assert_string_equal(f->items[0].summary, "1 &lt; 2");
	assert_date(f->items[0].published, "2010-02-07T19:04:00Z");
	assert_string_equal(f->items[0].enclosures[0].url,
	    "http://example.com/a.mp3");
	assert_int_equal(f->items[0].enclosures[0].length, 99);
	assert_string_equal(f->items[1].id, "2");
	assert_string_equal(f->items[1].content, "&lt;plain&gt;");
	feed_free(f);

	f = parse("{\"version\": \"https://jsonfeed.org/version/1\","
	    " \"items\": []}");
	assert_string_equal(feed_format_name(f->format), "json1.0");
	feed_free(f);
	free(parse_error("{\"a\": 1}", 8));
	free(parse_error("{\"version\": \"https://jsonfeed.org/version/1\"",
	    44));
}

/* ---- extensions ---- */

static void
test_itunes_and_media(void **state)
{
	struct feed *f = parse(
	    "<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/"
	    "podcast-1.0.dtd\" xmlns:media=\"http://search.yahoo.com/mrss/\">"
	    "<channel><itunes:author>Pod</itunes:author>"
	    "<itunes:image href=\"http://example.com/p.jpg\"/>"
	    "<item><itunes:author>Host</itunes:author>"
	    "<itunes:duration>1:02:03</itunes:duration>"
	    "<itunes:image href=\"http://example.com/e.jpg\"/>"
	    "<itunes:category text=\"Technology\"><itunes:category "
	    "text=\"Gadgets\"/></itunes:category></item>"
	    "<item><itunes:duration>62:03</itunes:duration>"
	    "<media:group><media:content url=\"http://example.com/v.mp4\" "
	    "type=\"video/mp4\" fileSize=\"5\"><media:title>no</media:title>"
	    "</media:content><media:thumbnail url=\"http://example.com/t.jpg\""
	    "/></media:group><media:thumbnail url=\"http://example.com/u.jpg"
	    "\"/></item>"
	    "<item><itunes:duration>3723</itunes:duration></item>"
	    "</channel></rss>");

	assert_string_equal(f->author, "Pod");
	assert_string_equal(f->image, "http://example.com/p.jpg");
	assert_string_equal(f->items[0].author, "Host");
	assert_int_equal(f->items[0].duration, 3723);
	assert_string_equal(f->items[0].image, "http://example.com/e.jpg");
	assert_int_equal(f->items[0].n_categories, 2);
	assert_string_equal(f->items[0].categories[1], "Gadgets");
	assert_int_equal(f->items[1].duration, 3723);
	assert_null(f->items[1].title);
	assert_string_equal(f->items[1].image, "http://example.com/t.jpg");
	assert_int_equal(f->items[1].n_enclosures, 1);
	assert_string_equal(f->items[1].enclosures[0].type, "video/mp4");
	assert_int_equal(f->items[1].enclosures[0].length, 5);
	assert_int_equal(f->items[2].duration, 3723);
	feed_free(f);
}

/* ---- charsets ---- */

static void
test_charsets(void **state)
{
	static const char utf16le[] =
	    "\xff\xfe<\0r\0s\0s\0>\0<\0c\0h\0a\0n\0n\0e\0l\0>\0<\0t\0i\0t\0l\0"
	    "e\0>\0\xe9\0<\0/\0t\0i\0t\0l\0e\0>\0<\0/\0c\0h\0a\0n\0n\0e\0l\0"
	    ">\0<\0/\0r\0s\0s\0>\0";
	const char *latin1 = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>"
	    "<rss><channel><title>caf\xe9 \x93q\x94</title></channel></rss>";
	const char *utf8 = "<?xml version=\"1.0\" encoding=\"windows-1252\"?>"
	    "<rss><channel><title>caf\xc3\xa9</title></channel></rss>";
	struct feed *f;

	/* ISO-8859-1 means windows-1252 (curly quotes at 0x93/0x94). */
	f = parse(latin1);
	assert_string_equal(f->title, "caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d");
	feed_free(f);
	/* The HTTP charset wins over the declaration (which is stale). */
	f = parse3(utf8, strlen(utf8), NULL,
	    "application/rss+xml; charset=\"UTF-8\"");
	assert_string_equal(f->title, "caf\xc3\xa9");
	feed_free(f);
	f = parse3(latin1, strlen(latin1), NULL, "text/xml;charset=utf-8");
	/* Not UTF-8 after all: bytes read as windows-1252, never lost. */
	assert_string_equal(f->title, "caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d");
	feed_free(f);
	/* A byte-order mark says UTF-16. */
	f = parse3(utf16le, sizeof(utf16le) - 1, NULL, NULL);
	assert_string_equal(f->title, "\xc3\xa9");
	feed_free(f);
	/* euc-kr through iconv. */
	f = parse("<?xml version=\"1.0\" encoding=\"euc-kr\"?><rss><channel>"
	    "<title>\xb3\xe2</title></channel></rss>");
	assert_string_equal(f->title, "\xeb\x85\x84");	/* U+B144 */
	feed_free(f);
}

/* ---- the broken web ---- */

static void
test_broken_markup(void **state)
{
	struct feed *f = parse(
	    "\n\n  <rss version=\"2.0\"><channel>"
	    "<link>http://example.com/?a=1&b=2</link>"
	    "<item><title>AT&T &amp; 1 < 2</title>"
	    "<description>line<br>break</description>"
	    "<link>http://example.com/x?a=1&b=2</link>"
	    "<enclosure url=http://example.com/u.mp3 type=audio/mpeg />"
	    "</item>"
	    "<item><title>  <b>Bold</b>\n\t title  </title></item>"
	    "</channel></rss");

	assert_string_equal(f->link, "http://example.com/?a=1&b=2");
	assert_int_equal(f->n_items, 2);
	assert_string_equal(f->items[0].title, "AT&T & 1 < 2");
	/* The unclosed <br> does not swallow what follows. */
	assert_string_equal(f->items[0].summary, "line<br />break");
	assert_string_equal(f->items[0].link, "http://example.com/x?a=1&b=2");
	assert_string_equal(f->items[0].enclosures[0].url,
	    "http://example.com/u.mp3");
	assert_string_equal(f->items[1].title, "Bold title");
	feed_free(f);
}

/* Windows-1252 numeric references and UTF-8 encoded twice. */
static void
test_encoding_accidents(void **state)
{
	struct feed *f = parse(
	    "<rss><channel><item><title>don&#146;t</title>"
	    "<description>&#226;&#128;&#166;</description></item>"
	    "</channel></rss>");

	assert_string_equal(f->items[0].title, "don\xe2\x80\x99t");
	assert_string_equal(f->items[0].summary, "\xe2\x80\xa6");
	feed_free(f);
}

static void
test_bad_input(void **state)
{
	char *e;

	e = parse_error("", 0);
	assert_non_null(strstr(e, "empty"));
	free(e);
	e = parse_error("<html><body>x</body></html>", 27);
	assert_non_null(strstr(e, "not a feed"));
	assert_non_null(strstr(e, "html"));
	free(e);
	e = parse_error("just some text", 14);
	assert_non_null(strstr(e, "not XML"));
	free(e);
	e = parse_error("<rss><channel><item><title>cut", 30);
	assert_non_null(strstr(e, "truncated"));
	free(e);
	e = parse_error("\x00\x01\x02\x03\xff\xfe", 6);
	free(e);
}

/* ---- the push API ---- */

/* Fed one byte at a time, a document gives what it gives whole. */
static void
test_push_byte_by_byte(void **state)
{
	const char *doc =
	    "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	    "<!DOCTYPE rss [<!ENTITY me \"Ann &amp; Bob\">]>"
	    "<rss version=\"2.0\"><channel><!-- c -- -->"
	    "<title>caf\xc3\xa9 &eacute;&#233;&#xE9; &me;</title>"
	    "<item><title><![CDATA[a]]b]]></title>"
	    "<link>http://x.example/?a=1&b=2</link>"
	    "<description>&lt;p&gt;\xe2\x80\x99</description></item>"
	    "</channel></rss>";
	struct parser *p = parser_new(NULL);
	struct feed *f = NULL;
	char *err = NULL;
	size_t i;

	for (i = 0; doc[i] != '\0'; i++)
		assert_int_equal(parser_push(p, doc + i, 1, &err), 0);
	assert_int_equal(parser_finish(p, &f, &err), 0);
	parser_free(p);
	assert_string_equal(f->title,
	    "caf\xc3\xa9 \xc3\xa9\xc3\xa9\xc3\xa9 Ann & Bob");
	assert_string_equal(f->items[0].title, "a]]b");
	assert_string_equal(f->items[0].link, "http://x.example/?a=1&b=2");
	assert_string_equal(f->items[0].summary, "<p>\xe2\x80\x99");
	feed_free(f);
}

/* Every string and number of f, in order, for comparing two parses. */
static char *
feed_dump(const struct feed *f)
{
	struct buf b = { 0 };
	size_t i, j;

#define DUMP_S(s)	(buf_puts(&b, (s) != NULL ? (s) : "(null)"), \
			    buf_putc(&b, '\n'))
#define DUMP_I(v)	buf_printf(&b, "%lld\n", (long long)(v))
	DUMP_I(f->format);
	DUMP_S(f->title);
	DUMP_S(f->link);
	DUMP_S(f->description);
	DUMP_S(f->author);
	DUMP_S(f->image);
	DUMP_S(f->language);
	DUMP_I(f->updated);
	DUMP_I(f->n_items_dropped);
	for (i = 0; i < f->n_items; i++) {
		const struct item *it = &f->items[i];

		DUMP_S(it->key);
		DUMP_S(it->id);
		DUMP_S(it->title);
		DUMP_S(it->link);
		DUMP_S(it->author);
		DUMP_S(it->summary);
		DUMP_S(it->content);
		DUMP_S(it->comments);
		DUMP_S(it->image);
		DUMP_I(it->published);
		DUMP_I(it->updated);
		for (j = 0; j < it->n_enclosures; j++) {
			DUMP_S(it->enclosures[j].url);
			DUMP_S(it->enclosures[j].type);
			DUMP_I(it->enclosures[j].length);
		}
		for (j = 0; j < it->n_categories; j++)
			DUMP_S(it->categories[j]);
	}
#undef DUMP_S
#undef DUMP_I
	return buf_take(&b);
}

/*
 * feed_dump() of doc pushed in pieces: cut at each offset in cuts (up to
 * ncuts of them, ascending), then every step bytes (0: no more cuts).
 */
static char *
parse_pieces(const char *doc, size_t len, const char *ctype,
    const size_t *cuts, size_t ncuts, size_t step)
{
	struct parse_opts o = { .base_url = "http://example.com/feed/",
	    .content_type = ctype };
	struct parser *p = parser_new(&o);
	struct feed *f = NULL;
	char *err = NULL, *r;
	size_t off = 0, next, c = 0;
	int rc = 0;

	while (off < len && rc == 0) {
		if (c < ncuts)
			next = cuts[c++];
		else if (step != 0)
			next = off + step;
		else
			next = len;
		if (next > len)
			next = len;
		rc = parser_push(p, doc + off, next - off, &err);
		off = next;
	}
	if (rc == 0)
		rc = parser_finish(p, &f, &err);
	parser_free(p);
	if (rc != 0) {
		r = xasprintf("error: %s", err);
		free(err);
		return r;
	}
	r = feed_dump(f);
	feed_free(f);
	return r;
}

/*
 * Wherever the chunk boundaries fall -- inside a multi-byte character,
 * inside a reference or tag that needs repair, beside a byte that needs
 * cleaning -- the feed is the one the whole document gives: every single
 * cut, every pair of cuts a few bytes apart, and steady steps.
 */
static void
test_push_any_boundary(void **state)
{
	static const char doc_utf8[] =
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<rss version=\"2.0\"><channel>"
	    "<title>\xd0\x96 \xe6\x97\xa5\xf0\x9d\x84\x9e caf\xc3\xa9 "
	    "&eacute;&#233;&#x1D11E;&amp;&hellip; a & b < c</title>"
	    "<!-- \xd0\x96 -- -->"
	    "<item><title><![CDATA[\xe6\x97\xa5]]\xe6\x97\xa5]]]></title>"
	    "<link>http://x.example/\xd0\x96?a=1&b=2</link>"
	    "<guid isPermaLink=false>g\xc3\xa9</guid>"
	    "<enclosure url=/a\xd0\x96.mp3 length=\"12\" type='audio/mpeg'/>"
	    "<category>\xe6\x97\xa5</category><category>\xc3\xa9&amp;</category>"
	    "<description>&lt;p&gt;\xe2\x80\x99<?pi x?>\xe2\x80\x99"
	    "</description></item></channel></rss>";
	/* Bytes that cleaning drops or replaces, some inside markup. */
	static const char doc_dirty[] =
	    "<rss version=\"2.0\"><ch\x01" "annel>"
	    "<title>a\xff" "b\x85" "c\xe2\x82(\xef\xbf\xbe" "d&am\x01p;e"
	    "</title><item><title><![CDATA[x]]\x01>y</title>"
	    "<link>http://x.example/\x93q\x94</link>"
	    "<description>&lt;b&gt;\x00z<\x01!-- w -->"
	    "</description></item></channel></rss>";
	/*
	 * Runs long enough for the cleaning to check them sixteen bytes at a
	 * time, with characters it leaves to the slow path and bytes to
	 * clean after a clean run: a lead byte whose continuation never
	 * comes, right before a block of ASCII.
	 */
	static const char doc_long[] =
	    "<rss version=\"2.0\"><channel><title>"
	    "\xd0\x96\xd0\xb8\xd0\xb2 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e "
	    "caf\xc3\xa9 \xd0\x96\xd0\xb8\xd0\xb2\xd0\xb8 \xe6\x97\xa5\xe6\x9c\xac "
	    "x\xe0\xa0\x80y\xed\x9f\xbfz\xef\xbc\x8c\xef\xbf\xbd\xef\xbf\xbe "
	    "\xf0\x9f\x98\x80 tab\there\r\nnewline and more text to fill a block"
	    "</title><item><title>abcdefghijklmnopqrstuvwxyz0123456789\xd0"
	    "abcdefghijklmnopqrstuvwxyz \xe6\x97" "abcdefghijklmnopqrstuvwxyz "
	    "\xe6" "abcdefghijklmnopqrstuvwxyz\x01" "abcdefghijklmnopqrstuvwxyz"
	    "</title><description>\xd0\x96\xd0\xb8\xd0\xb2\xd0\xb8\xd0\xb2"
	    "\xd0\xb8\xd0\xb2\xd0\xb8\xd0\xb2\xd0\xb8\xd0\xb2\xd0\xb8\xd0\xb2"
	    "\xd0\xb8\xd0\xb2\xd0\xb8\xd0\xb2\xd0\xb8\xd0\xb2\xd0\xb8\xd0"
	    "</description></item></channel></rss>";
	/*
	 * Text, tags and attribute values long enough for the filter to scan
	 * them sixteen bytes at a time, what stops it at every offset.
	 */
	static const char doc_runs[] =
	    "<rss version=\"2.0\"><channel   xmlns:dc=\"http://purl.org/dc/"
	    "elements/1.1/\"      ><title>a long title of words  with two  "
	    "spaces\tand a tab and text &amp; more text and some more x</title>"
	    "<item><title>0123456789abcdefghijklmnopq &lt; rstuvwxyz0123456789"
	    "</title><link>http://x.example/aaaaaaaaaaaaaaaaaaaaa?b=c&d=e</link>"
	    "<enclosure    url='http://x.example/bbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    ".mp3'     type=\"audio/mpeg\" length=12345678901234567890/>"
	    "<description>&lt;p&gt;some html text that is long &lt;!x&gt;"
	    " and &lt;!-- c --&gt; a!b!c&lt;/p&gt;</description></item>"
	    "</channel></rss>";
	static const struct {
		const char	*doc;
		size_t		 len;
		const char	*ctype;
	} docs[] = {
		{ doc_utf8, sizeof(doc_utf8) - 1, NULL },
		{ doc_runs, sizeof(doc_runs) - 1, NULL },
		{ doc_long, sizeof(doc_long) - 1, NULL },
		{ doc_dirty, sizeof(doc_dirty) - 1, NULL },
		{ doc_dirty, sizeof(doc_dirty) - 1,
		    "text/xml; charset=windows-1252" },
	};
	static const size_t steps[] = { 1, 2, 3, 7, 4096 };
	size_t d, i, k, cuts[2];

	for (d = 0; d < ARRAY_SIZE(docs); d++) {
		const char *doc = docs[d].doc, *ct = docs[d].ctype;
		size_t len = docs[d].len;
		char *whole = parse_pieces(doc, len, ct, NULL, 0, 0), *r;

		assert_false(str_has_prefix(whole, "error"));
		for (i = 0; i < ARRAY_SIZE(steps); i++) {
			r = parse_pieces(doc, len, ct, NULL, 0, steps[i]);
			assert_string_equal(r, whole);
			free(r);
		}
		for (i = 1; i < len; i++) {
			for (k = i + 1; k <= i + 5 && k <= len; k++) {
				cuts[0] = i;
				cuts[1] = k;
				r = parse_pieces(doc, len, ct, cuts, 2, 0);
				assert_string_equal(r, whole);
				free(r);
			}
		}
		free(whole);
	}
}

/*
 * What cleaning drops joins the bytes around it: a control character
 * inside a tag, a reference or a CDATA end is as if it were not there.
 */
static void
test_cleaning_joins_markup(void **state)
{
	static const char doc[] =
	    "<rss version=\"2.0\"><ch\x01" "annel><title>a&am\x01p;b</title>"
	    "<item><title><![CDATA[x]]\x01>y</title>"
	    "<description>z<\x01!-- w --></description></item>"
	    "</channel></rss>";
	struct feed *f = parse3(doc, sizeof(doc) - 1, NULL, NULL);

	assert_string_equal(f->title, "a&b");
	assert_int_equal(f->n_items, 1);
	assert_string_equal(f->items[0].title, "xy");
	assert_string_equal(f->items[0].summary, "z");
	feed_free(f);
}

static void
test_max_items(void **state)
{
	struct parse_opts o = { .max_items = 2 };
	const char *doc = "<rss><channel><item><title>1</title></item>"
	    "<item><title>2</title></item><item><title>3</title></item>"
	    "<item><title>4</title></item></channel></rss>";
	struct feed *f = NULL;
	char *err = NULL;

	assert_int_equal(parse_feed(doc, strlen(doc), &o, &f, &err), 0);
	assert_int_equal(f->n_items, 2);
	assert_int_equal(f->n_items_dropped, 2);
	assert_string_equal(f->items[1].title, "2");
	feed_free(f);
}

/* ---- security ---- */

/*
 * XXE: an external entity naming a local file, directly and through a
 * parameter entity and an external DTD.  libxml2 would read both with
 * entity substitution on (which we use); the file's text must not appear.
 */
static void
test_xxe_not_read(void **state)
{
	char secret[] = "/tmp/feedd-xxe-XXXXXX", dtd[] = "/tmp/feedd-dtd-XXXXXX";
	char *doc;
	struct feed *f;
	FILE *fp;
	int fd;

	assert_true((fd = mkstemp(secret)) != -1);
	assert_true((fp = fdopen(fd, "w")) != NULL);
	fputs("TOPSECRET", fp);
	fclose(fp);
	assert_true((fd = mkstemp(dtd)) != -1);
	assert_true((fp = fdopen(fd, "w")) != NULL);
	fprintf(fp, "<!ENTITY leak SYSTEM \"file://%s\">", secret);
	fclose(fp);

	doc = xasprintf("<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM \"file://%s\">\n"
	    "<!ENTITY %% ext SYSTEM \"file://%s\"> %%ext;\n]>\n"
	    "<rss><channel><title>[&xxe;][&leak;]</title>"
	    "<item><title>i</title></item></channel></rss>", secret, dtd);
	f = parse(doc);
	assert_null(strstr(f->title, "TOPSECRET"));
	assert_string_equal(f->title, "[][&leak;]");
	feed_free(f);
	free(doc);
	/* The same behind a broken processing instruction (fuzz_parse). */
	doc = xasprintf("<?\x01<!DOCTYPE rss [<!ENTITY xxe SYSTEM "
	    "\"file://%s\">]><rss><channel><title>[&xxe;]</title>"
	    "</channel></rss>", secret);
	f = parse(doc);
	assert_null(strstr(f->title, "TOPSECRET"));
	feed_free(f);
	free(doc);
	unlink(secret);
	unlink(dtd);
}

/* Billion laughs: 10^9 "lol"s must cost at most the expansion budget. */
static void
test_billion_laughs(void **state)
{
	struct buf doc = { 0 };
	struct feed *f;
	clock_t t0 = clock();
	int i;

	buf_puts(&doc, "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n"
	    "<!ENTITY lol0 \"lol\">\n");
	for (i = 1; i <= 9; i++)
		buf_printf(&doc, "<!ENTITY lol%d \"&lol%d;&lol%d;&lol%d;&lol%d;"
		    "&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;\">\n", i,
		    i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
		    i - 1, i - 1);
	buf_puts(&doc, "]>\n<rss><channel><title>&lol9;</title>"
	    "<item><title>after</title></item></channel></rss>");
	f = parse(doc.data);
	assert_true(strlen(f->title) <= (1u << 20));
	assert_true(clock() - t0 < 10 * CLOCKS_PER_SEC);
	/* The document goes on being parsed after the bomb. */
	assert_int_equal(f->n_items, 1);
	assert_string_equal(f->items[0].title, "after");
	feed_free(f);
	buf_free(&doc);
}

/* Quadratic blowup: one 20 KB entity used 20,000 times (400 MB). */
static void
test_quadratic_blowup(void **state)
{
	struct buf doc = { 0 };
	struct feed *f;
	int i;

	buf_puts(&doc, "<!DOCTYPE rss [<!ENTITY a \"");
	for (i = 0; i < 20000; i++)
		buf_putc(&doc, 'a');
	buf_puts(&doc, "\">]><rss><channel><title>");
	for (i = 0; i < 20000; i++)
		buf_puts(&doc, "&a;");
	buf_puts(&doc, "</title></channel></rss>");
	f = parse(doc.data);
	assert_true(strlen(f->title) <= (1u << 20));
	feed_free(f);
	buf_free(&doc);
}

/*
 * Deep nesting: 200 levels inside an item (past the parser's own stack)
 * leave the items around it intact; 10,000 levels are an error before
 * libxml2's own stack (which has no limit when pushing) grows with them.
 */
static void
test_deep_nesting(void **state)
{
	struct buf doc = { 0 };
	struct feed *f;
	char *e;
	int i;

	buf_puts(&doc, "<rss><channel><item><title>1</title></item><item>"
	    "<description>");
	for (i = 0; i < 200; i++)
		buf_puts(&doc, "<d>");
	buf_puts(&doc, "deep");
	for (i = 0; i < 200; i++)
		buf_puts(&doc, "</d>");
	buf_puts(&doc, "</description><title>2</title></item>"
	    "<item><title>3</title></item></channel></rss>");
	f = parse(doc.data);
	assert_int_equal(f->n_items, 3);
	assert_string_equal(f->items[1].title, "2");
	assert_string_equal(f->items[2].title, "3");
	feed_free(f);

	buf_clear(&doc);
	buf_puts(&doc, "<rss><channel><item><title>1</title></item><item>");
	for (i = 0; i < 10000; i++)
		buf_puts(&doc, "<d>");
	for (i = 0; i < 10000; i++)
		buf_puts(&doc, "</d>");
	buf_puts(&doc, "</item></channel></rss>");
	e = parse_error(doc.data, doc.len);
	assert_non_null(strstr(e, "nested"));
	free(e);
	buf_free(&doc);
}

/* NUL bytes, invalid UTF-8 and forbidden references never get through. */
static void
test_nul_and_invalid_utf8(void **state)
{
	static const char doc[] = "<rss><channel><item>"
	    "<title>a\0b\xff\xfe" "c\xc3\x28" "d\x01&#0;&#xD800;&#x110000;e"
	    "</title><description>x\0y</description></item></channel></rss>";
	struct feed *f = parse3(doc, sizeof(doc) - 1, NULL, NULL);
	const char *t = f->items[0].title;

	assert_true(utf8_valid(t, strlen(t)));
	assert_non_null(strchr(t, 'a'));
	assert_non_null(strchr(t, 'e'));
	/* Everything between a and e survived as characters or U+FFFD. */
	assert_true(str_has_prefix(t, "ab"));
	assert_string_equal(f->items[0].summary, "xy");
	feed_free(f);
}

/* Text before the root is skipped, but not forever. */
static void
test_junk_bounded(void **state)
{
	struct buf doc = { 0 };
	char *e;
	int i;

	for (i = 0; i < 100000; i++)
		buf_puts(&doc, "junk ");
	buf_puts(&doc, "<rss/>");
	e = parse_error(doc.data, doc.len);
	assert_non_null(strstr(e, "not XML"));
	free(e);
	buf_free(&doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rss20),
		cmocka_unit_test(test_rss_guid_and_link),
		cmocka_unit_test(test_item_keys),
		cmocka_unit_test(test_rss10_rdf),
		cmocka_unit_test(test_rss091_html_entities),
		cmocka_unit_test(test_atom10),
		cmocka_unit_test(test_atom_html_content_urls),
		cmocka_unit_test(test_atom03),
		cmocka_unit_test(test_cdf),
		cmocka_unit_test(test_json_feed),
		cmocka_unit_test(test_itunes_and_media),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_broken_markup),
		cmocka_unit_test(test_encoding_accidents),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_push_byte_by_byte),
		cmocka_unit_test(test_push_any_boundary),
		cmocka_unit_test(test_cleaning_joins_markup),
		cmocka_unit_test(test_max_items),
		cmocka_unit_test(test_xxe_not_read),
		cmocka_unit_test(test_html_resolve_long_raw),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_quadratic_blowup),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_nul_and_invalid_utf8),
		cmocka_unit_test(test_junk_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
