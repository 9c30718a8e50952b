/*
 * Tests for fetch: address classes (pure), and real transfers through the
 * curl multi ⇄ libev bridge against tests/httpd.py on 127.0.0.1:
 * validators, permanent and temporary redirects, loops, file:// targets,
 * size caps before and after decompression, timeouts, a dead port, the
 * address guard, per-host limits, queued jobs that must not time out, and
 * priorities.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "fetch.h"
#include "util.h"

static pid_t httpd_pid;
static FILE *httpd_in;
static int port;
static struct ev_loop *loop;

/* ---- address classes ---- */

static void
test_classify(void **state)
{
	static const struct {
		const char		*ip;
		enum fetch_addr_class	 c;
	} cases[] = {
		{ "93.184.216.34", FETCH_ADDR_PUBLIC },
		{ "8.8.8.8", FETCH_ADDR_PUBLIC },
		{ "127.0.0.1", FETCH_ADDR_LOOPBACK },
		{ "127.255.255.254", FETCH_ADDR_LOOPBACK },
		{ "0.0.0.0", FETCH_ADDR_RESERVED },
		{ "10.1.2.3", FETCH_ADDR_PRIVATE },
		{ "172.16.0.1", FETCH_ADDR_PRIVATE },
		{ "172.31.255.255", FETCH_ADDR_PRIVATE },
		{ "172.32.0.1", FETCH_ADDR_PUBLIC },
		{ "192.168.1.1", FETCH_ADDR_PRIVATE },
		{ "100.64.0.1", FETCH_ADDR_PRIVATE },
		{ "100.100.100.200", FETCH_ADDR_PRIVATE },	/* Alibaba metadata */
		{ "100.128.0.1", FETCH_ADDR_PUBLIC },
		{ "169.254.169.254", FETCH_ADDR_LINKLOCAL },	/* cloud metadata */
		{ "192.0.0.192", FETCH_ADDR_RESERVED },
		{ "224.0.0.1", FETCH_ADDR_RESERVED },
		{ "255.255.255.255", FETCH_ADDR_RESERVED },
		{ "::1", FETCH_ADDR_LOOPBACK },
		{ "::", FETCH_ADDR_RESERVED },
		{ "::ffff:127.0.0.1", FETCH_ADDR_LOOPBACK },
		{ "::ffff:169.254.169.254", FETCH_ADDR_LINKLOCAL },
		{ "::ffff:8.8.8.8", FETCH_ADDR_PUBLIC },
		{ "64:ff9b::10.0.0.1", FETCH_ADDR_PRIVATE },
		{ "2002:7f00:1::", FETCH_ADDR_LOOPBACK },	/* 6to4 of 127.0.0.1 */
		{ "fd00:ec2::254", FETCH_ADDR_PRIVATE },	/* AWS metadata */
		{ "fc00::1", FETCH_ADDR_PRIVATE },
		{ "fe80::1", FETCH_ADDR_LINKLOCAL },
		{ "ff02::1", FETCH_ADDR_RESERVED },
		{ "2001:db8::1", FETCH_ADDR_RESERVED },
		{ "2606:4700::1111", FETCH_ADDR_PUBLIC },
		{ "example.org", FETCH_ADDR_UNKNOWN },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (fetch_addr_classify_str(cases[i].ip) != cases[i].c)
			fail_msg("%s: got %s, want %s", cases[i].ip,
			    fetch_addr_class_name(
			    fetch_addr_classify_str(cases[i].ip)),
			    fetch_addr_class_name(cases[i].c));
	}
}

/* ---- the loopback server ---- */

static int
httpd_start(void **state)
{
	const char *src = getenv("FEEDD_SRCDIR");
	const char *py = getenv("PYTHON");
	char *script;
	int in[2], out[2];
	FILE *f;

	if (src == NULL)
		src = ".";
	if (py == NULL || *py == '\0')
		py = "python3";
	script = xasprintf("%s/tests/httpd.py", src);
	if (pipe(in) == -1 || pipe(out) == -1)
		return -1;
	httpd_pid = fork();
	if (httpd_pid == -1)
		return -1;
	if (httpd_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execlp(py, py, script, (char *)NULL);
		_exit(127);
	}
	free(script);
	close(in[0]);
	close(out[1]);
	httpd_in = fdopen(in[1], "w");
	f = fdopen(out[0], "r");
	if (f == NULL || fscanf(f, "%d", &port) != 1) {
		fprintf(stderr, "# httpd.py did not start\n");
		return -1;
	}
	fclose(f);
	loop = ev_default_loop(0);
	return 0;
}

static int
httpd_stop(void **state)
{
	int status;

	if (httpd_in != NULL)
		fclose(httpd_in);
	if (httpd_pid > 0)
		waitpid(httpd_pid, &status, 0);
	return 0;
}

/* ---- running transfers ---- */

struct sink;

struct done {
	struct fetch_result	 res;
	bool			 called;
	int			 order;
	int			*counter;	/* jobs still running */
	int			*seq;
	struct sink		*sink;		/* for body callbacks */
};

static void
done_cb(struct fetch_result *r, void *arg)
{
	struct done *d = arg;

	d->res = *r;
	d->called = true;
	/* Take every pointer: the test frees them. */
	memset(r, 0, sizeof(*r));
	if (d->seq != NULL)
		d->order = (*d->seq)++;
	if (--*d->counter == 0)
		ev_break(loop, EVBREAK_ONE);
}

static void
done_clear(struct done *d)
{
	fetch_result_clear(&d->res);
}

static void
deadline_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	ev_break(l, EVBREAK_ONE);
}

/* Runs the loop until counter reaches 0 or seconds pass. */
static void
run(int *counter, double seconds)
{
	ev_timer t;

	ev_timer_init(&t, deadline_cb, seconds, 0.);
	ev_timer_start(loop, &t);
	if (*counter > 0)
		ev_run(loop, 0);
	ev_timer_stop(loop, &t);
	assert_int_equal(*counter, 0);
}

static char *
url(const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", port, path);
}

static struct fetch *
new_fetch(int max_conn, int per_host, long timeout, int64_t max_body)
{
	struct fetch_opts o = { .max_connections = max_conn,
	    .max_per_host = per_host, .timeout = timeout,
	    .max_body = max_body };
	struct fetch *f;
	char *err = NULL;

	assert_int_equal(fetch_new(loop, &o, &f, &err), 0);
	return f;
}

/* One transfer of path with req's settings, waited for. */
static void
get(struct fetch *f, struct fetch_request *req, const char *path,
    struct done *d)
{
	char *u = url(path);
	int n = 1;

	memset(d, 0, sizeof(*d));
	d->counter = &n;
	req->url = u;
	fetch_start(f, req, done_cb, d);
	run(&n, 20);
	free(u);
	assert_true(d->called);
}

static void
test_validators(void **state)
{
	struct fetch *f = new_fetch(4, 2, 10, 0);
	struct fetch_request req = { 0 };
	const char *hdrs[] = { "X-Test: yes" };
	struct done d;

	get(f, &req, "/feed.xml", &d);
	assert_null(d.res.error);
	assert_int_equal(d.res.status, 200);
	assert_non_null(d.res.body);
	assert_non_null(strstr(d.res.body, "<rss"));
	assert_string_equal(d.res.etag, "\"v1\"");
	assert_string_equal(d.res.last_modified,
	    "Sat, 01 Jan 2022 00:00:00 GMT");
	assert_int_equal(d.res.addr_class, FETCH_ADDR_LOOPBACK);
	assert_null(d.res.moved_to);
	done_clear(&d);

	req.etag = "\"v1\"";
	req.last_modified = "Sat, 01 Jan 2022 00:00:00 GMT";
	get(f, &req, "/feed.xml", &d);
	assert_null(d.res.error);
	assert_int_equal(d.res.status, 304);
	assert_null(d.res.body);
	done_clear(&d);

	/* What was sent, exactly. */
	req.headers = hdrs;
	req.n_headers = 1;
	req.user_agent = "feedd-test/1 (+https://example.org/)";
	get(f, &req, "/echo", &d);
	assert_int_equal(d.res.status, 200);
	assert_non_null(strstr(d.res.body, "If-None-Match: \"v1\"\n"));
	assert_non_null(strstr(d.res.body,
	    "If-Modified-Since: Sat, 01 Jan 2022 00:00:00 GMT\n"));
	assert_non_null(strstr(d.res.body,
	    "User-Agent: feedd-test/1 (+https://example.org/)\n"));
	assert_non_null(strstr(d.res.body, "X-Test: yes\n"));
	assert_non_null(strstr(d.res.body, "Accept-Encoding: "));
	assert_non_null(strstr(d.res.body, "gzip"));
	done_clear(&d);

	/* The default User-Agent names feedd and a URL. */
	memset(&req, 0, sizeof(req));
	get(f, &req, "/echo", &d);
	assert_non_null(strstr(d.res.body, "User-Agent: feedd/"));
	assert_non_null(strstr(d.res.body, "+http"));
	done_clear(&d);
	fetch_free(f);
}

static void
test_redirects(void **state)
{
	struct fetch *f = new_fetch(4, 2, 10, 0);
	struct fetch_request req = { 0 };
	struct done d;
	char *want;

	/* Two permanent hops: the feed moves to the end of the chain. */
	get(f, &req, "/chain?n=2&code=301", &d);
	assert_int_equal(d.res.status, 200);
	want = url("/feed.xml");
	assert_non_null(d.res.moved_to);
	assert_string_equal(d.res.moved_to, want);
	assert_int_equal(d.res.redirects, 2);
	free(want);
	done_clear(&d);

	get(f, &req, "/chain?n=1&code=308", &d);
	assert_int_equal(d.res.status, 200);
	assert_non_null(d.res.moved_to);
	done_clear(&d);

	/* A temporary redirect moves nothing. */
	get(f, &req, "/redirect?code=302&to=/chain%3Fn%3D1", &d);
	assert_int_equal(d.res.status, 200);
	assert_null(d.res.moved_to);
	done_clear(&d);

	/* Permanent then temporary: moved to the temporary one's URL. */
	get(f, &req, "/redirect?code=301&to=/redirect%3Fcode%3D307%26to%3D"
	    "/feed.xml", &d);
	assert_int_equal(d.res.status, 200);
	want = url("/redirect?code=307&to=/feed.xml");
	assert_non_null(d.res.moved_to);
	assert_string_equal(d.res.moved_to, want);
	free(want);
	done_clear(&d);

	get(f, &req, "/loop", &d);
	assert_non_null(d.res.error);
	assert_null(d.res.body);
	done_clear(&d);

	get(f, &req, "/file", &d);
	assert_non_null(d.res.error);
	assert_null(d.res.body);
	done_clear(&d);
	fetch_free(f);
}

static void
test_limits(void **state)
{
	struct fetch *f = new_fetch(4, 2, 2, 1 << 20);
	struct fetch_request req = { 0 };
	struct done d;
	double t0;
	int s;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	char *dead;

	get(f, &req, "/gzip?bytes=5000", &d);
	assert_null(d.res.error);
	assert_int_equal(d.res.len, 5000);
	assert_int_equal(d.res.body[4999], 'a');
	done_clear(&d);

	/* Over the cap by its Content-Length. */
	get(f, &req, "/big?bytes=2000000", &d);
	assert_non_null(d.res.error);
	assert_true(d.res.too_big);
	assert_null(d.res.body);
	done_clear(&d);

	/* Over the cap only once decompressed (16 MiB of zeros in 16 KiB;
	 * a longer timeout: the server may be slow to compress it). */
	{
		struct fetch *slow = new_fetch(4, 2, 20, 1 << 20);

		get(slow, &req, "/bomb?mb=16", &d);
		assert_non_null(d.res.error);
		assert_true(d.res.too_big);
		done_clear(&d);
		fetch_free(slow);
	}

	/* A per-request cap. */
	req.max_body = 4000;
	get(f, &req, "/gzip?bytes=5000", &d);
	assert_true(d.res.too_big);
	done_clear(&d);
	req.max_body = 0;

	t0 = ev_time();
	get(f, &req, "/hang", &d);
	assert_non_null(d.res.error);
	assert_int_equal(d.res.status, 0);
	assert_true(ev_time() - t0 < 4);
	done_clear(&d);

	t0 = ev_time();
	get(f, &req, "/slow?bytes=100&delay=1", &d);
	assert_non_null(d.res.error);
	assert_int_equal(d.res.status, 0);
	assert_null(d.res.body);
	assert_true(ev_time() - t0 < 4);
	done_clear(&d);

	/* A port nobody listens on. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &sl), 0);
	close(s);
	dead = xasprintf("http://127.0.0.1:%d/feed.xml", ntohs(sin.sin_port));
	{
		int n = 1;

		memset(&d, 0, sizeof(d));
		d.counter = &n;
		req.url = dead;
		fetch_start(f, &req, done_cb, &d);
		run(&n, 10);
	}
	assert_non_null(d.res.error);
	assert_int_equal(d.res.status, 0);
	free(dead);
	done_clear(&d);
	fetch_free(f);
}

struct sink {
	size_t	 bytes;
	size_t	 calls;
	size_t	 limit;		/* refuse once past it */
	int	 status;
	bool	 url_ok;
};

static int
sink_cb(const struct fetch_head *h, const char *data, size_t len, void *arg)
{
	struct done *d = arg;
	struct sink *k = d->sink;

	k->bytes += len;
	k->calls++;
	k->status = h->status;
	k->url_ok = h->url != NULL && strstr(h->url, "/big") != NULL;
	return k->limit > 0 && k->bytes > k->limit ? -1 : 0;
}

static void
test_body_cb(void **state)
{
	struct fetch *f = new_fetch(4, 2, 10, 0);
	struct fetch_request req = { .body_cb = sink_cb };
	struct sink k = { 0 };
	char *u = url("/redirect?code=302&to=/big%3Fbytes%3D300000");
	int n = 1;
	struct done d = { .counter = &n, .sink = &k };

	/* Streamed to the callback, not collected; redirect bodies unseen. */
	req.url = u;
	fetch_start(f, &req, done_cb, &d);
	run(&n, 10);
	assert_null(d.res.error);
	assert_int_equal(d.res.status, 200);
	assert_null(d.res.body);
	assert_int_equal(k.bytes, 300000);
	assert_int_equal(k.status, 200);
	assert_true(k.url_ok);
	done_clear(&d);

	/* The callback refuses: the transfer ends with an error. */
	memset(&k, 0, sizeof(k));
	k.limit = 1000;
	n = 1;
	memset(&d, 0, sizeof(d));
	d.counter = &n;
	d.sink = &k;
	fetch_start(f, &req, done_cb, &d);
	run(&n, 10);
	assert_non_null(d.res.error);
	assert_non_null(strstr(d.res.error, "refused"));
	assert_true(k.bytes < 300000);
	done_clear(&d);
	free(u);
	fetch_free(f);
}

static void
test_guard(void **state)
{
	struct fetch *f = new_fetch(4, 2, 5, 0);
	struct fetch_request req = { .guard = true,
	    .allow = FETCH_ADDR_PUBLIC };
	struct done d;

	get(f, &req, "/feed.xml", &d);
	assert_non_null(d.res.error);
	assert_true(d.res.refused);
	assert_non_null(strstr(d.res.error, "127.0.0.1"));
	assert_non_null(strstr(d.res.error, "loopback"));
	done_clear(&d);

	/* Allowed when the feed itself lives on loopback. */
	req.allow = FETCH_ADDR_LOOPBACK;
	get(f, &req, "/feed.xml", &d);
	assert_null(d.res.error);
	assert_int_equal(d.res.status, 200);
	done_clear(&d);

	/* A redirect from loopback to the metadata address: refused. */
	get(f, &req, "/redirect?code=302&to=http://169.254.169.254/latest/",
	    &d);
	assert_true(d.res.refused);
	assert_non_null(strstr(d.res.error, "169.254.169.254"));
	done_clear(&d);
	fetch_free(f);
}

/* The server's view of concurrency, from /stats. */
static int
stats_max(const char *path)
{
	struct fetch *f = new_fetch(1, 1, 5, 0);
	struct fetch_request req = { 0 };
	struct done d;
	char *key, *p;
	int n = -1;

	get(f, &req, "/stats", &d);
	assert_non_null(d.res.body);
	key = xasprintf("\"%s\": ", path);
	p = strstr(d.res.body, key);
	if (p != NULL)
		n = atoi(p + strlen(key));
	free(key);
	done_clear(&d);
	fetch_free(f);
	return n;
}

static void
test_queue(void **state)
{
	struct fetch *f = new_fetch(16, 2, 2, 0);
	struct fetch_request req = { 0 };
	struct done d[8];
	char *u = url("/delay?ms=700");
	int n = 8, i;

	/* 8 x 0.7 s through 2 slots: 2.8 s, more than the 2 s timeout,
	 * which only runs once a job has its slot. */
	req.url = u;
	for (i = 0; i < 8; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].counter = &n;
		fetch_start(f, &req, done_cb, &d[i]);
	}
	assert_int_equal(fetch_active(f, FETCH_PRIO_FEED), 2);
	assert_int_equal(fetch_queued(f, FETCH_PRIO_FEED), 6);
	run(&n, 20);
	for (i = 0; i < 8; i++) {
		assert_null(d[i].res.error);
		assert_int_equal(d[i].res.status, 200);
		done_clear(&d[i]);
	}
	free(u);
	fetch_free(f);
	assert_int_equal(stats_max("/delay"), 2);
}

static void
test_priority(void **state)
{
	struct fetch *f = new_fetch(1, 1, 10, 0);
	struct fetch_request req = { 0 };
	struct done d[6];
	char *u = url("/delay?ms=50");
	int n = 6, seq = 0, i;

	/* Articles queued first, then feeds: feeds still go first (after
	 * the one article that took the free slot at once). */
	req.url = u;
	for (i = 0; i < 6; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].counter = &n;
		d[i].seq = &seq;
		req.prio = i < 3 ? FETCH_PRIO_ARTICLE : FETCH_PRIO_FEED;
		fetch_start(f, &req, done_cb, &d[i]);
	}
	run(&n, 20);
	assert_int_equal(d[0].order, 0);
	assert_int_equal(d[3].order, 1);
	assert_int_equal(d[4].order, 2);
	assert_int_equal(d[5].order, 3);
	assert_int_equal(d[1].order, 4);
	assert_int_equal(d[2].order, 5);
	for (i = 0; i < 6; i++)
		done_clear(&d[i]);
	free(u);
	fetch_free(f);
}

static void
test_cancel(void **state)
{
	struct fetch *f = new_fetch(1, 1, 10, 0);
	struct fetch_request req = { 0 };
	struct fetch_job *a, *b;
	struct done d[3];
	char *u = url("/delay?ms=100");
	int n = 1, i;

	req.url = u;
	for (i = 0; i < 3; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].counter = &n;
	}
	a = fetch_start(f, &req, done_cb, &d[0]);	/* running */
	b = fetch_start(f, &req, done_cb, &d[1]);	/* waiting */
	fetch_start(f, &req, done_cb, &d[2]);
	fetch_cancel(b);
	fetch_cancel(a);
	run(&n, 10);
	assert_false(d[0].called);
	assert_false(d[1].called);
	assert_true(d[2].called);
	done_clear(&d[2]);
	/* Freeing with work in flight. */
	fetch_start(f, &req, done_cb, &d[0]);
	fetch_start(f, &req, done_cb, &d[1]);
	fetch_free(f);
	free(u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_body_cb),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_cancel),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, httpd_start, httpd_stop);
}
