/*
 * digest: renders a set of items as a digest for people and programs --
 * plain text for a terminal or a mail, CommonMark, one self-contained HTML
 * page, JSON, or an mbox of RFC 5322 messages ready for sendmail -t or a
 * mailbox.  Pure: it takes the items and the moment, and returns bytes; it
 * never reads the clock, the network or the database.
 *
 * Items are the Item objects of the org.feedd Varlink interface (jansson
 * values, as DigestBegin returns them with full = true).  Every digest is
 * grouped by feed (feeds in name order), newest item first, and names the
 * other copies of each item's story ("also in").
 */
#ifndef FEEDD_DIGEST_H
#define FEEDD_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util.h"

enum digest_format {
	DIGEST_TEXT,
	DIGEST_MARKDOWN,
	DIGEST_HTML,
	DIGEST_JSON,
	DIGEST_MBOX,
};

/* Width of the text format, and of the plain-text part of mails. */
#define DIGEST_TEXT_WIDTH	72
/* Excerpt length, in characters, unless told otherwise. */
#define DIGEST_DEFAULT_EXCERPT	300

struct digest_opts {
	enum digest_format format;
	/* Bodies: the whole article text (full), else an excerpt of at most
	 * `excerpt` characters; full = false and excerpt = 0: titles only. */
	bool		 full;
	size_t		 excerpt;
	int64_t		 now;		/* the digest's date, Unix seconds */
	/* The heading, and the mail's subject; NULL: "Feed digest". */
	const char	*title;
	/* mbox only. */
	bool		 per_item;	/* one message per item */
	const char	*from;		/* "Name <addr>" or addr; required */
	const char	*to;		/* address list, or NULL */
	/* Right-hand side of Message-IDs; NULL: "localhost". */
	const char	*msgid_domain;
};

/* "text", "markdown" ("md"), "html", "json", "mbox"; -1 if unknown. */
int	digest_format_parse(const char *, enum digest_format *ret);

/*
 * Appends the digest of items (a JSON array of Item objects) to out.  An
 * empty array gives an empty digest ("no new items").  Fails only on input
 * that is not an array of objects with an integer id and a feed name, or
 * on a missing `from` for mbox.
 */
int	digest_render(const json_t *items, const struct digest_opts *,
	    struct buf *out, char **ret_err);

/* ---- mail encoding, shared with the mbox renderer's tests ---- */

/*
 * Appends "Name: value\n" for an unstructured header (Subject): RFC 2047
 * encoded words when value is not printable ASCII, folded under 78
 * columns.  Control characters become spaces.
 */
void	mime_header(struct buf *, const char *name, const char *value);
/*
 * Appends an address header (From, To): the display names that are not
 * printable ASCII become encoded words, addresses stay as written.
 */
void	mime_address_header(struct buf *, const char *name, const char *value);
/*
 * Appends s as quoted-printable (RFC 2045), LF line ends, lines of at most
 * 76 characters.  A '.' or "From " at the start of a line is encoded too,
 * so no line of the body can end a message for sendmail or start one in an
 * mbox.
 */
void	mime_qp(struct buf *, const char *s, size_t len);
/* Appends an RFC 5322 date: "Tue, 01 Jul 2025 08:05:00 +0000". */
void	mime_date(struct buf *, int64_t t);
/*
 * Appends the "From sender date" line that starts a message in an mbox,
 * the sender being the address in from ("Name <addr>" or addr).
 */
void	mbox_from_line(struct buf *, const char *from, int64_t t);

#endif
