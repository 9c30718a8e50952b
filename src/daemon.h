/*
 * daemon: the running feedd -- the per-feed runtime (schedule timer, fetch
 * in flight, fetch state) and the pipeline every fetch goes through:
 *
 *   due -> fetch -> (304: done) -> parse -> keep/block rules ->
 *   the batch: the feeds fetched close together are stored in one
 *   transaction, a savepoint each (store_batch_begin), when the loop is
 *   idle or the batch is full -> after the commit: notify watchers ->
 *   full text wanted? -> article fetches (lower priority, address guard)
 *   -> extract -> store the article (or its error) -> notify
 *
 * It also owns the store, the fetcher and the Varlink server, reloads the
 * configuration, and runs retention and store maintenance in slices.  It
 * logs one line per decision.  feedd.c owns the process: options, state
 * directory lock, signals and the service manager's notifications.
 */
#ifndef FEEDD_DAEMON_H
#define FEEDD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct daemon;
struct ev_loop;

struct daemon_opts {
	const char	*config_path;	/* re-read on reload; NULL: none */
	bool		 config_is_default;
	int		 listen_fd;	/* socket from systemd, or -1 */
};

/* Counts for the service manager's STATUS= line and for Status. */
struct daemon_counts {
	size_t		 feeds;		/* followed and scheduled */
	size_t		 fetching;	/* feed transfers running */
	size_t		 queued;	/* feed transfers waiting for a slot */
	size_t		 articles;	/* article fetches queued or running */
	int64_t		 items;
	int64_t		 unread;
	size_t		 errors;	/* feeds whose last fetch failed */
};

/*
 * Opens the database in cfg->state_dir (which must exist and be locked
 * by the caller), starts the fetcher and the server, and schedules every
 * feed.  Takes cfg, also on failure.
 */
int	daemon_new(struct ev_loop *, struct config *cfg,
	    const struct daemon_opts *, struct daemon **ret, char **ret_err);

/*
 * Re-reads the configuration: added feeds start, removed ones stop (items
 * stay), changed ones apply.  A configuration with errors is refused: -1
 * with every error in *ret_errs, and the old one keeps running.
 */
int	daemon_reload(struct daemon *, char **ret_errs);

/*
 * Stops taking work: the fetched feeds not stored yet are stored, the
 * server closes, transfers are cancelled, timers stop; waiting Refresh
 * calls are told feedd is stopping.  Nothing is in the middle of a
 * transaction when this runs (each is synchronous, within one callback).
 */
void	daemon_stop(struct daemon *);

void	daemon_counts(struct daemon *, struct daemon_counts *ret);
/* "12 feeds, 3 fetching, 1,234 items (56 unread)" for STATUS=. */
char	*daemon_status_line(struct daemon *);

void	daemon_free(struct daemon *);

#endif
