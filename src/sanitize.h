/*
 * sanitize: untrusted HTML to HTML that is safe to show, by an allow-list
 * of elements and attributes.  Pure: no I/O, no logging.
 *
 * Kept: text structure (p, headings, lists, tables, quotes, pre/code,
 * inline emphasis), links, images, figures and captions.  Dropped with
 * their content: script, style, iframe, object, embed, form controls,
 * meta/base/link, svg/math, audio/video, template.  Other unknown or
 * unsafe elements (form, font, custom elements ...) are unwrapped: their
 * content is kept without them.  No class, id, style or event-handler
 * attribute survives.  URLs (href, src, srcset, cite) are resolved against
 * the base URL and kept only when http(s) -- or mailto: for links, or a
 * data: image of a raster type for images.  Lazy-loading images (data-src
 * and the like) get their real source.  Output is well-formed UTF-8,
 * elements nested no deeper than SANITIZE_MAX_DEPTH.
 */
#ifndef FEEDD_SANITIZE_H
#define FEEDD_SANITIZE_H

#include <stddef.h>

#include <libxml/tree.h>

#include "util.h"

struct item;

#define SANITIZE_MAX_DEPTH	200

/*
 * The sanitized form of an HTML fragment (UTF-8; invalid sequences are
 * replaced).  base_url (may be NULL) makes relative URLs absolute; without
 * it they stay relative.  Never NULL; caller frees.
 */
char	*sanitize_html(const char *html, size_t len, const char *base_url);

/*
 * sanitize_html() that also sets *ret_text to the plain text of the
 * result as html_to_text() reads it (NULL if that is only white space),
 * from the one parse: caller frees both.  The same text on real pages and
 * feeds; only where libxml2 nests the output differently when it reads it
 * again (broken markup such as a table cell inside a paragraph) can a
 * separator differ.
 */
char	*sanitize_html_text(const char *html, size_t len, const char *base_url,
	    char **ret_text);

/*
 * Sanitizes an item's summary and content in place (a field with nothing
 * safe in it becomes NULL) and sets its text to what dedup_body_text()
 * returns for the result, without parsing it again.
 */
void	 sanitize_item(struct item *, const char *base_url);

/*
 * Appends the sanitized form of the subtree at node (the node included,
 * or only its children for a document node) to out.
 */
void	 sanitize_node(struct buf *out, const xmlNode *node,
	    const char *base_url);

/*
 * A URL from an attribute made absolute and checked as above: "href"
 * allows http, https and mailto; "src" http, https and data: raster
 * images; anything else http and https.  NULL if the URL is not allowed.
 * Caller frees.
 */
char	*sanitize_url(const char *base_url, const char *ref, const char *attr);

#endif
