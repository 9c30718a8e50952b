/*
 * fetch: the libcurl multi ⇄ libev bridge, the per-host queue in front of
 * it, and the per-transfer limits.  Owns the multi handle, one ev_timer
 * for libcurl's timeouts, one ev_io per socket libcurl watches, every job
 * (its easy handle, header list and body buffer) and the host table.
 *
 * The bridge follows curl's multi-socket examples: the timer callback only
 * re-arms the ev_timer, the socket callback only (re)arms or frees an
 * ev_io, and every curl_multi_socket_action is followed by draining
 * curl_multi_info_read, which hands each finished transfer to its job's
 * callback.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <ev.h>

#include "fetch.h"
#include "url.h"
#include "util.h"

#define MAX_RESPONSES	32	/* status lines remembered per transfer */

struct fetch_host;

struct fetch_job {
	struct fetch		*f;		/* owner */
	struct fetch_host	*host;		/* borrowed from f->hosts */
	TAILQ_ENTRY(fetch_job)	 entry;		/* host->waiting[prio] */
	LIST_ENTRY(fetch_job)	 run_entry;	/* f->running */
	enum fetch_prio		 prio;
	bool			 running;	/* in the multi handle */
	/*
	 * Made when the transfer starts: a handle takes 5.6 kB, and a
	 * refresh of 10,000 feeds queues 10,000 jobs at once.
	 */
	CURL			*easy;		/* owned */
	struct curl_slist	*headers;	/* owned */
	char			*url;		/* owned */
	/* What of the request the handle needs, kept till it is made. */
	char			*user_agent;	/* owned, or NULL */
	char			*username;	/* owned, or NULL */
	char			*password;	/* owned, or NULL */
	char			*proxy;		/* owned, or NULL */
	bool			 http1;
	int64_t			 max_body;
	int64_t			 received;	/* decoded body bytes so far */
	bool			 guard;
	enum fetch_addr_class	 allow;
	fetch_body_cb		 body_cb;
	bool			 body_refused;	/* body_cb said -1 */
	char			 refused_ip[INET6_ADDRSTRLEN];
	enum fetch_addr_class	 refused_class;
	/* The responses seen so far (redirects first). */
	int			 statuses[MAX_RESPONSES];
	char			*urls[MAX_RESPONSES];	/* owned */
	size_t			 n_resp;
	int			 cur_status;
	struct fetch_result	 res;		/* headers accumulate here */
	struct buf		 body;
	char			 errbuf[CURL_ERROR_SIZE];
	fetch_done_cb		 cb;
	void			*arg;
};

TAILQ_HEAD(fetch_jobq, fetch_job);

struct fetch_host {
	char			*name;		/* owned; the tree key */
	int			 active;
	struct fetch_jobq	 waiting[FETCH_N_PRIO];
	TAILQ_ENTRY(fetch_host)	 ready[FETCH_N_PRIO];	/* f->ready[prio] */
	bool			 in_ready[FETCH_N_PRIO];
};

TAILQ_HEAD(fetch_hostq, fetch_host);

struct fetch_sock {
	struct fetch		*f;
	curl_socket_t		 fd;
	ev_io			 io;
	LIST_ENTRY(fetch_sock)	 entry;
};

struct fetch {
	struct ev_loop		*loop;		/* borrowed */
	CURLM			*multi;		/* owned */
	ev_timer		 timer;
	struct fetch_opts	 opts;
	char			*user_agent;	/* owned */
	void			*hosts;		/* tsearch tree of fetch_host */
	struct fetch_hostq	 ready[FETCH_N_PRIO];	/* hosts with waiting jobs */
	size_t			 n_active[FETCH_N_PRIO];
	size_t			 n_queued[FETCH_N_PRIO];
	LIST_HEAD(, fetch_sock)	 socks;
	LIST_HEAD(, fetch_job)	 running;
	bool			 draining;	/* inside drain(): no re-entry */
	bool			 pumping;
	bool			 closing;	/* fetch_free(): start nothing */
};

static void	pump(struct fetch *);
static void	drain(struct fetch *);

/* ---- address classes ---- */

static enum fetch_addr_class
classify_v4(uint32_t a)
{
	if ((a >> 24) == 0)
		return FETCH_ADDR_RESERVED;		/* 0.0.0.0/8: "this host" */
	if ((a >> 24) == 10)
		return FETCH_ADDR_PRIVATE;
	if ((a & 0xffc00000u) == 0x64400000u)
		return FETCH_ADDR_PRIVATE;		/* 100.64.0.0/10 CGNAT */
	if ((a >> 24) == 127)
		return FETCH_ADDR_LOOPBACK;
	if ((a & 0xffff0000u) == 0xa9fe0000u)
		return FETCH_ADDR_LINKLOCAL;		/* 169.254.0.0/16 */
	if ((a & 0xfff00000u) == 0xac100000u)
		return FETCH_ADDR_PRIVATE;		/* 172.16.0.0/12 */
	if ((a & 0xffffff00u) == 0xc0000000u)
		return FETCH_ADDR_RESERVED;		/* 192.0.0.0/24 */
	if ((a & 0xffffff00u) == 0xc0000200u ||	/* 192.0.2.0/24 */
	    (a & 0xffffff00u) == 0xc6336400u ||	/* 198.51.100.0/24 */
	    (a & 0xffffff00u) == 0xcb007100u)	/* 203.0.113.0/24 */
		return FETCH_ADDR_RESERVED;
	if ((a & 0xffff0000u) == 0xc0a80000u)
		return FETCH_ADDR_PRIVATE;		/* 192.168.0.0/16 */
	if ((a & 0xfffe0000u) == 0xc6120000u)
		return FETCH_ADDR_RESERVED;		/* 198.18.0.0/15 */
	if ((a >> 28) >= 0xe)
		return FETCH_ADDR_RESERVED;		/* multicast, 240/4 */
	return FETCH_ADDR_PUBLIC;
}

static uint32_t
v4_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static enum fetch_addr_class
classify_v6(const unsigned char *b)
{
	static const unsigned char mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] =
	    { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char zero[16];
	enum fetch_addr_class c;

	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
		return classify_v4(v4_at(b + 12));
	if (memcmp(b, zero, 15) == 0)
		return b[15] == 1 ? FETCH_ADDR_LOOPBACK : FETCH_ADDR_RESERVED;
	if (memcmp(b, zero, 12) == 0)
		return FETCH_ADDR_RESERVED;		/* ::a.b.c.d, deprecated */
	if (b[0] == 0x20 && b[1] == 0x02) {		/* 6to4 2002::/16 */
		c = classify_v4(v4_at(b + 2));
		if (c != FETCH_ADDR_PUBLIC)
			return c;
	}
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return FETCH_ADDR_RESERVED;		/* 2001:db8::/32 */
	if (b[0] == 0x01 && b[1] == 0 && memcmp(b + 2, zero, 6) == 0)
		return FETCH_ADDR_RESERVED;		/* 100::/64 discard */
	if ((b[0] & 0xfe) == 0xfc)
		return FETCH_ADDR_PRIVATE;		/* fc00::/7 ULA */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return FETCH_ADDR_LINKLOCAL;		/* fe80::/10 */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return FETCH_ADDR_PRIVATE;		/* fec0::/10 site-local */
	if (b[0] == 0xff)
		return FETCH_ADDR_RESERVED;		/* multicast */
	return FETCH_ADDR_PUBLIC;
}

enum fetch_addr_class
fetch_addr_classify(const struct sockaddr *sa)
{
	if (sa == NULL)
		return FETCH_ADDR_UNKNOWN;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return classify_v4(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;

		return classify_v6(in6->sin6_addr.s6_addr);
	}
	return FETCH_ADDR_UNKNOWN;
}

enum fetch_addr_class
fetch_addr_classify_str(const char *ip)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (ip == NULL)
		return FETCH_ADDR_UNKNOWN;
	if (inet_pton(AF_INET, ip, &a4) == 1)
		return classify_v4(ntohl(a4.s_addr));
	if (inet_pton(AF_INET6, ip, &a6) == 1)
		return classify_v6(a6.s6_addr);
	return FETCH_ADDR_UNKNOWN;
}

const char *
fetch_addr_class_name(enum fetch_addr_class c)
{
	switch (c) {
	case FETCH_ADDR_PUBLIC:
		return "public";
	case FETCH_ADDR_LOOPBACK:
		return "loopback";
	case FETCH_ADDR_PRIVATE:
		return "private";
	case FETCH_ADDR_LINKLOCAL:
		return "link-local";
	case FETCH_ADDR_RESERVED:
		return "reserved";
	case FETCH_ADDR_UNKNOWN:
		break;
	}
	return "unknown";
}

/* ---- the host table ---- */

static int
host_cmp(const void *a, const void *b)
{
	const struct fetch_host *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static struct fetch_host *
host_get(struct fetch *f, const char *name)
{
	struct fetch_host key = { .name = (char *)name };
	struct fetch_host *h, **found;
	int p;

	found = tfind(&key, &f->hosts, host_cmp);
	if (found != NULL)
		return *found;
	h = xcalloc(1, sizeof(*h));
	h->name = xstrdup(name);
	for (p = 0; p < FETCH_N_PRIO; p++)
		TAILQ_INIT(&h->waiting[p]);
	if (tsearch(h, &f->hosts, host_cmp) == NULL)
		abort();	/* out of memory */
	return h;
}

/* Forgets a host that has nothing running or waiting. */
static void
host_release(struct fetch *f, struct fetch_host *h)
{
	int p;

	if (h->active > 0)
		return;
	for (p = 0; p < FETCH_N_PRIO; p++)
		if (!TAILQ_EMPTY(&h->waiting[p]))
			return;
	tdelete(h, &f->hosts, host_cmp);
	free(h->name);
	free(h);
}

/* ---- the bridge ---- */

static void
sock_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fetch_sock *s = w->data;
	struct fetch *f = s->f;
	int action = 0, running;

	if (revents & EV_READ)
		action |= CURL_CSELECT_IN;
	if (revents & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	/* s may be freed inside: use nothing of it afterwards. */
	curl_multi_socket_action(f->multi, s->fd, action, &running);
	drain(f);
}

static void
sock_free(struct fetch_sock *s)
{
	ev_io_stop(s->f->loop, &s->io);
	LIST_REMOVE(s, entry);
	free(s);
}

static int
socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct fetch *f = userp;
	struct fetch_sock *s = socketp;
	int events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(f->multi, fd, NULL);
			sock_free(s);
		}
		return 0;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->f = f;
		s->fd = fd;
		s->io.data = s;
		ev_init(&s->io, sock_io_cb);
		s->io.data = s;
		LIST_INSERT_HEAD(&f->socks, s, entry);
		curl_multi_assign(f->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	ev_io_stop(f->loop, &s->io);
	ev_io_set(&s->io, fd, events);
	ev_io_start(f->loop, &s->io);
	return 0;
}

static void
timer_ev_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fetch *f = w->data;
	int running;

	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(f);
}

/* Only re-arms the timer: libcurl must not be called from here. */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct fetch *f = userp;

	ev_timer_stop(f->loop, &f->timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&f->timer, (double)timeout_ms / 1000.0, 0.);
		ev_timer_start(f->loop, &f->timer);
	}
	return 0;
}

/* ---- per-transfer callbacks ---- */

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct fetch_job *job = userp;
	size_t n = size * nmemb;

	job->received += (int64_t)n;
	if (job->received > job->max_body) {
		job->res.too_big = true;
		return 0;	/* aborts the transfer */
	}
	/* Only a successful body is worth keeping. */
	if (job->cur_status < 200 || job->cur_status >= 300)
		return n;
	if (job->body_cb != NULL) {
		struct fetch_head head = { .status = job->cur_status };
		char *s = NULL;

		if (curl_easy_getinfo(job->easy, CURLINFO_EFFECTIVE_URL, &s) ==
		    CURLE_OK)
			head.url = s;
		s = NULL;
		if (curl_easy_getinfo(job->easy, CURLINFO_CONTENT_TYPE, &s) ==
		    CURLE_OK)
			head.content_type = s;
		if (job->body_cb(&head, data, n, job->arg) == -1) {
			job->body_refused = true;
			return 0;	/* aborts the transfer */
		}
		return n;
	}
	buf_append(&job->body, data, n);
	return n;
}

static void
clear_headers(struct fetch_result *r)
{
	str_set(&r->etag, NULL);
	str_set(&r->last_modified, NULL);
	str_set(&r->cache_control, NULL);
	str_set(&r->expires, NULL);
	str_set(&r->retry_after, NULL);
	str_set(&r->date, NULL);
}

static size_t
header_cb(char *line, size_t size, size_t nmemb, void *userp)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} wanted[] = {
		{ "etag", offsetof(struct fetch_result, etag) },
		{ "last-modified", offsetof(struct fetch_result, last_modified) },
		{ "cache-control", offsetof(struct fetch_result, cache_control) },
		{ "expires", offsetof(struct fetch_result, expires) },
		{ "retry-after", offsetof(struct fetch_result, retry_after) },
		{ "date", offsetof(struct fetch_result, date) },
	};
	struct fetch_job *job = userp;
	size_t n = size * nmemb, len = n, i, nl;
	const char *colon, *v, *end;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len > 5 && memcmp(line, "HTTP/", 5) == 0) {
		const char *p = memchr(line, ' ', len);
		int status = 0;
		char *url = NULL;

		if (p != NULL && (size_t)(line + len - p) >= 4 &&
		    p[1] >= '1' && p[1] <= '5' && p[2] >= '0' && p[2] <= '9' &&
		    p[3] >= '0' && p[3] <= '9')
			status = (p[1] - '0') * 100 + (p[2] - '0') * 10 +
			    (p[3] - '0');
		if (status < 200)
			return n;	/* 1xx: an interim response */
		job->cur_status = status;
		clear_headers(&job->res);
		if (job->n_resp < MAX_RESPONSES) {
			/* The URL this response answers. */
			curl_easy_getinfo(job->easy, CURLINFO_EFFECTIVE_URL,
			    &url);
			job->statuses[job->n_resp] = status;
			job->urls[job->n_resp] = xstrdup(url ? url : "");
			job->n_resp++;
		}
		return n;
	}
	colon = memchr(line, ':', len);
	if (colon == NULL)
		return n;
	nl = (size_t)(colon - line);
	for (i = 0; i < ARRAY_SIZE(wanted); i++) {
		char **dst;

		if (strlen(wanted[i].name) != nl ||
		    strncasecmp(line, wanted[i].name, nl) != 0)
			continue;
		v = colon + 1;
		end = line + len;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		dst = (char **)((char *)&job->res + wanted[i].off);
		free(*dst);
		*dst = xstrndup(v, (size_t)(end - v));
		break;
	}
	return n;
}

/* Whether a guarded job may talk to an address of class c. */
static bool
guard_allows(const struct fetch_job *job, enum fetch_addr_class c)
{
	return c == FETCH_ADDR_PUBLIC || (c == job->allow &&
	    c != FETCH_ADDR_RESERVED && c != FETCH_ADDR_UNKNOWN);
}

/*
 * Before every request, on a new or a reused connection: opensocket_cb
 * sees only new ones, and a pooled connection to an internal host that
 * some feed lives on must not carry an article request from another feed
 * that names the same host and port (issue 8: test_ssrf.py).
 */
static int
prereq_cb(void *userp, char *primary_ip, char *local_ip, int primary_port,
    int local_port)
{
	struct fetch_job *job = userp;
	enum fetch_addr_class c;

	if (!job->guard)
		return CURL_PREREQFUNC_OK;
	c = primary_ip != NULL ? fetch_addr_classify_str(primary_ip) :
	    FETCH_ADDR_UNKNOWN;
	if (guard_allows(job, c))
		return CURL_PREREQFUNC_OK;
	snprintf(job->refused_ip, sizeof(job->refused_ip), "%s",
	    primary_ip != NULL ? primary_ip : "?");
	job->refused_class = c;
	job->res.refused = true;
	return CURL_PREREQFUNC_ABORT;
}

static curl_socket_t
opensocket_cb(void *userp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct fetch_job *job = userp;

	if (job->guard && purpose == CURLSOCKTYPE_IPCXN) {
		enum fetch_addr_class c = fetch_addr_classify(&a->addr);

		if (!guard_allows(job, c)) {
			const void *src = NULL;

			if (a->family == AF_INET)
				src = &((struct sockaddr_in *)&a->addr)->
				    sin_addr;
			else if (a->family == AF_INET6)
				src = &((struct sockaddr_in6 *)&a->addr)->
				    sin6_addr;
			if (src == NULL || inet_ntop(a->family, src,
			    job->refused_ip, sizeof(job->refused_ip)) == NULL)
				strcpy(job->refused_ip, "?");
			job->refused_class = c;
			job->res.refused = true;
			return CURL_SOCKET_BAD;
		}
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* ---- jobs ---- */

void
fetch_result_clear(struct fetch_result *r)
{
	clear_headers(r);
	free(r->error);
	free(r->url);
	free(r->moved_to);
	free(r->body);
	free(r->content_type);
	free(r->ip);
	memset(r, 0, sizeof(*r));
	r->addr_class = FETCH_ADDR_UNKNOWN;
}

static void
job_free(struct fetch_job *job)
{
	size_t i;

	if (job == NULL)
		return;
	if (job->easy != NULL)
		curl_easy_cleanup(job->easy);
	curl_slist_free_all(job->headers);
	free(job->url);
	free(job->user_agent);
	free(job->username);
	free(job->password);
	free(job->proxy);
	for (i = 0; i < job->n_resp; i++)
		free(job->urls[i]);
	fetch_result_clear(&job->res);
	buf_free(&job->body);
	free(job);
}

static bool
header_safe(const char *s)
{
	return s != NULL && *s != '\0' && strpbrk(s, "\r\n") == NULL;
}

static void
add_header(struct fetch_job *job, const char *name, const char *value)
{
	char *line = value ? xasprintf("%s: %s", name, value) : xstrdup(name);
	struct curl_slist *l = curl_slist_append(job->headers, line);

	free(line);
	if (l == NULL)
		abort();
	job->headers = l;
}

/* The request's header lines, made when the job is queued. */
static void
job_headers(struct fetch_job *job, const struct fetch_request *req)
{
	size_t i;

	if (req->accept != NULL && header_safe(req->accept))
		add_header(job, "Accept", req->accept);
	for (i = 0; i < req->n_headers; i++)
		if (header_safe(req->headers[i]) &&
		    strchr(req->headers[i], ':') != NULL)
			add_header(job, req->headers[i], NULL);
	/* The validators exactly as the server sent them. */
	if (header_safe(req->etag))
		add_header(job, "If-None-Match", req->etag);
	if (header_safe(req->last_modified))
		add_header(job, "If-Modified-Since", req->last_modified);
}

/* The transfer's handle, made when it starts, with the limits then. */
static void
job_setup(struct fetch *f, struct fetch_job *job)
{
	CURL *e;
	const struct fetch_opts *o = &f->opts;

	if ((e = job->easy = curl_easy_init()) == NULL)
		abort();	/* only out of memory */

	curl_easy_setopt(e, CURLOPT_URL, job->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, job);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, job->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, o->max_redirects);
	/* Every encoding libcurl was built with (gzip, br, zstd). */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TIMEOUT, o->timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	/* Under 64 bytes/s for half the timeout (at most 30 s): give up. */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 64L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, o->timeout / 2 < 1 ? 1L :
	    o->timeout / 2 > 30 ? 30L : o->timeout / 2);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)job->max_body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, job);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, job);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, job);
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, prereq_cb);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, job);
	curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	/* Prefer a multiplexed stream on an open connection to a new one. */
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, job->http1 ?
	    (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_USERAGENT,
	    job->user_agent ? job->user_agent : f->user_agent);
	if (job->proxy != NULL)
		curl_easy_setopt(e, CURLOPT_PROXY, job->proxy);
	if (job->username != NULL) {
		curl_easy_setopt(e, CURLOPT_USERNAME, job->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD,
		    job->password ? job->password : "");
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
	if (job->headers != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, job->headers);
}

struct fetch_job *
fetch_start(struct fetch *f, const struct fetch_request *req,
    fetch_done_cb cb, void *arg)
{
	struct fetch_job *job = xcalloc(1, sizeof(*job));
	char *hostname;

	job->f = f;
	job->prio = req->prio < FETCH_N_PRIO ? req->prio : FETCH_PRIO_ARTICLE;
	job->url = xstrdup(req->url ? req->url : "");
	job->max_body = req->max_body > 0 ? req->max_body : f->opts.max_body;
	job->guard = req->guard;
	job->allow = req->allow;
	job->body_cb = req->body_cb;
	job->cb = cb;
	job->arg = arg;
	job->res.addr_class = FETCH_ADDR_UNKNOWN;
	str_set(&job->user_agent, req->user_agent);
	str_set(&job->username, req->username);
	str_set(&job->password, req->password);
	str_set(&job->proxy, req->proxy);
	job->http1 = req->http1;
	job_headers(job, req);

	/* Per host name: "" gathers whatever has none (and fails). */
	hostname = url_host(job->url);
	job->host = host_get(f, hostname ? hostname : "");
	free(hostname);
	TAILQ_INSERT_TAIL(&job->host->waiting[job->prio], job, entry);
	if (!job->host->in_ready[job->prio]) {
		TAILQ_INSERT_TAIL(&f->ready[job->prio], job->host,
		    ready[job->prio]);
		job->host->in_ready[job->prio] = true;
	}
	f->n_queued[job->prio]++;
	pump(f);
	return job;
}

/* Takes job out of its host's queue (it must be waiting). */
static void
unqueue(struct fetch *f, struct fetch_job *job)
{
	struct fetch_host *h = job->host;
	enum fetch_prio p = job->prio;

	TAILQ_REMOVE(&h->waiting[p], job, entry);
	f->n_queued[p]--;
	if (TAILQ_EMPTY(&h->waiting[p]) && h->in_ready[p]) {
		TAILQ_REMOVE(&f->ready[p], h, ready[p]);
		h->in_ready[p] = false;
	}
}

/* The job leaves the multi handle; its host slot is freed. */
static void
finish(struct fetch *f, struct fetch_job *job)
{
	curl_multi_remove_handle(f->multi, job->easy);
	LIST_REMOVE(job, run_entry);
	job->running = false;
	job->host->active--;
	f->n_active[job->prio]--;
	host_release(f, job->host);
	job->host = NULL;
}

void
fetch_cancel(struct fetch_job *job)
{
	struct fetch *f;

	if (job == NULL)
		return;
	f = job->f;
	if (job->running)
		finish(f, job);
	else if (job->host != NULL) {
		unqueue(f, job);
		host_release(f, job->host);
	}
	job_free(job);
	pump(f);
}

static size_t
total_active(const struct fetch *f)
{
	size_t n = 0;
	int p;

	for (p = 0; p < FETCH_N_PRIO; p++)
		n += f->n_active[p];
	return n;
}

/* Starts waiting jobs while the limits allow, feeds before articles. */
static void
pump(struct fetch *f)
{
	if (f->pumping || f->closing)
		return;
	f->pumping = true;
	while (total_active(f) < (size_t)f->opts.max_connections) {
		struct fetch_job *job = NULL;
		struct fetch_host *h = NULL;
		int p;

		for (p = 0; p < FETCH_N_PRIO && job == NULL; p++)
			TAILQ_FOREACH(h, &f->ready[p], ready[p])
				if (h->active < f->opts.max_per_host) {
					job = TAILQ_FIRST(&h->waiting[p]);
					break;
				}
		if (job == NULL)
			break;
		p = job->prio;
		unqueue(f, job);
		/* Round robin: the host goes to the back of the line. */
		if (h->in_ready[p]) {
			TAILQ_REMOVE(&f->ready[p], h, ready[p]);
			TAILQ_INSERT_TAIL(&f->ready[p], h, ready[p]);
		}
		h->active++;
		f->n_active[p]++;
		job->running = true;
		job_setup(f, job);
		LIST_INSERT_HEAD(&f->running, job, run_entry);
		if (curl_multi_add_handle(f->multi, job->easy) != CURLM_OK)
			abort();	/* only misuse or out of memory */
	}
	f->pumping = false;
}

/* Turns what libcurl knows about a finished transfer into job->res. */
static void
collect(struct fetch_job *job, CURLcode rc)
{
	struct fetch_result *r = &job->res;
	char *s = NULL;
	long status = 0, redirects = 0;
	double secs = 0;
	size_t k;

	curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(job->easy, CURLINFO_REDIRECT_COUNT, &redirects);
	curl_easy_getinfo(job->easy, CURLINFO_TOTAL_TIME, &secs);
	r->status = (int)status;
	r->redirects = redirects;
	r->seconds = secs;
	if (curl_easy_getinfo(job->easy, CURLINFO_EFFECTIVE_URL, &s) ==
	    CURLE_OK && s != NULL)
		r->url = xstrdup(s);
	s = NULL;
	if (curl_easy_getinfo(job->easy, CURLINFO_CONTENT_TYPE, &s) ==
	    CURLE_OK && s != NULL)
		r->content_type = xstrdup(s);
	s = NULL;
	if (curl_easy_getinfo(job->easy, CURLINFO_PRIMARY_IP, &s) ==
	    CURLE_OK && s != NULL && *s != '\0') {
		r->ip = xstrdup(s);
		r->addr_class = fetch_addr_classify_str(s);
	}
	/* Permanent moves count only before any temporary redirect. */
	for (k = 0; k < job->n_resp; k++)
		if (job->statuses[k] != 301 && job->statuses[k] != 308)
			break;
	if (k > 0 && k < job->n_resp && job->urls[k][0] != '\0')
		r->moved_to = xstrdup(job->urls[k]);

	if (r->refused)
		r->error = xasprintf("refused: %s resolves to %s, a %s address",
		    job->url, job->refused_ip,
		    fetch_addr_class_name(job->refused_class));
	else if (r->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		r->too_big = true;
		r->error = xasprintf("response larger than %lld bytes",
		    (long long)job->max_body);
	} else if (job->body_refused)
		r->error = xstrdup("the body was refused by its receiver");
	else if (rc != CURLE_OK)
		r->error = xstrdup(job->errbuf[0] != '\0' ? job->errbuf :
		    curl_easy_strerror(rc));
	if (r->error == NULL && r->status >= 200 && r->status < 300 &&
	    job->body_cb == NULL) {
		r->len = job->body.len;
		r->body = buf_take(&job->body);
	}
	/* A response cut short is no response. */
	if (r->error != NULL && rc != CURLE_OK && r->status >= 200 &&
	    r->status < 300)
		r->status = 0;
}

/* Hands every finished transfer to its callback. */
static void
drain(struct fetch *f)
{
	CURLMsg *msg;
	int left;

	if (f->draining)
		return;
	f->draining = true;
	while ((msg = curl_multi_info_read(f->multi, &left)) != NULL) {
		struct fetch_job *job = NULL;
		CURLcode rc = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&job);
		if (job == NULL)
			continue;
		finish(f, job);
		collect(job, rc);
		if (job->cb != NULL)
			job->cb(&job->res, job->arg);
		job_free(job);
	}
	f->draining = false;
	pump(f);
}

/* ---- the fetcher ---- */

static void
apply_opts(struct fetch *f, const struct fetch_opts *o)
{
	f->opts = *o;
	if (f->opts.max_connections <= 0)
		f->opts.max_connections = 16;
	if (f->opts.max_per_host <= 0)
		f->opts.max_per_host = 2;
	if (f->opts.timeout <= 0)
		f->opts.timeout = 30;
	if (f->opts.connect_timeout <= 0)
		f->opts.connect_timeout = f->opts.timeout < 15 ?
		    f->opts.timeout : 15;
	if (f->opts.max_body <= 0)
		f->opts.max_body = 16 << 20;
	if (f->opts.max_redirects <= 0)
		f->opts.max_redirects = 5;
	str_set(&f->user_agent, o->user_agent ? o->user_agent :
	    CONFIG_DEFAULT_USER_AGENT);
	f->opts.user_agent = f->user_agent;
	/* libcurl's own limits as a safety net behind the queue. */
	curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)f->opts.max_connections);
	curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)f->opts.max_per_host);
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS,
	    (long)f->opts.max_connections * 2);
}

int
fetch_new(struct ev_loop *loop, const struct fetch_opts *o,
    struct fetch **ret, char **ret_err)
{
	static bool curl_ready;
	struct fetch *f;
	int p;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			if (ret_err != NULL)
				*ret_err = xstrdup("cannot initialise libcurl");
			return -1;
		}
		curl_ready = true;
	}
	f = xcalloc(1, sizeof(*f));
	f->loop = loop;
	f->multi = curl_multi_init();
	if (f->multi == NULL) {
		free(f);
		if (ret_err != NULL)
			*ret_err = xstrdup("cannot create a curl multi handle");
		return -1;
	}
	for (p = 0; p < FETCH_N_PRIO; p++)
		TAILQ_INIT(&f->ready[p]);
	LIST_INIT(&f->socks);
	LIST_INIT(&f->running);
	ev_timer_init(&f->timer, timer_ev_cb, 0., 0.);
	f->timer.data = f;
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_PIPELINING,
	    (long)CURLPIPE_MULTIPLEX);
	apply_opts(f, o);
	*ret = f;
	return 0;
}

void
fetch_set_opts(struct fetch *f, const struct fetch_opts *o)
{
	apply_opts(f, o);
	pump(f);
}

size_t
fetch_active(const struct fetch *f, enum fetch_prio p)
{
	return p < FETCH_N_PRIO ? f->n_active[p] : total_active(f);
}

size_t
fetch_queued(const struct fetch *f, enum fetch_prio p)
{
	size_t n = 0;
	int i;

	if (p < FETCH_N_PRIO)
		return f->n_queued[p];
	for (i = 0; i < FETCH_N_PRIO; i++)
		n += f->n_queued[i];
	return n;
}

/* tdestroy callback: the jobs still waiting, and the host. */
static void
host_destroy(void *node)
{
	struct fetch_host *h = node;
	struct fetch_job *job;
	int p;

	for (p = 0; p < FETCH_N_PRIO; p++)
		while ((job = TAILQ_FIRST(&h->waiting[p])) != NULL) {
			TAILQ_REMOVE(&h->waiting[p], job, entry);
			job->host = NULL;
			job_free(job);
		}
	free(h->name);
	free(h);
}

void
fetch_free(struct fetch *f)
{
	struct fetch_job *job;
	struct fetch_sock *s;

	if (f == NULL)
		return;
	f->closing = true;
	while ((job = LIST_FIRST(&f->running)) != NULL)
		fetch_cancel(job);
	tdestroy(f->hosts, host_destroy);
	f->hosts = NULL;
	curl_multi_cleanup(f->multi);
	while ((s = LIST_FIRST(&f->socks)) != NULL)
		sock_free(s);
	ev_timer_stop(f->loop, &f->timer);
	free(f->user_agent);
	free(f);
}
