/*
 * parse_xml: XML feeds through libxml2's SAX2 push parser.  Owns the
 * parser context (recover mode, no network, no DTD, no entity handling:
 * parse_prep has removed all of that), the element stack with namespaces
 * and xml:base, the capture of one element's text at a time (serializing
 * inline markup as HTML when it has any), the conversion of captured text
 * into field values, HTML-like recovery from mismatched end tags, and the
 * limits.  What each element means is parse_rss/parse_atom/parse_mod's.
 *
 * Memory is the element stack (fixed), one text buffer reused for every
 * field, and the items kept: never the document.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "date.h"
#include "html.h"
#include "parse_int.h"
#include "url.h"
#include "util.h"

#define XML_CHUNK	(64u << 10)	/* bytes handed to libxml2 at once */
#define TOKCACHE_SIZE	1024		/* power of two */
#define NSCACHE_SIZE	16

struct capture {
	int		 level;		/* stack index of the element, or -1 */
	enum xsink	 sink;
	bool		 item;
	enum pfield	 field;
	int		 prio;
	enum xtype	 type;
	bool		 base64;
	bool		 markup;	/* text holds serialized markup */
	bool		 strip_div;
	int		 div_level;	/* the stripped <div>, or -1 */
	bool		 truncated;
};

struct xml_parser {
	xmlParserCtxtPtr ctxt;
	struct prep	*prep;
	struct builder	*b;
	const char	*doc_base;	/* borrowed from the opts */
	enum feed_format format;
	enum xns	 root_ns;
	const xmlChar	*root_uri;
	bool		 root_seen;
	bool		 root_closed;
	int		 root_level_end;	/* elements ended at depth 0 */

	struct xelem	 stack[PARSE_MAX_DEPTH];
	int		 depth;
	int		 overflow;	/* elements deeper than the stack */

	struct capture	 cap;
	struct buf	 text;		/* the captured text (reused) */
	struct buf	 in;		/* prep's output (reused) */
	struct xml_scratch scratch;

	char		 pending_end[64];	/* from a tag mismatch */
	bool		 has_pending_end;
	char		*fatal;		/* libxml2's first fatal error */
	int		 fatal_line;
	char		*err;		/* why we stopped, or NULL */

	struct {
		const xmlChar	*key;
		uint16_t	 tok;
	} tokcache[TOKCACHE_SIZE];
	size_t		 tokcache_used;
	struct {
		const xmlChar	*key;
		uint8_t		 ns;
	} nscache[NSCACHE_SIZE];
	unsigned	 nscache_next;
};

/* ---- names ---- */

static const struct {
	const char	*name;
	uint16_t	 tok;
} tok_names[] = {
	/* Sorted by strcmp (upper case first): bsearch. */
	{ "ABSTRACT", XT_ABSTRACT }, { "CHANNEL", XT_CHANNEL },
	{ "ITEM", XT_ITEM }, { "LOGO", XT_LOGO }, { "RDF", XT_RDF },
	{ "TITLE", XT_TITLE },
	{ "abstract", XT_ABSTRACT }, { "author", XT_AUTHOR },
	{ "body", XT_BODY }, { "category", XT_CATEGORY },
	{ "channel", XT_CHANNEL }, { "commentRss", XT_COMMENTRSS },
	{ "comments", XT_COMMENTS }, { "content", XT_CONTENT },
	{ "contributor", XT_CONTRIBUTOR }, { "copyright", XT_COPYRIGHT },
	{ "created", XT_CREATED }, { "creator", XT_CREATOR },
	{ "date", XT_DATE }, { "day", XT_DAY },
	{ "description", XT_DESCRIPTION }, { "div", XT_DIV },
	{ "duration", XT_DURATION }, { "email", XT_EMAIL },
	{ "enclosure", XT_ENCLOSURE }, { "encoded", XT_ENCODED },
	{ "entry", XT_ENTRY }, { "feed", XT_FEED },
	{ "fullitem", XT_FULLITEM }, { "group", XT_GROUP },
	{ "guid", XT_GUID }, { "hour", XT_HOUR }, { "icon", XT_ICON },
	{ "id", XT_ID }, { "image", XT_IMAGE }, { "info", XT_INFO },
	{ "issued", XT_ISSUED }, { "item", XT_ITEM },
	{ "language", XT_LANGUAGE }, { "lastBuildDate", XT_LASTBUILDDATE },
	{ "link", XT_LINK }, { "logo", XT_LOGO },
	{ "managingEditor", XT_MANAGINGEDITOR }, { "modified", XT_MODIFIED },
	{ "name", XT_NAME }, { "origLink", XT_ORIGLINK },
	{ "pubDate", XT_PUBDATE }, { "published", XT_PUBLISHED },
	{ "publisher", XT_PUBLISHER }, { "rights", XT_RIGHTS },
	{ "rss", XT_RSS }, { "skipDays", XT_SKIPDAYS },
	{ "skipHours", XT_SKIPHOURS }, { "source", XT_SOURCE },
	{ "subject", XT_SUBJECT }, { "subtitle", XT_SUBTITLE },
	{ "summary", XT_SUMMARY }, { "tagline", XT_TAGLINE },
	{ "textInput", XT_TEXTINPUT }, { "textinput", XT_TEXTINPUT },
	{ "thumbnail", XT_THUMBNAIL }, { "title", XT_TITLE },
	{ "ttl", XT_TTL }, { "updateFrequency", XT_UPDATEFREQUENCY },
	{ "updatePeriod", XT_UPDATEPERIOD }, { "updated", XT_UPDATED },
	{ "uri", XT_URI }, { "url", XT_URL }, { "webMaster", XT_WEBMASTER },
};

static int
tok_cmp(const void *key, const void *elem)
{
	const char *name = *(const char *const *)elem;

	return strcmp(key, name);
}

/*
 * The token of a local name.  Names come from libxml2's dictionary, so a
 * name is always the same pointer: a small pointer-keyed cache saves the
 * string search for every element but the first of each name.
 */
static uint16_t
tok_of(struct xml_parser *xp, const xmlChar *name)
{
	uintptr_t h = ((uintptr_t)name >> 3) * 2654435761u;
	size_t i = h & (TOKCACHE_SIZE - 1), n;
	const void *found;
	uint16_t tok;

	for (n = 0; n < TOKCACHE_SIZE / 2; n++) {
		if (xp->tokcache[i].key == name)
			return xp->tokcache[i].tok;
		if (xp->tokcache[i].key == NULL)
			break;
		i = (i + 1) & (TOKCACHE_SIZE - 1);
	}
	found = bsearch(name, tok_names, ARRAY_SIZE(tok_names),
	    sizeof(tok_names[0]), tok_cmp);
	tok = found != NULL ? ((const __typeof__(tok_names[0]) *)found)->tok :
	    XT_OTHER;
	/* Keep the table at most half full; past that, just search. */
	if (xp->tokcache[i].key == NULL &&
	    xp->tokcache_used < TOKCACHE_SIZE / 2) {
		xp->tokcache[i].key = name;
		xp->tokcache[i].tok = tok;
		xp->tokcache_used++;
	}
	return tok;
}

static enum xns
ns_from_uri(const char *u)
{
	static const struct {
		const char	*uri;
		uint8_t		 ns;
		bool		 prefix;	/* uri is a prefix */
	} uris[] = {
		{ "http://www.w3.org/2005/Atom", XNS_ATOM10, false },
		{ "http://purl.org/atom/ns#draft", XNS_ATOM10, true },
		{ "http://purl.org/atom/ns#", XNS_ATOM03, false },
		{ "http://purl.org/echo/", XNS_ATOM03, false },
		{ "http://purl.org/rss/1.0/modules/content/", XNS_CONTENT,
		    false },
		{ "http://purl.org/rss/1.0/modules/syndication/", XNS_SY,
		    false },
		{ "http://purl.org/rss/1.0/modules/slash/", XNS_SLASH, false },
		{ "http://purl.org/rss/1.0/", XNS_RSS10, false },
		{ "http://my.netscape.com/rdf/simple/0.9/", XNS_RSS090,
		    false },
		{ "http://backend.userland.com/rss", XNS_RSSUL, true },
		{ "http://www.w3.org/1999/02/22-rdf-syntax-ns#", XNS_RDF,
		    false },
		{ "http://purl.org/dc/elements/1.", XNS_DC, true },
		{ "http://purl.org/dc/terms/", XNS_DCTERMS, false },
		{ "http://www.itunes.com/dtds/podcast-1.0.dtd", XNS_ITUNES,
		    false },
		{ "http://search.yahoo.com/mrss", XNS_MEDIA, true },
		{ "http://www.w3.org/1999/xhtml", XNS_XHTML, false },
		{ "http://wellformedweb.org/CommentAPI/", XNS_WFW, false },
		{ "http://rssnamespace.org/feedburner/ext/1.0", XNS_FEEDBURNER,
		    false },
		{ "http://www.w3.org/XML/1998/namespace", XNS_XML, false },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(uris); i++) {
		if (uris[i].prefix ? strncmp(u, uris[i].uri,
		    strlen(uris[i].uri)) == 0 : strcasecmp(u, uris[i].uri) == 0)
			return uris[i].ns;
	}
	return XNS_OTHER;
}

/* Prefixes publishers use without declaring them. */
static enum xns
ns_from_prefix(const char *p)
{
	static const struct {
		const char	*prefix;
		uint8_t		 ns;
	} prefixes[] = {
		{ "dc", XNS_DC }, { "dcterms", XNS_DCTERMS },
		{ "content", XNS_CONTENT }, { "sy", XNS_SY },
		{ "itunes", XNS_ITUNES }, { "media", XNS_MEDIA },
		{ "atom", XNS_ATOM10 }, { "xhtml", XNS_XHTML },
		{ "slash", XNS_SLASH }, { "wfw", XNS_WFW },
		{ "feedburner", XNS_FEEDBURNER }, { "rdf", XNS_RDF },
		{ "xml", XNS_XML },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (strcmp(p, prefixes[i].prefix) == 0)
			return prefixes[i].ns;
	return XNS_OTHER;
}

static enum xns
ns_of(struct xml_parser *xp, const xmlChar *uri, const xmlChar *prefix)
{
	unsigned i;
	enum xns ns;

	if (uri == NULL)
		return prefix == NULL ? XNS_NONE :
		    ns_from_prefix((const char *)prefix);
	for (i = 0; i < NSCACHE_SIZE; i++)
		if (xp->nscache[i].key == uri)
			return xp->nscache[i].ns;
	ns = ns_from_uri((const char *)uri);
	xp->nscache[xp->nscache_next].key = uri;
	xp->nscache[xp->nscache_next].ns = (uint8_t)ns;
	xp->nscache_next = (xp->nscache_next + 1) % NSCACHE_SIZE;
	return ns;
}

/* ---- what the handlers may use ---- */

struct builder *
xml_builder(struct xml_parser *xp)
{
	return xp->b;
}

enum feed_format
xml_format(const struct xml_parser *xp)
{
	return xp->format;
}

void
xml_set_format(struct xml_parser *xp, enum feed_format f)
{
	xp->format = f;
}

bool
xml_is_native(const struct xml_parser *xp, const struct xelem *el)
{
	switch (el->ns) {
	case XNS_NONE:
		return xp->root_ns == XNS_NONE || (xp->format !=
		    FEED_FORMAT_ATOM10 && xp->format != FEED_FORMAT_ATOM03);
	case XNS_RSS090:
	case XNS_RSS10:
	case XNS_RSSUL:
		return xp->format != FEED_FORMAT_ATOM10 &&
		    xp->format != FEED_FORMAT_ATOM03;
	case XNS_ATOM10:
	case XNS_ATOM03:
		return xp->format == FEED_FORMAT_ATOM10 ||
		    xp->format == FEED_FORMAT_ATOM03;
	case XNS_OTHER:
		/* The root's own namespace, whatever it is ("Echo"...). */
		return xp->root_ns == XNS_OTHER && el->uri != NULL &&
		    xp->root_uri != NULL && strcmp((const char *)el->uri,
		    (const char *)xp->root_uri) == 0;
	default:
		return false;
	}
}

struct xml_scratch *
xml_scratch(struct xml_parser *xp)
{
	return &xp->scratch;
}

void
xml_scratch_clear(struct xml_scratch *s)
{
	free(s->name);
	free(s->email);
	free(s->uri);
	free(s->m_url);
	free(s->m_type);
	free(s->m_medium);
	memset(s, 0, sizeof(*s));
	s->m_length = -1;
}

char *
xml_attr(struct xml_parser *xp, const struct xstart *xs, enum xns ns,
    const char *name)
{
	const struct xattr *a;
	int i;

	for (i = 0; i < xs->nattrs; i++) {
		a = &xs->attrs[i];
		if (strcmp((const char *)a->local, name) != 0)
			continue;
		if (ns == XNS_NONE ? a->uri != NULL && a->prefix != NULL :
		    ns_of(xp, a->uri, a->prefix) != ns)
			continue;
		return xstrndup((const char *)a->value,
		    (size_t)(a->end - a->value));
	}
	return NULL;
}

char *
xml_resolve(struct xml_parser *xp, const struct xelem *el, const char *ref)
{
	char *r;

	if (ref == NULL)
		return NULL;
	if ((r = url_resolve(el->base, ref)) != NULL)
		return r;
	/* Relative with nothing to resolve against: keep it as written. */
	{
		struct buf b = { 0 };

		buf_puts(&b, ref);
		text_collapse(&b);
		if (b.len == 0) {
			buf_free(&b);
			return NULL;
		}
		return buf_take(&b);
	}
}

char *
xml_attr_url(struct xml_parser *xp, const struct xstart *xs, enum xns ns,
    const char *name)
{
	char *v = xml_attr(xp, xs, ns, name), *r;

	if (v == NULL)
		return NULL;
	r = xml_resolve(xp, xs->el, v);
	free(v);
	return r;
}

void
xml_capture(struct xml_parser *xp, enum xsink sink, bool item,
    enum pfield field, int prio, enum xtype type)
{
	struct capture *c = &xp->cap;

	c->level = xp->depth - 1;
	c->sink = sink;
	c->item = item;
	c->field = field;
	c->prio = prio;
	c->type = type;
	c->base64 = false;
	c->markup = type == XTY_XHTML;
	c->strip_div = false;
	c->div_level = -1;
	c->truncated = false;
	buf_clear(&xp->text);
}

void
xml_capture_strip_div(struct xml_parser *xp)
{
	xp->cap.strip_div = true;
}

void
xml_capture_base64(struct xml_parser *xp)
{
	xp->cap.base64 = true;
}

/* ---- capture ---- */

static void
cap_append(struct xml_parser *xp, const char *s, size_t n, bool escape)
{
	if (xp->text.len + n > PARSE_MAX_TEXT) {
		xp->cap.truncated = true;
		return;
	}
	if (escape)
		html_escape(&xp->text, s, n, false);
	else
		buf_append(&xp->text, s, n);
}

/* A child element inside a captured one: serialized as HTML. */
static void
cap_child_start(struct xml_parser *xp, const struct xelem *el,
    const struct xattr *attrs, int nattrs)
{
	struct capture *c = &xp->cap;
	const char *name = (const char *)el->name;
	int i;

	if (!c->markup) {
		/* Text so far was plain: from now on it is markup. */
		if (c->type == XTY_TEXT || c->type == XTY_GUESS) {
			struct buf esc = { 0 };

			html_escape(&esc, xp->text.data ? xp->text.data : "",
			    xp->text.len, false);
			buf_free(&xp->text);
			xp->text = esc;
		}
		c->markup = true;
		c->type = XTY_XHTML;
	}
	if (c->strip_div && c->div_level < 0 && xp->depth - 1 ==
	    c->level + 1 && el->tok == XT_DIV && el->ns == XNS_XHTML) {
		c->div_level = xp->depth - 1;
		c->strip_div = false;
		return;
	}
	c->strip_div = false;
	if (xp->text.len > PARSE_MAX_TEXT) {
		c->truncated = true;
		return;
	}
	buf_putc(&xp->text, '<');
	buf_puts(&xp->text, name);
	for (i = 0; i < nattrs; i++) {
		const struct xattr *a = &attrs[i];
		size_t vlen = (size_t)(a->end - a->value);

		if (a->uri != NULL && ns_of(xp, a->uri, a->prefix) == XNS_XML)
			continue;	/* xml:base, xml:lang */
		buf_putc(&xp->text, ' ');
		if (a->prefix != NULL) {
			buf_puts(&xp->text, (const char *)a->prefix);
			buf_putc(&xp->text, ':');
		}
		buf_puts(&xp->text, (const char *)a->local);
		buf_puts(&xp->text, "=\"");
		if (a->prefix == NULL &&
		    text_is_url_attr((const char *)a->local)) {
			char *v = xstrndup((const char *)a->value, vlen);
			char *r = url_resolve(el->base, v);

			if (r != NULL)
				html_escape(&xp->text, r, strlen(r), true);
			else
				html_escape(&xp->text, v, strlen(v), true);
			free(r);
			free(v);
		} else
			html_escape(&xp->text, (const char *)a->value, vlen,
			    true);
		buf_putc(&xp->text, '"');
	}
	buf_puts(&xp->text, html_is_void(name) ? " />" : ">");
}

static void
cap_child_end(struct xml_parser *xp, const struct xelem *el, int level)
{
	const char *name = (const char *)el->name;

	if (level == xp->cap.div_level || html_is_void(name) ||
	    xp->text.len > PARSE_MAX_TEXT)
		return;
	buf_puts(&xp->text, "</");
	buf_puts(&xp->text, name);
	buf_putc(&xp->text, '>');
}

static void
trim(struct buf *b)
{
	size_t i = 0, n = b->len;

	if (b->data == NULL)
		return;
	while (i < n && (b->data[i] == ' ' || b->data[i] == '\t' ||
	    b->data[i] == '\r' || b->data[i] == '\n'))
		i++;
	while (n > i && (b->data[n - 1] == ' ' || b->data[n - 1] == '\t' ||
	    b->data[n - 1] == '\r' || b->data[n - 1] == '\n'))
		n--;
	if (i > 0)
		memmove(b->data, b->data + i, n - i);
	b->len = n - i;
	b->data[b->len] = '\0';
}

/* The captured text as the sink wants it (plain, HTML, URL ...). */
static char *
cap_value(struct xml_parser *xp, const struct xelem *el)
{
	struct capture *c = &xp->cap;
	struct buf *t = &xp->text;
	char *r;

	if (t->data == NULL)
		buf_puts(t, "");
	switch (c->sink) {
	case XS_TITLE:
		if (c->markup || c->type == XTY_HTML || (c->type == XTY_GUESS &&
		    text_looks_like_html(t->data, t->len)))
			return text_from_html(t->data, t->len);
		text_collapse(t);
		return xstrdup(t->data);
	case XS_HTML:
	case XS_RSS_DESCRIPTION:
		trim(t);
		if (!c->markup && (c->type == XTY_TEXT ||
		    (c->type == XTY_GUESS && !text_looks_like_html(t->data,
		    t->len)))) {
			struct buf esc = { 0 };

			html_escape(&esc, t->data, t->len, false);
			return buf_take(&esc);
		}
		if (c->markup)
			return xstrdup(t->data);
		text_html_fix_decls(t);
		if ((r = text_html_resolve(t->data, t->len, el->base)) != NULL)
			return r;
		return xstrdup(t->data);
	case XS_URL:
		if (c->markup)
			return NULL;
		return xml_resolve(xp, el, t->data);
	case XS_ID:
	case XS_GUID_PERMALINK:
		trim(t);
		return xstrdup(t->data);
	default:
		if (c->markup) {
			r = text_from_html(t->data, t->len);
			buf_clear(t);
			buf_puts(t, r);
			free(r);
		}
		text_collapse(t);
		return xstrdup(t->data);
	}
}

static int
parse_small_int(const char *s)
{
	long v;
	char *end;

	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < 0 || v > 1000000)
		return -1;
	return (int)v;
}

static void
cap_finish(struct xml_parser *xp)
{
	struct capture *c = &xp->cap;
	const struct xelem *el = &xp->stack[c->level];
	struct builder *b = xp->b;
	struct feed_hints *h = &b->feed->hints;
	struct xml_scratch *sc = &xp->scratch;
	char *v;
	int n;

	c->level = -1;
	if (c->base64 && !c->markup && xp->text.len > 0 &&
	    text_base64_decode(&xp->text)) {
		/* Decoded bytes are untrusted again. */
		struct buf clean = { 0 };

		utf8_append_clean(&clean, xp->text.data, xp->text.len);
		buf_free(&xp->text);
		xp->text = clean;
	}
	/*
	 * No check that the text is well-formed UTF-8: libxml2 reads only
	 * what parse_prep cleaned, and hands it over in whole characters
	 * (its character data and CDATA callbacks stop before a sequence a
	 * chunk boundary cut), and cap_append() drops whole callbacks at
	 * PARSE_MAX_TEXT, never part of one.
	 */
	text_fix_encoding(&xp->text, prep_is_utf8(xp->prep));
	v = cap_value(xp, el);
	if (v == NULL)
		return;
	switch (c->sink) {
	case XS_TITLE:
	case XS_HTML:
	case XS_URL:
	case XS_ID:
	case XS_STR:
		builder_set(b, c->item, c->field, c->prio, v);
		return;
	case XS_GUID_PERMALINK:
		/*
		 * A permalink guid is the link when there is no <link> (the
		 * URL check, a full parse, only when the link would be taken).
		 */
		if (!builder_has(b, true, PF_LINK, 2) && url_is_http(v))
			builder_set(b, true, PF_LINK, 1, xstrdup(v));
		builder_set(b, true, PF_ID, c->prio, v);
		return;
	case XS_RSS_DESCRIPTION:
		/* After an RSS <summary>, <description> is the content. */
		if (c->item && builder_has(b, true, PF_SUMMARY, 3))
			builder_set(b, true, PF_CONTENT, 1, v);
		else
			builder_set(b, c->item, PF_SUMMARY, c->prio, v);
		return;
	case XS_DATE:
		builder_set_date(b, c->item, c->field, c->prio, date_parse(v));
		break;
	case XS_CATEGORY:
		builder_add_category(b, v);
		return;
	case XS_PERSON_NAME:
		str_take(&sc->name, v);
		return;
	case XS_PERSON_EMAIL:
		str_take(&sc->email, v);
		return;
	case XS_PERSON_URI:
		str_take(&sc->uri, v);
		return;
	case XS_TTL:
		if ((n = parse_small_int(v)) >= 0)
			h->ttl_minutes = n;
		break;
	case XS_SY_PERIOD:
		n = strcasecmp(v, "hourly") == 0 ? 3600 :
		    strcasecmp(v, "daily") == 0 ? 86400 :
		    strcasecmp(v, "weekly") == 0 ? 7 * 86400 :
		    strcasecmp(v, "monthly") == 0 ? 30 * 86400 :
		    strcasecmp(v, "yearly") == 0 ? 365 * 86400 : -1;
		if (n > 0)
			h->sy_period_seconds = n;
		break;
	case XS_SY_FREQUENCY:
		if ((n = parse_small_int(v)) > 0)
			h->sy_frequency = n;
		break;
	case XS_SKIP_HOUR:
		/* 0-23; some write 24 for midnight. */
		if ((n = parse_small_int(v)) >= 0 && n <= 24)
			h->skip_hours |= UINT32_C(1) << (n % 24);
		break;
	case XS_SKIP_DAY: {
		static const char *const days[] = { "sunday", "monday",
		    "tuesday", "wednesday", "thursday", "friday", "saturday" };
		int d;

		for (d = 0; d < 7; d++)
			if (strcasecmp(v, days[d]) == 0)
				h->skip_days |= (uint8_t)(1u << d);
		break;
	}
	case XS_DURATION:
		if (b->item != NULL)
			b->item->duration = text_duration(v);
		break;
	}
	free(v);
}

/* ---- SAX callbacks ---- */

static void
pop_element(struct xml_parser *xp)
{
	struct xelem *el = &xp->stack[xp->depth - 1];
	int level = xp->depth - 1;

	if (xp->cap.level >= 0) {
		if (level == xp->cap.level)
			cap_finish(xp);
		else if (level > xp->cap.level)
			cap_child_end(xp, el, level);
	}
	switch (el->role) {
	case XR_ITEM:
		builder_item_end(xp->b);
		break;
	case XR_PERSON:
		atom_person_end(xp);
		break;
	case XR_MEDIA_CONTENT:
		mod_media_end(xp);
		break;
	default:
		break;
	}
	if (el->own_base)
		free((char *)el->base);
	el->own_base = false;
	el->base = NULL;
	xp->depth--;
	if (xp->depth == 0)
		xp->root_closed = true;
}

static void
not_a_feed(struct xml_parser *xp, const char *why)
{
	if (xp->err == NULL)
		xp->err = xstrdup(why);
	xmlStopParser(xp->ctxt);
}

static void
sax_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
    int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	struct xml_parser *xp = ctx;
	const struct xattr *attrs = (const struct xattr *)attributes;
	struct xelem *el, *parent;
	struct xstart xs;
	enum xrole role = XR_NONE;
	int i;

	if (xp->err != NULL)
		return;
	if (xp->depth >= PARSE_MAX_DEPTH) {
		/* Ignored, but libxml2 keeps ~40 bytes per level: stop. */
		if (++xp->overflow > PARSE_MAX_NESTING - PARSE_MAX_DEPTH) {
			char *why = xasprintf("elements nested deeper than %d "
			    "levels", PARSE_MAX_NESTING);

			not_a_feed(xp, why);
			free(why);
		}
		return;
	}
	if (xp->root_closed)
		return;		/* a second root: ignored */
	parent = xp->depth > 0 ? &xp->stack[xp->depth - 1] : NULL;
	el = &xp->stack[xp->depth++];
	el->name = localname;
	el->uri = uri;
	el->ns = (uint8_t)ns_of(xp, uri, prefix);
	el->tok = tok_of(xp, localname);
	el->role = XR_NONE;
	el->own_base = false;
	el->base = parent != NULL ? parent->base : xp->doc_base;
	for (i = 0; i < nb_attributes; i++) {
		const struct xattr *a = &attrs[i];

		if (a->prefix != NULL && strcmp((const char *)a->local,
		    "base") == 0 && ns_of(xp, a->uri, a->prefix) == XNS_XML) {
			char *v = xstrndup((const char *)a->value,
			    (size_t)(a->end - a->value));
			char *r = url_resolve(el->base, v);

			free(v);
			if (r != NULL) {
				/* Two of them ("xml:base" and "x:base"...)? */
				if (el->own_base)
					free((char *)el->base);
				el->base = r;
				el->own_base = true;
			}
		}
	}

	if (xp->cap.level >= 0) {
		el->role = XR_CAPTURED;
		cap_child_start(xp, el, attrs, nb_attributes);
		return;
	}
	xs.parent = parent;
	xs.el = el;
	xs.nattrs = nb_attributes;
	xs.attrs = attrs;
	if (parent == NULL) {
		xp->root_seen = true;
		xp->root_ns = el->ns;
		xp->root_uri = uri;
		switch (el->tok) {
		case XT_RSS:
		case XT_RDF:
		case XT_CHANNEL:
			role = rss_start(xp, &xs);
			break;
		case XT_FEED:
			role = atom_start(xp, &xs);
			break;
		default:
			break;
		}
		if (role == XR_NONE) {
			char *why = xasprintf("not a feed (root element <%.40s>)",
			    (const char *)localname);

			not_a_feed(xp, why);
			free(why);
			return;
		}
	} else if (parent->role != XR_NONE && parent->role != XR_CAPTURED) {
		if (xp->format == FEED_FORMAT_ATOM10 ||
		    xp->format == FEED_FORMAT_ATOM03)
			role = atom_start(xp, &xs);
		else
			role = rss_start(xp, &xs);
	}
	if (xp->cap.level == xp->depth - 1)
		role = XR_CAPTURED;
	el->role = (uint8_t)role;
}

static void
sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct xml_parser *xp = ctx;
	int k;

	if (xp->overflow > 0) {
		xp->overflow--;
		xp->has_pending_end = false;
		return;
	}
	if (xp->depth == 0)
		return;
	/*
	 * libxml2 ends the element it has open even when the end tag names
	 * another (it told us in the mismatch error just before): end the
	 * one the tag names, closing what is open inside it, as HTML does;
	 * ignore an end tag that closes nothing.
	 */
	if (xp->has_pending_end) {
		xp->has_pending_end = false;
		for (k = xp->depth - 1; k >= 0; k--)
			if (strcmp((const char *)xp->stack[k].name,
			    xp->pending_end) == 0)
				break;
	} else {
		for (k = xp->depth - 1; k >= 0; k--)
			if (xp->stack[k].name == localname)
				break;
	}
	if (k < 0)
		return;
	while (xp->depth > k)
		pop_element(xp);
}

static void
sax_characters(void *ctx, const xmlChar *s, int len)
{
	struct xml_parser *xp = ctx;

	if (xp->cap.level < 0 || len <= 0)
		return;
	cap_append(xp, (const char *)s, (size_t)len, xp->cap.markup);
}

static void
sax_error(void *ctx, xmlErrorPtr e)
{
	struct xml_parser *xp = ctx;

	if (e == NULL)
		return;
	if (e->code == XML_ERR_TAG_NAME_MISMATCH && e->str2 != NULL) {
		snprintf(xp->pending_end, sizeof(xp->pending_end), "%s",
		    e->str2);
		xp->has_pending_end = true;
		return;
	}
	if (e->level == XML_ERR_FATAL && xp->fatal == NULL &&
	    e->message != NULL) {
		size_t n = strcspn(e->message, "\n");

		xp->fatal = xstrndup(e->message, n);
		xp->fatal_line = e->line;
	}
}

/* ---- the parser ---- */

struct xml_parser *
xml_parser_new(const struct parse_opts *opts, struct builder *b)
{
	/* Only what we use: no entity, DTD or DOM callbacks at all. */
	static const xmlSAXHandler sax = {
		.startElementNs = sax_start,
		.endElementNs = sax_end,
		.characters = sax_characters,
		.cdataBlock = sax_characters,
		.serror = sax_error,
		.initialized = XML_SAX2_MAGIC,
	};
	struct xml_parser *xp = xcalloc(1, sizeof(*xp));

	xp->b = b;
	xp->doc_base = opts->base_url;
	xp->prep = prep_new(opts->content_type);
	xp->cap.level = -1;
	xp->scratch.m_length = -1;
	xp->ctxt = xmlCreatePushParserCtxt((xmlSAXHandlerPtr)&sax, xp, NULL,
	    0, NULL);
	if (xp->ctxt == NULL)
		abort();	/* libxml2 could not allocate */
	/*
	 * XML_PARSE_NOENT only makes libxml2 put '&' for &#38; in attribute
	 * values instead of keeping the reference: no entity declaration
	 * ever reaches it (parse_prep drops the DOCTYPE).
	 */
	xmlCtxtUseOptions(xp->ctxt, XML_PARSE_RECOVER | XML_PARSE_NONET |
	    XML_PARSE_NOENT |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC);
	/* parse_prep hands over UTF-8 whatever the document said. */
	xmlSwitchEncoding(xp->ctxt, XML_CHAR_ENCODING_UTF8);
	return xp;
}

void
xml_parser_free(struct xml_parser *xp)
{
	if (xp == NULL)
		return;
	while (xp->depth > 0) {
		struct xelem *el = &xp->stack[--xp->depth];

		if (el->own_base)
			free((char *)el->base);
	}
	if (xp->ctxt != NULL) {
		/*
		 * libxml2 makes a document to hold entity declarations it
		 * met (none should reach it; they are never expanded: there
		 * is no getEntity callback).  SAX users free it.
		 */
		if (xp->ctxt->myDoc != NULL)
			xmlFreeDoc(xp->ctxt->myDoc);
		xmlFreeParserCtxt(xp->ctxt);
	}
	prep_free(xp->prep);
	xml_scratch_clear(&xp->scratch);
	buf_free(&xp->text);
	buf_free(&xp->in);
	free(xp->fatal);
	free(xp->err);
	free(xp);
}

enum feed_format
xml_parser_format(const struct xml_parser *xp)
{
	return xp->format;
}

static bool
halted(const struct xml_parser *xp)
{
	return xp->ctxt->instate == XML_PARSER_EOF;
}

/* Why the document could not be read as a feed, for the caller. */
static char *
failure(struct xml_parser *xp, bool halted_early)
{
	if (xp->err != NULL)
		return xstrdup(xp->err);
	if (!xp->root_seen) {
		if (!prep_seen_markup(xp->prep))
			return xstrdup("not XML (no markup)");
		if (xp->fatal != NULL)
			return xasprintf("not XML (line %d: %s)",
			    xp->fatal_line, xp->fatal);
		return xstrdup("not a feed (no root element)");
	}
	if (halted_early && xp->fatal != NULL)
		return xasprintf("line %d: %s", xp->fatal_line, xp->fatal);
	if (xp->depth > 0)
		return xasprintf("truncated document (ends inside <%.40s>)",
		    (const char *)xp->stack[xp->depth - 1].name);
	return xstrdup("truncated document");
}

int
xml_parser_push(struct xml_parser *xp, const char *data, size_t len,
    bool final, char **ret_err)
{
	size_t off;
	bool halted_early = false;

	if (xp->err != NULL)
		goto fail;
	buf_clear(&xp->in);
	prep_push(xp->prep, data, len, final, &xp->in);
	if (!xp->root_seen && prep_junk(xp->prep) > (64u << 10)) {
		xp->err = xstrdup("not XML (no markup in the first 64 KiB)");
		goto fail;
	}
	for (off = 0; off < xp->in.len && !halted(xp); ) {
		size_t n = xp->in.len - off;

		if (n > XML_CHUNK)
			n = XML_CHUNK;
		xmlParseChunk(xp->ctxt, xp->in.data + off, (int)n, 0);
		off += n;
		if (xp->err != NULL)
			goto fail;
	}
	if (halted(xp) && !xp->root_seen)
		goto fail;
	if (!final)
		return 0;
	halted_early = halted(xp);
	if (!halted_early)
		xmlParseChunk(xp->ctxt, NULL, 0, 1);
	if (xp->err != NULL || !xp->root_seen)
		goto fail;
	/*
	 * The end.  A root element left open is forgiven (feeds that end in
	 * "</rss" are common); an item or a channel left open means the
	 * document was cut short, or libxml2 gave up on it.
	 */
	if (xp->depth > 1)
		goto fail;
	while (xp->depth > 0)
		pop_element(xp);
	return 0;
fail:
	if (ret_err != NULL)
		*ret_err = failure(xp, final ? halted_early : halted(xp));
	return -1;
}
