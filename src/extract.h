/*
 * extract: a web page to its main article -- text, clean HTML and
 * metadata.  Pure: bytes in, values out; no network, no files, no logging.
 *
 * The page is decoded (HTTP charset, BOM, <meta>, else windows-1252),
 * parsed with libxml2's HTML parser and the article body found by
 * scoring blocks (text length, punctuation, link density, class/id/role
 * hints, semantic elements, JSON-LD articleBody as a cross-check) and
 * merging related siblings; share bars, cookie banners, "read also"
 * boxes, tag lists and the like are cut from it.  Time and memory are
 * bounded: input beyond EXTRACT_MAX_INPUT bytes is not read, and nothing
 * recurses over the tree.
 */
#ifndef FEEDD_EXTRACT_H
#define FEEDD_EXTRACT_H

#include <stddef.h>

/* Pages are read up to this many bytes; the rest is ignored. */
#define EXTRACT_MAX_INPUT	(8 * 1024 * 1024)

struct extract_opts {
	const char	*url;		/* the page's URL, for relative links; may be NULL */
	const char	*content_type;	/* HTTP Content-Type, for its charset; may be NULL */
};

/* Every string is well-formed UTF-8; NULL where unknown. */
struct article {
	char	*title;		/* plain text */
	char	*byline;	/* plain text */
	char	*published;	/* RFC 3339, UTC */
	char	*lang;		/* BCP 47 tag as the page gives it */
	char	*text;		/* never NULL: paragraphs apart by a blank line */
	char	*html;		/* never NULL: sanitized, URLs absolute */
	char	*reason;	/* why text is empty, else NULL */
};

/*
 * Extracts the article from the page [data, data+len).  Any input gives
 * an article, with empty text and a reason when there is none to find
 * (binary data, a page of navigation only); -1 only for a NULL page.
 * *ret is the caller's, freed with article_free().
 */
int	extract_article(const char *data, size_t len,
	    const struct extract_opts *opts, struct article **ret,
	    char **ret_err);
void	article_free(struct article *);

#endif
