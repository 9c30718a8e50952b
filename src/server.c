/*
 * server: the listening Unix socket and the client connections of the
 * Varlink service, in the daemon's libev loop.  Owns per-connection
 * buffers, limits and timeouts, the order of calls on a connection (one
 * at a time, replies in order, as Varlink requires), and the lifetime of
 * calls that wait for the daemon.  What the methods do is service.c's.
 *
 * Nothing a client does can block the loop or grow memory without bound:
 * a message is capped (max_message), a connection stops reading while a
 * call is in progress and enough input is queued, a connection whose
 * replies are not being read stops being served and is dropped after
 * send_timeout, and a watcher that falls too far behind is dropped.
 *
 * Connections are never freed inside a callback that may be running on
 * their behalf: closing marks them dead and stops their watchers, and a
 * prepare watcher frees the dead ones before the loop next blocks.  The
 * same watcher serves the next call of a connection whose call ended
 * outside the server (a daemon's done_cb), so that the daemon is never
 * re-entered from inside its own callback.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "log.h"
#include "server.h"
#include "service.h"
#include "util.h"
#include "varlink.h"

#define DEFAULT_MAX_CLIENTS	1024
#define DEFAULT_IDLE_TIMEOUT	600.0
#define DEFAULT_SEND_TIMEOUT	30.0
/* Bytes read per read(2). */
#define READ_CHUNK		65536
/* Calls are served only while less than this waits to be sent. */
#define OUT_LOW_WATER		65536
/* A single reply larger than this is replaced by ReplyTooLarge. */
#define MAX_REPLY		(64 * 1024 * 1024)
/* A watcher with more than this waiting to be sent is dropped. */
#define MAX_STREAM_BACKLOG	(16 * 1024 * 1024)

struct conn {
	struct server	*server;
	TAILQ_ENTRY(conn) entry;
	TAILQ_ENTRY(conn) kick_entry;	/* in server->kicked, if kicked */
	int		 fd;
	uint64_t	 id;		/* for log messages */
	pid_t		 pid;
	uid_t		 uid;
	ev_io		 rio;
	ev_io		 wio;
	ev_timer	 timer;		/* idle and send timeouts */
	struct varlink_framer in;	/* owned */
	struct buf	 out;		/* owned: bytes to send from out_off */
	size_t		 out_off;
	ev_tstamp	 last_call;	/* last call finished or started */
	ev_tstamp	 last_sent;	/* last time output made progress */
	struct server_call *call;	/* the call in progress, or NULL */
	struct service_conn *sconn;	/* owned */
	bool		 dead;
	bool		 eof;		/* the client sends nothing more */
	bool		 processing;	/* inside conn_process() */
	bool		 kicked;	/* to process before the next poll */
};

TAILQ_HEAD(conn_list, conn);

struct server_call {
	struct conn	*conn;		/* NULL once the client left */
	struct server	*server;	/* NULL once the server is gone */
	TAILQ_ENTRY(server_call) entry;	/* in server->held, if held */
	bool		 oneway;
	bool		 more;
	bool		 held;
	bool		 streaming;	/* sent a reply with continues */
};

TAILQ_HEAD(call_list, server_call);

struct server {
	struct ev_loop	*loop;		/* borrowed */
	struct store	*store;		/* borrowed */
	struct server_hooks hooks;
	struct service	*svc;		/* owned */
	int		 fd;		/* listening socket */
	char		*path;
	bool		 bound;		/* we created path: unlink it */
	dev_t		 dev;		/* of the socket file we created */
	ino_t		 ino;
	bool		 allow_group;	/* members of gid may connect */
	gid_t		 gid;
	unsigned	 max_clients;
	double		 idle_timeout;
	double		 send_timeout;
	size_t		 max_message;
	ev_io		 accept_io;
	ev_timer	 accept_retry;	/* after EMFILE: try again later */
	ev_prepare	 reaper;	/* frees dead conns, runs kicked ones */
	ev_idle		 nudge;		/* the loop does not block before it */
	struct conn_list conns;		/* owned */
	size_t		 n_conns;
	struct conn_list dead;		/* owned, waiting for the reaper */
	struct conn_list kicked;	/* borrowed: process before polling */
	struct call_list held;		/* calls waiting for the daemon */
	uint64_t	 next_id;
};

static void	conn_process(struct conn *);
static void	conn_kick(struct conn *);
static void	conn_flush(struct conn *);
static void	conn_close(struct conn *, const char *why);

/* ---- calls ---- */

bool
server_call_more(const struct server_call *call)
{
	return call->more;
}

struct service *
server_call_service(const struct server_call *call)
{
	if (call->server == NULL || call->conn == NULL || call->conn->dead)
		return NULL;
	return call->server->svc;
}

struct service_conn *
server_call_conn(const struct server_call *call)
{
	if (server_call_service(call) == NULL)
		return NULL;
	return call->conn->sconn;
}

void
server_call_hold(struct server_call *call)
{
	if (call->held || call->server == NULL)
		return;
	call->held = true;
	TAILQ_INSERT_TAIL(&call->server->held, call, entry);
}

/*
 * Appends one message for call's client, replacing a reply too large to
 * send by an error.  False if there is nobody to send it to.
 */
static bool
call_put(struct server_call *call, const char *error, json_t *params,
    bool continues)
{
	struct conn *c = call->conn;
	size_t mark;
	int rc;

	if (c == NULL || c->dead || call->oneway)
		return false;
	mark = c->out.len;
	if (error != NULL)
		rc = varlink_put_error(&c->out, error, params);
	else
		rc = varlink_put_reply(&c->out, params, continues);
	if (rc == 0 && c->out.len - mark > MAX_REPLY) {
		json_t *p = json_pack("{s:I}", "limit", (json_int_t)MAX_REPLY);

		c->out.len = mark;
		rc = varlink_put_error(&c->out, "org.feedd.ReplyTooLarge", p);
		json_decref(p);
	}
	if (rc == -1) {
		/* Only unencodable numbers (NaN) get here: a bug of ours. */
		log_err("client %llu: reply cannot be encoded as JSON",
		    (unsigned long long)c->id);
		conn_close(c, NULL);
		return false;
	}
	if (c->out_off == mark)
		c->last_sent = ev_now(c->server->loop);	/* output starts now */
	return true;
}

/* Ends a call: the connection may go on with the next one. */
static void
call_end(struct server_call *call)
{
	struct conn *c = call->conn;

	if (call->held && call->server != NULL)
		TAILQ_REMOVE(&call->server->held, call, entry);
	if (c != NULL) {
		c->call = NULL;
		c->last_call = ev_now(c->server->loop);
		/* Inside conn_process() its loop goes on by itself. */
		if (!c->dead && !c->processing)
			conn_kick(c);
	}
	free(call);
}

void
server_call_reply(struct server_call *call, json_t *params)
{
	call_put(call, NULL, params, false);
	json_decref(params);
	call_end(call);
}

void
server_call_error(struct server_call *call, const char *error,
    json_t *params)
{
	call_put(call, error, params, false);
	json_decref(params);
	call_end(call);
}

int
server_call_stream(struct server_call *call, json_t *params)
{
	struct conn *c = call->conn;

	if (c == NULL || c->dead || call->oneway) {
		json_decref(params);
		return -1;
	}
	call->streaming = true;
	call_put(call, NULL, params, true);
	json_decref(params);
	if (c->dead)
		return -1;
	if (c->out.len - c->out_off > MAX_STREAM_BACKLOG) {
		conn_close(c, "does not read its stream");
		return -1;
	}
	conn_flush(c);
	return c->dead ? -1 : 0;
}

/* ---- connections ---- */

static void
reaper_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct server *s = w->data;
	struct conn *c;

	/* Processing may kill connections: before the reaping. */
	while ((c = TAILQ_FIRST(&s->kicked)) != NULL) {
		TAILQ_REMOVE(&s->kicked, c, kick_entry);
		c->kicked = false;
		conn_process(c);
	}
	while ((c = TAILQ_FIRST(&s->dead)) != NULL) {
		TAILQ_REMOVE(&s->dead, c, entry);
		if (c->call != NULL)	/* a stream, or a call never held */
			free(c->call);
		service_conn_free(s->svc, c->sconn);
		varlink_framer_free(&c->in);
		buf_free(&c->out);
		free(c);
	}
	ev_prepare_stop(loop, w);
}

static void
nudge_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)revents;
	ev_idle_stop(loop, w);
}

/*
 * Runs the reaper before the loop next blocks.  libev gathers the
 * prepare watchers before it calls them, so one started from inside
 * another prepare callback (the daemon stores its fetched feeds from
 * one, and their Refresh calls end there) would first wait for the next
 * event, seconds away: an active idle watcher makes that poll return at
 * once, and the reaper runs in the next round.
 */
static void
reaper_arm(struct server *s)
{
	ev_prepare_start(s->loop, &s->reaper);
	ev_idle_start(s->loop, &s->nudge);
}

static void
conn_close(struct conn *c, const char *why)
{
	struct server *s = c->server;

	if (c->dead)
		return;
	if (why != NULL)
		log_info("client %llu (pid %ld, uid %ld): %s, closing",
		    (unsigned long long)c->id, (long)c->pid, (long)c->uid, why);
	c->dead = true;
	if (c->kicked) {
		TAILQ_REMOVE(&s->kicked, c, kick_entry);
		c->kicked = false;
	}
	ev_io_stop(s->loop, &c->rio);
	ev_io_stop(s->loop, &c->wio);
	ev_timer_stop(s->loop, &c->timer);
	close(c->fd);
	c->fd = -1;
	/* A call waiting for the daemon outlives its client; any other
	 * (a stream) is freed with the connection. */
	if (c->call != NULL && c->call->held) {
		c->call->conn = NULL;
		c->call = NULL;
	}
	TAILQ_REMOVE(&s->conns, c, entry);
	s->n_conns--;
	TAILQ_INSERT_TAIL(&s->dead, c, entry);
	reaper_arm(s);
	/* Room for a client waiting on a full server. */
	if (!ev_is_active(&s->accept_io) && !ev_is_active(&s->accept_retry))
		ev_io_start(s->loop, &s->accept_io);
}

/* Serves c's next calls before the loop next polls, not now. */
static void
conn_kick(struct conn *c)
{
	struct server *s = c->server;

	if (c->kicked || c->dead)
		return;
	c->kicked = true;
	TAILQ_INSERT_TAIL(&s->kicked, c, kick_entry);
	reaper_arm(s);
}

static size_t
out_pending(const struct conn *c)
{
	return c->out.len - c->out_off;
}

/* Arms the timer for whichever deadline applies now. */
static void
conn_timer_arm(struct conn *c)
{
	struct server *s = c->server;
	ev_tstamp now = ev_now(s->loop), at;

	if (out_pending(c) > 0)
		at = c->last_sent + c->server->send_timeout;
	else if (c->call == NULL)
		at = c->last_call + s->idle_timeout;
	else
		at = now + s->idle_timeout;	/* a stream, a wait: no limit */
	ev_timer_stop(s->loop, &c->timer);
	ev_timer_set(&c->timer, at > now ? at - now : 0.0, 0.0);
	ev_timer_start(s->loop, &c->timer);
}

static void
conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	struct server *s = c->server;
	ev_tstamp now = ev_now(loop);

	if (out_pending(c) > 0 && now >= c->last_sent + s->send_timeout) {
		conn_close(c, "does not read its replies");
		return;
	}
	if (out_pending(c) == 0 && c->call == NULL &&
	    now >= c->last_call + s->idle_timeout) {
		log_debug("client %llu: idle, closing",
		    (unsigned long long)c->id);
		conn_close(c, NULL);
		return;
	}
	conn_timer_arm(c);
}

static void
conn_flush(struct conn *c)
{
	struct server *s = c->server;
	bool waiting = ev_is_active(&c->wio);
	ssize_t n;

	while (!c->dead && out_pending(c) > 0) {
		n = send(c->fd, c->out.data + c->out_off, out_pending(c),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += n;
			c->last_sent = ev_now(s->loop);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* The client is not reading: from now on the send
			 * timeout applies. */
			if (!waiting) {
				ev_io_start(s->loop, &c->wio);
				conn_timer_arm(c);
			}
			return;
		}
		/* EPIPE, ECONNRESET: the client is gone. */
		conn_close(c, NULL);
		return;
	}
	if (c->dead)
		return;
	/* Give back the memory of a big reply. */
	if (c->out.cap > 4 * OUT_LOW_WATER)
		buf_free(&c->out);
	else
		buf_clear(&c->out);
	c->out_off = 0;
	if (waiting) {
		ev_io_stop(s->loop, &c->wio);
		conn_timer_arm(c);
	}
}

static void
conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	conn_flush(c);
	if (!c->dead && out_pending(c) < OUT_LOW_WATER)
		conn_process(c);
}

/* Starts the next call of a connection: parse, check, hand over. */
static void
conn_dispatch(struct conn *c, const char *msg, size_t len)
{
	struct server *s = c->server;
	struct server_call *call;
	struct varlink_call vc;
	char *err = NULL;

	if (varlink_call_parse(msg, len, &vc, &err) == -1) {
		conn_close(c, err);
		free(err);
		return;
	}
	call = xcalloc(1, sizeof(*call));
	call->conn = c;
	call->server = s;
	call->oneway = vc.oneway;
	call->more = vc.more && !vc.oneway;
	c->call = call;
	c->last_call = ev_now(s->loop);
	if (vc.upgrade) {
		/* No method of ours takes over the connection. */
		server_call_error(call, VARLINK_ERR_INVALID_PARAMETER,
		    json_pack("{s:s}", "parameter", "upgrade"));
	} else
		service_call(s->svc, c->sconn, call, vc.method, vc.params);
	varlink_call_clear(&vc);
}

/*
 * Serves the queued calls one after the other while nothing is in
 * progress and the client reads its replies; then decides whether to keep
 * reading.  Re-entered from a call that ends inside it: returns at once,
 * the outer loop goes on.
 */
static void
conn_process(struct conn *c)
{
	struct server *s = c->server;
	const char *msg;
	size_t len;
	int r;

	if (c->processing || c->dead)
		return;
	c->processing = true;
	while (!c->dead && c->call == NULL && out_pending(c) < OUT_LOW_WATER) {
		r = varlink_framer_next(&c->in, &msg, &len);
		if (r == 0)
			break;
		if (r == -1) {
			conn_close(c, "message over the size limit");
			break;
		}
		conn_dispatch(c, msg, len);
	}
	c->processing = false;
	if (c->dead)
		return;
	conn_flush(c);
	if (c->dead)
		return;
	if (c->eof) {
		/* All said and answered: done.  A stream ends with its
		 * client. */
		if ((c->call == NULL && out_pending(c) == 0 &&
		    varlink_framer_pending(&c->in) == 0) ||
		    (c->call != NULL && c->call->streaming))
			conn_close(c, NULL);
		return;
	}
	/* Backpressure: stop reading while enough calls wait their turn. */
	if (varlink_framer_pending(&c->in) > s->max_message)
		ev_io_stop(s->loop, &c->rio);
	else if (!ev_is_active(&c->rio))
		ev_io_start(s->loop, &c->rio);
}

static void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	ssize_t n;
	char *p;
	int i;

	/* A few reads per wakeup, so one busy client cannot starve others. */
	for (i = 0; i < 4; i++) {
		p = varlink_framer_space(&c->in, READ_CHUNK);
		n = read(c->fd, p, READ_CHUNK);
		if (n > 0) {
			varlink_framer_commit(&c->in, n);
			/* No NUL in sight past the cap: refuse early. */
			if (c->call == NULL && varlink_framer_pending(&c->in) >
			    c->server->max_message + READ_CHUNK)
				break;
			if ((size_t)n < READ_CHUNK)
				break;
			continue;
		}
		if (n == 0) {
			c->eof = true;
			ev_io_stop(loop, w);
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		conn_close(c, NULL);
		return;
	}
	conn_process(c);
}

/* Whether the peer may use the service: same user, root, or the group. */
static bool
peer_allowed(struct server *s, int fd, struct ucred *ret_cred)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	bool found = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return false;
	*ret_cred = cr;
	if (cr.uid == 0 || cr.uid == geteuid())
		return true;
	if (!s->allow_group)
		return false;
	if (cr.gid == s->gid)
		return true;
#ifdef SO_PEERGROUPS
	/* The supplementary groups: ask for the size, then the list. */
	len = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) == -1 &&
	    errno == ERANGE && len > 0 && len <= 65536 * sizeof(gid_t)) {
		gid_t *groups = xmalloc(len);
		size_t i;

		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &len) == 0)
			for (i = 0; i < len / sizeof(gid_t); i++)
				if (groups[i] == s->gid)
					found = true;
		free(groups);
	}
#endif
	return found;
}

static void
conn_new(struct server *s, int fd)
{
	struct ucred cr = { 0 };
	struct conn *c;

	if (!peer_allowed(s, fd, &cr)) {
		log_warn("refused a client (pid %ld, uid %ld, gid %ld) on %s",
		    (long)cr.pid, (long)cr.uid, (long)cr.gid, s->path);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->server = s;
	c->fd = fd;
	c->id = ++s->next_id;
	c->pid = cr.pid;
	c->uid = cr.uid;
	c->in.max = s->max_message;
	c->last_call = c->last_sent = ev_now(s->loop);
	c->sconn = service_conn_new(s->svc);
	ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
	ev_init(&c->timer, conn_timer_cb);
	c->rio.data = c->wio.data = c->timer.data = c;
	TAILQ_INSERT_TAIL(&s->conns, c, entry);
	s->n_conns++;
	ev_io_start(s->loop, &c->rio);
	conn_timer_arm(c);
	log_debug("client %llu connected (pid %ld, uid %ld)",
	    (unsigned long long)c->id, (long)cr.pid, (long)cr.uid);
}

static void
accept_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;

	ev_io_start(loop, &s->accept_io);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server *s = w->data;
	int fd, i;

	for (i = 0; i < 64; i++) {
		fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: the pending client stays
				 * queued; try again a little later instead of
				 * spinning on a readable socket. */
				log_warn("accept on %s: %s; pausing",
				    s->path, strerror(errno));
				ev_io_stop(loop, w);
				ev_timer_set(&s->accept_retry, 0.5, 0.0);
				ev_timer_start(loop, &s->accept_retry);
			}
			return;
		}
		if (s->n_conns >= s->max_clients) {
			/* Full: the client sees the connection closed, and we
			 * stop accepting until a slot is free. */
			log_warn("%u clients connected on %s, refusing more",
			    s->max_clients, s->path);
			close(fd);
			ev_io_stop(loop, w);
			return;
		}
		conn_new(s, fd);
	}
}

/* ---- the listening socket ---- */

/*
 * The socket's mode: as configured, else 0660 for a system daemon or with
 * a group to let in, else 0600 (a user's own daemon).
 */
static mode_t
server_mode(const struct server_opts *opts)
{
	if (opts->mode)
		return opts->mode;
	return geteuid() == 0 || opts->group != NULL ? 0660 : 0600;
}

/* mkdir -p of path's directory; the last one gets mode, the others 0755. */
static int
make_parent(const char *path, mode_t mode, char **ret_err)
{
	char *dir, *p;
	struct stat st;

	dir = xstrdup(path);
	if ((p = strrchr(dir, '/')) == NULL || p == dir) {
		free(dir);
		return 0;
	}
	*p = '\0';
	if (stat(dir, &st) == 0) {
		free(dir);
		return 0;
	}
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char save = *p;

		*p = '\0';
		if (mkdir(dir, save == '\0' ? mode : 0755) == -1 &&
		    errno != EEXIST) {
			*ret_err = xasprintf("cannot create directory %s: %s",
			    dir, strerror(errno));
			free(dir);
			return -1;
		}
		if (save == '\0')
			break;
		*p = save;
	}
	free(dir);
	return 0;
}

/*
 * Removes a socket file left behind by a dead server, after proving it is
 * dead: connecting is refused.  Anything else at path is left alone.
 */
static int
remove_stale(const char *path, const struct sockaddr_un *sun,
    char **ret_err)
{
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		*ret_err = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		*ret_err = xasprintf("%s exists and is not a socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*ret_err = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	e = errno;
	close(fd);
	if (rc == 0) {
		*ret_err = xasprintf("another server is listening on %s", path);
		return -1;
	}
	if (e != ECONNREFUSED) {
		*ret_err = xasprintf("%s: %s (not removing it)", path,
		    strerror(e));
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		*ret_err = xasprintf("cannot remove stale socket %s: %s",
		    path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
resolve_group(const char *name, gid_t *ret, char **ret_err)
{
	struct group gr, *res = NULL;
	char buf[16384], *end;
	unsigned long v;
	int e;

	errno = 0;
	v = strtoul(name, &end, 10);
	if (*name != '\0' && *end == '\0' && errno == 0 && v < (gid_t)-1) {
		*ret = (gid_t)v;
		return 0;
	}
	e = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (res == NULL) {
		*ret_err = xasprintf("unknown group %s%s%s", name,
		    e ? ": " : "", e ? strerror(e) : "");
		return -1;
	}
	*ret = gr.gr_gid;
	return 0;
}

static int
listen_path(struct server *s, const struct server_opts *opts,
    char **ret_err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t mode = server_mode(opts), old;
	struct stat st;
	int fd, rc;

	if (strlen(opts->path) >= sizeof(sun.sun_path)) {
		*ret_err = xasprintf("socket path too long (%zu bytes, at most "
		    "%zu): %s", strlen(opts->path), sizeof(sun.sun_path) - 1,
		    opts->path);
		return -1;
	}
	memcpy(sun.sun_path, opts->path, strlen(opts->path) + 1);
	/* A directory only we can enter unless others may connect. */
	if (make_parent(opts->path, (mode & 077) ? 0755 : 0700, ret_err) == -1)
		return -1;
	if (remove_stale(opts->path, &sun, ret_err) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*ret_err = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	/* bind() creates the file with the umask: never more than mode,
	 * not even for an instant. */
	old = umask(~mode & 0777);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc == -1) {
		*ret_err = xasprintf("cannot bind %s: %s", opts->path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (lstat(opts->path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	s->bound = true;
	s->fd = fd;
	if ((opts->group != NULL &&
	    chown(opts->path, (uid_t)-1, s->gid) == -1) ||
	    chmod(opts->path, mode) == -1) {
		*ret_err = xasprintf("cannot set owner or mode of %s: %s",
		    opts->path, strerror(errno));
		return -1;
	}
	if (listen(fd, SOMAXCONN) == -1) {
		*ret_err = xasprintf("cannot listen on %s: %s", opts->path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* A socket from systemd: check it is what we need, change nothing. */
static int
listen_fd(struct server *s, int fd, char **ret_err)
{
	int type = 0, acc = 0, flags;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM) {
		*ret_err = xasprintf("inherited descriptor %d is not a stream "
		    "socket", fd);
		return -1;
	}
	len = sizeof(acc);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == -1 ||
	    !acc) {
		*ret_err = xasprintf("inherited socket %d is not listening",
		    fd);
		return -1;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		*ret_err = xasprintf("fcntl on inherited socket %d: %s", fd,
		    strerror(errno));
		return -1;
	}
	s->fd = fd;
	return 0;
}

int
server_new(struct ev_loop *loop, struct store *store,
    const struct server_opts *opts, const struct server_hooks *hooks,
    struct server **ret, char **ret_err)
{
	struct server *s;
	char *err = NULL;

	if (!opts->have_fd && (opts->path == NULL || *opts->path == '\0')) {
		if (ret_err)
			*ret_err = xstrdup("no socket path");
		return -1;
	}
	s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->store = store;
	s->hooks = *hooks;
	s->fd = -1;
	s->path = xstrdup(opts->path ? opts->path : "(inherited socket)");
	s->max_clients = opts->max_clients ? opts->max_clients :
	    DEFAULT_MAX_CLIENTS;
	s->idle_timeout = opts->idle_timeout > 0 ? opts->idle_timeout :
	    DEFAULT_IDLE_TIMEOUT;
	s->send_timeout = opts->send_timeout > 0 ? opts->send_timeout :
	    DEFAULT_SEND_TIMEOUT;
	s->max_message = opts->max_message ? opts->max_message :
	    VARLINK_MAX_MESSAGE;
	TAILQ_INIT(&s->conns);
	TAILQ_INIT(&s->dead);
	TAILQ_INIT(&s->kicked);
	TAILQ_INIT(&s->held);
	/*
	 * Who may connect besides us and root: the socket's group, when its
	 * mode lets the group in (an inherited socket: systemd's
	 * SocketGroup=, checked with the file mode by the kernel already).
	 */
	s->gid = getegid();
	if (opts->group != NULL && resolve_group(opts->group, &s->gid,
	    &err) == -1)
		goto fail;
	s->allow_group = opts->have_fd || opts->group != NULL ||
	    (server_mode(opts) & 0060);
	if ((opts->have_fd ? listen_fd(s, opts->fd, &err) :
	    listen_path(s, opts, &err)) == -1)
		goto fail;
	s->svc = service_new(store, &s->hooks, s);
	ev_io_init(&s->accept_io, accept_cb, s->fd, EV_READ);
	ev_init(&s->accept_retry, accept_retry_cb);
	ev_prepare_init(&s->reaper, reaper_cb);
	ev_idle_init(&s->nudge, nudge_cb);
	s->accept_io.data = s->accept_retry.data = s->reaper.data = s;
	ev_io_start(loop, &s->accept_io);
	*ret = s;
	return 0;
fail:
	if (ret_err)
		*ret_err = err;
	else
		free(err);
	server_free(s);
	return -1;
}

void
server_notify_items(struct server *s, const int64_t *ids, size_t n)
{
	if (s != NULL && n > 0)
		service_notify(s->svc, ids, n);
}

size_t
server_clients(const struct server *s)
{
	return s->n_conns;
}

void
server_free(struct server *s)
{
	struct server_call *call;
	struct conn *c;
	struct stat st;

	if (s == NULL)
		return;
	while ((c = TAILQ_FIRST(&s->conns)) != NULL)
		conn_close(c, NULL);
	if (s->svc != NULL)
		reaper_cb(s->loop, &s->reaper, 0);
	/* Calls still waiting for the daemon end without us. */
	while ((call = TAILQ_FIRST(&s->held)) != NULL) {
		TAILQ_REMOVE(&s->held, call, entry);
		call->server = NULL;
		call->held = false;
	}
	if (s->svc != NULL) {
		ev_io_stop(s->loop, &s->accept_io);
		ev_timer_stop(s->loop, &s->accept_retry);
		ev_prepare_stop(s->loop, &s->reaper);
		ev_idle_stop(s->loop, &s->nudge);
	}
	service_free(s->svc);
	if (s->fd != -1)
		close(s->fd);
	/* Unlink only the file we bound, not one a successor put there. */
	if (s->bound && lstat(s->path, &st) == 0 && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	free(s->path);
	free(s);
}
