/*
 * fetch: HTTP(S) transfers on one libcurl multi handle driven by the
 * daemon's libev loop.  Owns the multi handle, the per-socket watchers, the
 * connection cache (reuse, HTTP/2 multiplexing) and the queue of jobs
 * waiting for a connection slot: a job enters libcurl only when the global
 * and per-host limits allow it, so its timeouts never run while it waits.
 *
 * Every transfer is restricted to http/https (also after redirects),
 * bounded in time (connect, total, low speed), in redirects and in body
 * size (counted after decompression), and may be guarded against
 * connecting to non-public addresses (checked on the resolved address at
 * connect time, so DNS tricks do not get around it).
 */
#ifndef FEEDD_FETCH_H
#define FEEDD_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct sockaddr;
struct fetch;
struct fetch_job;

/* Queued jobs start in this order; articles wait behind feeds. */
enum fetch_prio {
	FETCH_PRIO_FEED = 0,
	FETCH_PRIO_ARTICLE,
	FETCH_N_PRIO,
};

/* Where an address points, for the rule on untrusted URLs. */
enum fetch_addr_class {
	FETCH_ADDR_PUBLIC = 0,
	FETCH_ADDR_LOOPBACK,	/* 127.0.0.0/8, ::1 */
	FETCH_ADDR_PRIVATE,	/* RFC 1918, CGNAT 100.64/10, ULA fc00::/7 */
	FETCH_ADDR_LINKLOCAL,	/* 169.254/16 (cloud metadata), fe80::/10 */
	FETCH_ADDR_RESERVED,	/* 0/8, multicast, 240/4, ::, ... never */
	FETCH_ADDR_UNKNOWN,	/* no address (no connection made) */
};

struct fetch_opts {
	int		 max_connections;	/* transfers at once; 0: 16 */
	int		 max_per_host;		/* per host name; 0: 2 */
	long		 timeout;		/* seconds per transfer; 0: 30 */
	long		 connect_timeout;	/* 0: min(timeout, 15) */
	int64_t		 max_body;		/* bytes after decoding; 0: 16 MiB */
	long		 max_redirects;		/* 0: 5 */
	const char	*user_agent;		/* NULL: CONFIG_DEFAULT_USER_AGENT */
};

/* What is known of a response when its body starts arriving. */
struct fetch_head {
	int		 status;
	const char	*url;		/* effective URL, after redirects */
	const char	*content_type;	/* or NULL */
};

/*
 * Receives a 2xx body piece by piece as it arrives (after decompression,
 * within the size cap), instead of it being collected into the result,
 * whose body then stays NULL.  arg is the job's callback argument.
 * Returning -1 aborts the transfer; the result's error then says so.
 */
typedef int (*fetch_body_cb)(const struct fetch_head *, const char *data,
	    size_t len, void *arg);

/* Everything is copied by fetch_start(); nothing needs to outlive it. */
struct fetch_request {
	const char	*url;
	enum fetch_prio	 prio;
	const char	*etag;		/* sent verbatim as If-None-Match */
	const char	*last_modified;	/* verbatim as If-Modified-Since */
	const char	*accept;	/* Accept header, or NULL */
	const char	*user_agent;	/* NULL: the fetcher's */
	const char *const *headers;	/* extra "Name: value" lines */
	size_t		 n_headers;
	const char	*username;	/* HTTP basic auth, never sent to */
	const char	*password;	/*   another host after a redirect */
	const char	*proxy;		/* NULL: libcurl's default (environment) */
	bool		 http1;		/* no HTTP/2 */
	int64_t		 max_body;	/* 0: the fetcher's */
	/*
	 * guard: refuse to connect to any address that is not public,
	 * except those of class allow (e.g. the class of the feed's own
	 * server).  Through a proxy, the proxy's address is checked.
	 */
	bool		 guard;
	enum fetch_addr_class allow;
	fetch_body_cb	 body_cb;	/* NULL: collect the body */
};

/*
 * What came back.  The callback may take any pointer (setting it to NULL);
 * the fetcher frees the rest when the callback returns.
 */
struct fetch_result {
	int		 status;	/* final HTTP status; 0: no response */
	char		*error;		/* NULL if a whole response arrived */
	bool		 refused;	/* the address guard said no */
	bool		 too_big;	/* body over the size cap */
	char		*url;		/* effective URL, after redirects */
	/*
	 * Set when the request was permanently redirected (301/308) before
	 * any temporary redirect: the URL to use from now on.
	 */
	char		*moved_to;
	long		 redirects;
	char		*body;		/* 2xx bodies only; NUL-terminated */
	size_t		 len;
	/* Headers of the final response, verbatim (NULL when absent). */
	char		*content_type;
	char		*etag;
	char		*last_modified;
	char		*cache_control;
	char		*expires;
	char		*retry_after;
	char		*date;
	enum fetch_addr_class addr_class; /* of the server that answered */
	char		*ip;		/* its address, or NULL */
	double		 seconds;	/* from start of transfer to the end */
};

/*
 * Called once per job, from the loop (never from inside fetch_start or
 * fetch_cancel).  It may start and cancel other jobs.
 */
typedef void (*fetch_done_cb)(struct fetch_result *, void *arg);

/* Frees what a result holds (for a copy a callback kept) and zeroes it. */
void	fetch_result_clear(struct fetch_result *);

int	fetch_new(struct ev_loop *, const struct fetch_opts *,
	    struct fetch **ret, char **ret_err);
/* New limits; running transfers keep theirs. */
void	fetch_set_opts(struct fetch *, const struct fetch_opts *);
/* Queues a transfer; never fails (a bad URL ends in the callback). */
struct fetch_job *fetch_start(struct fetch *, const struct fetch_request *,
	    fetch_done_cb, void *arg);
/* Stops and frees a job that has not called back yet, without a call. */
void	fetch_cancel(struct fetch_job *);
/* Transfers running and waiting for a slot, per priority when asked. */
size_t	fetch_active(const struct fetch *, enum fetch_prio);
size_t	fetch_queued(const struct fetch *, enum fetch_prio);
/* Cancels every job, then cleans libcurl up; the loop must still exist. */
void	fetch_free(struct fetch *);

enum fetch_addr_class fetch_addr_classify(const struct sockaddr *);
/* The class of a numeric IPv4/IPv6 address; UNKNOWN if not one. */
enum fetch_addr_class fetch_addr_classify_str(const char *ip);
const char *fetch_addr_class_name(enum fetch_addr_class);

#endif
