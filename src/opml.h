/*
 * opml: reading and writing OPML subscription lists (OPML 2.0, and the
 * 1.0 files that are the same in practice), the format feed readers trade
 * feed lists in.  Pure: bytes in, feeds out, and back.
 *
 * An outline with an xmlUrl is a feed; outlines around it are its
 * categories (joined with "/").  Its name is its title, else its text.
 */
#ifndef FEEDD_OPML_H
#define FEEDD_OPML_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Caps on an OPML file: its size and the feeds taken from it. */
#define OPML_MAX_BYTES	(16 * 1024 * 1024)
#define OPML_MAX_FEEDS	100000

struct opml_feed {
	char		*title;		/* title, else text; may be NULL */
	char		*xml_url;	/* as written: not checked */
	char		*html_url;	/* may be NULL */
	char		*category;	/* "Tech/Linux", or NULL at top level */
	int		 line;		/* of its outline, for messages */
};

struct opml {
	char		*title;		/* head/title, or NULL */
	struct opml_feed *feeds;	/* in document order */
	size_t		 n_feeds;
};

/*
 * Parses an OPML document.  A file that is not well-formed XML, or not
 * OPML, fails with "line N: reason" in *ret_err (caller frees).
 */
int	opml_parse(const char *data, size_t len, struct opml **ret,
	    char **ret_err);
void	opml_free(struct opml *);

/*
 * Appends an OPML 2.0 document listing feeds (grouped into category
 * outlines where they have one), created at time `now`.
 */
void	opml_write(struct buf *out, const char *title,
	    const struct opml_feed *feeds, size_t n, int64_t now);

#endif
