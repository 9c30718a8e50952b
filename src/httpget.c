/*
 * httpget: a blocking libcurl easy transfer with the limits feedd applies
 * to anything from the network.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "httpget.h"

#define DEFAULT_MAX_BYTES	(8 * 1024 * 1024)
#define DEFAULT_TIMEOUT		30L
#define MAX_REDIRS		5L

struct sink {
	struct buf	*body;
	size_t		 max;
	int		 overflow;
};

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	/* Returning less than given makes curl stop with an error. */
	if (s->body->len + n > s->max) {
		s->overflow = 1;
		return 0;
	}
	buf_append(s->body, data, n);
	return n;
}

int
httpget(const char *url, const struct httpget_opts *opts,
    struct httpget_result *ret, char **ret_err)
{
	char errbuf[CURL_ERROR_SIZE] = "", *ct = NULL, *eff = NULL;
	struct httpget_result r = { 0 };
	struct curl_slist *hdrs = NULL;
	struct sink sink;
	CURLcode rc;
	CURL *h;

	sink.body = &r.body;
	sink.max = opts && opts->max_bytes ? opts->max_bytes :
	    DEFAULT_MAX_BYTES;
	sink.overflow = 0;
	if ((h = curl_easy_init()) == NULL) {
		*ret_err = xstrdup("cannot initialise libcurl");
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, MAX_REDIRS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, opts && opts->timeout ?
	    opts->timeout : DEFAULT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)sink.max);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, opts && opts->user_agent ?
	    opts->user_agent : "feedctl/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	if (opts && opts->accept) {
		char *line = xasprintf("Accept: %s", opts->accept);

		hdrs = curl_slist_append(NULL, line);
		free(line);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	}
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED)
			*ret_err = xasprintf("%s: larger than %zu bytes", url,
			    sink.max);
		else
			*ret_err = xasprintf("%s: %s", url, errbuf[0] ?
			    errbuf : curl_easy_strerror(rc));
		goto fail;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
	if (r.status < 200 || r.status > 299) {
		*ret_err = xasprintf("%s: HTTP status %ld", url, r.status);
		goto fail;
	}
	r.content_type = ct ? xstrdup(ct) : NULL;
	r.url = xstrdup(eff ? eff : url);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	*ret = r;
	return 0;
fail:
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	buf_free(&r.body);
	return -1;
}

void
httpget_result_clear(struct httpget_result *r)
{
	free(r->content_type);
	free(r->url);
	buf_free(&r->body);
	memset(r, 0, sizeof(*r));
}
