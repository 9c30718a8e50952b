/*
 * feedserve: the benchmarks' loopback HTTP server.  Serves the files of
 * one directory (a generated corpus) from memory, fast enough that it is
 * never what a client waits for: one libev loop, keep-alive, writev of
 * the header and the preloaded body.
 *
 *   feedserve [-l MS] [-z] [-p PORT] [-t SECONDS] DIR
 *
 * Every file under DIR is read at start-up and served as /RELATIVE/PATH
 * with an ETag and a Last-Modified (the file's mtime); a request whose
 * If-None-Match or If-Modified-Since matches gets a 304.  -l delays every
 * answer by MS milliseconds (a far server); -z serves FILE.gz, when it
 * exists, to clients that accept gzip.  GET /_stats answers the counts of
 * 200s, 304s, 404s and body bytes since the last /_stats, as JSON.
 *
 * Listens on 127.0.0.1, on PORT or a port the OS chooses, and prints the
 * port on stdout (a client that stored URLs, such as feedd's state, finds
 * the same server again at the same port); exits when stdin closes or
 * after -t seconds (default 3600).
 * Not part of feedd: only `make bench` runs it.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#define MAX_REQUEST	16384
#define MAX_HEADER	1024

struct doc {
	char		*path;		/* "/dir/name.xml"; the tree key */
	char		*body;
	size_t		 len;
	char		*gz;		/* gzip-encoded body, or NULL */
	size_t		 gz_len;
	char		 etag[48];
	char		 last_modified[40];
	time_t		 mtime;
	const char	*type;
};

struct conn {
	ev_io		 io;
	ev_timer	 delay;
	int		 fd;
	char		 in[MAX_REQUEST];
	size_t		 n_in;		/* bytes in in[] */
	size_t		 req_len;	/* of the request being answered */
	char		 head[MAX_HEADER];
	size_t		 head_len, head_off;
	const char	*body;
	size_t		 body_len, body_off;
	int		 close_after;
	int		 waiting;	/* the latency timer runs */
};

static void		*docs;		/* tsearch tree of struct doc */
static size_t		 n_docs;
static double		 latency;	/* seconds */
static int		 use_gzip;
static unsigned long	 n_200, n_304, n_404, n_conns;
static unsigned long long n_bytes;

static void
die(const char *what)
{
	fprintf(stderr, "feedserve: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *
xmalloc_or_die(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die("malloc");
	return p;
}

static int
doc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct doc *)a)->path,
	    ((const struct doc *)b)->path);
}

static char *
read_file(const char *path, size_t *ret_len, struct stat *ret_sb)
{
	struct stat sb;
	char *p;
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		die(path);
	if (fstat(fd, &sb) == -1)
		die(path);
	p = xmalloc_or_die((size_t)sb.st_size);
	while (off < (size_t)sb.st_size) {
		n = read(fd, p + off, (size_t)sb.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			die(path);
		off += (size_t)n;
	}
	close(fd);
	*ret_len = off;
	if (ret_sb != NULL)
		*ret_sb = sb;
	return p;
}

static const char *
type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return "application/octet-stream";
	if (strcmp(dot, ".rss") == 0)
		return "application/rss+xml";
	if (strcmp(dot, ".atom") == 0)
		return "application/atom+xml";
	if (strcmp(dot, ".rdf") == 0)
		return "application/rdf+xml";
	if (strcmp(dot, ".json") == 0)
		return "application/feed+json";
	return "application/xml";
}

static void
load_dir(const char *root, const char *rel)
{
	char dir[4096], file[4096 + 300], gzname[4096 + 310];
	struct dirent *de;
	struct stat sb;
	struct tm tm;
	DIR *dh;

	snprintf(dir, sizeof(dir), "%s%s", root, rel);
	if ((dh = opendir(dir)) == NULL)
		die(dir);
	while ((de = readdir(dh)) != NULL) {
		struct doc *d;
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
		if (stat(file, &sb) == -1)
			die(file);
		if (S_ISDIR(sb.st_mode)) {
			char sub[4096 + 300];

			snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name);
			load_dir(root, sub);
			continue;
		}
		if (!S_ISREG(sb.st_mode) ||
		    (l > 3 && strcmp(de->d_name + l - 3, ".gz") == 0))
			continue;
		d = calloc(1, sizeof(*d));
		if (d == NULL)
			die("calloc");
		if (asprintf(&d->path, "%s/%s", rel, de->d_name) == -1)
			die("asprintf");
		d->body = read_file(file, &d->len, &sb);
		d->mtime = sb.st_mtime;
		d->type = type_of(de->d_name);
		snprintf(d->etag, sizeof(d->etag), "\"%lx-%zx\"",
		    (unsigned long)sb.st_mtime, d->len);
		gmtime_r(&d->mtime, &tm);
		strftime(d->last_modified, sizeof(d->last_modified),
		    "%a, %d %b %Y %H:%M:%S GMT", &tm);
		snprintf(gzname, sizeof(gzname), "%s.gz", file);
		if (use_gzip && access(gzname, R_OK) == 0)
			d->gz = read_file(gzname, &d->gz_len, NULL);
		if (tsearch(d, &docs, doc_cmp) == NULL)
			die("tsearch");
		n_docs++;
	}
	closedir(dh);
}

/* The value of header name in the request head (NUL-terminated copy). */
static int
header(const char *req, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = strstr(req, "\r\n");

	while (p != NULL && p[2] != '\r') {
		const char *line = p + 2, *end = strstr(line, "\r\n");
		size_t vl;

		if (end == NULL)
			break;
		if ((size_t)(end - line) > nl && line[nl] == ':' &&
		    strncasecmp(line, name, nl) == 0) {
			line += nl + 1;
			while (*line == ' ' || *line == '\t')
				line++;
			vl = (size_t)(end - line);
			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, line, vl);
			out[vl] = '\0';
			return 1;
		}
		p = end;
	}
	return 0;
}

static int
etag_matches(const char *list, const char *etag)
{
	/* A list of entity tags; weak ones compare equal here too. */
	return strcmp(list, "*") == 0 || strstr(list, etag) != NULL;
}

static void conn_write(struct conn *);

static void
conn_free(struct ev_loop *loop, struct conn *c)
{
	ev_io_stop(loop, &c->io);
	ev_timer_stop(loop, &c->delay);
	close(c->fd);
	free(c);
}

static void
stats_body(char *out, size_t len)
{
	snprintf(out, len, "{\"ok\":%lu,\"not_modified\":%lu,"
	    "\"not_found\":%lu,\"bytes\":%llu,\"connections\":%lu,"
	    "\"documents\":%zu}\n", n_200, n_304, n_404, n_bytes, n_conns,
	    n_docs);
	n_200 = n_304 = n_404 = n_conns = 0;
	n_bytes = 0;
}

/* Builds the answer to the complete request in c->in[0..req_len). */
static void
answer(struct conn *c)
{
	static char stats[512];
	char path[2048], val[512], date[40], *sp, *req = c->in;
	struct doc key, *d = NULL, **found;
	const char *status = "200 OK", *enc = NULL;
	time_t now = time(NULL);
	struct tm tm;
	int not_modified = 0;

	req[c->req_len - 2] = '\0';	/* keep one CRLF for header() */
	{
		/* HTTP/1.0 closes unless asked not to; 1.1 the other way. */
		const char *eol = strstr(req, "\r\n");

		c->close_after = eol != NULL && eol - req >= 8 &&
		    strncmp(eol - 8, "HTTP/1.0", 8) == 0;
	}
	if (header(req, "Connection", val, sizeof(val)))
		c->close_after = strcasecmp(val, "close") == 0 ? 1 :
		    strcasecmp(val, "keep-alive") == 0 ? 0 : c->close_after;
	if ((sp = strchr(req, ' ')) != NULL) {
		const char *p = sp + 1;
		size_t l = strcspn(p, " ?\r");

		if (l >= sizeof(path))
			l = sizeof(path) - 1;
		memcpy(path, p, l);
		path[l] = '\0';
	} else
		path[0] = '\0';
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);

	c->body = NULL;
	c->body_len = c->body_off = 0;
	if (strcmp(path, "/_stats") == 0) {
		stats_body(stats, sizeof(stats));
		c->body = stats;
		c->body_len = strlen(stats);
		c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
		    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\nCache-Control: no-store\r\n\r\n",
		    c->body_len);
		c->head_off = 0;
		return;
	}
	key.path = path;
	if ((found = tfind(&key, &docs, doc_cmp)) != NULL)
		d = *found;
	if (d == NULL) {
		n_404++;
		c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
		    "HTTP/1.1 404 Not Found\r\nDate: %s\r\n"
		    "Content-Length: 0\r\n\r\n", date);
		c->head_off = 0;
		return;
	}
	if (header(req, "If-None-Match", val, sizeof(val)))
		not_modified = etag_matches(val, d->etag);
	else if (header(req, "If-Modified-Since", val, sizeof(val))) {
		struct tm t = { 0 };

		if (strcmp(val, d->last_modified) == 0)
			not_modified = 1;
		else if (strptime(val, "%a, %d %b %Y %H:%M:%S", &t) != NULL)
			not_modified = timegm(&t) >= d->mtime;
	}
	if (not_modified) {
		n_304++;
		c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
		    "HTTP/1.1 304 Not Modified\r\nDate: %s\r\nETag: %s\r\n"
		    "Last-Modified: %s\r\n\r\n", date, d->etag,
		    d->last_modified);
		c->head_off = 0;
		return;
	}
	c->body = d->body;
	c->body_len = d->len;
	if (d->gz != NULL && header(req, "Accept-Encoding", val, sizeof(val)) &&
	    strstr(val, "gzip") != NULL) {
		c->body = d->gz;
		c->body_len = d->gz_len;
		enc = "Content-Encoding: gzip\r\n";
	}
	n_200++;
	n_bytes += c->body_len;
	c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
	    "HTTP/1.1 %s\r\nDate: %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%sETag: %s\r\nLast-Modified: %s\r\n"
	    "Vary: Accept-Encoding\r\n\r\n", status, date, d->type,
	    c->body_len, enc ? enc : "", d->etag, d->last_modified);
	c->head_off = 0;
}

/* A complete request in c->in: its length (through the blank line). */
static size_t
request_length(const struct conn *c)
{
	const char *end;

	if (c->n_in < 4)
		return 0;
	end = memmem(c->in, c->n_in, "\r\n\r\n", 4);
	return end != NULL ? (size_t)(end - c->in) + 4 : 0;
}

static void
conn_next(struct ev_loop *loop, struct conn *c)
{
	if ((c->req_len = request_length(c)) == 0) {
		if (c->n_in == sizeof(c->in)) {
			conn_free(loop, c);
			return;
		}
		ev_io_stop(loop, &c->io);
		ev_io_set(&c->io, c->fd, EV_READ);
		ev_io_start(loop, &c->io);
		return;
	}
	answer(c);
	ev_io_stop(loop, &c->io);
	if (latency > 0) {
		c->waiting = 1;
		ev_timer_set(&c->delay, latency, 0.);
		ev_timer_start(loop, &c->delay);
		return;
	}
	conn_write(c);
}

static void
conn_write(struct conn *c)
{
	struct ev_loop *loop = EV_DEFAULT;

	for (;;) {
		struct iovec iov[2];
		int n_iov = 0;
		ssize_t n;

		if (c->head_off < c->head_len) {
			iov[n_iov].iov_base = c->head + c->head_off;
			iov[n_iov++].iov_len = c->head_len - c->head_off;
		}
		if (c->body_off < c->body_len) {
			iov[n_iov].iov_base = (char *)c->body + c->body_off;
			iov[n_iov++].iov_len = c->body_len - c->body_off;
		}
		if (n_iov == 0)
			break;
		n = writev(c->fd, iov, n_iov);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			ev_io_stop(loop, &c->io);
			ev_io_set(&c->io, c->fd, EV_WRITE);
			ev_io_start(loop, &c->io);
			return;
		}
		if (n == -1) {
			conn_free(loop, c);
			return;
		}
		if ((size_t)n <= c->head_len - c->head_off)
			c->head_off += (size_t)n;
		else {
			c->body_off += (size_t)n - (c->head_len - c->head_off);
			c->head_off = c->head_len;
		}
	}
	if (c->close_after) {
		conn_free(loop, c);
		return;
	}
	/* Keep what a pipelining client sent after this request. */
	memmove(c->in, c->in + c->req_len, c->n_in - c->req_len);
	c->n_in -= c->req_len;
	c->req_len = 0;
	conn_next(loop, c);
}

static void
delay_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	c->waiting = 0;
	conn_write(c);
}

static void
conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	ssize_t n;

	if (revents & EV_WRITE) {
		conn_write(c);
		return;
	}
	n = read(c->fd, c->in + c->n_in, sizeof(c->in) - c->n_in);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		conn_free(loop, c);
		return;
	}
	c->n_in += (size_t)n;
	conn_next(loop, c);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	for (;;) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int one = 1;
		struct conn *c;

		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				fprintf(stderr, "feedserve: accept: %s\n",
				    strerror(errno));
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			die("calloc");
		c->fd = fd;
		n_conns++;
		ev_io_init(&c->io, conn_cb, fd, EV_READ);
		c->io.data = c;
		ev_timer_init(&c->delay, delay_cb, 0., 0.);
		c->delay.data = c;
		ev_io_start(loop, &c->io);
	}
}

static void
stdin_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	char b[256];
	ssize_t n = read(w->fd, b, sizeof(b));

	if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
		ev_break(loop, EVBREAK_ALL);
}

static void
stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	fprintf(stderr, "feedserve: time is up\n");
	ev_break(loop, EVBREAK_ALL);
}

static void
term_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

int
main(int argc, char **argv)
{
	struct ev_loop *loop = EV_DEFAULT;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	double lifetime = 3600;
	ev_io lio, sio;
	ev_timer stop;
	ev_signal sterm, sint;
	int c, fd, one = 1;

	while ((c = getopt(argc, argv, "l:p:t:z")) != -1) {
		switch (c) {
		case 'l':
			latency = atof(optarg) / 1000.;
			break;
		case 'p':
			sa.sin_port = htons((uint16_t)atoi(optarg));
			break;
		case 't':
			lifetime = atof(optarg);
			break;
		case 'z':
			use_gzip = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	load_dir(argv[optind], "");

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 4096) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == -1)
		die("listen");
	printf("%u\n", ntohs(sa.sin_port));
	fflush(stdout);
	fprintf(stderr, "feedserve: %zu documents on 127.0.0.1:%u%s%s\n",
	    n_docs, ntohs(sa.sin_port), latency > 0 ? ", latency" : "",
	    use_gzip ? ", gzip" : "");

	ev_io_init(&lio, accept_cb, fd, EV_READ);
	ev_io_start(loop, &lio);
	ev_io_init(&sio, stdin_cb, STDIN_FILENO, EV_READ);
	ev_io_start(loop, &sio);
	ev_timer_init(&stop, stop_cb, lifetime, 0.);
	ev_timer_start(loop, &stop);
	ev_signal_init(&sterm, term_cb, SIGTERM);
	ev_signal_start(loop, &sterm);
	ev_signal_init(&sint, term_cb, SIGINT);
	ev_signal_start(loop, &sint);
	ev_run(loop, 0);
	return 0;
usage:
	fprintf(stderr, "usage: feedserve [-l MS] [-z] [-p PORT] [-t SECONDS] DIR\n");
	return 2;
}
