/*
 * url: resolving, canonicalising and checking URLs with libcurl's URL API.
 * The only lexical work done here is what curl_url cannot do: trimming
 * the whitespace publishers leave around links, recognising a reference
 * that has a scheme but no authority (mailto:, tag:, urn:, data: ... which
 * curl 7.88 refuses to parse), and splitting a query string at '&' to drop
 * tracking parameters.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "url.h"
#include "util.h"

#define URL_MAX_LEN	8192	/* longer references are not resolved */

/*
 * Flags for every curl_url_set: any scheme (feeds link to mailto:, ftp:,
 * magnet: ...), spaces and non-ASCII bytes percent-encoded rather than
 * refused, and never a guessed scheme.
 */
#define URL_SET_FLAGS	(CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE)

/* Copy of [s, s+n) without the leading and trailing ASCII whitespace. */
static char *
trimmed(const char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
	    *s == '\f')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\f'))
		n--;
	return xstrndup(s, n);
}

/* True if s begins with an RFC 3986 scheme followed by ':'. */
static bool
has_scheme(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	    *p == '.')
		p++;
	return *p == ':' && p - s >= 2;	/* "c:\x" is a path, not a scheme */
}

/*
 * True if curl would hand s back unchanged: an absolute http(s) URL with
 * a lower-case scheme, a plain host[:port], a path without dot segments
 * and only printable ASCII that needs no encoding.  Most links in feeds
 * are; they skip curl's parsing and allocations.
 */
static bool
plain_http(const char *s)
{
	const char *p;
	bool path = true;

	if (strncmp(s, "http://", 7) == 0)
		p = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		p = s + 8;
	else
		return false;
	if (!isalnum((unsigned char)*p))
		return false;
	for (; *p != '/'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
		    *p != ':')
			return false;	/* userinfo, IPv6, escapes, no path */
	for (; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c) != NULL)
			return false;
		if (c == '?' || c == '#')
			path = false;
		else if (path && c == '/' && p[1] == '.')
			return false;
	}
	return true;
}

/* The whole URL held by h (as curl normalises it), or NULL. */
static char *
url_get(CURLU *h, unsigned flags)
{
	char *u = NULL, *r;

	if (curl_url_get(h, CURLUPART_URL, &u, flags) != CURLUE_OK)
		return NULL;
	r = xstrdup(u);
	curl_free(u);
	return r;
}

/* A handle holding the absolute URL s, or NULL if curl does not take it. */
static CURLU *
url_parse(const char *s)
{
	CURLU *h;

	if ((h = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(h, CURLUPART_URL, s, URL_SET_FLAGS) != CURLUE_OK) {
		curl_url_cleanup(h);
		return NULL;
	}
	return h;
}

char *
url_resolve(const char *base, const char *ref)
{
	CURLU *h = NULL;
	char *r = NULL, *t = NULL, *b = NULL;

	if (ref == NULL) {
		if (base == NULL || (h = url_parse(base)) == NULL)
			return NULL;
		r = url_get(h, 0);
		goto out;
	}
	t = trimmed(ref);
	if (strlen(t) > URL_MAX_LEN)
		goto out;
	if (plain_http(t)) {
		r = t;
		t = NULL;
		goto out;
	}
	if (has_scheme(t)) {
		/* Absolute: curl normalises what it can parse. */
		if ((h = url_parse(t)) != NULL && (r = url_get(h, 0)) != NULL)
			goto out;
		/* Scheme without authority (mailto:, tag:): as written. */
		r = t;
		t = NULL;
		goto out;
	}
	if (base == NULL || (h = url_parse(base)) == NULL)
		goto out;
	if (t[0] == '\0' || t[0] == '#') {
		/*
		 * Same-document references: RFC 3986 5.2.2 keeps base's
		 * path and query (curl 7.88 drops the last segment).
		 */
		curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0);
		if ((b = url_get(h, 0)) == NULL)
			goto out;
		r = xasprintf("%s%s", b, t);
		/* Written as curl writes it ("#" alone is no fragment). */
		curl_url_cleanup(h);
		if ((h = url_parse(r)) != NULL) {
			free(r);
			r = url_get(h, 0);
		}
		goto out;
	}
	if (curl_url_set(h, CURLUPART_URL, t, URL_SET_FLAGS) != CURLUE_OK)
		goto out;
	r = url_get(h, 0);
out:
	free(b);
	free(t);
	curl_url_cleanup(h);
	return r;
}

/* Query parameters that only say where a click came from. */
static bool
is_tracking_param(const char *p, size_t n)
{
	static const char *const names[] = {
		"fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid",
		"mc_cid", "mc_eid", "igshid", "_hsenc", "_hsmi", "mkt_tok",
		"_ga", "_gl", "oly_anon_id", "oly_enc_id", "vero_id",
		"wt.mc_id", "__s", "ncid", "sr_share", "twclid", "ttclid",
		"spm", "cmpid",
	};
	size_t i, len;

	/* The name ends at '=' (or is the whole parameter). */
	for (len = 0; len < n && p[len] != '='; len++)
		;
	if (len > 4 && strncasecmp(p, "utm_", 4) == 0)
		return true;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == len &&
		    strncasecmp(names[i], p, len) == 0)
			return true;
	return false;
}

/* The query without tracking parameters, or NULL if nothing is left. */
static char *
query_clean(const char *q)
{
	struct buf b = { 0 };
	const char *p = q, *e;

	while (*p != '\0') {
		e = strchr(p, '&');
		if (e == NULL)
			e = p + strlen(p);
		if (e > p && !is_tracking_param(p, (size_t)(e - p))) {
			if (b.len > 0)
				buf_putc(&b, '&');
			buf_append(&b, p, (size_t)(e - p));
		}
		p = *e == '&' ? e + 1 : e;
	}
	return b.len > 0 ? buf_take(&b) : NULL;
}

/* Names a server serves for a directory; dropped from canonical paths. */
static const char *const index_names[] = {
	"index.html", "index.htm", "index.php", "index.shtml", "default.asp",
	"default.aspx",
};

char *
url_canonical(const char *url)
{
	CURLU *h;
	char *part = NULL, *r = NULL, *s, *q;
	size_t i, n, len;

	if (url == NULL)
		return NULL;
	s = trimmed(url);
	h = strlen(s) <= URL_MAX_LEN ? url_parse(s) : NULL;
	free(s);
	if (h == NULL)
		return NULL;
	if (curl_url_get(h, CURLUPART_SCHEME, &part, 0) != CURLUE_OK ||
	    (strcasecmp(part, "http") != 0 && strcasecmp(part, "https") != 0))
		goto out;
	curl_free(part);
	part = NULL;

	if (curl_url_get(h, CURLUPART_HOST, &part, 0) != CURLUE_OK)
		goto out;
	for (s = part; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	n = strlen(part);
	while (n > 1 && part[n - 1] == '.')	/* "example.com." */
		part[--n] = '\0';
	if (curl_url_set(h, CURLUPART_HOST, part, 0) != CURLUE_OK)
		goto out;
	curl_free(part);
	part = NULL;

	curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0);

	if (curl_url_get(h, CURLUPART_QUERY, &part, 0) == CURLUE_OK) {
		q = query_clean(part);
		curl_url_set(h, CURLUPART_QUERY, q, 0);
		free(q);
		curl_free(part);
		part = NULL;
	}

	if (curl_url_get(h, CURLUPART_PATH, &part, 0) == CURLUE_OK) {
		len = strlen(part);
		for (i = 0; i < ARRAY_SIZE(index_names); i++) {
			n = strlen(index_names[i]);
			if (len > n && part[len - n - 1] == '/' &&
			    strcasecmp(part + len - n, index_names[i]) == 0) {
				part[len - n] = '\0';
				curl_url_set(h, CURLUPART_PATH, part, 0);
				break;
			}
		}
		curl_free(part);
		part = NULL;
	}
	r = url_get(h, CURLU_NO_DEFAULT_PORT);
	/*
	 * Once more through curl: a host we changed ("6." to "6") may now
	 * read as an IPv4 address that curl writes differently (0.0.0.6).
	 */
	if (r != NULL) {
		curl_url_cleanup(h);
		if ((h = url_parse(r)) != NULL) {
			free(r);
			r = url_get(h, CURLU_NO_DEFAULT_PORT);
		}
	}
out:
	curl_free(part);
	curl_url_cleanup(h);
	return r;
}

bool
url_is_http(const char *url)
{
	CURLU *h;
	char *scheme = NULL;
	bool ok = false;

	if (url == NULL || strlen(url) > URL_MAX_LEN ||
	    (h = url_parse(url)) == NULL)
		return false;
	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK)
		ok = strcasecmp(scheme, "http") == 0 ||
		    strcasecmp(scheme, "https") == 0;
	curl_free(scheme);
	curl_url_cleanup(h);
	return ok;
}

char *
url_host(const char *url)
{
	CURLU *h;
	char *host = NULL, *r = NULL, *p;

	if (url == NULL || strlen(url) > URL_MAX_LEN ||
	    (h = url_parse(url)) == NULL)
		return NULL;
	if (curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		r = xstrdup(host);
		for (p = r; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		while (p - r > 1 && p[-1] == '.')	/* "example.com." */
			*--p = '\0';
	}
	curl_free(host);
	curl_url_cleanup(h);
	return r;
}
