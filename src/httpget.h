/*
 * httpget: one blocking, bounded HTTP(S) GET for the client side (feedctl
 * add's feed discovery): http and https only, redirects followed (at most
 * 5, to http(s) only), compressed bodies decoded, a cap on the body and on
 * the time taken.  The daemon fetches through fetch.c, never through this.
 */
#ifndef FEEDD_HTTPGET_H
#define FEEDD_HTTPGET_H

#include <stddef.h>

#include "util.h"

struct httpget_opts {
	size_t		 max_bytes;	/* body cap; 0: 8 MiB */
	long		 timeout;	/* seconds in all; 0: 30 */
	const char	*user_agent;	/* NULL: "feedctl/VERSION" */
	const char	*accept;	/* Accept header, or NULL */
};

struct httpget_result {
	long		 status;	/* HTTP status of the last response */
	char		*content_type;	/* owned, or NULL */
	char		*url;		/* owned: the URL after redirects */
	struct buf	 body;		/* owned */
};

/*
 * GETs url.  Fails (-1 with *ret_err naming the URL) on a transport error,
 * a body over the cap, or a status other than 2xx; *ret is then
 * untouched.
 */
int	httpget(const char *url, const struct httpget_opts *,
	    struct httpget_result *ret, char **ret_err);
void	httpget_result_clear(struct httpget_result *);

#endif
