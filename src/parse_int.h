/*
 * parse_int: what the parser's files share; not a contract for the rest
 * of feedd (that is parse.h).
 *
 *   parse.c       entry points, format sniffing, the feed builder, keys
 *   parse_prep.c  bytes to clean UTF-8 XML: charset, entities, bare '&'
 *   parse_xml.c   libxml2 SAX2 push parsing: element stack, namespaces,
 *                 xml:base, text capture, limits
 *   parse_rss.c   RSS 0.9x/1.0/2.0 and CDF elements
 *   parse_atom.c  Atom 0.3/1.0 elements
 *   parse_mod.c   namespaced modules shared by both (dc, dcterms,
 *                 content, iTunes, Media RSS, sy, xhtml, ...)
 *   parse_text.c  text constructs: plain text, HTML, base64, URLs in HTML
 *   parse_json.c  JSON Feed 1.0/1.1
 */
#ifndef FEEDD_PARSE_INT_H
#define FEEDD_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"
#include "util.h"

/* Limits on what one document can make us keep or do. */
#define PARSE_MAX_TEXT		(4u << 20)	/* bytes of one field */
#define PARSE_MAX_DEPTH		128	/* element nesting tracked */
#define PARSE_MAX_NESTING	4096	/* deeper is an error (libxml2's
					   push parser has no limit) */
#define PARSE_MAX_ENCLOSURES	64	/* per item */
#define PARSE_MAX_CATEGORIES	128	/* per item */
#define PARSE_MAX_JSON		(32u << 20)	/* JSON Feed document size */

#if defined(__GNUC__)
/* Sixteen bytes as signed chars: 0x80-0xff compare below 0x20 too. */
typedef int8_t v16 __attribute__((vector_size(16)));

static inline bool
v16_any(v16 m)
{
	uint64_t w[2];

	memcpy(w, &m, sizeof(w));
	return (w[0] | w[1]) != 0;
}
#endif

/* ---- the feed builder (parse.c) ---- */

/*
 * Fields several elements can fill.  Each remembers the priority of the
 * element that set it: a value replaces another of the same or lower
 * priority, so "last wins" among equals and e.g. <link> beats a permalink
 * <guid> whatever their order.
 */
enum pfield {
	PF_TITLE,
	PF_LINK,
	PF_AUTHOR,
	PF_SUMMARY,	/* feed: description */
	PF_CONTENT,
	PF_ID,
	PF_COMMENTS,
	PF_IMAGE,
	PF_LANGUAGE,
	PF_PUBLISHED,
	PF_UPDATED,
	PF_COUNT
};

struct builder {
	struct feed	*feed;		/* owned until builder_finish */
	size_t		 items_cap;
	size_t		 max_items;
	struct item	*item;		/* the open item, or NULL */
	bool		 dropping;	/* the open item is over the limit */
	uint8_t		 feed_prio[PF_COUNT];
	uint8_t		 item_prio[PF_COUNT];
	int64_t		 feed_published;	/* fallback for feed->updated */
	/* parse_opts.item_cb: items handed over as they end, not kept. */
	void		(*item_cb)(struct item *, void *);
	void		*item_arg;
	size_t		 n_handed;
};

void	 builder_init(struct builder *, size_t max_items);
void	 builder_clear(struct builder *);
void	 builder_item_begin(struct builder *);
void	 builder_item_end(struct builder *);
/* True if the field (of the open item when item is true) has prio >= p. */
bool	 builder_has(struct builder *, bool item, enum pfield, int p);
/* Sets a string field; takes value (may be NULL: nothing happens). */
void	 builder_set(struct builder *, bool item, enum pfield, int prio,
	    char *value);
void	 builder_set_date(struct builder *, bool item, enum pfield, int prio,
	    int64_t);
/* Takes the strings. */
void	 builder_add_category(struct builder *, char *);
void	 builder_add_enclosure(struct builder *, char *url, char *type,
	    int64_t length);
/* The finished feed (keys computed, fallbacks applied); builder emptied. */
struct feed *builder_finish(struct builder *);

/* Frees the strings of one item (not the item itself). */
void	 item_clear(struct item *);

/* ---- bytes to clean UTF-8 XML (parse_prep.c) ---- */

struct prep;
struct prep *prep_new(const char *content_type);
/*
 * Appends to out the cleaned, UTF-8 form of the next bytes of the
 * document; at the end, call with final set (data may be empty) to flush
 * what was held back.
 */
void	 prep_push(struct prep *, const char *data, size_t len, bool final,
	    struct buf *out);
/* True if the document's own bytes were read as UTF-8. */
bool	 prep_is_utf8(const struct prep *);
/* True once a '<' was seen. */
bool	 prep_seen_markup(const struct prep *);
/* Bytes dropped before the first '<' (not XML if many). */
size_t	 prep_junk(const struct prep *);
void	 prep_free(struct prep *);

/* ---- XML (parse_xml.c, with parse_rss.c, parse_atom.c, parse_mod.c) ---- */

#include <libxml/parser.h>

/* Namespaces the parser tells apart. */
enum xns {
	XNS_NONE,		/* no namespace */
	XNS_OTHER,		/* one we do not know */
	XNS_RSS090,
	XNS_RSS10,
	XNS_RSSUL,		/* Userland's RSS 0.9x/2.0 namespaces */
	XNS_RDF,
	XNS_ATOM10,
	XNS_ATOM03,		/* also the pre-Atom "Echo" namespace */
	XNS_DC,
	XNS_DCTERMS,
	XNS_CONTENT,
	XNS_SY,
	XNS_ITUNES,
	XNS_MEDIA,
	XNS_XHTML,
	XNS_SLASH,
	XNS_WFW,
	XNS_FEEDBURNER,
	XNS_XML,		/* xml:base, xml:lang */
};

/* Local names the parser knows (XT_OTHER for all others). */
enum xtok {
	XT_OTHER,
	XT_ABSTRACT, XT_AUTHOR, XT_BODY, XT_CATEGORY, XT_CHANNEL,
	XT_COMMENTRSS, XT_COMMENTS, XT_CONTENT, XT_CONTRIBUTOR, XT_COPYRIGHT,
	XT_CREATED, XT_CREATOR, XT_DATE, XT_DAY, XT_DESCRIPTION, XT_DIV,
	XT_DURATION, XT_EMAIL, XT_ENCLOSURE, XT_ENCODED, XT_ENTRY, XT_FEED,
	XT_FULLITEM, XT_GROUP, XT_GUID, XT_HOUR, XT_ICON, XT_ID, XT_IMAGE,
	XT_INFO, XT_ISSUED, XT_ITEM, XT_LANGUAGE, XT_LASTBUILDDATE, XT_LINK,
	XT_LOGO, XT_MANAGINGEDITOR, XT_MODIFIED, XT_NAME, XT_ORIGLINK,
	XT_PUBDATE, XT_PUBLISHED, XT_PUBLISHER, XT_RDF, XT_RIGHTS, XT_RSS,
	XT_SKIPDAYS, XT_SKIPHOURS, XT_SOURCE, XT_SUBJECT, XT_SUBTITLE,
	XT_SUMMARY, XT_TAGLINE, XT_TEXTINPUT, XT_THUMBNAIL, XT_TITLE, XT_TTL,
	XT_UPDATED, XT_UPDATEFREQUENCY, XT_UPDATEPERIOD, XT_URI, XT_URL,
	XT_WEBMASTER,
	XT_COUNT
};

/* What an open element is to the feed. */
enum xrole {
	XR_NONE,		/* nothing: its children are not looked at */
	XR_RSS,			/* <rss> */
	XR_RDF,			/* <rdf:RDF> */
	XR_FEED,		/* channel / atom:feed / CDF CHANNEL */
	XR_ITEM,		/* item / entry / CDF ITEM */
	XR_IMAGE,		/* the channel's <image> */
	XR_PERSON,		/* atom author/contributor */
	XR_ITUNES_CATEGORY,
	XR_MEDIA_GROUP,
	XR_MEDIA_CONTENT,
	XR_SKIPHOURS,
	XR_SKIPDAYS,
	XR_CAPTURED,		/* its text is being captured */
};

/* How a captured text is to be read. */
enum xtype {
	XTY_TEXT,		/* plain text */
	XTY_HTML,		/* escaped HTML */
	XTY_XHTML,		/* inline markup, serialized as it comes */
	XTY_GUESS,		/* RSS: plain unless it looks like HTML */
};

/* What becomes of a captured text. */
enum xsink {
	XS_TITLE,		/* plain text field */
	XS_HTML,		/* HTML field (summary, content, description) */
	XS_RSS_DESCRIPTION,	/* summary, or content after an RSS <summary> */
	XS_URL,			/* URL field, resolved */
	XS_ID,			/* verbatim, trimmed */
	XS_GUID_PERMALINK,	/* id, and the link if it is an http URL */
	XS_STR,			/* plain string field (author, language) */
	XS_DATE,
	XS_CATEGORY,
	XS_PERSON_NAME,
	XS_PERSON_EMAIL,
	XS_PERSON_URI,
	XS_TTL,
	XS_SY_PERIOD,
	XS_SY_FREQUENCY,
	XS_SKIP_HOUR,
	XS_SKIP_DAY,
	XS_DURATION,
};

/* One attribute as libxml2's SAX2 gives it (value not NUL-terminated). */
struct xattr {
	const xmlChar	*local;
	const xmlChar	*prefix;
	const xmlChar	*uri;
	const xmlChar	*value;
	const xmlChar	*end;
};

struct xelem {
	const xmlChar	*name;		/* local name, from libxml2's dict */
	const xmlChar	*uri;		/* namespace URI, or NULL */
	uint8_t		 ns;		/* enum xns */
	uint8_t		 role;		/* enum xrole */
	uint16_t	 tok;		/* enum xtok */
	bool		 own_base;
	const char	*base;		/* effective xml:base, or NULL */
};

/* The start of an element, as the format handlers see it. */
struct xstart {
	const struct xelem *parent;	/* NULL for the root */
	struct xelem	*el;
	int		 nattrs;
	const struct xattr *attrs;
};

struct xml_parser;

/* Handlers: return the role of the new element (may start a capture). */
enum xrole rss_start(struct xml_parser *, const struct xstart *);
enum xrole atom_start(struct xml_parser *, const struct xstart *);
enum xrole mod_start(struct xml_parser *, const struct xstart *);
/* The end of an XR_PERSON (atom) or XR_MEDIA_CONTENT (mod) element. */
void	 atom_person_end(struct xml_parser *);
void	 mod_media_end(struct xml_parser *);

/* What handlers may ask of the XML layer. */
struct builder *xml_builder(struct xml_parser *);
enum feed_format xml_format(const struct xml_parser *);
void	 xml_set_format(struct xml_parser *, enum feed_format);
/* True if el is in the format's own namespace (or none). */
bool	 xml_is_native(const struct xml_parser *, const struct xelem *);
/* Captures the text of the element just started. */
void	 xml_capture(struct xml_parser *, enum xsink, bool item,
	    enum pfield, int prio, enum xtype);
/* Atom 1.0 type="xhtml": the wrapping <div> is not part of the value. */
void	 xml_capture_strip_div(struct xml_parser *);
/* Base64 content (Atom): decoded before it is read as its type. */
void	 xml_capture_base64(struct xml_parser *);
/* An attribute's value (NUL-terminated copy) or NULL; ns XNS_NONE: none. */
char	*xml_attr(struct xml_parser *, const struct xstart *, enum xns,
	    const char *name);
/* The attribute resolved as a URL against the element's base. */
char	*xml_attr_url(struct xml_parser *, const struct xstart *, enum xns,
	    const char *name);
/* ref resolved against the element's base; keeps ref when it cannot. */
char	*xml_resolve(struct xml_parser *, const struct xelem *,
	    const char *ref);

/* Atom person constructs and Media RSS contents being assembled. */
struct xml_scratch {
	bool		 p_item;		/* person of an item */
	char		*name, *email, *uri;	/* person */
	char		*m_url, *m_type, *m_medium;	/* media:content */
	int64_t		 m_length;
};
struct xml_scratch *xml_scratch(struct xml_parser *);
void	 xml_scratch_clear(struct xml_scratch *);

struct xml_parser *xml_parser_new(const struct parse_opts *,
	    struct builder *);
int	 xml_parser_push(struct xml_parser *, const char *data, size_t len,
	    bool final, char **ret_err);
enum feed_format xml_parser_format(const struct xml_parser *);
void	 xml_parser_free(struct xml_parser *);

/* ---- JSON Feed (parse_json.c) ---- */

int	 json_feed_parse(const char *data, size_t len,
	    const struct parse_opts *, struct builder *,
	    enum feed_format *ret_format, char **ret_err);

/* ---- text constructs (parse_text.c) ---- */

/*
 * Plain text of an HTML fragment: tags dropped, entities decoded,
 * whitespace runs (space, tab, CR, LF) collapsed to one space, trimmed.
 */
char	*text_from_html(const char *html, size_t len);
/* Whitespace runs collapsed to one space and trimmed, in place. */
void	 text_collapse(struct buf *);
/* True if a text that claims to be plain looks like HTML instead. */
bool	 text_looks_like_html(const char *s, size_t len);
/* Decodes base64 in place (whitespace ignored); false if not base64. */
bool	 text_base64_decode(struct buf *);
/* True if [s, s+n) is all ASCII. */
bool	 text_is_ascii(const char *s, size_t n);
/*
 * Repairs two classic encoding accidents in place: UTF-8 that was read as
 * ISO-8859-1 and encoded again (only when utf8_source), and C1 control
 * characters that mean the windows-1252 letters at those code points.
 */
void	 text_fix_encoding(struct buf *, bool utf8_source);
/*
 * HTML with the URLs in its attributes (href, src, ...) resolved against
 * base; the input itself when there is nothing to resolve.  Returns a new
 * string or NULL (= use the input unchanged).
 */
char	*text_html_resolve(const char *html, size_t len, const char *base);
/*
 * Escapes "<!" that starts no comment, CDATA or DOCTYPE ("&lt;!' ..."), so
 * the text after it is not swallowed as a bogus comment.  In place.
 */
void	 text_html_fix_decls(struct buf *);
/* True for attribute names whose value is a URL. */
bool	 text_is_url_attr(const char *name);
/* windows-1252 at 0x80-0x9f (0 where the code page has no character). */
extern const unsigned short parse_cp1252[32];
/* Appends code point cp as UTF-8. */
void	 text_put_utf8(struct buf *, unsigned cp);
/* Seconds of an iTunes duration ("1:02:03", "62:03", "3723"), or -1. */
int64_t	 text_duration(const char *);

#endif
