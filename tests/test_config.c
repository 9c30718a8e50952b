/*
 * Unit tests for config: every key of feedd.conf and of a feed, the
 * defaults, every error (all of them, with file and line), quoting, the
 * feeds directory and the reload diff.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <regex.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

/* ---- helpers ---- */

static char *
make_tmpdir(void)
{
	char *d = xstrdup("/tmp/feedd-test-config.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void
remove_tree(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* Loads one feedd.conf text; fails the test on errors. */
static struct config *
load_main(const char *text)
{
	struct config *cfg = NULL;
	char *errs = NULL;

	if (config_load_text("feedd.conf", text, strlen(text), false, &cfg,
	    &errs) == -1)
		fail_msg("unexpected errors:\n%s", errs);
	assert_non_null(cfg);
	return cfg;
}

static struct config *
load_feeds(const char *text)
{
	struct config *cfg = NULL;
	char *errs = NULL;

	if (config_load_text("f.conf", text, strlen(text), true, &cfg,
	    &errs) == -1)
		fail_msg("unexpected errors:\n%s", errs);
	assert_non_null(cfg);
	return cfg;
}

/* The errors of a text that must not load. */
static char *
errors_of(const char *name, const char *text, bool feeds_file)
{
	struct config *cfg = NULL;
	char *errs = NULL;

	assert_int_equal(config_load_text(name, text, strlen(text),
	    feeds_file, &cfg, &errs), -1);
	assert_null(cfg);
	assert_non_null(errs);
	return errs;
}

/* Asserts that the text's only error is exactly `want` + "\n". */
static void
assert_only_error(const char *name, bool feeds_file, const char *text,
    const char *want)
{
	char *errs = errors_of(name, text, feeds_file);
	char *w = xasprintf("%s\n", want);

	if (strcmp(errs, w) != 0)
		fail_msg("for:\n%s\nwant: %sgot:  %s", text, w, errs);
	free(w);
	free(errs);
}

#define assert_feed_error(text, want) \
	assert_only_error("f.conf", true, (text), (want))
#define assert_main_error(text, want) \
	assert_only_error("feedd.conf", false, (text), (want))

/* ---- parsing values ---- */

static void
test_durations(void **state)
{
	int64_t v = -7;

	assert_int_equal(config_parse_duration("90", &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(config_parse_duration("90s", &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(config_parse_duration("15m", &v), 0);
	assert_int_equal(v, 900);
	assert_int_equal(config_parse_duration("2h", &v), 0);
	assert_int_equal(v, 7200);
	assert_int_equal(config_parse_duration("1d", &v), 0);
	assert_int_equal(v, 86400);
	assert_int_equal(config_parse_duration("1w", &v), 0);
	assert_int_equal(v, 604800);
	assert_int_equal(config_parse_duration("1h30m", &v), 0);
	assert_int_equal(v, 5400);
	assert_int_equal(config_parse_duration("0", &v), 0);
	assert_int_equal(v, 0);

	v = -7;
	assert_int_equal(config_parse_duration("", &v), -1);
	assert_int_equal(config_parse_duration("h", &v), -1);
	assert_int_equal(config_parse_duration("2x", &v), -1);
	assert_int_equal(config_parse_duration("-1h", &v), -1);
	assert_int_equal(config_parse_duration("1.5h", &v), -1);
	assert_int_equal(config_parse_duration("2 h", &v), -1);
	assert_int_equal(config_parse_duration("1h30", &v), -1);
	assert_int_equal(config_parse_duration("99999999999999999999", &v),
	    -1);
	assert_int_equal(config_parse_duration("100000w", &v), -1);
	assert_int_equal(v, -7);	/* untouched on failure */
}

static void
test_sizes(void **state)
{
	int64_t v = -7;

	assert_int_equal(config_parse_size("300", &v), 0);
	assert_int_equal(v, 300);
	assert_int_equal(config_parse_size("300B", &v), 0);
	assert_int_equal(v, 300);
	assert_int_equal(config_parse_size("512k", &v), 0);
	assert_int_equal(v, 512 * 1024);
	assert_int_equal(config_parse_size("512K", &v), 0);
	assert_int_equal(v, 512 * 1024);
	assert_int_equal(config_parse_size("2KiB", &v), 0);
	assert_int_equal(v, 2048);
	assert_int_equal(config_parse_size("16M", &v), 0);
	assert_int_equal(v, 16 * 1024 * 1024);
	assert_int_equal(config_parse_size("3MiB", &v), 0);
	assert_int_equal(v, 3 * 1024 * 1024);
	assert_int_equal(config_parse_size("1G", &v), 0);
	assert_int_equal(v, 1073741824);
	assert_int_equal(config_parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2147483648LL);

	v = -7;
	assert_int_equal(config_parse_size("", &v), -1);
	assert_int_equal(config_parse_size("M", &v), -1);
	assert_int_equal(config_parse_size("16 M", &v), -1);
	assert_int_equal(config_parse_size("16MB", &v), -1);
	assert_int_equal(config_parse_size("16T", &v), -1);
	assert_int_equal(config_parse_size("-1", &v), -1);
	assert_int_equal(config_parse_size("2048G", &v), -1);	/* > 1 TiB */
	assert_int_equal(config_parse_size("99999999999999999999", &v), -1);
	assert_int_equal(v, -7);
}

/* ---- defaults ---- */

/* Prints a mismatch and counts it: usable in a forked child too. */
static int
expect_str(char *got, const char *want)
{
	int bad = strcmp(got, want) != 0;

	if (bad)
		fprintf(stderr, "# want %s\n# got  %s\n", want, got);
	free(got);
	return bad;
}

/* The defaults of a user that is not root; the number of mismatches. */
static int
check_user_defaults(void)
{
	int bad = 0;

	setenv("HOME", "/home/u", 1);
	setenv("XDG_CONFIG_HOME", "/x/conf", 1);
	setenv("XDG_STATE_HOME", "/x/state", 1);
	setenv("XDG_RUNTIME_DIR", "/x/run", 1);
	bad += expect_str(config_default_path(), "/x/conf/feedd/feedd.conf");
	bad += expect_str(config_default_state_dir(), "/x/state/feedd");
	bad += expect_str(config_default_socket(), "/x/run/feedd/feedd.sock");

	/* The XDG fallbacks; relative values are ignored, as the spec says. */
	unsetenv("XDG_CONFIG_HOME");
	setenv("XDG_STATE_HOME", "relative/state", 1);
	unsetenv("XDG_RUNTIME_DIR");
	bad += expect_str(config_default_path(),
	    "/home/u/.config/feedd/feedd.conf");
	bad += expect_str(config_default_state_dir(),
	    "/home/u/.local/state/feedd");
	bad += expect_str(config_default_socket(),
	    "/home/u/.local/state/feedd/feedd.sock");
	unsetenv("XDG_STATE_HOME");
	return bad;
}

/* As root, the user defaults are checked in a child that is not. */
static void
test_defaults_root_and_user(void **state)
{
	int status;
	pid_t pid;
	char *s;

	unsetenv("CONFIGURATION_DIRECTORY");
	unsetenv("STATE_DIRECTORY");
	unsetenv("RUNTIME_DIRECTORY");
	if (geteuid() != 0) {
		assert_int_equal(check_user_defaults(), 0);
		return;
	}
	s = config_default_path();
	assert_string_equal(s, "/etc/feedd/feedd.conf");
	free(s);
	s = config_default_state_dir();
	assert_string_equal(s, "/var/lib/feedd");
	free(s);
	s = config_default_socket();
	assert_string_equal(s, "/run/feedd/feedd.sock");
	free(s);

	pid = fork();
	assert_int_not_equal(pid, -1);
	if (pid == 0) {
		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(2);
		/* No cmocka asserts here: they would unwind into the
		 * child's copy of the test runner. */
		_exit(check_user_defaults() == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_defaults_systemd_directories(void **state)
{
	char *s;

	setenv("CONFIGURATION_DIRECTORY", "/etc/feedd", 1);
	setenv("STATE_DIRECTORY", "/var/lib/private/feedd:/var/lib/other", 1);
	setenv("RUNTIME_DIRECTORY", "/run/feedd", 1);
	s = config_default_path();
	assert_string_equal(s, "/etc/feedd/feedd.conf");
	free(s);
	s = config_default_state_dir();
	assert_string_equal(s, "/var/lib/private/feedd");
	free(s);
	s = config_default_socket();
	assert_string_equal(s, "/run/feedd/feedd.sock");
	free(s);
	unsetenv("CONFIGURATION_DIRECTORY");
	unsetenv("STATE_DIRECTORY");
	unsetenv("RUNTIME_DIRECTORY");
}

static void
test_missing_default_file_gives_defaults(void **state)
{
	char *dir = make_tmpdir();
	char *path = xasprintf("%s/feedd.conf", dir);
	char *feeds = xasprintf("%s/feeds.d", dir);
	struct config *cfg = NULL;
	char *errs = NULL;

	setenv("STATE_DIRECTORY", "/st", 1);
	setenv("RUNTIME_DIRECTORY", "/rt", 1);
	assert_int_equal(config_load(path, true, &cfg, &errs), 0);
	assert_null(errs);
	assert_null(cfg->path);
	assert_string_equal(cfg->state_dir, "/st");
	assert_string_equal(cfg->socket_path, "/rt/feedd.sock");
	assert_null(cfg->socket_group);
	assert_string_equal(cfg->feeds_dir, feeds);
	assert_int_equal(cfg->interval, 3600);
	assert_int_equal(cfg->min_interval, 15 * 60);
	assert_int_equal(cfg->max_interval, 86400);
	assert_false(cfg->adaptive);
	assert_int_equal(cfg->max_connections, 32);
	assert_int_equal(cfg->max_per_host, 2);
	assert_string_equal(cfg->user_agent, CONFIG_DEFAULT_USER_AGENT);
	assert_non_null(strstr(cfg->user_agent, "https://"));
	assert_int_equal(cfg->timeout, 60);
	assert_int_equal(cfg->max_body, 16 * 1024 * 1024);
	assert_int_equal(cfg->log_level, LOG_INFO);
	assert_int_equal(cfg->keep_days, 0);
	assert_int_equal(cfg->keep_items, 0);
	assert_int_equal(cfg->n_feeds, 0);
	config_free(cfg);
	unsetenv("STATE_DIRECTORY");
	unsetenv("RUNTIME_DIRECTORY");

	/* The same missing file named on the command line is an error. */
	cfg = NULL;
	assert_int_equal(config_load(path, false, &cfg, &errs), -1);
	assert_null(cfg);
	free(path);
	path = xasprintf("%s/feedd.conf: cannot read: No such file or "
	    "directory\n", dir);
	assert_string_equal(errs, path);
	free(errs);
	free(path);
	free(feeds);
	remove_tree(dir);
	free(dir);
}

/* ---- every key ---- */

static void
test_every_main_key(void **state)
{
	struct config *cfg;

	cfg = load_main(
	    "# a comment\n"
	    "; another\n"
	    "\n"
	    "[feedd]\n"
	    "state_dir = /srv/feedd\n"
	    "socket = /run/x/feedd.sock\n"
	    "socket_group = root\n"
	    "feeds_dir = /etc/elsewhere\n"
	    "interval = 2h\n"
	    "min_interval = 10m\n"
	    "max_interval = 2d\n"
	    "adaptive = yes\n"
	    "max_connections = 100\n"
	    "max_per_host = 4\n"
	    "user_agent = MyReader/1.0 (+https://example.org/bot)\n"
	    "timeout = 45s\n"
	    "max_body = 8M\n"
	    "log_level = debug\n"
	    "keep_days = 90\n"
	    "keep_items = 500\n");
	assert_string_equal(cfg->path, "feedd.conf");
	assert_string_equal(cfg->state_dir, "/srv/feedd");
	assert_string_equal(cfg->socket_path, "/run/x/feedd.sock");
	assert_string_equal(cfg->socket_group, "root");
	assert_string_equal(cfg->feeds_dir, "/etc/elsewhere");
	assert_int_equal(cfg->interval, 7200);
	assert_int_equal(cfg->min_interval, 600);
	assert_int_equal(cfg->max_interval, 2 * 86400);
	assert_true(cfg->adaptive);
	assert_int_equal(cfg->max_connections, 100);
	assert_int_equal(cfg->max_per_host, 4);
	assert_string_equal(cfg->user_agent,
	    "MyReader/1.0 (+https://example.org/bot)");
	assert_int_equal(cfg->timeout, 45);
	assert_int_equal(cfg->max_body, 8 * 1024 * 1024);
	assert_int_equal(cfg->log_level, LOG_DEBUG);
	assert_int_equal(cfg->keep_days, 90);
	assert_int_equal(cfg->keep_items, 500);
	config_free(cfg);
}

static void
test_log_levels(void **state)
{
	static const struct {
		const char	*name;
		int		 level;
	} levels[] = {
		{ "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	struct config *cfg;
	char *text;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(levels); i++) {
		text = xasprintf("[feedd]\nlog_level = %s\n", levels[i].name);
		cfg = load_main(text);
		assert_int_equal(cfg->log_level, levels[i].level);
		config_free(cfg);
		free(text);
	}
}

static void
test_relative_paths_follow_the_file(void **state)
{
	struct config *cfg = NULL;
	const char *text = "[feedd]\nstate_dir = state\nsocket = run/s.sock\n"
	    "feeds_dir = ../feeds\n";
	char *errs = NULL;

	assert_int_equal(config_load_text("/etc/feedd/feedd.conf", text,
	    strlen(text), false, &cfg, &errs), 0);
	assert_string_equal(cfg->state_dir, "/etc/feedd/state");
	assert_string_equal(cfg->socket_path, "/etc/feedd/run/s.sock");
	assert_string_equal(cfg->feeds_dir, "/etc/feedd/../feeds");
	config_free(cfg);

	/* The default feeds directory is beside the file. */
	assert_int_equal(config_load_text("/etc/feedd/feedd.conf", "", 0,
	    false, &cfg, &errs), 0);
	assert_string_equal(cfg->feeds_dir, "/etc/feedd/feeds.d");
	config_free(cfg);
}

static void
test_every_feed_key(void **state)
{
	char *dir = make_tmpdir();
	char *text, *pw = xasprintf("%s/pw", dir);
	const struct feed_conf *f;
	struct config *cfg;

	write_file(dir, "pw", "s3cret\n");
	text = xasprintf(
	    "[lwn]\n"
	    "url = https://lwn.net/headlines/rss\n"
	    "interval = 2h\n"
	    "fulltext = auto\n"
	    "user_agent = Special/2\n"
	    "headers = X-One: 1\n"
	    "headers = Accept: application/rss+xml, application/xml, "
	    "X-Two: 2\n"
	    "username = alice\n"
	    "password_file = %s\n"
	    "proxy = socks5h://127.0.0.1:9050\n"
	    "http1 = yes\n"
	    "keep = linux|kernel\n"
	    "block = ^\\[sponsored\\]\n"
	    "on_update = unread\n"
	    "enabled = no\n"
	    "max_body = 2M\n"
	    "keep_days = 30\n"
	    "keep_items = 100\n", pw);
	cfg = load_feeds(text);
	assert_int_equal(cfg->n_feeds, 1);
	f = config_feed(cfg, "lwn");
	assert_non_null(f);
	assert_ptr_equal(f, &cfg->feeds[0]);
	assert_string_equal(f->name, "lwn");
	assert_string_equal(f->file, "f.conf");
	assert_int_equal(f->line, 1);
	assert_string_equal(f->url, "https://lwn.net/headlines/rss");
	assert_int_equal(f->interval, 7200);
	assert_int_equal(f->fulltext, FULLTEXT_AUTO);
	assert_string_equal(f->user_agent, "Special/2");
	assert_int_equal(f->n_headers, 3);
	assert_string_equal(f->headers[0], "X-One: 1");
	assert_string_equal(f->headers[1],
	    "Accept: application/rss+xml, application/xml");
	assert_string_equal(f->headers[2], "X-Two: 2");
	assert_string_equal(f->username, "alice");
	assert_string_equal(f->password, "s3cret");
	assert_string_equal(f->proxy, "socks5h://127.0.0.1:9050");
	assert_true(f->http1);
	assert_string_equal(f->keep, "linux|kernel");
	assert_string_equal(f->block, "^\\[sponsored\\]");
	assert_non_null(f->keep_re);
	assert_non_null(f->block_re);
	/* Case-insensitive, extended syntax. */
	assert_int_equal(regexec(f->keep_re, "New LINUX release", 0, NULL, 0),
	    0);
	assert_int_equal(regexec(f->keep_re, "BSD news", 0, NULL, 0),
	    REG_NOMATCH);
	assert_int_equal(regexec(f->block_re, "[Sponsored] buy", 0, NULL, 0),
	    0);
	assert_int_equal(regexec(f->block_re, "not [sponsored]", 0, NULL, 0),
	    REG_NOMATCH);
	assert_int_equal(f->on_update, ON_UPDATE_UNREAD);
	assert_false(f->enabled);
	assert_int_equal(f->max_body, 2 * 1024 * 1024);
	assert_int_equal(f->keep_days, 30);
	assert_int_equal(f->keep_items, 100);
	assert_null(config_feed(cfg, "other"));
	config_free(cfg);
	free(text);
	free(pw);
	remove_tree(dir);
	free(dir);
}

static void
test_feed_defaults_resolved_from_globals(void **state)
{
	const struct feed_conf *f;
	struct config *cfg;

	cfg = load_feeds("[a]\nurl = http://example.com/feed\n");
	f = config_feed(cfg, "a");
	assert_non_null(f);
	assert_int_equal(f->interval, 3600);
	assert_int_equal(f->fulltext, FULLTEXT_NO);
	assert_string_equal(f->user_agent, CONFIG_DEFAULT_USER_AGENT);
	assert_int_equal(f->n_headers, 0);
	assert_null(f->username);
	assert_null(f->password);
	assert_null(f->proxy);
	assert_false(f->http1);
	assert_null(f->keep);
	assert_null(f->keep_re);
	assert_null(f->block);
	assert_null(f->block_re);
	assert_int_equal(f->on_update, ON_UPDATE_KEEP);
	assert_true(f->enabled);
	assert_int_equal(f->max_body, 16 * 1024 * 1024);
	assert_int_equal(f->keep_days, 0);
	assert_int_equal(f->keep_items, 0);
	config_free(cfg);
}

static void
test_booleans_and_enums(void **state)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	struct config *cfg;
	char *text;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		text = xasprintf("[a]\nurl = http://e.com/\nhttp1 = %s\n"
		    "enabled = %s\n", yes[i], no[i]);
		cfg = load_feeds(text);
		assert_true(cfg->feeds[0].http1);
		assert_false(cfg->feeds[0].enabled);
		config_free(cfg);
		free(text);
	}
	cfg = load_feeds("[a]\nurl = http://e.com/\nfulltext = yes\n"
	    "on_update = keep\n[b]\nurl = http://e.com/b\nfulltext = no\n");
	assert_int_equal(cfg->feeds[0].fulltext, FULLTEXT_YES);
	assert_int_equal(cfg->feeds[0].on_update, ON_UPDATE_KEEP);
	assert_int_equal(cfg->feeds[1].fulltext, FULLTEXT_NO);
	config_free(cfg);
}

static void
test_quoting_and_whitespace(void **state)
{
	struct config *cfg;
	const struct feed_conf *f;

	cfg = load_feeds(
	    "\xef\xbb\xbf  [ spaced ]  \r\n"
	    "\turl\t=\thttps://example.com/a#frag;x  \r\n"
	    "  # indented comment\n"
	    "user_agent = \"  padded \\\"quoted\\\" \\\\ \\d  \"\n"
	    "keep = \"a\\.b\"\n"
	    "block = x = y\n");
	f = config_feed(cfg, "spaced");
	assert_non_null(f);
	assert_int_equal(f->line, 1);
	/* '#' and ';' inside values are not comments. */
	assert_string_equal(f->url, "https://example.com/a#frag;x");
	assert_string_equal(f->user_agent, "  padded \"quoted\" \\ \\d  ");
	/* Other backslashes stay as written. */
	assert_string_equal(f->keep, "a\\.b");
	/* Only the first '=' separates. */
	assert_string_equal(f->block, "x = y");
	config_free(cfg);
}

static void
test_feed_names(void **state)
{
	struct config *cfg;

	cfg = load_feeds("[A.b_c-9]\nurl = http://e.com/\n"
	    "[9x]\nurl = http://e.com/9\n");
	assert_non_null(config_feed(cfg, "A.b_c-9"));
	assert_non_null(config_feed(cfg, "9x"));
	config_free(cfg);
	assert_feed_error("[-x]\nurl = http://e.com/\n",
	    "f.conf:1: [-x]: invalid feed name: use up to 64 letters, "
	    "digits, '.', '_' and '-', starting with a letter or digit");
	assert_feed_error("[a b]\nurl = http://e.com/\n",
	    "f.conf:1: [a b]: invalid feed name: use up to 64 letters, "
	    "digits, '.', '_' and '-', starting with a letter or digit");
	assert_feed_error("[]\n",
	    "f.conf:1: []: invalid feed name: use up to 64 letters, "
	    "digits, '.', '_' and '-', starting with a letter or digit");
	assert_feed_error("[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaa]\n",
	    "f.conf:1: [aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaa]: invalid feed name: use up to 64 letters, "
	    "digits, '.', '_' and '-', starting with a letter or digit");
}

/* ---- errors ---- */

static void
test_feed_errors_one_by_one(void **state)
{
	static const struct {
		const char	*text;
		const char	*error;
	} cases[] = {
		{ "[a]\ninterval = 1h\n", "f.conf:1: [a]: no url" },
		{ "[a]\nurl = ftp://e.com/f\n",
		    "f.conf:2: url: 'ftp://e.com/f' is not an http or https "
		    "URL" },
		{ "[a]\nurl = /relative\n",
		    "f.conf:2: url: '/relative' is not an http or https URL" },
		{ "[a]\nurl = http://e.com/\nurl = http://e.com/2\n",
		    "f.conf:3: url: set twice (first at line 2)" },
		{ "[a]\nurl = http://e.com/\ncolour = blue\n",
		    "f.conf:3: unknown key 'colour' in feed [a]" },
		{ "[a]\nurl = http://e.com/\nURL = http://e.com/\n",
		    "f.conf:3: unknown key 'URL' in feed [a]" },
		{ "[a]\nurl = http://e.com/\ninterval = soon\n",
		    "f.conf:3: interval: bad duration 'soon' (examples: 90s, "
		    "15m, 2h, 1d)" },
		{ "[a]\nurl = http://e.com/\ninterval = 0\n",
		    "f.conf:3: interval: '0' is out of range (1s to 30d)" },
		{ "[a]\nurl = http://e.com/\ninterval = 31d\n",
		    "f.conf:3: interval: '31d' is out of range (1s to 30d)" },
		{ "[a]\nurl = http://e.com/\nfulltext = maybe\n",
		    "f.conf:3: fulltext: 'maybe' is not yes, no or auto" },
		{ "[a]\nurl = http://e.com/\nuser_agent =\n",
		    "f.conf:3: user_agent: empty value" },
		{ "[a]\nurl = http://e.com/\nuser_agent = \"\"\n",
		    "f.conf:3: user_agent: empty value" },
		{ "[a]\nurl = http://e.com/\nuser_agent = \"a\tb\"\n",
		    "f.conf:3: user_agent: control character in value" },
		{ "[a]\nurl = http://e.com/\nheaders = NoColon\n",
		    "f.conf:3: headers: 'NoColon' is not \"Name: value\"" },
		{ "[a]\nurl = http://e.com/\nheaders = : v\n",
		    "f.conf:3: headers: ': v' is not \"Name: value\"" },
		{ "[a]\nurl = http://e.com/\nheaders = Bad Name: v\n",
		    "f.conf:3: headers: invalid header name 'Bad Name'" },
		{ "[a]\nurl = http://e.com/\npassword_file = /nonexistent/pw\n"
		    "username = u\n",
		    "f.conf:3: password_file: /nonexistent/pw: No such file or "
		    "directory" },
		{ "[a]\nurl = http://e.com/\npassword_file = /\nusername = u\n",
		    "f.conf:3: password_file: /: not a regular file" },
		{ "[a]\nurl = http://e.com/\nproxy = ftp://p:21\n",
		    "f.conf:3: proxy: 'ftp://p:21' is not a proxy URL (http, "
		    "https, socks4, socks4a, socks5, socks5h)" },
		{ "[a]\nurl = http://e.com/\nhttp1 = sometimes\n",
		    "f.conf:3: http1: 'sometimes' is not yes or no" },
		{ "[a]\nurl = http://e.com/\nenabled = nope\n",
		    "f.conf:3: enabled: 'nope' is not yes or no" },
		{ "[a]\nurl = http://e.com/\nblock = (a)\\1\n",
		    "f.conf:3: block: regular expression refused: "
		    "back-references are not supported" },
		{ "[a]\nurl = http://e.com/\nkeep = ((a{1,100}){1,100})\n",
		    "f.conf:3: keep: regular expression refused: repetition "
		    "counts multiply to more than 1000" },
		/* regcomp's time doubles with each stacked '+' (fuzz_config). */
		{ "[a]\nurl = http://e.com/\nkeep = https:++++++++++++++++++++\n",
		    "f.conf:3: keep: regular expression refused: a repetition "
		    "of a repetition (such as a++) is not supported" },
		{ "[a]\nurl = http://e.com/\nblock = a{2}*\n",
		    "f.conf:3: block: regular expression refused: a repetition "
		    "of a repetition (such as a++) is not supported" },
		{ "[a]\nurl = http://e.com/\nkeep = ((((a+)+)+)+)+\n",
		    "f.conf:3: keep: regular expression refused: repetitions "
		    "nested more than 4 deep" },
		{ "[a]\nurl = http://e.com/\non_update = ignore\n",
		    "f.conf:3: on_update: 'ignore' is not keep or unread" },
		{ "[a]\nurl = http://e.com/\nmax_body = huge\n",
		    "f.conf:3: max_body: bad size 'huge' (examples: 512k, 16M, "
		    "1G)" },
		{ "[a]\nurl = http://e.com/\nmax_body = 100\n",
		    "f.conf:3: max_body: '100' is out of range (1k to 1G)" },
		{ "[a]\nurl = http://e.com/\nkeep_days = -1\n",
		    "f.conf:3: keep_days: '-1' is not a whole number from 0 to "
		    "100000" },
		{ "[a]\nurl = http://e.com/\nkeep_items = 1e3\n",
		    "f.conf:3: keep_items: '1e3' is not a whole number from 0 "
		    "to 100000000" },
		{ "[a]\nurl = http://e.com/\nuser_agent = \"open\n",
		    "f.conf:3: user_agent: unterminated quoted value" },
		{ "[a]\nurl = http://e.com/\nuser_agent = \"a\" b\n",
		    "f.conf:3: user_agent: unterminated quoted value" },
		{ "url = http://e.com/\n",
		    "f.conf:1: 'url' outside a section: start each feed with "
		    "[name]" },
		{ "[feedd]\ninterval = 1h\n",
		    "f.conf:1: [feedd]: this section belongs in feedd.conf, "
		    "not in the feeds directory" },
		{ "[a\nurl = http://e.com/\n",
		    "f.conf:1: malformed section header: expected [name]" },
		{ "[a] x\nurl = http://e.com/\n",
		    "f.conf:1: malformed section header: expected [name]" },
		{ "[a]\nurl = http://e.com/\ninterval 2h\n",
		    "f.conf:3: expected 'key = value', '[name]' or a comment" },
		{ "[a]\nurl = http://e.com/\n = v\n",
		    "f.conf:3: missing key before '='" },
		{ "[a]\nurl = http://e.com/\n[a]\nurl = http://e.com/2\n",
		    "f.conf:3: [a]: feed already defined at f.conf:1" },
		{ "[a]\nurl = http://e.com/\ntitle = \xff\n",
		    "f.conf:3: invalid UTF-8" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		assert_feed_error(cases[i].text, cases[i].error);
}

/* regerror()'s wording is the C library's: only our part is checked. */
static void
test_bad_regex_reports_line_and_reason(void **state)
{
	static const struct {
		const char	*text;
		const char	*prefix;
	} cases[] = {
		{ "[a]\nurl = http://e.com/\nkeep = (unclosed\n",
		    "f.conf:3: keep: bad regular expression '(unclosed': " },
		{ "[a]\nurl = http://e.com/\n\nblock = [z-a]\n",
		    "f.conf:4: block: bad regular expression '[z-a]': " },
		{ "[a]\nurl = http://e.com/\nblock = a{2,1}\n",
		    "f.conf:3: block: bad regular expression 'a{2,1}': " },
	};
	char *errs;
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		errs = errors_of("f.conf", cases[i].text, true);
		n = strlen(cases[i].prefix);
		if (strncmp(errs, cases[i].prefix, n) != 0)
			fail_msg("want %s...\ngot  %s", cases[i].prefix, errs);
		/* A reason, then exactly one line. */
		assert_true(strlen(errs) > n + 1);
		assert_ptr_equal(strchr(errs, '\n'), errs + strlen(errs) - 1);
		free(errs);
	}
}

static void
test_password_file_rules(void **state)
{
	char *dir = make_tmpdir();
	char *text, *want;
	char *errs;
	struct config *cfg;

	write_file(dir, "empty", "");
	write_file(dir, "two", "a\nb\n");
	write_file(dir, "ok", "pw");
	/* Relative to the file it appears in. */
	text = xasprintf("[a]\nurl = http://e.com/\nusername = u\n"
	    "password_file = ok\n");
	{
		char *name = xasprintf("%s/f.conf", dir);

		assert_int_equal(config_load_text(name, text, strlen(text),
		    true, &cfg, &errs), 0);
		assert_string_equal(cfg->feeds[0].password, "pw");
		config_free(cfg);
		free(name);
	}
	free(text);

	text = xasprintf("[a]\nurl = http://e.com/\nusername = u\n"
	    "password_file = %s/empty\n", dir);
	want = xasprintf("f.conf:4: password_file: %s/empty: empty", dir);
	assert_feed_error(text, want);
	free(text);
	free(want);

	text = xasprintf("[a]\nurl = http://e.com/\nusername = u\n"
	    "password_file = %s/two\n", dir);
	want = xasprintf("f.conf:4: password_file: %s/two: more than one line",
	    dir);
	assert_feed_error(text, want);
	free(text);
	free(want);

	text = xasprintf("[a]\nurl = http://e.com/\n"
	    "password_file = %s/ok\n", dir);
	assert_feed_error(text, "f.conf:3: password_file without username");
	free(text);

	/* A username alone is fine: some services want only a token. */
	cfg = load_feeds("[a]\nurl = http://e.com/\nusername = token\n");
	assert_string_equal(cfg->feeds[0].username, "token");
	assert_null(cfg->feeds[0].password);
	config_free(cfg);
	remove_tree(dir);
	free(dir);
}

/* 108 bytes: one more than a sockaddr_un holds with its NUL. */
#define LONG_SOCKET "/tmp/" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"xx.sock"

static void
test_main_errors_one_by_one(void **state)
{
	static const struct {
		const char	*text;
		const char	*error;
	} cases[] = {
		{ "interval = 1h\n",
		    "feedd.conf:1: 'interval' outside a section: settings go "
		    "under [feedd]" },
		{ "[lwn]\nurl = https://lwn.net/\n",
		    "feedd.conf:1: [lwn]: feeds are defined in the feeds "
		    "directory (feeds.d/NAME.conf), not in feedd.conf" },
		{ "[feedd]\n[feedd]\n",
		    "feedd.conf:2: [feedd]: section repeated (first at line 1)" },
		{ "[feedd]\ncolour = blue\n",
		    "feedd.conf:2: unknown key 'colour' in [feedd]" },
		{ "[feedd]\ninterval = 1h\ninterval = 2h\n",
		    "feedd.conf:3: interval: set twice (first at line 2)" },
		{ "[feedd]\ninterval = 1 hour\n",
		    "feedd.conf:2: interval: bad duration '1 hour' (examples: "
		    "90s, 15m, 2h, 1d)" },
		{ "[feedd]\nmin_interval = 0s\n",
		    "feedd.conf:2: min_interval: '0s' is out of range (1s to "
		    "30d)" },
		{ "[feedd]\nmax_interval = 400d\n",
		    "feedd.conf:2: max_interval: '400d' is out of range (1s to "
		    "365d)" },
		{ "[feedd]\nmin_interval = 2d\nmax_interval = 1d\n",
		    "feedd.conf:3: min_interval is above max_interval" },
		{ "[feedd]\nmin_interval = 2d\n",
		    "feedd.conf:2: min_interval is above max_interval" },
		{ "[feedd]\nadaptive = perhaps\n",
		    "feedd.conf:2: adaptive: 'perhaps' is not yes or no" },
		{ "[feedd]\nmax_connections = 0\n",
		    "feedd.conf:2: max_connections: '0' is not a whole number "
		    "from 1 to 1024" },
		{ "[feedd]\nmax_connections = 2\nmax_per_host = 3\n",
		    "feedd.conf:3: max_per_host is above max_connections" },
		{ "[feedd]\nmax_per_host = 65\n",
		    "feedd.conf:2: max_per_host: '65' is not a whole number "
		    "from 1 to 64" },
		{ "[feedd]\ntimeout = 2h\n",
		    "feedd.conf:2: timeout: '2h' is out of range (1s to 1h)" },
		{ "[feedd]\nmax_body = 2G\n",
		    "feedd.conf:2: max_body: '2G' is out of range (1k to 1G)" },
		{ "[feedd]\nlog_level = loud\n",
		    "feedd.conf:2: log_level: 'loud' is not one of error, "
		    "warning, notice, info, debug" },
		{ "[feedd]\nkeep_days = many\n",
		    "feedd.conf:2: keep_days: 'many' is not a whole number "
		    "from 0 to 100000" },
		{ "[feedd]\nkeep_items = 100000001\n",
		    "feedd.conf:2: keep_items: '100000001' is not a whole "
		    "number from 0 to 100000000" },
		{ "[feedd]\nsocket_group = no-such-group-feedd-test\n",
		    "feedd.conf:2: socket_group: no such group "
		    "'no-such-group-feedd-test'" },
		{ "[feedd]\nsocket = " LONG_SOCKET "\n",
		    "feedd.conf:2: socket: path longer than 107 bytes: "
		    LONG_SOCKET },
		{ "[feedd]\nstate_dir =\n",
		    "feedd.conf:2: state_dir: empty value" },
		{ "[feedd]\nuser_agent = \"x\n",
		    "feedd.conf:2: user_agent: unterminated quoted value" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		assert_main_error(cases[i].text, cases[i].error);
}

static void
test_line_limits(void **state)
{
	struct buf b = { 0 };
	char *errs;
	size_t i;

	buf_puts(&b, "[a]\nurl = http://e.com/\nuser_agent = ");
	for (i = 0; i < 20000; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\n");
	assert_feed_error(b.data, "f.conf:3: line longer than 16384 bytes");
	buf_free(&b);

	errs = NULL;
	{
		struct config *cfg = NULL;
		static const char text[] = "[a]\nurl = http://e.com/\nx\0y\n";

		assert_int_equal(config_load_text("f.conf", text,
		    sizeof(text) - 1, true, &cfg, &errs), -1);
		assert_string_equal(errs, "f.conf:3: NUL byte in line\n");
		free(errs);
	}
}

static void
test_all_errors_in_order(void **state)
{
	char *errs;

	char *want, msg[256];
	regex_t re;
	int rc;

	/* The C library's reason for line 7. */
	rc = regcomp(&re, "(", REG_EXTENDED | REG_ICASE | REG_NOSUB);
	assert_int_not_equal(rc, 0);
	regerror(rc, &re, msg, sizeof(msg));
	errs = errors_of("f.conf",
	    "orphan = 1\n"			/* 1 */
	    "[a]\n"				/* 2: no url */
	    "interval = never\n"		/* 3 */
	    "colour = red\n"			/* 4 */
	    "[b]\n"				/* 5 */
	    "url = gopher://x/\n"		/* 6 */
	    "keep = (\n"			/* 7 */
	    "[ok]\n"
	    "url = https://example.com/\n"
	    "[a]\n"				/* 10: duplicate, no url */
	    "fulltext = sure\n",		/* 11 */
	    true);
	want = xasprintf(
	    "f.conf:1: 'orphan' outside a section: start each feed with "
	    "[name]\n"
	    "f.conf:2: [a]: no url\n"
	    "f.conf:3: interval: bad duration 'never' (examples: 90s, 15m, "
	    "2h, 1d)\n"
	    "f.conf:4: unknown key 'colour' in feed [a]\n"
	    "f.conf:6: url: 'gopher://x/' is not an http or https URL\n"
	    "f.conf:7: keep: bad regular expression '(': %s\n"
	    "f.conf:10: [a]: no url\n"
	    "f.conf:10: [a]: feed already defined at f.conf:2\n"
	    "f.conf:11: fulltext: 'sure' is not yes, no or auto\n", msg);
	assert_string_equal(errs, want);
	free(want);
	free(errs);
}

/* ---- files and directories ---- */

static void
test_feeds_dir_sorted_and_errors_across_files(void **state)
{
	char *dir = make_tmpdir();
	char *feeds = xasprintf("%s/feeds.d", dir);
	char *conf = xasprintf("%s/feedd.conf", dir);
	char *want;
	struct config *cfg = NULL;
	char *errs = NULL;

	assert_int_equal(mkdir(feeds, 0755), 0);
	write_file(dir, "feedd.conf", "[feedd]\ninterval = 30m\n");
	write_file(feeds, "b.conf", "[b1]\nurl = http://e.com/b1\n"
	    "[b2]\nurl = http://e.com/b2\ninterval = 5m\n");
	write_file(feeds, "a.conf", "# first file\n[a1]\n"
	    "url = http://e.com/a1\n");
	write_file(feeds, "c.conf.disabled", "[ignored]\n");
	write_file(feeds, ".hidden.conf", "[ignored2]\n");
	assert_int_equal(config_load(conf, false, &cfg, &errs), 0);
	assert_string_equal(cfg->path, conf);
	assert_int_equal(cfg->n_feeds, 3);
	assert_string_equal(cfg->feeds[0].name, "a1");
	assert_string_equal(cfg->feeds[1].name, "b1");
	assert_string_equal(cfg->feeds[2].name, "b2");
	want = xasprintf("%s/a.conf", feeds);
	assert_string_equal(cfg->feeds[0].file, want);
	free(want);
	assert_int_equal(cfg->feeds[0].line, 2);
	/* The global interval from feedd.conf reaches feeds without one. */
	assert_int_equal(cfg->feeds[0].interval, 1800);
	assert_int_equal(cfg->feeds[2].interval, 300);
	config_free(cfg);

	/* Errors in several files: all of them, in file order. */
	write_file(dir, "feedd.conf", "[feedd]\ninterval = 30x\n");
	write_file(feeds, "c.conf", "[b1]\nurl = http://e.com/other\n"
	    "[c]\n");
	write_file(feeds, "a.conf", "[a1]\nurl = http://e.com/a1\n"
	    "bogus = 1\n");
	cfg = NULL;
	assert_int_equal(config_load(conf, false, &cfg, &errs), -1);
	assert_null(cfg);
	want = xasprintf(
	    "%s:2: interval: bad duration '30x' (examples: 90s, 15m, 2h, "
	    "1d)\n"
	    "%s/a.conf:3: unknown key 'bogus' in feed [a1]\n"
	    "%s/c.conf:1: [b1]: feed already defined at %s/b.conf:1\n"
	    "%s/c.conf:3: [c]: no url\n",
	    conf, feeds, feeds, feeds, feeds);
	assert_string_equal(errs, want);
	free(want);
	free(errs);

	remove_tree(dir);
	free(dir);
	free(feeds);
	free(conf);
}

static void
test_feeds_dir_missing(void **state)
{
	char *dir = make_tmpdir();
	char *conf = xasprintf("%s/feedd.conf", dir);
	char *want;
	struct config *cfg = NULL;
	char *errs = NULL;

	/* The default feeds.d may be missing: no feeds. */
	write_file(dir, "feedd.conf", "[feedd]\n");
	assert_int_equal(config_load(conf, false, &cfg, &errs), 0);
	assert_int_equal(cfg->n_feeds, 0);
	config_free(cfg);

	/* An empty one (or one of other files only) is no error either. */
	write_file(dir, "feedd.conf", "[feedd]\nfeeds_dir = empty\n");
	want = xasprintf("%s/empty", dir);
	assert_int_equal(mkdir(want, 0700), 0);
	free(want);
	write_file(dir, "empty/README", "not a feed\n");
	cfg = NULL;
	assert_int_equal(config_load(conf, false, &cfg, &errs), 0);
	assert_int_equal(cfg->n_feeds, 0);
	config_free(cfg);

	/* One named in feedd.conf may not. */
	write_file(dir, "feedd.conf", "[feedd]\n\nfeeds_dir = nowhere\n");
	cfg = NULL;
	assert_int_equal(config_load(conf, false, &cfg, &errs), -1);
	want = xasprintf("%s:3: feeds_dir: cannot open %s/nowhere: No such "
	    "file or directory\n", conf, dir);
	assert_string_equal(errs, want);
	free(want);
	free(errs);

	/* A directory where the file should be. */
	cfg = NULL;
	assert_int_equal(config_load(dir, false, &cfg, &errs), -1);
	want = xasprintf("%s: cannot read: Is a directory\n", dir);
	assert_string_equal(errs, want);
	free(want);
	free(errs);

	remove_tree(dir);
	free(dir);
	free(conf);
}

/* ---- reload ---- */

static bool
has_name(char **names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static void
test_diff(void **state)
{
	struct config *old, *new;
	struct config_diff d;

	old = load_feeds(
	    "[same]\nurl = http://e.com/same\n"
	    "[gone]\nurl = http://e.com/gone\n"
	    "[url]\nurl = http://e.com/u1\n"
	    "[hdr]\nurl = http://e.com/h\nheaders = A: 1\n"
	    "[off]\nurl = http://e.com/off\n");
	new = load_feeds(
	    "[fresh]\nurl = http://e.com/fresh\n"
	    "[off]\nurl = http://e.com/off\nenabled = no\n"
	    "[hdr]\nurl = http://e.com/h\nheaders = A: 2\n"
	    "[url]\nurl = http://e.com/u2\n"
	    "[same]\nurl = http://e.com/same\ninterval = 1h\n");
	config_diff(old, new, &d);
	assert_int_equal(d.n_added, 1);
	assert_string_equal(d.added[0], "fresh");
	assert_int_equal(d.n_removed, 1);
	assert_string_equal(d.removed[0], "gone");
	/* "same" sets the default interval explicitly: no change. */
	assert_int_equal(d.n_changed, 3);
	assert_true(has_name(d.changed, d.n_changed, "url"));
	assert_true(has_name(d.changed, d.n_changed, "hdr"));
	assert_true(has_name(d.changed, d.n_changed, "off"));
	config_diff_clear(&d);
	assert_int_equal(d.n_added, 0);

	/* Against itself: nothing. */
	config_diff(new, new, &d);
	assert_int_equal(d.n_added + d.n_removed + d.n_changed, 0);
	config_diff_clear(&d);
	config_free(old);
	config_free(new);

	/* A changed global setting changes the feeds that inherit it. */
	{
		char *dir = make_tmpdir(), *conf, *feeds;
		char *errs = NULL;

		conf = xasprintf("%s/feedd.conf", dir);
		feeds = xasprintf("%s/feeds.d", dir);
		assert_int_equal(mkdir(feeds, 0755), 0);
		write_file(feeds, "x.conf", "[inherits]\nurl = http://e.com/i\n"
		    "[own]\nurl = http://e.com/o\ninterval = 5m\n");
		write_file(dir, "feedd.conf", "[feedd]\ninterval = 1h\n");
		assert_int_equal(config_load(conf, false, &old, &errs), 0);
		write_file(dir, "feedd.conf", "[feedd]\ninterval = 2h\n");
		assert_int_equal(config_load(conf, false, &new, &errs), 0);
		config_diff(old, new, &d);
		assert_int_equal(d.n_changed, 1);
		assert_string_equal(d.changed[0], "inherits");
		assert_int_equal(d.n_added + d.n_removed, 0);
		config_diff_clear(&d);
		config_free(old);
		config_free(new);
		remove_tree(dir);
		free(dir);
		free(conf);
		free(feeds);
	}
}

static void
test_many_feeds_lookup(void **state)
{
	struct buf b = { 0 };
	struct config *cfg;
	char name[32];
	int i;

	for (i = 0; i < 5000; i++)
		buf_printf(&b, "[feed%d]\nurl = https://example.com/%d.xml\n",
		    (i * 7919) % 5000, i);
	cfg = load_feeds(b.data);
	assert_int_equal(cfg->n_feeds, 5000);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "feed%d", i);
		assert_non_null(config_feed(cfg, name));
		assert_string_equal(config_feed(cfg, name)->name, name);
	}
	config_free(cfg);
	buf_free(&b);
}

/* ---- the examples shipped in the tree ---- */

static char *
read_all(const char *path)
{
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		fail_msg("cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_take(&b);
}

/* True if text has a line "#key = ..." or "key = ...". */
static bool
documents_key(const char *text, const char *key)
{
	const char *p;
	size_t n = strlen(key);

	for (p = text; p != NULL; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		while (*p == '#')
			p++;
		if (strncmp(p, key, n) == 0 && strncmp(p + n, " = ", 3) == 0)
			return true;
	}
	return false;
}

static void
test_shipped_examples(void **state)
{
	/* The keys of issues 4 and 7, written out by hand. */
	static const char *main_keys[] = {
		"state_dir", "socket", "socket_group", "feeds_dir",
		"interval", "min_interval", "max_interval", "adaptive",
		"max_connections", "max_per_host", "user_agent", "timeout",
		"max_body", "log_level", "keep_days", "keep_items",
	};
	static const char *feed_keys[] = {
		"url", "interval", "fulltext", "user_agent", "headers",
		"username", "password_file", "proxy", "http1", "keep",
		"block", "on_update", "enabled", "max_body", "keep_days",
		"keep_items",
	};
	const char *src = getenv("FEEDD_SRCDIR");
	char *conf, *feeds, *text, *examples, *tmp, *pw;
	struct buf b = { 0 };
	struct config *cfg = NULL;
	char *errs = NULL;
	const char *p;
	size_t i;

	if (src == NULL)
		skip();
	conf = xasprintf("%s/feedd.conf.example", src);
	feeds = xasprintf("%s/feeds.d", src);

	/* feedd.conf.example loads as it is, with the tree's feeds.d. */
	if (config_load(conf, false, &cfg, &errs) == -1)
		fail_msg("%s", errs);
	assert_string_equal(cfg->feeds_dir, feeds);
	assert_non_null(config_feed(cfg, "lwn"));
	assert_true(cfg->n_feeds >= 4);
	config_free(cfg);
	text = read_all(conf);
	for (i = 0; i < ARRAY_SIZE(main_keys); i++)
		if (!documents_key(text, main_keys[i]))
			fail_msg("feedd.conf.example lacks %s", main_keys[i]);
	free(text);

	/* examples.conf shows every feed key ... */
	free(feeds);
	feeds = xasprintf("%s/feeds.d/examples.conf", src);
	examples = read_all(feeds);
	for (i = 0; i < ARRAY_SIZE(feed_keys); i++)
		if (!documents_key(examples, feed_keys[i]))
			fail_msg("examples.conf lacks %s", feed_keys[i]);

	/* ... and loads once uncommented ("#" off, "##" stays a comment),
	 * with a password file that exists. */
	tmp = make_tmpdir();
	write_file(tmp, "pw", "secret\n");
	pw = xasprintf("%s/pw", tmp);
	for (p = examples; *p != '\0'; ) {
		size_t n = strcspn(p, "\n");

		if (p[0] == '#' && p[1] != '#' && p[1] != ' ' && p[1] != '\n')
			p++, n--;
		if (strncmp(p, "password_file = ", 16) == 0)
			buf_printf(&b, "password_file = %s", pw);
		else
			buf_append(&b, p, n);
		buf_putc(&b, '\n');
		p += n;
		if (*p == '\n')
			p++;
	}
	if (config_load_text("examples.conf", b.data, b.len, true, &cfg,
	    &errs) == -1)
		fail_msg("%s", errs);
	assert_int_equal(cfg->n_feeds, 1);
	assert_int_equal(cfg->feeds[0].n_headers, 3);
	assert_false(cfg->feeds[0].enabled);
	config_free(cfg);

	buf_free(&b);
	free(pw);
	remove_tree(tmp);
	free(tmp);
	free(examples);
	free(conf);
	free(feeds);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_defaults_root_and_user),
		cmocka_unit_test(test_defaults_systemd_directories),
		cmocka_unit_test(test_missing_default_file_gives_defaults),
		cmocka_unit_test(test_every_main_key),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_relative_paths_follow_the_file),
		cmocka_unit_test(test_every_feed_key),
		cmocka_unit_test(test_feed_defaults_resolved_from_globals),
		cmocka_unit_test(test_booleans_and_enums),
		cmocka_unit_test(test_quoting_and_whitespace),
		cmocka_unit_test(test_feed_names),
		cmocka_unit_test(test_feed_errors_one_by_one),
		cmocka_unit_test(test_bad_regex_reports_line_and_reason),
		cmocka_unit_test(test_password_file_rules),
		cmocka_unit_test(test_main_errors_one_by_one),
		cmocka_unit_test(test_line_limits),
		cmocka_unit_test(test_all_errors_in_order),
		cmocka_unit_test(test_feeds_dir_sorted_and_errors_across_files),
		cmocka_unit_test(test_feeds_dir_missing),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_many_feeds_lookup),
		cmocka_unit_test(test_shipped_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
