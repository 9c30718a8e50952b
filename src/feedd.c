/*
 * feedd: the daemon's entry point.  Owns the process: options, the
 * configuration load (and --check-config), the state directory and its
 * lock, the sockets systemd passes, signals (SIGHUP reload, SIGTERM/SIGINT
 * stop), the service manager's notifications and the event loop.  It never
 * forks into the background (daemon(7)): --foreground only says so.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "daemon.h"
#include "log.h"
#include "sdnotify.h"
#include "util.h"

struct feedd {
	struct ev_loop	*loop;
	struct daemon	*daemon;
	ev_signal	 sighup, sigterm, sigint;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: feedd [-c FILE] [--foreground] [--check-config] "
	    "[--version] [--help]\n");
}

static void
help(void)
{
	usage(stdout);
	printf("\n"
	    "Follows the feeds of feedd.conf and feeds.d/, stores their items\n"
	    "and serves them on a Unix socket (see feedctl(1)).  Runs in the\n"
	    "foreground; SIGHUP reloads the configuration, SIGTERM stops.\n"
	    "\n"
	    "  -c, --config FILE  the configuration (default: %s)\n"
	    "      --foreground   stay in the foreground (always the case)\n"
	    "      --check-config check the configuration and exit\n"
	    "      --version      print the version and exit\n"
	    "      --help         print this help and exit\n",
	    geteuid() == 0 ? "/etc/feedd/feedd.conf" :
	    "$XDG_CONFIG_HOME/feedd/feedd.conf");
}

/* mkdir -p: parents 0755, the directory itself with mode. */
static int
make_dirs(const char *path, mode_t mode)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST) {
			rc = -1;
			break;
		}
		*s = '/';
	}
	if (rc == 0 && mkdir(p, mode) == -1 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

/*
 * Locks the state directory for this process (the lock goes with it, even
 * after kill -9).  Returns the lock's fd, or -1 after printing why.
 */
static int
lock_state_dir(const char *dir)
{
	char *path = xasprintf("%s/feedd.lock", dir);
	char pid[32] = "";
	int fd, n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		log_err("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = (int)pread(fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			log_err("state directory %s is in use by another feedd%s"
			    "%s%s; stop it first, or give this one another "
			    "state_dir", dir, *pid ? " (pid " : "", pid,
			    *pid ? ")" : "");
		} else
			log_err("%s: cannot lock: %s", path, strerror(errno));
		close(fd);
		free(path);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("%s: cannot write our pid: %s", path, strerror(errno));
	free(path);
	return fd;
}

static void
notify_ready(struct feedd *fd)
{
	char *st = daemon_status_line(fd->daemon);

	sdnotifyf(NULL, "READY=1\nSTATUS=%s", st);
	free(st);
}

static void
sighup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct feedd *fd = w->data;
	struct timespec ts;
	char *errs = NULL;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sdnotifyf(NULL, "RELOADING=1\nSTATUS=reloading the configuration\n"
	    "MONOTONIC_USEC=%llu", (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000);
	log_notice("SIGHUP: reloading the configuration");
	if (daemon_reload(fd->daemon, &errs) == -1) {
		char *line, *save = NULL;

		log_err("reload refused, the previous configuration keeps "
		    "running:");
		for (line = strtok_r(errs, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			log_err("%s", line);
		free(errs);
	}
	notify_ready(fd);
}

static void
sigterm_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct feedd *fd = w->data;

	log_notice("%s: stopping", w->signum == SIGINT ? "SIGINT" : "SIGTERM");
	sdnotify("STOPPING=1\nSTATUS=stopping", NULL);
	/* Nothing below blocks, but the 5 s promise must hold regardless:
	 * SIGALRM's default action ends the process. */
	signal(SIGALRM, SIG_DFL);
	alarm(5);
	daemon_stop(fd->daemon);
	ev_break(loop, EVBREAK_ALL);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts dopts = { .listen_fd = -1 };
	struct feedd fd = { 0 };
	struct config *cfg = NULL;
	char *path = NULL, *errs = NULL, *err = NULL;
	bool check = false, is_default;
	int c, lockfd, n_fds, status = 1;

	log_init("feedd", LOG_INFO);
	while ((c = getopt_long(argc, argv, "c:fnVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			str_set(&path, optarg);
			break;
		case 'f':
			break;
		case 'n':
			check = true;
			break;
		case 'V':
			printf("feedd %s\n", PACKAGE_VERSION);
			free(path);
			return 0;
		case 'h':
			help();
			free(path);
			return 0;
		default:
			usage(stderr);
			free(path);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		free(path);
		return 2;
	}
	is_default = path == NULL;
	if (is_default)
		path = config_default_path();

	if (config_load(path, is_default, &cfg, &errs) == -1) {
		fputs(errs, stderr);
		if (*errs != '\0' && errs[strlen(errs) - 1] != '\n')
			fputc('\n', stderr);
		if (!check)
			fprintf(stderr, "feedd: not started: the configuration "
			    "has errors\n");
		free(errs);
		free(path);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		config_free(cfg);
		free(path);
		return 0;
	}
	log_set_level(cfg->log_level);

	if (make_dirs(cfg->state_dir, 0700) == -1) {
		log_err("state directory %s: %s", cfg->state_dir,
		    strerror(errno));
		goto out;
	}
	if ((lockfd = lock_state_dir(cfg->state_dir)) == -1)
		goto out;

	n_fds = sdnotify_listen_fds();
	if (n_fds > 0) {
		if (sdnotify_is_unix_listener(SDNOTIFY_LISTEN_FDS_START))
			dopts.listen_fd = SDNOTIFY_LISTEN_FDS_START;
		else
			log_warn("the socket passed by systemd is not a "
			    "listening Unix stream socket: ignored");
		if (n_fds > 1)
			log_warn("systemd passed %d sockets; only the first "
			    "is used", n_fds);
	}

	signal(SIGPIPE, SIG_IGN);
	fd.loop = ev_default_loop(EVFLAG_AUTO);
	if (fd.loop == NULL) {
		log_err("cannot initialise the event loop");
		close(lockfd);
		goto out;
	}
	dopts.config_path = path;
	dopts.config_is_default = is_default;
	log_info("feedd %s starting: configuration %s, state %s",
	    PACKAGE_VERSION, path, cfg->state_dir);
	/* daemon_new takes cfg, also when it fails. */
	if (daemon_new(fd.loop, cfg, &dopts, &fd.daemon, &err) == -1) {
		cfg = NULL;
		log_err("%s", err);
		free(err);
		sdnotifyf(NULL, "STATUS=failed to start\nERRNO=%d", EINVAL);
		close(lockfd);
		goto out;
	}
	cfg = NULL;

	ev_signal_init(&fd.sighup, sighup_cb, SIGHUP);
	ev_signal_init(&fd.sigterm, sigterm_cb, SIGTERM);
	ev_signal_init(&fd.sigint, sigterm_cb, SIGINT);
	fd.sighup.data = fd.sigterm.data = fd.sigint.data = &fd;
	ev_signal_start(fd.loop, &fd.sighup);
	ev_signal_start(fd.loop, &fd.sigterm);
	ev_signal_start(fd.loop, &fd.sigint);

	{
		char *st = daemon_status_line(fd.daemon);

		log_notice("ready: %s", st);
		free(st);
	}
	notify_ready(&fd);
	ev_run(fd.loop, 0);

	ev_signal_stop(fd.loop, &fd.sighup);
	ev_signal_stop(fd.loop, &fd.sigterm);
	ev_signal_stop(fd.loop, &fd.sigint);
	daemon_free(fd.daemon);
	ev_loop_destroy(fd.loop);
	close(lockfd);
	log_notice("stopped");
	status = 0;
out:
	config_free(cfg);
	free(path);
	return status;
}
