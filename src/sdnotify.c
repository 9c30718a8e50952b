/*
 * sdnotify: sd_notify(3) and sd_listen_fds(3), written from their
 * documentation: a datagram of "KEY=value" lines to the Unix socket in
 * $NOTIFY_SOCKET (a path, or an abstract name when it starts with '@'),
 * and sockets from fd 3 on when $LISTEN_PID is ours.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"

int
sdnotify(const char *state, char **ret_err)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	size_t plen;
	ssize_t n;
	int fd;

	if (path == NULL || *path == '\0')
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sun.sun_path)) {
		if (ret_err != NULL)
			*ret_err = xasprintf("NOTIFY_SOCKET=%s: not a socket "
			    "address", path);
		return -1;
	}
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';		/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '@' ? 0 : 1));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len);
	if (n == -1)
		goto fail;
	close(fd);
	return 0;
fail:
	if (ret_err != NULL)
		*ret_err = xasprintf("notify %s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

int
sdnotifyf(char **ret_err, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	rc = sdnotify(s, ret_err);
	free(s);
	return rc;
}

int
sdnotify_listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID");
	const char *fds = getenv("LISTEN_FDS");
	char *end;
	long p, n, i;

	if (pid == NULL || fds == NULL)
		return 0;
	errno = 0;
	p = strtol(pid, &end, 10);
	if (errno != 0 || *end != '\0' || p != (long)getpid())
		return 0;
	n = strtol(fds, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		int fd = SDNOTIFY_LISTEN_FDS_START + (int)i;
		int fl = fcntl(fd, F_GETFD);

		if (fl == -1)
			return (int)i;
		fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (int)n;
}

bool
sdnotify_is_unix_listener(int fd)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int type = 0, acc = 0;
	socklen_t l = sizeof(type);

	if (getsockname(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    sun.sun_family != AF_UNIX)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) == -1 ||
	    type != SOCK_STREAM)
		return false;
	l = sizeof(acc);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) == -1)
		return false;
	return acc != 0;
}
