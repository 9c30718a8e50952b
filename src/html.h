/*
 * html: the HTML helpers the rest of feedd shares, on libxml2's HTML
 * parser: decoding a page to UTF-8, parsing (recover mode, no network),
 * walking a tree without recursion, block-aware plain text, escaping.
 * Pure: no I/O, no logging.
 *
 * libxml2 builds trees as deep as the markup nests (10,000 levels and
 * more for hostile input), so nothing here recurses over a tree.
 */
#ifndef FEEDD_HTML_H
#define FEEDD_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "util.h"

/*
 * Plain text of an HTML fragment or document (UTF-8; invalid sequences
 * become U+FFFD): entities decoded, no script/style/head text, whitespace
 * collapsed, paragraphs and other blocks separated by a blank line, <br>
 * a line break, <pre> kept as written, table cells apart.  Never NULL;
 * caller frees.  For the digest, `feedctl show` and dedup fingerprints.
 */
char	*html_to_text(const char *html, size_t len);

/*
 * Appends the block-aware plain text of the subtree at node to out, with
 * the same rules as html_to_text().  `out` may already hold text: the
 * subtree starts a new paragraph.
 */
void	 html_node_text(struct buf *out, const xmlNode *node);

/*
 * The same text built by a walk of one's own (the sanitizer's, which
 * writes the text of what it keeps while it writes the HTML): init, then
 * html_text_enter() and html_text_leave() around each element's content
 * and html_text_chars() for each text node (len bytes of UTF-8 at s).
 * html_text_enter() returns false when the element's content is not text
 * (script, <br> ...); its leave is still due.
 */
struct html_text {
	struct buf	*out;
	size_t		 start;		/* where this text began in out */
	int		 pending;	/* separator due before the next text */
	int		 pre;		/* depth of <pre> elements */
	int		 math;		/* depth of MathML <math> elements */
};

void	 html_text_init(struct html_text *, struct buf *out);
bool	 html_text_enter(struct html_text *, const char *tag);
void	 html_text_leave(struct html_text *, const char *tag);
void	 html_text_chars(struct html_text *, const char *s, size_t len);

/*
 * Parsing stops after this many elements: twenty times what the largest
 * real pages have, and what keeps a hostile page's tree (and the memory
 * and time spent on it) bounded.
 */
#define HTML_MAX_ELEMENTS	200000

/*
 * Parses UTF-8 HTML (a fragment or a whole document) into a tree, invalid
 * UTF-8 replaced rather than trusted to libxml2.  Any <meta charset> in it
 * is ignored; elements after the first HTML_MAX_ELEMENTS are not read.
 * NULL only if libxml2 could not allocate; free with xmlFreeDoc().
 */
htmlDocPtr html_parse_utf8(const char *html, size_t len);

/*
 * Parses text that html_decode() produced, without cleaning it again.
 * Same result as html_parse_utf8().
 */
htmlDocPtr html_parse_decoded(const char *s, size_t len);

/*
 * The charset a page is in (a name iconv knows, e.g. "UTF-8",
 * "WINDOWS-1252", "GB18030"), decided as browsers do, in this order: a
 * byte-order mark; bytes that are well-formed UTF-8 with non-ASCII in them
 * (servers and meta tags often declare a legacy charset for what is in
 * fact UTF-8, while legacy text is almost never valid UTF-8 by chance);
 * the charset parameter of content_type (may be NULL); a <meta charset> or
 * http-equiv Content-Type near the top; else windows-1252, the web's
 * default for undeclared legacy pages.  ISO-8859-1 and US-ASCII labels mean
 * windows-1252 (WHATWG Encoding).  Returns a static string.
 */
const char *html_sniff_charset(const char *data, size_t len,
	    const char *content_type);

/*
 * Appends [data, data+len) in charset to out as well-formed UTF-8 ready
 * for html_parse_decoded(): undecodable bytes become U+FFFD, a leading BOM
 * is dropped, NULs dropped and other control characters but white space
 * made spaces.  An unknown charset is read as windows-1252.
 */
void	 html_decode(struct buf *out, const char *data, size_t len,
	    const char *charset);

/*
 * Appends s (UTF-8, len bytes) escaped for HTML text, or for a
 * double-quoted attribute value when attr is true.
 */
void	 html_escape(struct buf *out, const char *s, size_t len, bool attr);

/*
 * Depth-first walk of the subtree at root without recursion.  enter_cb is
 * called for every node before its children and returns whether to visit
 * them; leave_cb (may be NULL) after them, for every node entered.  The
 * callbacks must not unlink nodes that the walk has yet to leave.
 */
void	 html_walk(xmlNode *root, bool (*enter_cb)(xmlNode *, void *),
	    void (*leave_cb)(xmlNode *, void *), void *arg);

/* Element classes for text layout, by lower-case tag name. */
bool	 html_is_block(const char *tag);
/* Elements whose content is never visible text (script, style, head ...). */
bool	 html_is_hidden(const char *tag);
/* Void elements: no content, no end tag (br, img, hr, ...). */
bool	 html_is_void(const char *tag);

/*
 * The value of an element's attribute as the HTML parser stored it ("" if
 * empty), or NULL if absent.  Borrowed from the tree.
 */
const char *html_attr(const xmlNode *, const char *name);

#endif
