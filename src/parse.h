/*
 * parse: a feed document (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, CDF, JSON Feed
 * 1.0/1.1) to a struct feed.  Pure: bytes in, values out; no network, no
 * files, no logging.  XML is read as a stream (never a whole DOM), so the
 * memory used is bounded by what is kept, not by the document's size.
 *
 * All strings in a parsed feed are well-formed UTF-8 without NUL bytes.
 * Titles are plain text; summary and content are HTML (text constructs
 * are escaped into HTML, URLs in their markup made absolute).  Links are
 * absolute whenever xml:base or the document's URL allows (a relative link
 * with nothing to resolve it against is kept as written); ids are exactly
 * as written (surrounding whitespace trimmed).
 *
 * Bad input is an error with a one-line reason: not XML or JSON, not a
 * feed (the root element is named), empty, truncated (an item or channel
 * left open), or hostile past a limit (nesting, size).  Ill-formed but
 * recognisable feeds are read as far as they go.
 */
#ifndef FEEDD_PARSE_H
#define FEEDD_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"

enum feed_format {
	FEED_FORMAT_UNKNOWN = 0,
	FEED_FORMAT_RSS09X,	/* RSS 0.90 .. 0.94 (and userland 0.91) */
	FEED_FORMAT_RSS10,	/* RSS 1.0 / RDF */
	FEED_FORMAT_RSS20,
	FEED_FORMAT_ATOM03,
	FEED_FORMAT_ATOM10,
	FEED_FORMAT_CDF,
	FEED_FORMAT_JSON10,
	FEED_FORMAT_JSON11,
};

struct enclosure {
	char		*url;		/* owned; absolute */
	char		*type;		/* owned; may be NULL */
	int64_t		 length;	/* bytes, or -1 when unknown */
};

struct item {
	char		*id;		/* guid / atom:id / rdf:about, verbatim */
	char		*title;		/* plain text */
	char		*link;		/* absolute; alternate link in Atom */
	char		*author;
	int64_t		 published;	/* DATE_NONE if absent or unreadable */
	int64_t		 updated;	/* DATE_NONE if absent or unreadable */
	char		*summary;	/* HTML */
	char		*content;	/* HTML */
	char		*comments;	/* URL of the comments page */
	char		*image;		/* absolute URL (media/itunes image) */
	int64_t		 duration;	/* seconds (itunes:duration), or -1 */
	struct enclosure *enclosures;
	size_t		 n_enclosures;
	char		**categories;
	size_t		 n_categories;
	/*
	 * Identity for dedup within a feed: the id if present, else the
	 * canonical link (url_canonical; the link itself if not http), else
	 * "hash:" and the 16 hex digits of hash64(title, NUL, content or
	 * summary).  Filled by the parser for every item.
	 */
	char		*key;
	/*
	 * Not filled by the parser: the plain text of content, else of
	 * summary, as dedup_body_text() gives it, set by sanitize_item()
	 * from the parse it makes anyway; the store uses it when set.
	 */
	char		*text;
};

/* What the publisher says about polling (0 / -1 when not given). */
struct feed_hints {
	int		 ttl_minutes;		/* RSS <ttl> */
	int		 sy_period_seconds;	/* sy:updatePeriod */
	int		 sy_frequency;		/* sy:updateFrequency */
	uint32_t	 skip_hours;		/* bit h set: skip hour h (UTC) */
	uint8_t		 skip_days;		/* bit d set: skip day d, 0 = Sunday */
};

struct feed {
	enum feed_format format;
	char		*title;		/* plain text */
	char		*link;		/* absolute site link */
	char		*description;	/* HTML */
	char		*author;
	char		*image;
	char		*language;
	int64_t		 updated;	/* falls back to the publication date */
	struct feed_hints hints;
	struct item	*items;
	size_t		 n_items;
	/* Items beyond the parse limit that were dropped (not an error). */
	size_t		 n_items_dropped;
};

struct parse_opts {
	/* Where the document came from: the base for relative URLs. */
	const char	*base_url;
	/*
	 * HTTP Content-Type: its charset wins over the XML declaration (a
	 * byte-order mark wins over both).
	 */
	const char	*content_type;
	/* Most items kept (0: PARSE_MAX_ITEMS_DEFAULT). */
	size_t		 max_items;
	/*
	 * When set, each item is handed to item_cb as soon as it is complete
	 * (its key computed) and then freed, instead of being kept in the
	 * feed: the parsed feed then has no items (n_items is 0), and memory
	 * stays flat however long the document.  The callback may take the
	 * item's strings (setting the fields to NULL); max_items still
	 * counts the items handed over.
	 */
	void		(*item_cb)(struct item *, void *arg);
	void		*item_arg;
};

#define PARSE_MAX_ITEMS_DEFAULT 100000

const char	*feed_format_name(enum feed_format);

/*
 * Parses a whole document.  On failure returns -1 with a one-line reason in
 * *ret_err (caller frees), and leaves *ret_feed untouched.
 */
int	 parse_feed(const char *data, size_t len, const struct parse_opts *,
	    struct feed **ret_feed, char **ret_err);

/*
 * The same, fed in chunks as they arrive (e.g. from the fetch write
 * callback), so a large feed is parsed without being held whole (JSON
 * Feeds, which jansson reads whole, are held up to 32 MiB).  After an
 * error every call fails with the same reason; parser_finish may be
 * called once.  opts and its strings are copied.
 */
struct parser;
struct parser	*parser_new(const struct parse_opts *);
int		 parser_push(struct parser *, const char *data, size_t len,
		    char **ret_err);
int		 parser_finish(struct parser *, struct feed **ret_feed,
		    char **ret_err);
void		 parser_free(struct parser *);

void	 feed_free(struct feed *);

#endif
