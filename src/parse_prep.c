/*
 * parse_prep: turns the bytes of an XML feed into what libxml2 can parse
 * without giving up on the real web, in one streaming pass:
 *
 * 1. Charset: a byte-order mark, else the HTTP charset, else the XML
 *    declaration, else UTF-8; ISO-8859-1 and US-ASCII labels mean
 *    windows-1252.  Everything is converted to UTF-8 here (iconv), bytes
 *    that are not UTF-8 in a UTF-8 document are read as windows-1252, and
 *    characters XML forbids (C0 controls, NUL, U+FFFE/F) are dropped.  The
 *    XML declaration is dropped too, so a stale encoding= in it can never
 *    make libxml2 convert twice.
 *
 * 2. Markup repair that libxml2's recover mode does badly (it drops every
 *    entity reference after the first error and stops at a '<' that does
 *    not start a tag): every reference becomes a character or a numeric
 *    reference (&amp; -> &#38;, &eacute; -> é), HTML's named entities
 *    are known without a DTD, an undeclared one or a bare '&' becomes
 *    text, a stray '<' becomes &lt;, unquoted attribute values get quotes.
 *
 * 3. The DOCTYPE never reaches libxml2.  Its internal general entities are
 *    kept and expanded here within a budget (billion laughs, quadratic
 *    blowup); external entities expand to nothing and nothing is ever
 *    loaded, so there is no XXE.
 *
 * Comments, CDATA sections and processing instructions pass unchanged.
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>

#include "parse_int.h"
#include "util.h"

#define PREP_HEAD_MAX		1024	/* bytes read to find the charset */
#define PREP_MAX_JUNK		(64u << 10)	/* text before the root */
#define PREP_MAX_DOCTYPE	(256u << 10)	/* DOCTYPE bytes examined */
#define PREP_MAX_ENTITIES	1024
#define PREP_MAX_ENTITY_VALUE	(64u << 10)
#define PREP_MAX_EXPANSION	(1u << 20)	/* bytes from user entities */
#define PREP_EXPANSION_COST	16	/* budget each reference costs */
#define PREP_MAX_ENTITY_DEPTH	8
#define PREP_MAX_REF		40	/* longest entity reference */

enum fstate {
	F_PROLOG,		/* before the first '<' */
	F_TEXT,
	F_TAG,			/* inside <...>, outside attribute values */
	F_ATTR,			/* inside a quoted attribute value */
	F_ATTR_UQ,		/* inside an unquoted one (quotes added) */
	F_COMMENT,
	F_CDATA,
	F_PI,
	F_XMLDECL,		/* <?xml ...?>: dropped */
	F_DOCTYPE,
};

/* Where a character is emitted: text may hold markup, attributes not. */
enum ctx { CTX_TEXT, CTX_ATTR };

struct entity {
	char	*name;
	char	*value;		/* replacement text, "" for external */
};

struct prep {
	/* Charset. */
	char		*http_charset;	/* from Content-Type, or NULL */
	bool		 decided;
	struct buf	 head;		/* bytes held until decided */
	bool		 utf8;		/* the UTF-8 path (no iconv) */
	iconv_t		 cd;
	char		 carry[16];	/* an incomplete sequence */
	size_t		 ncarry;
	struct buf	 utf;		/* UTF-8 the filter has yet to take */

	/* Markup repair. */
	enum fstate	 st;
	const char	*kept;		/* filter: input from here on goes out
					   as it is, not copied yet */
	char		 quote;		/* F_ATTR: the closing quote */
	bool		 after_eq;	/* F_TAG: a value may start */
	size_t		 junk;
	bool		 in_root;	/* a start tag has been seen */
	struct buf	 sink;		/* references before the root */
	struct buf	 doctype;
	int		 dt_bracket;	/* '[' depth in the DOCTYPE */
	char		 dt_quote;
	struct entity	*ents;
	size_t		 nents;
	size_t		 budget;
	bool		 capped;
};

/* ---- charset ---- */

#if defined(__GNUC__)
/*
 * clean_span() sixteen bytes at a time from i (i >= 2, at a character
 * boundary) while whole blocks are clean, for UTF-8 of one to three bytes
 * that needs no look at the ranges of its second byte: E0, ED, EF BF and
 * four-byte sequences, like anything not clean, stop it.  One compare
 * passes a block of ASCII that ends no character begun before it;
 * otherwise each byte is checked against the two before it (read from
 * memory, not shifted): a continuation byte exactly where a lead byte
 * wants one.  Returns a character boundary at or before the first block
 * that did not pass (or the end of the data).
 */
static size_t
clean_blocks(const unsigned char *s, size_t i, size_t n)
{
	size_t start = i;
	v16 v, p1, p2, bad;

	for (; i + 16 <= n; i += 16) {
		memcpy(&v, s + i, 16);
		if (!v16_any((v < 0x20) & (v != '\n')) && s[i - 1] < 0xc0 &&
		    s[i - 2] < 0xe0)
			continue;
		memcpy(&p1, s + i - 1, 16);
		memcpy(&p2, s + i - 2, 16);
		/* Signed: 0xc0 is -64, 0xe0 -32, 0xed -19, 0xef -17 ... */
		bad = ((v >= 0) & (v < 0x20) & (v != '\t') & (v != '\n') &
		    (v != '\r')) | ((v > -17) & (v < 0)) | (v == -64) |
		    (v == -63) | (v == -32) | (v == -19) |
		    ((p1 == -17) & (v == -65));
		/* 80-BF after C2-EF, or two after E1-EF. */
		bad |= (v < -64) ^ (((p1 > -63) & (p1 < -16)) |
		    ((p2 > -32) & (p2 < -16)));
		if (v16_any(bad))
			break;
	}
	/* A block may end inside a character. */
	if (i > start && s[i - 1] >= 0xc0)
		i -= 1;
	else if (i > start && s[i - 2] >= 0xe0)
		i -= 2;
	return i;
}
#endif

/*
 * Length of the prefix of [s, s+n) that is already UTF-8 XML accepts:
 * whole characters, none of them forbidden.
 */
static size_t
clean_span(const char *data, size_t n)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0, blocks_from = 2;
	unsigned char c;
	int l;

	while (i < n) {
#if defined(__GNUC__)
		if (i >= blocks_from) {
			i = clean_blocks(s, i, n);
			if (i == n)
				break;
			/* Through the block that did not pass, one by one. */
			blocks_from = i + 16;
		}
#endif
		c = s[i];
		if ((c >= 0x20 && c < 0x80) || c == '\n' || c == '\t' ||
		    c == '\r') {
			i++;
			continue;
		}
		if (c < 0x80)
			break;
		l = utf8_sequence((const char *)s + i, n - i);
		/* U+FFFE and U+FFFF are not XML characters. */
		if (l <= 0 || (l == 3 && c == 0xef && s[i + 1] == 0xbf &&
		    s[i + 2] >= 0xbe))
			break;
		i += (size_t)l;
	}
	return i;
}

/*
 * Appends [s, s+n) to out as UTF-8 that XML accepts: ill-formed bytes are
 * read as windows-1252, forbidden characters dropped.  Returns how many
 * bytes were used; fewer than n only when the end may be a sequence cut
 * short and more is to come.
 */
static size_t
clean_utf8(struct buf *out, const char *data, size_t n, bool final)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0, k;
	unsigned char c;
	int l;

	while (i < n) {
		k = clean_span(data + i, n - i);
		buf_append(out, s + i, k);
		if ((i += k) == n)
			break;
		c = s[i];
		l = utf8_sequence(data + i, n - i);
		if (l == -1 && !final)
			return i;
		if (c < 0x20)			/* C0 controls, NUL */
			i++;
		else if (l == 3)		/* U+FFFE, U+FFFF */
			i += 3;
		else {
			if (c >= 0xa0)
				text_put_utf8(out, c);
			else if (parse_cp1252[c - 0x80] != 0)
				text_put_utf8(out, parse_cp1252[c - 0x80]);
			else
				text_put_utf8(out, 0xfffd);
			i++;
		}
	}
	return i;
}

/* The charset parameter of a Content-Type, or NULL.  Caller frees. */
static char *
content_type_charset(const char *ct)
{
	const char *p, *e;

	if (ct == NULL)
		return NULL;
	for (p = ct; (p = strchr(p, ';')) != NULL; ) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "charset", 7) != 0)
			continue;
		p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"' || *p == '\'') {
			char q = *p++;

			e = strchr(p, q);
			if (e == NULL)
				e = p + strlen(p);
		} else {
			e = p;
			while (*e != '\0' && *e != ';' && *e != ' ' &&
			    *e != '\t')
				e++;
		}
		if (e > p && e - p < 64)
			return xstrndup(p, (size_t)(e - p));
		return NULL;
	}
	return NULL;
}

/* encoding="..." of an XML declaration at the start of s, or NULL. */
static char *
xml_decl_encoding(const char *s, size_t n)
{
	const char *end, *p;
	char q;
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	if (n - i < 6 || memcmp(s + i, "<?xml", 5) != 0)
		return NULL;
	end = memmem(s + i, n - i, "?>", 2);
	if (end == NULL)
		end = s + n;
	p = memmem(s + i, (size_t)(end - s - i), "encoding", 8);
	if (p == NULL)
		return NULL;
	p += 8;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n' || *p == '='))
		p++;
	if (p >= end || (*p != '"' && *p != '\''))
		return NULL;
	q = *p++;
	for (i = 0; p + i < end && p[i] != q; i++)
		;
	if (p + i >= end || i == 0 || i >= 64)
		return NULL;
	return xstrndup(p, i);
}

static bool
is_utf8_label(const char *cs)
{
	return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0;
}

/* WHATWG Encoding: these labels mean windows-1252. */
static bool
is_1252_label(const char *cs)
{
	static const char *const labels[] = {
		"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1",
		"l1", "us-ascii", "ascii", "ansi_x3.4-1968", "cp1252",
		"windows-1252", "x-cp1252", "cp819", "ibm819",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(labels); i++)
		if (strcasecmp(cs, labels[i]) == 0)
			return true;
	return false;
}

/*
 * Chooses the charset from the head of the document and sets up the
 * converter.  Returns how many leading bytes (a BOM) to skip.
 */
static size_t
decide_charset(struct prep *p, const unsigned char *s, size_t n)
{
	const char *cs = NULL;
	char *decl = NULL;
	size_t skip = 0;

	if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
		cs = "UTF-8";
		skip = 3;
	} else if (n >= 4 && s[0] == 0xff && s[1] == 0xfe && s[2] == 0 &&
	    s[3] == 0) {
		cs = "UTF-32LE";
		skip = 4;
	} else if (n >= 4 && s[0] == 0 && s[1] == 0 && s[2] == 0xfe &&
	    s[3] == 0xff) {
		cs = "UTF-32BE";
		skip = 4;
	} else if (n >= 2 && s[0] == 0xff && s[1] == 0xfe) {
		cs = "UTF-16LE";
		skip = 2;
	} else if (n >= 2 && s[0] == 0xfe && s[1] == 0xff) {
		cs = "UTF-16BE";
		skip = 2;
	} else if (n >= 4 && s[0] == '<' && s[1] == 0 && s[3] == 0) {
		cs = "UTF-16LE";
	} else if (n >= 4 && s[0] == 0 && s[1] == '<' && s[2] == 0) {
		cs = "UTF-16BE";
	} else if (p->http_charset != NULL) {
		cs = p->http_charset;
	} else if ((decl = xml_decl_encoding((const char *)s, n)) != NULL) {
		/* A declaration readable as ASCII is not in UTF-16/32. */
		if (strncasecmp(decl, "utf-16", 6) != 0 &&
		    strncasecmp(decl, "utf-32", 6) != 0 &&
		    strncasecmp(decl, "ucs", 3) != 0)
			cs = decl;
	}
	p->utf8 = true;
	if (cs != NULL && !is_utf8_label(cs)) {
		if (is_1252_label(cs))
			cs = "WINDOWS-1252";
		p->cd = iconv_open("UTF-8", cs);
		if (p->cd != (iconv_t)-1)
			p->utf8 = false;
	}
	free(decl);
	p->decided = true;
	return skip;
}

/* Converts the next bytes into p->utf. */
static void
convert(struct prep *p, const char *data, size_t n, bool final)
{
	char tmp[16384], *in, *o;
	size_t inleft, outleft, used, r;
	struct buf joined = { 0 };

	if (p->ncarry > 0) {
		/* Rejoin a sequence that a chunk boundary cut. */
		buf_append(&joined, p->carry, p->ncarry);
		buf_append(&joined, data, n);
		data = joined.data;
		n = joined.len;
		p->ncarry = 0;
	}
	if (p->utf8) {
		used = clean_utf8(&p->utf, data, n, final);
		p->ncarry = n - used;	/* at most 3 bytes */
		if (p->ncarry > 0)
			memcpy(p->carry, data + used, p->ncarry);
		buf_free(&joined);
		return;
	}
	in = (char *)data;
	inleft = n;
	while (inleft > 0) {
		o = tmp;
		outleft = sizeof(tmp);
		r = iconv(p->cd, &in, &inleft, &o, &outleft);
		clean_utf8(&p->utf, tmp, sizeof(tmp) - outleft, true);
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		if (errno == EINVAL && !final && inleft < sizeof(p->carry)) {
			memcpy(p->carry, in, inleft);
			p->ncarry = inleft;
			break;
		}
		/* EILSEQ, or a sequence cut by the end of the document. */
		text_put_utf8(&p->utf, 0xfffd);
		in++;
		inleft--;
	}
	buf_free(&joined);
}

/* ---- markup repair ---- */

static bool
is_name_start(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? true :
	    c == '_' || c == ':' || c >= 0x80;
}

static bool
is_xml_char(unsigned long cp)
{
	return cp == 0x9 || cp == 0xa || cp == 0xd ||
	    (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) ||
	    (cp >= 0x10000 && cp <= 0x10ffff);
}

/*
 * Emits one character: markup-significant ones and controls as numeric
 * references (so libxml2 keeps them as text), the others as UTF-8.
 */
static void
emit_char(struct buf *out, unsigned long cp)
{
	if (!is_xml_char(cp)) {
		text_put_utf8(out, 0xfffd);
		return;
	}
	if (cp < 0x20 || cp == '<' || cp == '&' || cp == '>' || cp == '"' ||
	    cp == '\'') {
		/* "&#NN;" (all of these are two digits); no printf here. */
		char ref[5] = { '&', '#', (char)('0' + cp / 10),
		    (char)('0' + cp % 10), ';' };

		buf_append(out, ref, 5);
		return;
	}
	text_put_utf8(out, (unsigned)cp);
}

/*
 * Most of the document goes out as it came: the filter copies it in runs,
 * up to whatever it writes differently or leaves out.
 */
static void
flush_kept(struct prep *p, const char *s, struct buf *out)
{
	buf_append(out, p->kept, (size_t)(s - p->kept));
	p->kept = s;
}

/* Leaves [s, s+n) out; what is written next takes its place. */
static void
drop(struct prep *p, const char *s, size_t n, struct buf *out)
{
	flush_kept(p, s, out);
	p->kept = s + n;
}

/* The code point of a named reference XML or HTML defines, or 0. */
static unsigned long
named_entity(const char *name)
{
	/* HTML 5 names feeds use that HTML 4 lacks. */
	static const struct {
		const char	*name;
		unsigned	 cp;
	} extra[] = {
		{ "apos", '\'' }, { "AMP", '&' }, { "LT", '<' }, { "GT", '>' },
		{ "QUOT", '"' }, { "COPY", 0xa9 }, { "REG", 0xae },
		{ "NewLine", '\n' }, { "Tab", '\t' }, { "hyphen", 0x2010 },
		{ "dash", 0x2010 }, { "nbsp", 0xa0 }, { "bullet", 0x2022 },
		{ "lsquor", 0x201a }, { "rsquor", 0x2019 },
		{ "ldquor", 0x201e }, { "rdquor", 0x201d }, { "TRADE", 0x2122 },
		{ "hellip", 0x2026 }, { "mldr", 0x2026 }, { "nldr", 0x2025 },
		{ "check", 0x2713 }, { "star", 0x2606 }, { "starf", 0x2605 },
		{ "laquo", 0xab }, { "raquo", 0xbb },
	};
	const htmlEntityDesc *d;
	size_t i;

	if ((d = htmlEntityLookup((const xmlChar *)name)) != NULL)
		return d->value;
	for (i = 0; i < ARRAY_SIZE(extra); i++)
		if (strcmp(extra[i].name, name) == 0)
			return extra[i].cp;
	return 0;
}

static struct entity *
find_entity(struct prep *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nents; i++)
		if (strcmp(p->ents[i].name, name) == 0)
			return &p->ents[i];
	return NULL;
}

/*
 * Parses the reference at s (s[0] == '&').  Returns its length and sets
 * *ret_cp (a character) or *ret_ent (a user entity); 0 if s does not start
 * a complete reference (*ret_more: it might, with more bytes).
 */
static size_t
parse_ref(struct prep *p, const char *s, size_t n, unsigned long *ret_cp,
    struct entity **ret_ent, bool *ret_more)
{
	char name[PREP_MAX_REF + 1];
	size_t i = 1, len;
	unsigned long cp = 0;

	*ret_more = false;
	*ret_cp = 0;
	*ret_ent = NULL;
	if (i < n && s[i] == '#') {
		bool hex = false;
		size_t start;

		i++;
		if (i < n && (s[i] == 'x' || s[i] == 'X')) {
			hex = true;
			i++;
		}
		start = i;
		while (i < n && i - start < 9) {
			unsigned char c = (unsigned char)s[i];

			if (c >= '0' && c <= '9')
				cp = cp * (hex ? 16 : 10) + (c - '0');
			else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				cp = cp * 16 + ((c | 0x20) - 'a' + 10);
			else
				break;
			i++;
		}
		if (i == n) {
			*ret_more = true;
			return 0;
		}
		if (i == start || s[i] != ';')
			return 0;
		*ret_cp = cp > 0x10ffff ? 0xfffd : cp;
		if (*ret_cp == 0)
			*ret_cp = 0xfffd;
		return i + 1;
	}
	while (i < n && i <= PREP_MAX_REF &&
	    (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') ||
	    (s[i] >= '0' && s[i] <= '9') || (i > 1 && (s[i] == '_' ||
	    s[i] == '-' || s[i] == '.'))))
		i++;
	if (i == n && i <= PREP_MAX_REF) {
		*ret_more = true;
		return 0;
	}
	if (i == 1 || i > PREP_MAX_REF || s[i] != ';')
		return 0;
	len = i - 1;
	memcpy(name, s + 1, len);
	name[len] = '\0';
	if ((*ret_ent = find_entity(p, name)) == NULL &&
	    (*ret_cp = named_entity(name)) == 0)
		return 0;	/* undeclared and not HTML: text */
	return i + 1;
}

static void expand_entity(struct prep *, const struct entity *, enum ctx,
    int, struct buf *);

/* Emits the text of a user entity's value, expanding references in it. */
static void
expand_text(struct prep *p, const char *s, size_t n, enum ctx ctx,
    int depth, struct buf *out)
{
	size_t i = 0, j, k, r, start;
	unsigned long cp;
	struct entity *e;
	bool more;

	while (i < n && !p->capped) {
		if (s[i] == '&') {
			r = parse_ref(p, s + i, n - i, &cp, &e, &more);
			if (r != 0 && e != NULL) {
				/* Accounts for itself. */
				expand_entity(p, e, ctx, depth + 1, out);
				i += r;
				continue;
			}
			if (p->budget < 8) {
				p->capped = true;
				break;
			}
			start = out->len;
			if (r == 0) {
				buf_puts(out, "&#38;");
				i++;
			} else {
				emit_char(out, cp);
				i += r;
			}
			p->budget -= out->len - start;
			continue;
		}
		if (ctx == CTX_ATTR && (s[i] == '<' || s[i] == '"' ||
		    s[i] == '\'')) {
			if (p->budget < 8) {
				p->capped = true;
				break;
			}
			start = out->len;
			emit_char(out, (unsigned char)s[i]);
			p->budget -= out->len - start;
			i++;
			continue;
		}
		/* A run of plain text, cut (if at all) between characters. */
		for (j = i; j < n && s[j] != '&' && !(ctx == CTX_ATTR &&
		    (s[j] == '<' || s[j] == '"' || s[j] == '\'')); j++)
			;
		k = j - i;
		if (k > p->budget) {
			k = p->budget;
			while (k > 0 && ((unsigned char)s[i + k] & 0xc0) == 0x80)
				k--;
			p->capped = true;
		}
		buf_append(out, s + i, k);
		p->budget -= k;
		i += k;
	}
}

/*
 * A reference to an entity of the DOCTYPE.  Every reference costs budget
 * even when it expands to nothing, so no document can make us work (or
 * allocate) more than PREP_MAX_EXPANSION worth of expansion.
 */
static void
expand_entity(struct prep *p, const struct entity *e, enum ctx ctx,
    int depth, struct buf *out)
{
	if (p->capped || depth > PREP_MAX_ENTITY_DEPTH ||
	    p->budget < PREP_EXPANSION_COST) {
		p->capped = true;
		return;
	}
	p->budget -= PREP_EXPANSION_COST;
	expand_text(p, e->value, strlen(e->value), ctx, depth, out);
}

/*
 * Handles the '&' at s.  Returns the bytes used, 0 if more input is
 * needed to tell.
 */
static size_t
do_ref(struct prep *p, const char *s, size_t n, bool final, enum ctx ctx,
    struct buf *out)
{
	/*
	 * Text before the root goes, but a reference there still costs
	 * its expansion's budget.
	 */
	struct buf *dst = ctx == CTX_TEXT && !p->in_root ? &p->sink : out;
	unsigned long cp;
	struct entity *e;
	bool more;
	size_t r;

	r = parse_ref(p, s, n, &cp, &e, &more);
	if (r == 0) {
		if (more && !final)
			return 0;
		drop(p, s, 1, out);
		buf_puts(dst, "&#38;");		/* a bare '&' */
	} else {
		drop(p, s, r, out);
		if (e != NULL)
			expand_entity(p, e, ctx, 0, dst);
		else
			emit_char(dst, cp);
	}
	buf_clear(&p->sink);
	return r != 0 ? r : 1;
}

/* A '<' that starts no markup: text, or nothing before the root. */
static void
stray_lt(struct prep *p, const char *s, struct buf *out)
{
	drop(p, s, 1, out);
	if (p->in_root)
		buf_puts(out, "&#60;");
	else
		p->junk++;
}

/* Handles the '<' at s in text.  Returns the bytes used, 0: need more. */
static size_t
do_lt(struct prep *p, const char *s, size_t n, bool final, struct buf *out)
{
	static const char comment[] = "<!--", cdata[] = "<![CDATA[",
	    doctype[] = "<!DOCTYPE", xmldecl[] = "<?xml";
	size_t k;

	if (n < 2) {
		if (!final)
			return 0;
		stray_lt(p, s, out);
		return 1;
	}
	if (s[1] == '!') {
		k = n < 9 ? n : 9;
		if (k < 9 && !final && (memcmp(s, cdata, k) == 0 ||
		    strncasecmp(s, doctype, k) == 0 ||
		    (k < 4 && memcmp(s, comment, k) == 0)))
			return 0;
		if (n >= 4 && memcmp(s, comment, 4) == 0) {
			p->st = F_COMMENT;
			return 4;
		}
		if (n >= 9 && memcmp(s, cdata, 9) == 0) {
			p->st = F_CDATA;
			return 9;
		}
		if (n >= 9 && strncasecmp(s, doctype, 9) == 0) {
			drop(p, s, 9, out);
			buf_clear(&p->doctype);
			p->dt_bracket = 0;
			p->dt_quote = 0;
			p->st = F_DOCTYPE;
			return 9;
		}
		stray_lt(p, s, out);
		return 1;
	}
	if (s[1] == '?') {
		if (n < 6 && !final && memcmp(s, xmldecl, n < 5 ? n : 5) == 0)
			return 0;
		if (n >= 6 && memcmp(s, xmldecl, 5) == 0 &&
		    (s[5] == ' ' || s[5] == '\t' || s[5] == '\r' ||
		    s[5] == '\n' || s[5] == '?')) {
			drop(p, s, 5, out);
			p->st = F_XMLDECL;
			return 5;
		}
		if (n < 3 && !final)
			return 0;
		/* No target name: not a PI, and libxml2 would recover oddly. */
		if (n < 3 || !is_name_start((unsigned char)s[2])) {
			stray_lt(p, s, out);
			return 1;
		}
		p->st = F_PI;
		return 2;
	}
	if (s[1] == '/') {
		if (n < 3 && !final)
			return 0;
		if (n >= 3 && is_name_start((unsigned char)s[2])) {
			p->st = F_TAG;
			p->after_eq = false;
			return 2;
		}
		stray_lt(p, s, out);
		return 1;
	}
	if (is_name_start((unsigned char)s[1])) {
		p->st = F_TAG;
		p->after_eq = false;
		p->in_root = true;
		return 1;
	}
	stray_lt(p, s, out);
	return 1;
}

/*
 * Takes (keeps, or drops unless copy) up to and including the terminator
 * term (state ends), or all but a tail that is the start of term.  Returns
 * the bytes used.
 */
static size_t
until(struct prep *p, const char *s, size_t n, bool final, const char *term,
    bool copy, struct buf *out)
{
	size_t tl = strlen(term), k = n, avail;
	const char *e = s, *end = s + n;

	/*
	 * memchr on the first character: ']' is rare in a CDATA section,
	 * where '>' ends every tag of the HTML in it.
	 */
	while ((e = memchr(e, term[0], (size_t)(end - e))) != NULL) {
		avail = (size_t)(end - e);
		if (avail >= tl && memcmp(e, term, tl) == 0) {
			k = (size_t)(e - s) + tl;
			p->st = F_TEXT;
			break;
		}
		if (avail < tl && memcmp(e, term, avail) == 0) {
			if (!final)
				k = (size_t)(e - s);
			break;
		}
		e++;
	}
	if (!copy)
		drop(p, s, k, out);
	return k;
}

/* Records the general entities declared in the DOCTYPE's internal subset. */
static void
doctype_entities(struct prep *p)
{
	const char *s = p->doctype.data, *end, *q, *name;
	size_t nlen, vlen;
	char quote;

	if (s == NULL)
		return;
	end = s + p->doctype.len;
	while ((q = memmem(s, (size_t)(end - s), "<!ENTITY", 8)) != NULL) {
		s = q + 8;
		while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' ||
		    *s == '\n'))
			s++;
		if (s >= end || *s == '%')	/* parameter entity */
			continue;
		name = s;
		while (s < end && *s != ' ' && *s != '\t' && *s != '\r' &&
		    *s != '\n' && *s != '"' && *s != '\'' && *s != '>')
			s++;
		nlen = (size_t)(s - name);
		while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' ||
		    *s == '\n'))
			s++;
		if (nlen == 0 || nlen > PREP_MAX_REF || s >= end ||
		    p->nents >= PREP_MAX_ENTITIES)
			continue;
		if (*s == '"' || *s == '\'') {
			quote = *s++;
			q = memchr(s, quote, (size_t)(end - s));
			if (q == NULL)
				break;
			vlen = (size_t)(q - s);
			if (vlen > PREP_MAX_ENTITY_VALUE)
				vlen = 0;
		} else {
			vlen = 0;	/* SYSTEM/PUBLIC: never loaded */
			q = s;
		}
		{
			char *nm = xstrndup(name, nlen);

			if (find_entity(p, nm) != NULL) {
				free(nm);	/* the first one binds */
			} else {
				p->ents = xreallocarray(p->ents, p->nents + 1,
				    sizeof(*p->ents));
				p->ents[p->nents].name = nm;
				p->ents[p->nents].value = xstrndup(s, vlen);
				p->nents++;
			}
		}
		s = q;
	}
	buf_free(&p->doctype);
}

/*
 * Scans the DOCTYPE for its end; keeps its bytes for doctype_entities, not
 * in the output.
 */
static size_t
do_doctype(struct prep *p, const char *s, size_t n, struct buf *out)
{
	size_t i;
	bool done = false;

	for (i = 0; i < n && !done; i++) {
		char c = s[i];

		if (p->dt_quote != 0) {
			if (c == p->dt_quote)
				p->dt_quote = 0;
		} else if (c == '"' || c == '\'') {
			p->dt_quote = c;
		} else if (c == '[') {
			p->dt_bracket++;
		} else if (c == ']') {
			if (p->dt_bracket > 0)
				p->dt_bracket--;
		} else if (c == '>' && p->dt_bracket == 0) {
			done = true;
		}
	}
	drop(p, s, i, out);
	if (p->doctype.len < PREP_MAX_DOCTYPE)
		buf_append(&p->doctype, s, i);
	if (done) {
		doctype_entities(p);
		p->st = F_TEXT;
	}
	return i;
}

/* The states of filter(). */
static size_t
filter_states(struct prep *p, const char *s, size_t n, bool final,
    struct buf *out)
{
	size_t i = 0, j, r;
	const char *q;

	while (i < n) {
		switch (p->st) {
		case F_PROLOG:
			q = memchr(s + i, '<', n - i);
			j = q != NULL ? (size_t)(q - s) : n;
			drop(p, s + i, j - i, out);
			p->junk += j - i;
			i = j;
			if (q != NULL)
				p->st = F_TEXT;
			break;
		case F_TEXT:
			j = i + mem_span4(s + i, n - i, '<', '&', '<', '&');
			/*
			 * Text before the root is an error libxml2 stops at:
			 * it goes, as the bytes before the first '<' did.
			 */
			if (!p->in_root) {
				drop(p, s + i, j - i, out);
				p->junk += j - i;
			}
			i = j;
			if (i == n)
				break;
			r = s[i] == '&' ? do_ref(p, s + i, n - i, final,
			    CTX_TEXT, out) : do_lt(p, s + i, n - i, final, out);
			if (r == 0)
				return i;
			i += r;
			break;
		case F_TAG:
			j = p->after_eq ? i : i + mem_span4(s + i, n - i,
			    '>', '"', '\'', '=');
			for (; j < n; j++) {
				char c = s[j];

				if (c == '>' || c == '"' || c == '\'' ||
				    c == '=')
					break;
				if (p->after_eq && c != ' ' && c != '\t' &&
				    c != '\r' && c != '\n')
					break;
			}
			i = j;
			if (i == n)
				break;
			if (s[i] == '=') {
				p->after_eq = true;
				i++;
				break;
			}
			if (s[i] == '"' || s[i] == '\'') {
				p->quote = s[i];
				p->st = F_ATTR;
				i++;
			} else if (s[i] == '>') {
				p->st = F_TEXT;
				i++;
			} else {
				/* An unquoted attribute value. */
				p->st = F_ATTR_UQ;
				flush_kept(p, s + i, out);
				buf_putc(out, '"');
			}
			p->after_eq = false;
			break;
		case F_ATTR:
		case F_ATTR_UQ:
			j = p->st == F_ATTR ? i + mem_span4(s + i, n - i,
			    '&', '<', p->quote, p->quote) : i;
			for (; j < n; j++) {
				char c = s[j];

				if (c == '&' || c == '<')
					break;
				if (p->st == F_ATTR && c == p->quote)
					break;
				if (p->st == F_ATTR_UQ && (c == ' ' ||
				    c == '\t' || c == '\r' || c == '\n' ||
				    c == '>' || c == '"' || c == '\''))
					break;
			}
			i = j;
			if (i == n)
				break;
			if (s[i] == '&') {
				r = do_ref(p, s + i, n - i, final, CTX_ATTR,
				    out);
				if (r == 0)
					return i;
				i += r;
			} else if (s[i] == '<' || (p->st == F_ATTR_UQ &&
			    (s[i] == '"' || s[i] == '\''))) {
				drop(p, s + i, 1, out);
				emit_char(out, (unsigned char)s[i]);
				i++;
			} else if (p->st == F_ATTR) {
				p->st = F_TAG;
				i++;
			} else {
				flush_kept(p, s + i, out);
				buf_putc(out, '"');
				p->st = F_TAG;
			}
			break;
		case F_COMMENT:
			r = until(p, s + i, n - i, final, "-->", true, out);
			if (r == 0)
				return i;
			i += r;
			break;
		case F_CDATA:
			r = until(p, s + i, n - i, final, "]]>", true, out);
			if (r == 0)
				return i;
			i += r;
			break;
		case F_PI:
			r = until(p, s + i, n - i, final, "?>", true, out);
			if (r == 0)
				return i;
			i += r;
			break;
		case F_XMLDECL:
			r = until(p, s + i, n - i, final, "?>", false, out);
			if (r == 0)
				return i;
			i += r;
			break;
		case F_DOCTYPE:
			i += do_doctype(p, s + i, n - i, out);
			break;
		}
	}
	return i;
}

/* The markup repair pass over [s, s+n).  Returns the bytes used. */
static size_t
filter(struct prep *p, const char *s, size_t n, bool final, struct buf *out)
{
	size_t used;

	p->kept = s;
	used = filter_states(p, s, n, final, out);
	flush_kept(p, s + used, out);
	return used;
}

/* ---- the pipeline ---- */

struct prep *
prep_new(const char *content_type)
{
	struct prep *p = xcalloc(1, sizeof(*p));

	p->http_charset = content_type_charset(content_type);
	p->cd = (iconv_t)-1;
	p->st = F_PROLOG;
	p->budget = PREP_MAX_EXPANSION;
	return p;
}

void
prep_push(struct prep *p, const char *data, size_t len, bool final,
    struct buf *out)
{
	struct buf head = { 0 };
	size_t used, skip;

	if (!p->decided) {
		const char *h;
		size_t i = 0;

		buf_append(&p->head, data, len);
		h = p->head.data;
		/* Wait for the end of an XML declaration (or enough bytes). */
		if (!final && p->head.len < PREP_HEAD_MAX) {
			if (p->head.len < 6)
				return;
			if (memcmp(h, "\xef\xbb\xbf", 3) == 0)
				i = 3;
			while (i < p->head.len && (h[i] == ' ' ||
			    h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
				i++;
			if (p->head.len - i < 6 || (memcmp(h + i, "<?xml", 5)
			    == 0 && memmem(h, p->head.len, "?>", 2) == NULL))
				return;
		}
		skip = decide_charset(p, (const unsigned char *)h,
		    p->head.len);
		head = p->head;
		memset(&p->head, 0, sizeof(p->head));
		data = head.data + skip;
		len = head.len - skip;
	}
	if (len > 0 && p->utf8 && p->ncarry == 0 && p->utf.len == 0) {
		/*
		 * What needs no cleaning goes to the filter as it is, not
		 * through p->utf: one pass over the bytes fewer.  The rest,
		 * from the first byte that needs cleaning or what the filter
		 * held back, takes the way of the other charsets.
		 */
		size_t k = clean_span(data, len);

		used = filter(p, data, k, final && k == len, out);
		data += used;
		len -= used;
	}
	convert(p, data, len, final);
	buf_free(&head);
	used = filter(p, p->utf.data != NULL ? p->utf.data : "", p->utf.len,
	    final, out);
	if (final) {
		if (p->st == F_ATTR_UQ || p->st == F_ATTR)
			buf_append(out, p->st == F_ATTR ? &p->quote : "\"", 1);
		used = p->utf.len;
	}
	if (used == p->utf.len) {
		buf_clear(&p->utf);
	} else {
		memmove(p->utf.data, p->utf.data + used, p->utf.len - used);
		p->utf.len -= used;
		p->utf.data[p->utf.len] = '\0';
	}
}

bool
prep_is_utf8(const struct prep *p)
{
	return p->utf8;
}

bool
prep_seen_markup(const struct prep *p)
{
	return p->st != F_PROLOG;
}

size_t
prep_junk(const struct prep *p)
{
	return p->junk;
}

void
prep_free(struct prep *p)
{
	size_t i;

	if (p == NULL)
		return;
	if (p->cd != (iconv_t)-1)
		iconv_close(p->cd);
	for (i = 0; i < p->nents; i++) {
		free(p->ents[i].name);
		free(p->ents[i].value);
	}
	free(p->ents);
	buf_free(&p->head);
	buf_free(&p->utf);
	buf_free(&p->doctype);
	buf_free(&p->sink);
	free(p->http_charset);
	free(p);
}
