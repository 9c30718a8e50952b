/*
 * ctl_digest: `feedctl digest`, the cron job.  It asks feedd for the items
 * (leasing the cursor, if one is named), renders them (digest.c), writes
 * them out in full, and only then moves the cursor.  Any failure before
 * that -- a write error, a kill, a lost connection -- leaves the cursor
 * where it was, so the next run delivers the same items again: each item
 * reaches exactly one completed digest per cursor.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "ctl.h"
#include "digest.h"
#include "util.h"

#define CMD	"digest"

static void
usage(FILE *f)
{
	fprintf(f, "usage: feedctl digest [--since WHEN] [--cursor NAME] "
	    "[--feed NAME]... [--unread]\n"
	    "           [--format text|markdown|html|json|mbox] [--per-item] "
	    "[--full | --excerpt N]\n"
	    "           [--mark-read] [--limit N] [--output FILE | --pipe COMMAND] "
	    "[--always]\n"
	    "           [--to ADDR] [--from ADDR] [--subject TEXT]\n"
	    "       feedctl digest --input FILE [--format ...] [--output FILE] "
	    "...\n");
}

/* Writes all of [p, p+len) to fd. */
static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Replaces path with data atomically: a temporary file beside it, synced,
 * renamed over it, and the directory synced, so a reader (a web server)
 * sees the old page or the new one, and a crash leaves one of them.
 */
static int
write_file_atomic(const char *path, const char *data, size_t len,
    char **ret_err)
{
	const char *slash = strrchr(path, '/');
	char *dir, *tmp;
	mode_t mask;
	int fd, dfd, e;

	dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
	tmp = xasprintf("%s/.%s.XXXXXX", dir, slash ? slash + 1 : path);
	if ((fd = mkstemp(tmp)) == -1) {
		*ret_err = xasprintf("cannot create a file in %s: %s", dir,
		    strerror(errno));
		goto fail_nofile;
	}
	/* mkstemp makes 0600; a page or mailbox wants the usual mode. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1 || write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		e = errno;
		close(fd);
		*ret_err = xasprintf("cannot write %s: %s", tmp, strerror(e));
		goto fail;
	}
	if (close(fd) == -1) {
		*ret_err = xasprintf("cannot write %s: %s", tmp,
		    strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		*ret_err = xasprintf("cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto fail;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		/* The rename is durable once its directory is. */
		if (fsync(dfd) == -1 && errno != EINVAL) {
			*ret_err = xasprintf("cannot sync %s: %s", dir,
			    strerror(errno));
			close(dfd);
			goto fail_nofile;
		}
		close(dfd);
	}
	free(tmp);
	free(dir);
	return 0;
fail:
	unlink(tmp);
fail_nofile:
	free(tmp);
	free(dir);
	return -1;
}

/*
 * Writes to standard output and closes it, so that nothing is left in a
 * buffer and a failed close (NFS, a full disk) is seen.  A regular file
 * is synced too.
 */
static int
write_stdout(const char *data, size_t len, char **ret_err)
{
	struct stat st;

	if (write_all(STDOUT_FILENO, data, len) == -1) {
		*ret_err = xasprintf("cannot write the digest: %s",
		    strerror(errno));
		return -1;
	}
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    fsync(STDOUT_FILENO) == -1) {
		*ret_err = xasprintf("cannot sync the digest: %s",
		    strerror(errno));
		return -1;
	}
	if (close(STDOUT_FILENO) == -1) {
		*ret_err = xasprintf("cannot write the digest: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Hands the digest to a command (sendmail -t) on its standard input and
 * waits for it: delivered means the command read it all and exited 0, so
 * a mail system that refuses the message leaves the cursor in place.
 */
static int
write_command(const char *cmd, const char *data, size_t len, char **ret_err)
{
	int fds[2], status, e = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1) {
		*ret_err = xasprintf("pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		*ret_err = xasprintf("fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(fds[0], STDIN_FILENO) == -1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	if (write_all(fds[1], data, len) == -1)
		e = errno;
	close(fds[1]);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			*ret_err = xasprintf("waiting for '%s': %s", cmd,
			    strerror(errno));
			return -1;
		}
	}
	if (WIFSIGNALED(status)) {
		*ret_err = xasprintf("'%s' was killed by signal %d", cmd,
		    WTERMSIG(status));
		return -1;
	}
	if (WEXITSTATUS(status) != 0) {
		*ret_err = xasprintf("'%s' failed (exit status %d)", cmd,
		    WEXITSTATUS(status));
		return -1;
	}
	if (e != 0) {
		*ret_err = xasprintf("'%s' did not read the whole digest: %s",
		    cmd, strerror(e));
		return -1;
	}
	return 0;
}

/* "feedd <user@host>", the default sender of mail digests. */
static char *
default_from(void)
{
	const struct passwd *pw = getpwuid(geteuid());
	char host[256];

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	return xasprintf("feedd <%s@%s>", pw != NULL && pw->pw_name != NULL ?
	    pw->pw_name : "feedd", host);
}

/* The domain of the From address, for Message-IDs. */
static char *
domain_of(const char *from)
{
	const char *at = strrchr(from, '@');

	if (at == NULL)
		return NULL;
	at++;
	return xstrndup(at, strcspn(at, "> \t,"));
}

/* Adds the feeds of "a,b" to an array. */
static void
add_feeds(json_t *arr, const char *s)
{
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, ",");
		if (n > 0)
			json_array_append_new(arr, json_stringn(s, n));
		s += n;
		if (*s == ',')
			s++;
	}
}

static int
parse_count(const char *s, long long max, long long *ret)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > max)
		return -1;
	*ret = v;
	return 0;
}

/* Ids of the items delivered and of the other copies of their stories. */
static json_t *
delivered_ids(const json_t *items)
{
	json_t *ids = json_array(), *item, *c;
	size_t i, j;

	json_array_foreach(items, i, item) {
		json_array_append(ids, json_object_get(item, "id"));
		json_array_foreach(json_object_get(item, "also"), j, c)
			if (json_is_integer(json_object_get(c, "id")))
				json_array_append(ids, json_object_get(c, "id"));
	}
	return ids;
}

enum {
	OPT_SINCE = 0x100, OPT_CURSOR, OPT_FEED, OPT_UNREAD, OPT_FORMAT,
	OPT_PER_ITEM, OPT_FULL, OPT_EXCERPT, OPT_MARK_READ, OPT_LIMIT,
	OPT_OUTPUT, OPT_TO, OPT_FROM, OPT_SUBJECT, OPT_ALWAYS, OPT_INPUT,
	OPT_PIPE,
};

/*
 * Items saved earlier: a JSON array of items, or an object with one
 * ("items"), as --format json and DigestBegin give them.
 */
static json_t *
load_items(const char *path)
{
	json_error_t jerr;
	json_t *root, *items;

	root = strcmp(path, "-") == 0 ? json_loadf(stdin, 0, &jerr) :
	    json_load_file(path, 0, &jerr);
	if (root == NULL) {
		fprintf(stderr, "feedctl: digest: %s:%d: %s\n", path,
		    jerr.line, jerr.text);
		return NULL;
	}
	items = json_is_array(root) ? root : json_object_get(root, "items");
	if (!json_is_array(items)) {
		fprintf(stderr, "feedctl: digest: %s: no array of items\n",
		    path);
		json_decref(root);
		return NULL;
	}
	json_incref(items);
	json_decref(root);
	return items;
}

/* Renders and writes; the message is printed.  0 or CTL_EXIT_ERROR. */
static int
deliver(const json_t *items, const struct digest_opts *dopts,
    const char *output, const char *command, bool always)
{
	struct buf out = { 0 };
	char *err = NULL;
	int rc = CTL_EXIT_OK;

	if (json_array_size(items) == 0 && !always)
		return CTL_EXIT_OK;	/* nothing for cron to mail */
	if (digest_render(items, dopts, &out, &err) == -1) {
		fprintf(stderr, "feedctl: digest: %s\n", err);
		rc = CTL_EXIT_ERROR;
	} else if ((output != NULL ? write_file_atomic(output, out.data,
	    out.len, &err) : command != NULL ? write_command(command, out.data,
	    out.len, &err) : write_stdout(out.data, out.len, &err)) == -1) {
		fprintf(stderr, "feedctl: digest: %s\n", err);
		rc = CTL_EXIT_ERROR;
	}
	free(err);
	buf_free(&out);
	return rc;
}

int
ctl_digest(int argc, char **argv, struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "cursor", required_argument, NULL, OPT_CURSOR },
		{ "feed", required_argument, NULL, OPT_FEED },
		{ "unread", no_argument, NULL, OPT_UNREAD },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "per-item", no_argument, NULL, OPT_PER_ITEM },
		{ "full", no_argument, NULL, OPT_FULL },
		{ "excerpt", required_argument, NULL, OPT_EXCERPT },
		{ "mark-read", no_argument, NULL, OPT_MARK_READ },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "to", required_argument, NULL, OPT_TO },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "subject", required_argument, NULL, OPT_SUBJECT },
		{ "always", no_argument, NULL, OPT_ALWAYS },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "pipe", required_argument, NULL, OPT_PIPE },
		{ "help", no_argument, NULL, 'h' },
		CTL_GLOBAL_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct digest_opts dopts = {
		.format = DIGEST_TEXT,
		.excerpt = DIGEST_DEFAULT_EXCERPT,
	};
	const char *cursor = NULL, *output = NULL, *since_arg = NULL;
	const char *to = NULL, *from = NULL, *subject = NULL, *lease;
	const char *input = NULL, *command = NULL;
	bool unread = false, mark_read = false, always = false;
	bool excerpt_set = false;
	long long limit = 0, v;
	int64_t now = (int64_t)time(NULL), when, since = 0, position;
	json_t *feeds = json_array(), *params, *reply = NULL, *items;
	struct client *cl = NULL;
	char *from_default = NULL, *domain = NULL;
	char *error = NULL, *aerr = NULL;
	int c, rc = CTL_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		switch (c) {
		case OPT_SINCE:
			since_arg = optarg;
			if (ctl_parse_when(optarg, now, &when) == -1 ||
			    when >= now) {
				fprintf(stderr, "feedctl: digest: --since: "
				    "'%s' is not a time in the past (24h, 7d, "
				    "2025-01-31T00:00:00Z)\n", optarg);
				goto out;
			}
			since = now - when;
			break;
		case OPT_CURSOR:
			cursor = optarg;
			break;
		case OPT_FEED:
			add_feeds(feeds, optarg);
			break;
		case OPT_UNREAD:
			unread = true;
			break;
		case OPT_FORMAT:
			if (digest_format_parse(optarg, &dopts.format) == -1) {
				fprintf(stderr, "feedctl: digest: --format: "
				    "'%s' is not text, markdown, html, json or "
				    "mbox\n", optarg);
				goto out;
			}
			break;
		case OPT_PER_ITEM:
			dopts.per_item = true;
			break;
		case OPT_FULL:
			dopts.full = true;
			break;
		case OPT_EXCERPT:
			if (parse_count(optarg, 1000000, &v) == -1) {
				fprintf(stderr, "feedctl: digest: --excerpt: "
				    "'%s' is not a number of characters\n",
				    optarg);
				goto out;
			}
			dopts.excerpt = (size_t)v;
			excerpt_set = true;
			break;
		case OPT_MARK_READ:
			mark_read = true;
			break;
		case OPT_LIMIT:
			if (parse_count(optarg, INT_MAX, &limit) == -1 ||
			    limit == 0) {
				fprintf(stderr, "feedctl: digest: --limit: "
				    "'%s' is not a positive number\n", optarg);
				goto out;
			}
			break;
		case OPT_OUTPUT:
			output = optarg;
			break;
		case OPT_TO:
			to = optarg;
			break;
		case OPT_FROM:
			from = optarg;
			break;
		case OPT_SUBJECT:
			subject = optarg;
			break;
		case OPT_ALWAYS:
			always = true;
			break;
		case OPT_INPUT:
			input = optarg;
			break;
		case OPT_PIPE:
			command = optarg;
			break;
		case 'h':
			usage(stdout);
			rc = CTL_EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "feedctl: digest: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		goto out;
	}
	if (dopts.full && excerpt_set) {
		fprintf(stderr, "feedctl: digest: --full and --excerpt "
		    "exclude each other\n");
		goto out;
	}
	if (dopts.format != DIGEST_MBOX && (dopts.per_item || to != NULL ||
	    from != NULL)) {
		fprintf(stderr, "feedctl: digest: --per-item, --to and --from "
		    "need --format mbox\n");
		goto out;
	}
	if (input != NULL && (cursor != NULL || since_arg != NULL ||
	    json_array_size(feeds) > 0 || unread || limit > 0 || mark_read)) {
		fprintf(stderr, "feedctl: digest: --input renders saved items: "
		    "no --cursor, --since, --feed, --unread, --limit or "
		    "--mark-read\n");
		goto out;
	}
	if (output != NULL && command != NULL) {
		fprintf(stderr, "feedctl: digest: --output and --pipe exclude "
		    "each other\n");
		goto out;
	}
	if (output != NULL && *output == '\0') {
		fprintf(stderr, "feedctl: digest: --output: empty file name\n");
		goto out;
	}
	if (dopts.format == DIGEST_MBOX) {
		if (from == NULL)
			from = from_default = default_from();
		domain = domain_of(from);
	}
	dopts.now = now;
	dopts.title = subject;
	dopts.from = from;
	dopts.to = to;
	dopts.msgid_domain = domain;

	/* A closed pipe is an error to report, not a signal to die of. */
	signal(SIGPIPE, SIG_IGN);
	if (input != NULL) {
		if ((items = load_items(input)) == NULL) {
			rc = CTL_EXIT_ERROR;
			goto out;
		}
		rc = deliver(items, &dopts, output, command, always);
		json_decref(items);
		goto out;
	}
	if ((rc = ctl_connect(CMD, opts, &cl)) != CTL_EXIT_OK)
		goto out;
	params = json_object();
	if (cursor != NULL)
		json_object_set_new(params, "cursor", json_string(cursor));
	if (since_arg != NULL)
		json_object_set_new(params, "since", json_integer(since));
	if (json_array_size(feeds) > 0)
		json_object_set(params, "feeds", feeds);
	if (unread)
		json_object_set_new(params, "unread", json_true());
	if (limit > 0)
		json_object_set_new(params, "limit", json_integer(limit));
	/* Excerpts are cut from the bodies too. */
	json_object_set_new(params, "full", json_boolean(dopts.full ||
	    dopts.excerpt > 0));
	if ((rc = ctl_call(CMD, cl, "org.feedd.DigestBegin", params,
	    &reply)) != CTL_EXIT_OK)
		goto out;
	items = json_object_get(reply, "items");
	lease = json_string_value(json_object_get(reply, "lease"));
	position = json_integer_value(json_object_get(reply, "position"));
	if (!json_is_array(items) || (cursor != NULL && lease == NULL)) {
		fprintf(stderr, "feedctl: digest: malformed reply from feedd\n");
		rc = CTL_EXIT_ERROR;
		goto abort;
	}

	if ((rc = deliver(items, &dopts, output, command, always)) !=
	    CTL_EXIT_OK) {
		if (cursor != NULL)
			fprintf(stderr, "feedctl: digest: cursor '%s' stays "
			    "where it was\n", cursor);
		goto abort;
	}

	/* Delivered: now, and only now, the cursor moves. */
	if (cursor != NULL) {
		params = json_pack("{s:s, s:s, s:I}", "cursor", cursor,
		    "lease", lease, "position", (json_int_t)position);
		if ((rc = ctl_call(CMD, cl, "org.feedd.DigestCommit", params,
		    NULL)) != CTL_EXIT_OK) {
			fprintf(stderr, "feedctl: digest: the digest was "
			    "delivered but cursor '%s' did not move: the next "
			    "digest repeats its items\n", cursor);
			goto out;
		}
	}
	if (mark_read && json_array_size(items) > 0) {
		params = json_pack("{s:o}", "ids", delivered_ids(items));
		if ((rc = ctl_call(CMD, cl, "org.feedd.MarkRead", params,
		    NULL)) != CTL_EXIT_OK)
			goto out;
	}
	rc = CTL_EXIT_OK;
	goto out;

abort:
	/* Best effort: closing the connection releases the lease anyway. */
	if (cursor != NULL && lease != NULL) {
		params = json_pack("{s:s, s:s}", "cursor", cursor, "lease",
		    lease);
		if (client_call(cl, "org.feedd.DigestAbort", params, NULL,
		    &error, &aerr) != 0) {
			free(error);
			free(aerr);
		}
	}
out:
	json_decref(reply);
	json_decref(feeds);
	client_free(cl);
	free(from_default);
	free(domain);
	return rc;
}
