/*
 * url: what feedd needs of URLs, on top of libcurl's URL API (curl_url):
 * resolving references, the canonical form used to recognise one article
 * behind different links, and the checks applied to untrusted URLs.
 */
#ifndef FEEDD_URL_H
#define FEEDD_URL_H

#include <stdbool.h>

/*
 * ref resolved against base (RFC 3986 section 5); either may be NULL.
 * Returns NULL when the result is not an absolute URL.  Caller frees.
 */
char	*url_resolve(const char *base, const char *ref);

/*
 * The canonical form of an absolute http(s) URL: scheme and host lower
 * case, default port and fragment dropped, tracking parameters (utm_*,
 * fbclid, gclid, ...) removed, a trailing index.html/index.php dropped.
 * NULL if url is not an absolute http(s) URL.  Caller frees.
 */
char	*url_canonical(const char *url);

/* True if url is an absolute http:// or https:// URL. */
bool	 url_is_http(const char *url);

/* The host part, lower case, or NULL.  Caller frees. */
char	*url_host(const char *url);

#endif
