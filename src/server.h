/*
 * server: the Varlink service on a Unix stream socket, run in the daemon's
 * libev loop.  Owns the listening socket, the client connections (their
 * buffers, timeouts and limits), and the streams of Watch; the method
 * handlers themselves live in service.c and work on the store.
 *
 * What the daemon does and the server cannot (fetching, extracting,
 * knowing its own state) it provides through struct server_hooks.
 */
#ifndef FEEDD_SERVER_H
#define FEEDD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ev_loop;
struct server;
struct store;

struct server_opts {
	/*
	 * Where to listen.  The directory is created if missing (mode 0755
	 * for a system socket, 0700 under $XDG_RUNTIME_DIR); an existing
	 * socket file is replaced only when connecting to it proves nobody
	 * listens (ECONNREFUSED).  Also named in messages when fd is used.
	 */
	const char	*path;
	/*
	 * have_fd: use fd, an already listening socket handed over by systemd
	 * (LISTEN_FDS); the server never binds, chmods or unlinks it.
	 */
	bool		 have_fd;
	int		 fd;
	/* Socket file mode; 0: 0660 as root or with group, else 0600. */
	mode_t		 mode;
	/*
	 * Group (name or number) given the socket, whose members may connect
	 * (checked again with SO_PEERCRED); NULL: the daemon's own group.
	 */
	const char	*group;
	unsigned	 max_clients;	/* 0: 1024 */
	double		 idle_timeout;	/* seconds without a call; 0: 600 */
	/* Seconds a client may leave replies unread before it is dropped. */
	double		 send_timeout;	/* 0: 30 */
	size_t		 max_message;	/* bytes of one message; 0: 1 MiB */
};

/* What the daemon reports in Status. */
struct server_status {
	int64_t		 started;	/* Unix time the daemon started */
	const char	*state;		/* "running", "reloading", "stopping" */
	size_t		 fetches_in_flight;
	size_t		 fetches_queued;	/* due but waiting for a slot */
	size_t		 extractions_in_flight;
	int64_t		 next_fetch;	/* Unix time the next feed is due, 0 */
	const char	*config_path;	/* may be NULL */
	const char	*db_path;	/* may be NULL */
};

/*
 * Called exactly once when an asynchronous request finished: err is NULL
 * on success, else a one-line reason.  It may be called from inside the
 * hook that started the request, and after server_free() (the server
 * keeps what it needs until then), but never after the loop is gone.
 */
typedef void (*server_done_cb)(void *arg, const char *err);

struct server_hooks {
	void	*ctx;
	/*
	 * Fetch the named feeds now (n == 0: every feed); done_cb once those
	 * fetches and the extractions they started are over.  Returns -1 with
	 * *ret_err (e.g. "no feed named x") without calling done_cb when it
	 * cannot start.  May be NULL: Refresh then fails.
	 */
	int	(*refresh)(void *ctx, const char *const *names, size_t n,
		    server_done_cb done_cb, void *arg, char **ret_err);
	/* Fills *ret (strings borrowed until the next loop iteration). */
	void	(*status)(void *ctx, struct server_status *ret);
	/*
	 * A runtime feed was written to the store (store_feed_ensure with
	 * STORE_ORIGIN_RUNTIME) or removed (store_feed_remove): schedule or
	 * stop it.
	 */
	void	(*feed_added)(void *ctx, const char *name);
	void	(*feed_removed)(void *ctx, const char *name);
	/*
	 * Extract item id's article again now; done_cb when stored.  Same
	 * rules as refresh.  May be NULL.
	 */
	int	(*extract_item)(void *ctx, int64_t id, server_done_cb done_cb,
		    void *arg, char **ret_err);
	/*
	 * Extract again the articles of feed name's newest items (at most
	 * limit); *ret_queued: how many were queued, set before done_cb
	 * can run.  done_cb once all are stored or failed (possibly before
	 * this returns), never when this fails.  May be NULL.
	 */
	int	(*extract_feed)(void *ctx, const char *name, size_t limit,
		    server_done_cb done_cb, void *arg, size_t *ret_queued,
		    char **ret_err);
};

/*
 * Starts listening and serving in loop.  The store and the hooks are
 * borrowed and must outlive the server.  Fails (nothing left behind) if
 * the socket cannot be set up, e.g. another feedd answers on path.
 */
int	server_new(struct ev_loop *, struct store *, const struct server_opts *,
	    const struct server_hooks *, struct server **ret, char **ret_err);

/*
 * Items were stored for the first time or changed (ids as in struct
 * store_apply_result, or after an extraction): Watch streams them.
 */
void	server_notify_items(struct server *, const int64_t *ids, size_t n);

/* Number of connected clients, for Status and tests. */
size_t	server_clients(const struct server *);

/*
 * Closes every connection and the listening socket, and unlinks the socket
 * file it bound (never an inherited one).  Accepts NULL.
 */
void	server_free(struct server *);

#endif
