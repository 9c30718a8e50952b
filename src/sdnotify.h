/*
 * sdnotify: the two systemd interfaces feedd speaks without libsystemd,
 * both documented and stable (sd_notify(3), sd_listen_fds(3)): status
 * datagrams to $NOTIFY_SOCKET, and sockets passed with $LISTEN_FDS.
 * Outside systemd both are no-ops.
 */
#ifndef FEEDD_SDNOTIFY_H
#define FEEDD_SDNOTIFY_H

#include <stdbool.h>

#include "util.h"

#define SDNOTIFY_LISTEN_FDS_START 3

/*
 * Sends state ("READY=1", "STATUS=...", several lines allowed) to the
 * service manager.  0 when sent or when there is no manager to tell; -1
 * with *ret_err when $NOTIFY_SOCKET is set but the send failed.
 */
int	sdnotify(const char *state, char **ret_err);
int	sdnotifyf(char **ret_err, const char *fmt, ...) PRINTF_LIKE(2, 3);

/*
 * The sockets passed by the service manager, if they are meant for this
 * process ($LISTEN_PID): returns their number n (0 if none), the first
 * being SDNOTIFY_LISTEN_FDS_START, each marked close-on-exec.  The
 * variables are removed from the environment so children do not inherit
 * them.
 */
int	sdnotify_listen_fds(void);

/* True if fd is a listening Unix stream socket. */
bool	sdnotify_is_unix_listener(int fd);

#endif
