/*
 * html: shared HTML helpers on libxml2's HTML parser -- charset sniffing
 * and decoding, parsing, non-recursive tree walks, block-aware text and
 * escaping.  See html.h for the contract.
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parserInternals.h>

#include "html.h"
#include "util.h"

/* How far into a page a <meta> charset declaration is looked for. */
#define HTML_META_SCAN	(64 * 1024)

/* For testing eight bytes at a time: each byte 0x01, each byte 0x80. */
#define ONES	UINT64_C(0x0101010101010101)
#define HIGHS	UINT64_C(0x8080808080808080)

/* Lower-case tag names, each table sorted for bsearch(). */
static const char *const block_tags[] = {
	"address", "article", "aside", "blockquote", "body", "caption",
	"center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
	"fieldset", "figcaption", "figure", "footer", "form", "frameset",
	"h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html",
	"legend", "li", "listing", "main", "menu", "nav", "ol", "p", "plaintext",
	"pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr",
	"ul", "xmp",
};

static const char *const hidden_tags[] = {
	"applet", "audio", "button", "canvas", "datalist", "embed", "frame",
	"head", "iframe", "input", "link", "map", "meta", "noembed",
	"noframes", "noscript", "object", "option", "param", "script",
	"select", "source", "style", "svg", "template", "textarea", "title",
	"track", "video",
};

static const char *const void_tags[] = {
	"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame",
	"hr", "img", "input", "isindex", "keygen", "link", "meta", "param",
	"source", "track", "wbr",
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
in_table(const char *const *table, size_t n, const char *tag)
{
	if (tag == NULL)
		return false;
	return bsearch(&tag, table, n, sizeof(*table), cmp_str) != NULL;
}

bool
html_is_block(const char *tag)
{
	return in_table(block_tags, ARRAY_SIZE(block_tags), tag);
}

bool
html_is_hidden(const char *tag)
{
	return in_table(hidden_tags, ARRAY_SIZE(hidden_tags), tag);
}

bool
html_is_void(const char *tag)
{
	return in_table(void_tags, ARRAY_SIZE(void_tags), tag);
}

const char *
html_attr(const xmlNode *n, const char *name)
{
	const xmlAttr *a;

	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return NULL;
	for (a = n->properties; a != NULL; a = a->next) {
		if (a->name == NULL || strcmp((const char *)a->name, name) != 0)
			continue;
		if (a->children == NULL || a->children->content == NULL)
			return "";
		return (const char *)a->children->content;
	}
	return NULL;
}

void
html_walk(xmlNode *root, bool (*enter_cb)(xmlNode *, void *),
    void (*leave_cb)(xmlNode *, void *), void *arg)
{
	xmlNode *n = root;

	while (n != NULL) {
		if (enter_cb(n, arg) && n->children != NULL) {
			n = n->children;
			continue;
		}
		for (;;) {
			if (leave_cb != NULL)
				leave_cb(n, arg);
			if (n == root)
				return;
			if (n->next != NULL) {
				n = n->next;
				break;
			}
			n = n->parent;
		}
	}
}

/* ---- parsing ---- */

/*
 * UTF-8 that libxml2 takes as it is: invalid sequences replaced (libxml2
 * 2.9 would otherwise switch the rest of the page to Latin-1) and C0
 * controls other than white space turned into spaces.
 */
static void
clean_utf8(struct buf *out, const char *s, size_t len)
{
	size_t i, start = out->len;

	utf8_append_clean(out, s, len);
	for (i = start; i < out->len; i++) {
		unsigned char c = (unsigned char)out->data[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			out->data[i] = ' ';
		else if (c == 0x7f)
			out->data[i] = ' ';
	}
}

/* Stops the parser after HTML_MAX_ELEMENTS elements. */
struct parse_limit {
	startElementSAXFunc	 start;		/* libxml2's own handler */
	size_t			 elements;
};

static void
limited_start_cb(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	htmlParserCtxtPtr ctxt = ctx;
	struct parse_limit *pl = ctxt->_private;

	if (++pl->elements > HTML_MAX_ELEMENTS) {
		xmlStopParser(ctxt);
		return;
	}
	pl->start(ctx, name, atts);
}

/*
 * Parses clean UTF-8.  XML_PARSE_HUGE: without it libxml2 drops everything
 * below depth 256, which unclosed tags reach on real pages; the callers
 * cap the input, this caps the elements, and nothing here recurses over
 * the tree.  (A static input buffer would spare libxml2's copy, but the
 * 2.9 HTML parser re-reads input from one after shrinking it.)
 */
htmlDocPtr
html_parse_decoded(const char *s, size_t len)
{
	htmlParserCtxtPtr ctxt;
	xmlCharEncodingHandlerPtr utf8;
	struct parse_limit pl = { NULL, 0 };
	htmlDocPtr doc;
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
	    HTML_PARSE_NOWARNING | HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT |
	    HTML_PARSE_NODEFDTD | XML_PARSE_HUGE;

	/* libxml2 wants a non-empty buffer. */
	if (len == 0) {
		s = " ";
		len = 1;
	}
	if (len > INT32_MAX)
		len = INT32_MAX;
	if ((ctxt = htmlCreateMemoryParserCtxt(s, (int)len)) == NULL)
		return NULL;
	htmlCtxtUseOptions(ctxt, opts);
	if ((utf8 = xmlFindCharEncodingHandler("UTF-8")) != NULL)
		xmlSwitchToEncoding(ctxt, utf8);
	if (ctxt->sax != NULL && ctxt->sax->startElement != NULL) {
		pl.start = ctxt->sax->startElement;
		ctxt->sax->startElement = limited_start_cb;
		ctxt->_private = &pl;
	}
	htmlParseDocument(ctxt);
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	htmlFreeParserCtxt(ctxt);
	return doc;
}

/*
 * True if clean_utf8() would leave s as it is: well-formed UTF-8 without
 * NUL, DEL or C0 controls but white space.  Eight bytes at a time while
 * they are printable ASCII.
 */
static bool
is_clean_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t v, del;
	uint32_t cp;
	size_t i = 0, end, n;

	while (i < len) {
		if (i + 8 <= len) {
			memcpy(&v, p + i, 8);
			del = v ^ (0x7f * ONES);
			/* Bytes >= 0x80, < 0x20 or 0x7f (a few false alarms). */
			if (((v | ((v - 0x20 * ONES) & ~v) |
			    ((del - ONES) & ~del)) & HIGHS) == 0) {
				i += 8;
				continue;
			}
		}
		for (end = i + 8 < len ? i + 8 : len; i < end; ) {
			if (p[i] >= 0x80) {
				/* 1: not the start of a well-formed sequence. */
				if ((n = utf8_decode(s + i, len - i, &cp)) == 1)
					return false;
				i += n;
			} else if ((p[i] < 0x20 && p[i] != '\t' &&
			    p[i] != '\n' && p[i] != '\r') || p[i] == 0x7f)
				return false;
			else
				i++;
		}
	}
	return true;
}

htmlDocPtr
html_parse_utf8(const char *html, size_t len)
{
	struct buf b = { 0 };
	htmlDocPtr doc;

	/* Item HTML from the feed parser is clean already: no copy. */
	if (is_clean_utf8(html, len))
		return html_parse_decoded(html, len);
	clean_utf8(&b, html, len);
	buf_puts(&b, "");
	doc = html_parse_decoded(b.data, b.len);
	buf_free(&b);
	return doc;
}

/* ---- charsets ---- */

static bool
ascii_ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	if (strlen(b) != alen)
		return false;
	for (i = 0; i < alen; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (x != y)
			return false;
	}
	return true;
}

/*
 * The canonical name for a charset label, or NULL if it is not one we
 * can decode.  Only the labels whose meaning differs from iconv's, or
 * that iconv does not know, are mapped by hand (WHATWG Encoding, 4.2).
 */
static const char *
charset_name(const char *label, size_t len)
{
	static const struct {
		const char	*label;
		const char	*name;
	} map[] = {
		{ "utf-8", "UTF-8" }, { "utf8", "UTF-8" },
		{ "unicode-1-1-utf-8", "UTF-8" }, { "x-unicode20utf8", "UTF-8" },
		{ "us-ascii", "WINDOWS-1252" }, { "ascii", "WINDOWS-1252" },
		{ "iso-8859-1", "WINDOWS-1252" }, { "iso8859-1", "WINDOWS-1252" },
		{ "latin1", "WINDOWS-1252" }, { "l1", "WINDOWS-1252" },
		{ "iso_8859-1", "WINDOWS-1252" }, { "cp1252", "WINDOWS-1252" },
		{ "windows-1252", "WINDOWS-1252" }, { "x-cp1252", "WINDOWS-1252" },
		{ "cp819", "WINDOWS-1252" }, { "ibm819", "WINDOWS-1252" },
		{ "iso-8859-9", "WINDOWS-1254" }, { "latin5", "WINDOWS-1254" },
		{ "gb2312", "GB18030" }, { "gbk", "GB18030" },
		{ "gb18030", "GB18030" }, { "x-gbk", "GB18030" },
		{ "chinese", "GB18030" }, { "csgb2312", "GB18030" },
		{ "big5", "BIG5-HKSCS" }, { "x-x-big5", "BIG5-HKSCS" },
		{ "big5-hkscs", "BIG5-HKSCS" },
		{ "shift_jis", "SHIFT_JIS" }, { "sjis", "SHIFT_JIS" },
		{ "x-sjis", "SHIFT_JIS" }, { "ms_kanji", "SHIFT_JIS" },
		{ "windows-31j", "CP932" }, { "euc-jp", "EUC-JP" },
		{ "iso-2022-jp", "ISO-2022-JP" }, { "euc-kr", "CP949" },
		{ "ks_c_5601-1987", "CP949" }, { "korean", "CP949" },
		{ "koi8-r", "KOI8-R" }, { "koi8-u", "KOI8-U" },
		{ "tis-620", "CP874" }, { "iso-8859-11", "CP874" },
		{ "windows-874", "CP874" },
		{ "utf-16", "UTF-16LE" }, { "utf-16le", "UTF-16LE" },
		{ "utf-16be", "UTF-16BE" },
		{ "iso-8859-2", "ISO-8859-2" }, { "iso-8859-3", "ISO-8859-3" },
		{ "iso-8859-4", "ISO-8859-4" }, { "iso-8859-5", "ISO-8859-5" },
		{ "iso-8859-6", "ISO-8859-6" }, { "iso-8859-7", "ISO-8859-7" },
		{ "iso-8859-8", "ISO-8859-8" }, { "iso-8859-10", "ISO-8859-10" },
		{ "iso-8859-13", "ISO-8859-13" },
		{ "iso-8859-14", "ISO-8859-14" },
		{ "iso-8859-15", "ISO-8859-15" }, { "latin-9", "ISO-8859-15" },
		{ "iso-8859-16", "ISO-8859-16" },
		{ "windows-1250", "WINDOWS-1250" }, { "cp1250", "WINDOWS-1250" },
		{ "windows-1251", "WINDOWS-1251" }, { "cp1251", "WINDOWS-1251" },
		{ "windows-1253", "WINDOWS-1253" }, { "cp1253", "WINDOWS-1253" },
		{ "windows-1254", "WINDOWS-1254" }, { "cp1254", "WINDOWS-1254" },
		{ "windows-1255", "WINDOWS-1255" }, { "cp1255", "WINDOWS-1255" },
		{ "windows-1256", "WINDOWS-1256" }, { "cp1256", "WINDOWS-1256" },
		{ "windows-1257", "WINDOWS-1257" }, { "cp1257", "WINDOWS-1257" },
		{ "windows-1258", "WINDOWS-1258" }, { "cp1258", "WINDOWS-1258" },
		{ "ibm866", "IBM866" }, { "cp866", "IBM866" },
		{ "macintosh", "MACINTOSH" }, { "mac", "MACINTOSH" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (ascii_ieq(label, len, map[i].label))
			return map[i].name;
	return NULL;
}

static bool
is_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == ':';
}

/*
 * The charset named after "charset" (then optional spaces, '=' and a
 * quote) in [s, end), or NULL.
 */
static const char *
charset_param(const char *s, const char *end)
{
	const char *p, *v;

	for (p = s; p + 7 <= end; p++) {
		if (!ascii_ieq(p, 7, "charset"))
			continue;
		v = p + 7;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (v >= end || *v != '=')
			continue;
		v++;
		while (v < end && (*v == ' ' || *v == '\t' || *v == '"' ||
		    *v == '\''))
			v++;
		p = v;
		while (p < end && is_label_char(*p))
			p++;
		return p > v ? charset_name(v, (size_t)(p - v)) : NULL;
	}
	return NULL;
}

/* A charset declared by a <meta> element near the top of the page. */
static const char *
meta_charset(const char *data, size_t len)
{
	const char *p = data, *end = data + (len < HTML_META_SCAN ?
	    len : HTML_META_SCAN), *gt, *cs;

	while (p + 5 < end) {
		p = memchr(p, '<', (size_t)(end - p));
		if (p == NULL || p + 5 >= end)
			break;
		p++;
		if (!ascii_ieq(p, 4, "meta")) {
			continue;
		}
		gt = memchr(p, '>', (size_t)(end - p));
		if (gt == NULL)
			break;
		if ((cs = charset_param(p, gt)) != NULL)
			return cs;
		p = gt;
	}
	return NULL;
}

/* True if data is well-formed UTF-8 holding at least one non-ASCII byte. */
static bool
looks_utf8(const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)data[i] >= 0x80)
			break;
	return i < len && utf8_valid(data + i, len - i);
}

const char *
html_sniff_charset(const char *data, size_t len, const char *content_type)
{
	const unsigned char *u = (const unsigned char *)data;
	const char *cs;

	if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
		return "UTF-8";
	if (len >= 2 && u[0] == 0xff && u[1] == 0xfe)
		return "UTF-16LE";
	if (len >= 2 && u[0] == 0xfe && u[1] == 0xff)
		return "UTF-16BE";
	if (looks_utf8(data, len))
		return "UTF-8";
	/*
	 * UTF-16 without a BOM has NULs all over its ASCII; bytes without
	 * any are not UTF-16, whatever the header says.
	 */
	if (content_type != NULL &&
	    (cs = charset_param(content_type, content_type +
	    strlen(content_type))) != NULL &&
	    (strncmp(cs, "UTF-16", 6) != 0 ||
	    memchr(data, '\0', len < 1024 ? len : 1024) != NULL))
		return cs;
	if ((cs = meta_charset(data, len)) != NULL) {
		/*
		 * A page that reached the parser as bytes cannot be UTF-16
		 * if it declares so in ASCII (HTML spec 13.2.3.2).
		 */
		if (strncmp(cs, "UTF-16", 6) == 0)
			return "UTF-8";
		return cs;
	}
	return "WINDOWS-1252";
}

void
html_decode(struct buf *out, const char *data, size_t len,
    const char *charset)
{
	const unsigned char *u = (const unsigned char *)data;
	iconv_t cd;
	char tmp[4096];
	char *in, *o;
	size_t inleft, oleft, r;

	if (strcmp(charset, "UTF-8") == 0) {
		if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
			data += 3;
			len -= 3;
		}
		clean_utf8(out, data, len);
		return;
	}
	if (strncmp(charset, "UTF-16", 6) == 0 && len >= 2 &&
	    ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff))) {
		data += 2;
		len -= 2;
	}
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1 && (cd = iconv_open("UTF-8", "WINDOWS-1252")) ==
	    (iconv_t)-1) {
		clean_utf8(out, data, len);
		return;
	}
	in = (char *)data;
	inleft = len;
	while (inleft > 0) {
		o = tmp;
		oleft = sizeof(tmp);
		r = iconv(cd, &in, &inleft, &o, &oleft);
		clean_utf8(out, tmp, (size_t)(o - tmp));
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		/* EILSEQ or a truncated sequence at the end: skip a byte. */
		buf_puts(out, "\xef\xbf\xbd");
		in++;
		inleft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* Flush a stateful encoding's shift sequence. */
	o = tmp;
	oleft = sizeof(tmp);
	iconv(cd, NULL, NULL, &o, &oleft);
	clean_utf8(out, tmp, (size_t)(o - tmp));
	iconv_close(cd);
}

/* ---- escaping ---- */

void
html_escape(struct buf *out, const char *s, size_t len, bool attr)
{
	size_t i = 0, start = 0, n;
	const char *rep;

	/* Most text has none of the four bytes: clean runs go whole. */
	while ((i += mem_span4(s + i, len - i, '&', '<', '>',
	    attr ? '"' : '&')) < len) {
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			n = 5;
			break;
		case '<':
			rep = "&lt;";
			n = 4;
			break;
		case '>':
			rep = "&gt;";
			n = 4;
			break;
		default:
			rep = "&quot;";
			n = 6;
			break;
		}
		buf_append(out, s + start, i - start);
		buf_append(out, rep, n);
		start = ++i;
	}
	buf_append(out, s + start, len - start);
}

/* ---- text ---- */

/* Pending separators, weakest first. */
enum sep { SEP_NONE, SEP_SPACE, SEP_LINE, SEP_PARA };

static void
want(struct html_text *ts, int s)
{
	if (ts->pending < s)
		ts->pending = s;
}

static void
flush_sep(struct html_text *ts)
{
	if (ts->out->len > ts->start) {
		switch (ts->pending) {
		case SEP_NONE:
			break;
		case SEP_SPACE:
			buf_putc(ts->out, ' ');
			break;
		case SEP_LINE:
			buf_putc(ts->out, '\n');
			break;
		case SEP_PARA:
			buf_append(ts->out, "\n\n", 2);
			break;
		}
	}
	ts->pending = SEP_NONE;
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

void
html_text_init(struct html_text *ts, struct buf *out)
{
	memset(ts, 0, sizeof(*ts));
	if (out->data == NULL)
		buf_puts(out, "");
	ts->out = out;
	ts->start = 0;
	ts->pending = SEP_PARA;
}

/* White space as html_text_chars() collapses it: 1, or 2 for a U+00A0 lead. */
static const unsigned char text_space[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1, [0xc2] = 2,
};

void
html_text_chars(struct html_text *ts, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *pend = p + len;
	unsigned char *r, *w, *end;
	size_t n, at;
	bool space;

	if (ts->pre > 0) {
		/* Kept as written, blank lines included. */
		for (; p < pend; p++) {
			if (*p == '\n') {
				if (ts->out->len == ts->start)
					continue;
				if (ts->pending == SEP_LINE)
					ts->pending = SEP_PARA;
				else
					want(ts, SEP_LINE);
				continue;
			}
			if (*p == '\r')
				continue;
			flush_sep(ts);
			buf_putc(ts->out, *p);
		}
		return;
	}
	/* White space before the first word adds to what is pending. */
	for (;;) {
		if (p < pend && is_space(*p))
			p++;
		else if (pend - p >= 2 && p[0] == 0xc2 && p[1] == 0xa0)
			p += 2;		/* U+00A0 */
		else
			break;
		want(ts, SEP_SPACE);
	}
	if (p == pend)
		return;
	flush_sep(ts);
	/*
	 * The rest copied as it is, then each run of white space (U+00A0
	 * no-break space included) made one space in place: two passes over
	 * the bytes instead of a call per word.  A run at the end is only
	 * pending, for what follows to decide.
	 */
	n = (size_t)(pend - p);
	at = ts->out->len;
	buf_append(ts->out, p, n);
	r = (unsigned char *)ts->out->data + at;
	end = r + n;
	/*
	 * Most text has nothing to collapse but single spaces between
	 * words: read on without writing until the first run that changes.
	 */
	while (r < end) {
		if (text_space[*r] == 0 || (*r == ' ' && r + 1 < end &&
		    text_space[r[1]] == 0) || (*r == 0xc2 && (r + 1 == end ||
		    r[1] != 0xa0)))
			r++;
		else
			break;
	}
	w = r;
	space = false;
	while (r < end) {
		if (text_space[*r] == 0) {
			if (space)
				*w++ = ' ';
			space = false;
			*w++ = *r++;
		} else if (text_space[*r] == 1) {
			space = true;
			r++;
		} else if (r + 1 < end && r[1] == 0xa0) {
			space = true;
			r += 2;
		} else {
			if (space)
				*w++ = ' ';
			space = false;
			*w++ = *r++;
		}
	}
	*w = '\0';
	ts->out->len = (size_t)((char *)w - ts->out->data);
	if (space)
		want(ts, SEP_SPACE);
}

static bool
is_pre(const char *tag)
{
	return strcmp(tag, "pre") == 0 || strcmp(tag, "listing") == 0 ||
	    strcmp(tag, "xmp") == 0 || strcmp(tag, "plaintext") == 0;
}

static bool
is_cell(const char *tag)
{
	return (tag[0] == 't' && (tag[1] == 'd' || tag[1] == 'h') &&
	    tag[2] == '\0');
}

bool
html_text_enter(struct html_text *ts, const char *tag)
{
	if (html_is_hidden(tag))
		return false;
	/* MathML: each symbol, number and operator apart. */
	if (strcmp(tag, "math") == 0)
		ts->math++;
	if (ts->math > 0) {
		want(ts, SEP_SPACE);
		return true;
	}
	if (strcmp(tag, "br") == 0) {
		if (ts->pending == SEP_LINE)
			ts->pending = SEP_PARA;
		else
			want(ts, SEP_LINE);
		/* A <br> at the very start still counts for the next one. */
		return false;
	}
	if (html_is_block(tag)) {
		want(ts, SEP_PARA);
		if (is_pre(tag))
			ts->pre++;
	} else if (is_cell(tag))
		want(ts, SEP_SPACE);
	return true;
}

void
html_text_leave(struct html_text *ts, const char *tag)
{
	if (ts->math > 0) {
		want(ts, SEP_SPACE);
		if (strcmp(tag, "math") == 0)
			ts->math--;
		return;
	}
	if (html_is_block(tag)) {
		want(ts, SEP_PARA);
		if (is_pre(tag))
			ts->pre--;
	} else if (is_cell(tag))
		want(ts, SEP_SPACE);
}

static bool
text_enter_cb(xmlNode *n, void *arg)
{
	struct html_text *ts = arg;

	switch (n->type) {
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (n->content != NULL)
			html_text_chars(ts, (const char *)n->content,
			    strlen((const char *)n->content));
		return false;
	case XML_ELEMENT_NODE:
		return html_text_enter(ts, (const char *)n->name);
	case XML_DOCUMENT_NODE:
	case XML_HTML_DOCUMENT_NODE:
		return true;
	default:
		return false;
	}
}

static void
text_leave_cb(xmlNode *n, void *arg)
{
	if (n->type == XML_ELEMENT_NODE)
		html_text_leave(arg, (const char *)n->name);
}

void
html_node_text(struct buf *out, const xmlNode *node)
{
	struct html_text ts;

	html_text_init(&ts, out);
	if (node != NULL)
		html_walk((xmlNode *)node, text_enter_cb, text_leave_cb, &ts);
}

char *
html_to_text(const char *html, size_t len)
{
	struct buf b = { 0 };
	htmlDocPtr doc;

	buf_puts(&b, "");
	if (html != NULL && (doc = html_parse_utf8(html, len)) != NULL) {
		html_node_text(&b, (xmlNode *)doc);
		xmlFreeDoc(doc);
	}
	return buf_take(&b);
}
