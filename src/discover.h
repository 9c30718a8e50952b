/*
 * discover: the feeds a web page announces, for `feedctl add SITE-URL`:
 * <link rel="alternate" type="application/rss+xml" href="..."> and its
 * Atom, RDF and JSON Feed equivalents (the RSS Autodiscovery convention),
 * resolved against the page's URL or its <base href>.  Pure: bytes in,
 * URLs out.
 */
#ifndef FEEDD_DISCOVER_H
#define FEEDD_DISCOVER_H

#include <stddef.h>

/*
 * The absolute http(s) feed URLs the page links to, in document order
 * (the publisher's preference first), without duplicates.  content_type
 * (may be NULL) helps decode the page.  *ret_urls is a NULL-terminated
 * array of *ret_n URLs (possibly none); free it with discover_free().
 */
void	discover_feeds(const char *html, size_t len, const char *content_type,
	    const char *page_url, char ***ret_urls, size_t *ret_n);
void	discover_free(char **urls);

#endif
