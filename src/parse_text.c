/*
 * parse_text: what becomes of the text of a feed element.  Plain text
 * from HTML (titles), whitespace collapsing, telling HTML from plain text
 * in RSS, base64 (Atom), repairing mis-encoded text, and making the URLs
 * inside HTML absolute by re-serializing it through libxml2's HTML SAX
 * parser.  HTML escaping and HTML-to-text are html.c's.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>

#include "html.h"
#include "parse_int.h"
#include "url.h"
#include "util.h"

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Length of the prefix of s, in blocks of sixteen after the first byte,
 * where every whitespace is one space between two words.
 */
static size_t
collapse_blocks(const char *s, size_t n)
{
	size_t i = 0;
#if defined(__GNUC__)
	v16 v, next, ws;

	if (n == 0 || is_ws(s[0]))
		return 0;
	/* A block is read with the byte after it. */
	for (i = 1; i + 17 <= n; i += 16) {
		memcpy(&v, s + i, 16);
		memcpy(&next, s + i + 1, 16);
		ws = (next == ' ') | (next == '\t') | (next == '\r') |
		    (next == '\n');
		if (v16_any((v == '\t') | (v == '\r') | (v == '\n') |
		    ((v == ' ') & ws)))
			break;
	}
#else
	(void)s;
	(void)n;
#endif
	return i;
}

void
text_collapse(struct buf *b)
{
	size_t i, o;
	bool space = false;

	if (b->data == NULL)
		return;
	/*
	 * Nothing moves before the first whitespace that is more than one
	 * space between two words: most text has no such whitespace at all.
	 */
	o = collapse_blocks(b->data, b->len);
	for (; o < b->len; o++) {
		if (b->data[o] == ' ' && o > 0 && o + 1 < b->len &&
		    !is_ws(b->data[o + 1]))
			o++;
		else if (is_ws(b->data[o]))
			break;
	}
	for (i = o; i < b->len; i++) {
		if (is_ws(b->data[i])) {
			space = o > 0;
			continue;
		}
		if (space)
			b->data[o++] = ' ';
		space = false;
		b->data[o++] = b->data[i];
	}
	b->len = o;
	b->data[o] = '\0';
}

char *
text_from_html(const char *html, size_t len)
{
	struct buf b = { 0 };
	char *t;

	if (memchr(html, '<', len) == NULL && memchr(html, '&', len) == NULL) {
		buf_append(&b, html, len);
	} else {
		t = html_to_text(html, len);
		buf_puts(&b, t);
		free(t);
	}
	text_collapse(&b);
	return buf_take(&b);
}

/*
 * Plain text that merely mentions "<blink>" must stay as it is, so only a
 * closing tag, a known HTML entity or one of the tags people put in titles
 * make a text HTML.
 */
bool
text_looks_like_html(const char *s, size_t len)
{
	static const char *const tags[] = {
		"a", "abbr", "b", "br", "cite", "code", "em", "font", "i",
		"img", "p", "span", "strong", "sub", "sup", "u", "div", "q",
	};
	const char *p = s, *e = s + len, *q;
	char name[16];
	size_t n, i;

	while (p < e && (p = memchr(p, '<', (size_t)(e - p))) != NULL) {
		p++;
		if (p < e && *p == '/' && p + 1 < e &&
		    ((p[1] | 0x20) >= 'a' && (p[1] | 0x20) <= 'z'))
			return true;
		for (n = 0; p + n < e && n < sizeof(name) - 1 &&
		    (((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z') ||
		    (p[n] >= '0' && p[n] <= '9')); n++)
			name[n] = (char)(p[n] | 0x20);
		name[n] = '\0';
		if (n == 0 || p + n >= e || (p[n] != '>' && p[n] != ' ' &&
		    p[n] != '/'))
			continue;
		for (i = 0; i < ARRAY_SIZE(tags); i++)
			if (strcmp(name, tags[i]) == 0)
				return true;
	}
	for (p = s; p < e && (p = memchr(p, '&', (size_t)(e - p))) != NULL;
	    p++) {
		q = p + 1;
		if (q < e && *q == '#') {
			for (q++; q < e && ((*q >= '0' && *q <= '9') ||
			    (*q | 0x20) == 'x' || ((*q | 0x20) >= 'a' &&
			    (*q | 0x20) <= 'f')); q++)
				;
			if (q < e && *q == ';' && q > p + 2)
				return true;
			continue;
		}
		for (n = 0; q + n < e && n < sizeof(name) - 1 &&
		    (((q[n] | 0x20) >= 'a' && (q[n] | 0x20) <= 'z') ||
		    (q[n] >= '0' && q[n] <= '9')); n++)
			name[n] = q[n];
		name[n] = '\0';
		if (n > 0 && q + n < e && q[n] == ';' &&
		    htmlEntityLookup((const xmlChar *)name) != NULL)
			return true;
	}
	return false;
}

/* The value of a base64 digit (both alphabets), or -1. */
static int
b64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

bool
text_base64_decode(struct buf *b)
{
	size_t i, o = 0, nq = 0, ndig = 0;
	unsigned v = 0, pad = 0;
	int d;

	if (b->data == NULL)
		return false;
	/* Check it all first: decoding is in place, and must not half-do. */
	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (is_ws((char)c))
			continue;
		if (c == '=')
			pad++;
		else if (pad > 0 || b64_digit(c) < 0)
			return false;
		else
			ndig++;
	}
	if (ndig % 4 == 1 || pad > 2)
		return false;
	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (is_ws((char)c) || c == '=')
			continue;
		d = b64_digit(c);
		v = v << 6 | (unsigned)d;
		if (++nq == 4) {
			/* Output never overtakes input: 3 bytes per 4. */
			b->data[o++] = (char)(v >> 16);
			b->data[o++] = (char)(v >> 8);
			b->data[o++] = (char)v;
			nq = 0;
			v = 0;
		}
	}
	if (nq == 2) {
		b->data[o++] = (char)(v >> 4);
	} else if (nq == 3) {
		b->data[o++] = (char)(v >> 10);
		b->data[o++] = (char)(v >> 2);
	}
	b->len = o;
	b->data[o] = '\0';
	return true;
}

/* windows-1252 at 0x80-0x9f (0: the code page has no character there). */
const unsigned short parse_cp1252[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

void
text_put_utf8(struct buf *out, unsigned cp)
{
	char s[4];

	if (cp < 0x80) {
		s[0] = (char)cp;
		buf_append(out, s, 1);
	} else if (cp < 0x800) {
		s[0] = (char)(0xc0 | cp >> 6);
		s[1] = (char)(0x80 | (cp & 0x3f));
		buf_append(out, s, 2);
	} else if (cp < 0x10000) {
		s[0] = (char)(0xe0 | cp >> 12);
		s[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		buf_append(out, s, 3);
	} else {
		s[0] = (char)(0xf0 | cp >> 18);
		s[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		s[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		s[3] = (char)(0x80 | (cp & 0x3f));
		buf_append(out, s, 4);
	}
}

/* Length of the prefix of [s, s+n), in whole words, that is ASCII. */
static size_t
ascii_words(const char *s, size_t n)
{
	size_t i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if ((w & UINT64_C(0x8080808080808080)) != 0)
			break;
	}
	return i;
}

/* Length of the prefix of [s, s+n) that is ASCII. */
static size_t
ascii_prefix(const char *s, size_t n)
{
	size_t i = ascii_words(s, n);

	while (i < n && (unsigned char)s[i] < 0x80)
		i++;
	return i;
}

/*
 * UTF-8 read as ISO-8859-1 and encoded again: every character is U+0080 ..
 * U+00FF or ASCII, and taken as bytes they are well-formed UTF-8 with at
 * least one multi-byte sequence.  Undone in place.  The first ascii bytes
 * are known to be ASCII.
 */
static void
fix_double_utf8(struct buf *b, size_t ascii)
{
	const unsigned char *s = (const unsigned char *)b->data;
	struct buf dec = { 0 };
	unsigned char *d, c;
	size_t i, o;
	int need = 0;
	bool multi = false;

	/*
	 * Text in a Latin script passes the first test; the bytes it would
	 * decode to are checked on the way (a lead byte and its continuation
	 * bytes; utf8_valid() has the last word), so it is not decoded in
	 * vain.
	 */
	for (i = ascii; i < b->len; i++) {
		if (need == 0 &&
		    (i += ascii_words(b->data + i, b->len - i)) == b->len)
			break;
		if (s[i] < 0x80) {
			if (need > 0)
				return;
			continue;
		}
		if (s[i] != 0xc2 && s[i] != 0xc3)
			return;		/* a character above U+00FF */
		c = (unsigned char)(((s[i] & 0x1f) << 6) | (s[i + 1] & 0x3f));
		i++;
		if (need > 0) {
			if (c > 0xbf)
				return;
			need--;
		} else if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3;
		else
			return;
	}
	if (need > 0)
		return;
	/* Decoded in a copy (never longer): b stays as is unless it works. */
	buf_append(&dec, b->data, b->len);
	d = (unsigned char *)dec.data;
	for (i = o = 0; i < b->len; i++, o++) {
		d[o] = s[i];
		if (s[i] >= 0x80) {
			d[o] = (unsigned char)(((s[i] & 0x1f) << 6) |
			    (s[i + 1] & 0x3f));
			i++;
			multi = true;
		}
	}
	dec.len = o;
	dec.data[o] = '\0';
	/* Only if the bytes make UTF-8 with something beyond ASCII. */
	if (multi && utf8_valid(dec.data, dec.len) &&
	    memchr(dec.data, '\0', dec.len) == NULL &&
	    !text_is_ascii(dec.data, dec.len)) {
		buf_free(b);
		*b = dec;
		return;
	}
	buf_free(&dec);
}

bool
text_is_ascii(const char *s, size_t n)
{
	return ascii_prefix(s, n) == n;
}

void
text_fix_encoding(struct buf *b, bool utf8_source)
{
	const unsigned char *s;
	const char *p, *e;
	struct buf out = { 0 };
	size_t i, start = 0, ascii;
	bool has_c1 = false;

	if (b->data == NULL || (ascii = ascii_prefix(b->data, b->len)) ==
	    b->len)
		return;
	/* C2 is rare outside C1 controls and a few symbols: memchr for it. */
	e = b->data + b->len;
	for (p = b->data + ascii; (p = memchr(p, 0xc2, (size_t)(e - p))) !=
	    NULL; p++) {
		if (p + 1 < e && (unsigned char)p[1] < 0xa0) {
			has_c1 = true;
			break;
		}
	}
	if (utf8_source)
		fix_double_utf8(b, ascii);
	if (!has_c1)
		return;
	/* C1 controls U+0080..U+009F (C2 80..C2 9F) mean windows-1252. */
	s = (const unsigned char *)b->data;
	for (i = 0; i + 1 < b->len; i++) {
		unsigned short cp;

		if (s[i] != 0xc2 || s[i + 1] < 0x80 || s[i + 1] > 0x9f)
			continue;
		cp = parse_cp1252[s[i + 1] - 0x80];
		buf_append(&out, b->data + start, i - start);
		if (cp != 0)
			text_put_utf8(&out, cp);
		i++;
		start = i + 1;
	}
	buf_append(&out, b->data + start, b->len - start);
	buf_free(b);
	*b = out;
}

/*
 * The next "<!" in [p, e), or NULL.  HTML has a '<' in every tag but few
 * '!': one memchr per '!' instead of per '<'.
 */
static const char *
next_decl(const char *p, const char *e)
{
	const char *q;

	for (q = p; (q = memchr(q, '!', (size_t)(e - q))) != NULL; q++)
		if (q > p && q[-1] == '<')
			return q - 1;
	return NULL;
}

void
text_html_fix_decls(struct buf *b)
{
	struct buf out = { 0 };
	const char *p, *s, *e;

	if (b->data == NULL)
		return;
	s = b->data;
	e = b->data + b->len;
	/* Most HTML has no "<!": then b stays as it is. */
	if ((p = next_decl(s, e)) == NULL)
		return;
	for (; p != NULL; p = next_decl(p + 2, e)) {
		size_t rest = (size_t)(e - p);

		buf_append(&out, s, (size_t)(p - s));
		if ((rest >= 4 && memcmp(p, "<!--", 4) == 0) ||
		    (rest >= 9 && (memcmp(p, "<![CDATA[", 9) == 0 ||
		    strncasecmp(p, "<!DOCTYPE", 9) == 0)))
			buf_append(&out, p, 2);
		else
			buf_puts(&out, "&lt;!");
		s = p + 2;
	}
	buf_append(&out, s, (size_t)(e - s));
	buf_free(b);
	*b = out;
}

bool
text_is_url_attr(const char *name)
{
	static const char *const names[] = {
		"href", "src", "cite", "action", "background", "longdesc",
		"usemap", "poster", "data", "codebase", "classid", "profile",
		"formaction", "icon", "manifest",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}

/*
 * True if the HTML may hold a relative URL: some URL attribute whose value
 * does not start with a scheme.  A cheap scan that lets most content skip
 * the re-serialization; a false "yes" only costs time.
 */
static bool
may_have_relative_url(const char *s, size_t len)
{
	const char *p = s, *e = s + len, *v;
	static const char *const attrs[] = { "href", "src", "cite",
	    "action", "background", "longdesc", "usemap", "poster", "data",
	    "codebase", "classid", "profile", "formaction", "icon",
	    "manifest" };
	size_t i, n;

	while ((p = memchr(p, '=', (size_t)(e - p))) != NULL) {
		/* The attribute name before '='. */
		const char *ne = p, *nb;

		while (ne > s && is_ws(ne[-1]))
			ne--;
		nb = ne;
		while (nb > s && (((nb[-1] | 0x20) >= 'a' &&
		    (nb[-1] | 0x20) <= 'z')))
			nb--;
		n = (size_t)(ne - nb);
		p++;
		for (i = 0; i < ARRAY_SIZE(attrs); i++)
			if (strlen(attrs[i]) == n &&
			    strncasecmp(nb, attrs[i], n) == 0)
				break;
		if (i == ARRAY_SIZE(attrs))
			continue;
		v = p;
		while (v < e && (is_ws(*v) || *v == '"' || *v == '\''))
			v++;
		/* http:, https:, mailto:, data: ... have a scheme. */
		for (n = 0; v + n < e && (((v[n] | 0x20) >= 'a' &&
		    (v[n] | 0x20) <= 'z') || (n > 0 && ((v[n] >= '0' &&
		    v[n] <= '9') || v[n] == '+' || v[n] == '-' ||
		    v[n] == '.'))); n++)
			;
		if (n < 2 || v + n >= e || v[n] != ':')
			return true;
	}
	return false;
}

/* Re-serialization of HTML with its URLs resolved. */
struct reser {
	struct buf	 out;
	const char	*base;
	int		 depth;		/* 0: our wrapping <div> */
};

static void
reser_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	htmlParserCtxtPtr ctxt = ctx;
	struct reser *r = ctxt->_private;
	int i;

	if (r->depth++ == 0)
		return;			/* the <div> we wrapped it in */
	buf_putc(&r->out, '<');
	buf_puts(&r->out, (const char *)name);
	for (i = 0; atts != NULL && atts[i] != NULL; i += 2) {
		const char *an = (const char *)atts[i];
		const char *av = (const char *)atts[i + 1];
		char *abs = NULL;

		buf_putc(&r->out, ' ');
		buf_puts(&r->out, an);
		if (av == NULL)
			continue;
		if (text_is_url_attr(an))
			abs = url_resolve(r->base, av);
		buf_puts(&r->out, "=\"");
		html_escape(&r->out, abs != NULL ? abs : av,
		    strlen(abs != NULL ? abs : av), true);
		buf_putc(&r->out, '"');
		free(abs);
	}
	buf_puts(&r->out, html_is_void((const char *)name) ? " />" : ">");
}

static void
reser_end(void *ctx, const xmlChar *name)
{
	htmlParserCtxtPtr ctxt = ctx;
	struct reser *r = ctxt->_private;

	if (--r->depth <= 0 || html_is_void((const char *)name))
		return;
	buf_puts(&r->out, "</");
	buf_puts(&r->out, (const char *)name);
	buf_putc(&r->out, '>');
}

static void
reser_text(void *ctx, const xmlChar *s, int len)
{
	htmlParserCtxtPtr ctxt = ctx;
	struct reser *r = ctxt->_private;

	html_escape(&r->out, (const char *)s, (size_t)len, false);
}

/* Script and style content: as written. */
static void
reser_raw(void *ctx, const xmlChar *s, int len)
{
	htmlParserCtxtPtr ctxt = ctx;
	struct reser *r = ctxt->_private;

	buf_append(&r->out, s, (size_t)len);
}

static void
reser_comment(void *ctx, const xmlChar *s)
{
	htmlParserCtxtPtr ctxt = ctx;
	struct reser *r = ctxt->_private;

	buf_puts(&r->out, "<!--");
	buf_puts(&r->out, (const char *)s);
	buf_puts(&r->out, "-->");
}

static void
reser_error(void *ctx, xmlErrorPtr e)
{
}

char *
text_html_resolve(const char *html, size_t len, const char *base)
{
	static const xmlSAXHandler sax = {
		.startElement = reser_start,
		.endElement = reser_end,
		.characters = reser_text,
		.ignorableWhitespace = reser_text,
		.cdataBlock = reser_raw,
		.comment = reser_comment,
		.serror = reser_error,
		.initialized = XML_SAX2_MAGIC,
	};
	struct reser r = { { 0 }, base, 0 };
	struct buf in = { 0 };
	htmlParserCtxtPtr ctxt;
	xmlParserInputBufferPtr ib;
	xmlParserInputPtr stream;

	if (base == NULL || len == 0 || memchr(html, '<', len) == NULL ||
	    !may_have_relative_url(html, len))
		return NULL;
	/*
	 * A wrapping <div> keeps libxml2 from inventing <p>, <html> or
	 * <body> around the fragment; it is left out of the output.
	 */
	buf_puts(&in, "<div>");
	buf_append(&in, html, len);
	buf_puts(&in, "</div>");
	if ((ctxt = htmlNewParserCtxt()) == NULL)
		abort();
	memcpy(ctxt->sax, &sax, sizeof(sax));
	ctxt->_private = &r;
	ctxt->userData = ctxt;
	htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NONET |
	    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NOIMPLIED |
	    HTML_PARSE_NODEFDTD | HTML_PARSE_IGNORE_ENC);
	/*
	 * Not a static buffer: libxml2 2.9's HTML parser, shrinking one
	 * after a <style> or <script> past its first kilobytes, reads parts
	 * of the input twice or drops them (test_html_resolve_long_raw).
	 */
	ib = xmlParserInputBufferCreateMem(in.data, (int)in.len,
	    XML_CHAR_ENCODING_UTF8);
	if (ib == NULL || (stream = xmlNewIOInputStream(ctxt, ib,
	    XML_CHAR_ENCODING_UTF8)) == NULL)
		abort();
	inputPush(ctxt, stream);
	htmlParseDocument(ctxt);
	htmlFreeParserCtxt(ctxt);
	buf_free(&in);
	buf_puts(&r.out, "");
	return buf_take(&r.out);
}

int64_t
text_duration(const char *s)
{
	int64_t parts[3], v;
	int n = 0;
	const char *p = s;

	while (*p == ' ')
		p++;
	for (;;) {
		if (*p < '0' || *p > '9' || n == 3)
			return -1;
		for (v = 0; *p >= '0' && *p <= '9'; p++) {
			if (v > 100000000)
				return -1;
			v = v * 10 + (*p - '0');
		}
		parts[n++] = v;
		if (*p != ':')
			break;
		p++;
	}
	if (*p == '.')			/* fractional seconds */
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return -1;
	if (n == 1)
		return parts[0];
	if (n == 2)
		return parts[0] * 60 + parts[1];
	return parts[0] * 3600 + parts[1] * 60 + parts[2];
}
