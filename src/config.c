/*
 * config: reading and checking feedd.conf and the feeds directory, and the
 * difference between two configurations.
 *
 * The syntax, documented for users in feedd.conf(5):
 * - A line is blank, a comment, a section header "[name]" or a setting
 *   "key = value".  Comments are whole lines whose first non-blank
 *   character is '#' or ';': there are no trailing comments, so URLs and
 *   regular expressions may contain both characters.
 * - Blanks (spaces, tabs) around names, keys and values are ignored.  A
 *   value in double quotes keeps its blanks; inside the quotes \" is a
 *   quote and \\ a backslash, any other backslash stays as written (so
 *   regular expressions need no doubling).
 * - Keys are lower case.  Every key may appear once per section, except
 *   `headers`, which adds to the list each time.
 * - Relative paths are relative to the directory of the file they are in.
 * - Files are UTF-8 (a BOM is skipped), lines end in LF or CRLF.
 *
 * Errors are collected, not stopped at, and sorted into file order before
 * they are returned, so `feedd --check-config` shows all of them at once.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "url.h"
#include "util.h"

/* Caps on what a file may make us do. */
#define MAX_FILE_BYTES		(64 * 1024 * 1024)
#define MAX_LINE_BYTES		16384
#define MAX_ERRORS		1000
#define MAX_NAME_LEN		64
#define MAX_PASSWORD_BYTES	4096
#define MAX_HEADERS		64
#define MAX_REGEX_BYTES		1024
#define MAX_REGEX_REPEAT	1000
#define MAX_REGEX_NESTED_REPEAT	4
#define DURATION_MAX		(10LL * 366 * 86400)
#define SIZE_MAX_BYTES		(1LL << 40)

#define DAY			86400

/* Values a feed did not set, resolved to the global ones at the end. */
#define UNSET			(-1)

enum key_type {
	KT_STRING,	/* char *: text without control characters */
	KT_PATH,	/* char *: relative to the file's directory */
	KT_SOCKET,	/* char *: a path that fits a sockaddr_un */
	KT_GROUP,	/* char *: a group that exists */
	KT_DURATION,	/* int64_t seconds */
	KT_SIZE,	/* int64_t bytes */
	KT_INT,		/* int */
	KT_INT64,	/* int64_t */
	KT_BOOL,	/* bool */
	KT_LOG_LEVEL,	/* int */
	KT_URL,		/* char *: http(s) URL */
	KT_PROXY,	/* char *: proxy URL */
	KT_FULLTEXT,	/* enum fulltext */
	KT_ON_UPDATE,	/* enum on_update */
	KT_HEADERS,	/* char **headers, n_headers */
	KT_USERNAME,	/* char * */
	KT_PASSWORD_FILE, /* read into password */
	KT_KEEP,	/* keep + keep_re */
	KT_BLOCK,	/* block + block_re */
};

struct key {
	const char	*name;
	enum key_type	 type;
	size_t		 offset;	/* into struct config or feed_conf */
	int64_t		 min, max;	/* for numbers */
};

#define CFG(f)	offsetof(struct config, f)
#define FEED(f)	offsetof(struct feed_conf, f)

static const struct key main_keys[] = {
	{ "state_dir", KT_PATH, CFG(state_dir), 0, 0 },
	{ "socket", KT_SOCKET, CFG(socket_path), 0, 0 },
	{ "socket_group", KT_GROUP, CFG(socket_group), 0, 0 },
	{ "feeds_dir", KT_PATH, CFG(feeds_dir), 0, 0 },
	{ "interval", KT_DURATION, CFG(interval), 1, 30 * DAY },
	{ "min_interval", KT_DURATION, CFG(min_interval), 1, 30 * DAY },
	{ "max_interval", KT_DURATION, CFG(max_interval), 1, 365 * DAY },
	{ "adaptive", KT_BOOL, CFG(adaptive), 0, 0 },
	{ "max_connections", KT_INT, CFG(max_connections), 1, 1024 },
	{ "max_per_host", KT_INT, CFG(max_per_host), 1, 64 },
	{ "user_agent", KT_STRING, CFG(user_agent), 0, 0 },
	{ "timeout", KT_DURATION, CFG(timeout), 1, 3600 },
	{ "max_body", KT_SIZE, CFG(max_body), 1024, 1LL << 30 },
	{ "log_level", KT_LOG_LEVEL, CFG(log_level), 0, 0 },
	{ "keep_days", KT_INT64, CFG(keep_days), 0, 100000 },
	{ "keep_items", KT_INT64, CFG(keep_items), 0, 100000000 },
	{ "expire_unread", KT_BOOL, CFG(expire_unread), 0, 0 },
};

static const struct key feed_keys[] = {
	{ "url", KT_URL, FEED(url), 0, 0 },
	{ "interval", KT_DURATION, FEED(interval), 1, 30 * DAY },
	{ "fulltext", KT_FULLTEXT, FEED(fulltext), 0, 0 },
	{ "user_agent", KT_STRING, FEED(user_agent), 0, 0 },
	{ "headers", KT_HEADERS, 0, 0, 0 },
	{ "username", KT_USERNAME, FEED(username), 0, 0 },
	{ "password_file", KT_PASSWORD_FILE, 0, 0, 0 },
	{ "proxy", KT_PROXY, FEED(proxy), 0, 0 },
	{ "http1", KT_BOOL, FEED(http1), 0, 0 },
	{ "keep", KT_KEEP, 0, 0, 0 },
	{ "block", KT_BLOCK, 0, 0, 0 },
	{ "on_update", KT_ON_UPDATE, FEED(on_update), 0, 0 },
	{ "enabled", KT_BOOL, FEED(enabled), 0, 0 },
	{ "max_body", KT_SIZE, FEED(max_body), 1024, 1LL << 30 },
	{ "keep_days", KT_INT64, FEED(keep_days), 0, 100000 },
	{ "keep_items", KT_INT64, FEED(keep_items), 0, 100000000 },
};

/* The most keys of either table; `seen` has a slot for each. */
#define MAX_KEYS	24
_Static_assert(ARRAY_SIZE(main_keys) <= MAX_KEYS, "main_keys > MAX_KEYS");
_Static_assert(ARRAY_SIZE(feed_keys) <= MAX_KEYS, "feed_keys > MAX_KEYS");

struct error {
	size_t		 file_no;	/* order of the file */
	int		 line;		/* 0: the whole file */
	size_t		 seq;		/* order of discovery */
	char		*text;		/* "file:line: message" */
};

enum section {
	SECTION_NONE,		/* before the first header */
	SECTION_MAIN,		/* [feedd] */
	SECTION_FEED,
	SECTION_BAD,		/* a header already reported */
};

struct loader {
	struct config	*cfg;
	struct error	*errors;
	size_t		 n_errors;
	size_t		 n_dropped;	/* past MAX_ERRORS */

	/* The file being read. */
	const char	*file;		/* as shown in messages */
	char		*dir;		/* for relative paths */
	size_t		 file_no;
	int		 line;
	bool		 feeds_file;

	size_t		*feed_file_nos;	/* the file_no of each feed */

	/* The section being read. */
	enum section	 section;
	size_t		 feed;		/* index into cfg->feeds */
	int		 seen[MAX_KEYS]; /* line of each key set, or 0 */
	bool		 has_password_file;
	int		 password_line;

	/* feedd.conf settings that later checks refer to. */
	size_t		 main_file_no;
	char		*main_file;
	int		 main_line;	/* of [feedd], 0 if none yet */
	int		 main_seen[MAX_KEYS];
};

static void	 loader_error(struct loader *, int line, const char *, ...)
		    PRINTF_LIKE(3, 4);
static void	 parse_text(struct loader *, const char *, size_t);
static size_t	 main_key_index(const char *);

/* ---- small helpers ---- */

static void
loader_error(struct loader *l, int line, const char *fmt, ...)
{
	struct error *e;
	struct buf b = { 0 };
	va_list ap;

	if (l->n_errors >= MAX_ERRORS) {
		l->n_dropped++;
		return;
	}
	if (line > 0)
		buf_printf(&b, "%s:%d: ", l->file, line);
	else
		buf_printf(&b, "%s: ", l->file);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	l->errors = xreallocarray(l->errors, l->n_errors + 1,
	    sizeof(*l->errors));
	e = &l->errors[l->n_errors];
	e->file_no = l->file_no;
	e->line = line;
	e->seq = l->n_errors;
	e->text = buf_take(&b);
	l->n_errors++;
}

static int
error_cmp(const void *a, const void *b)
{
	const struct error *x = a, *y = b;

	if (x->file_no != y->file_no)
		return x->file_no < y->file_no ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* All errors, sorted into file order, one per line; NULL if none. */
static char *
loader_take_errors(struct loader *l)
{
	struct buf b = { 0 };
	size_t i;

	if (l->n_errors == 0)
		return NULL;
	qsort(l->errors, l->n_errors, sizeof(*l->errors), error_cmp);
	for (i = 0; i < l->n_errors; i++) {
		buf_puts(&b, l->errors[i].text);
		buf_putc(&b, '\n');
	}
	if (l->n_dropped > 0)
		buf_printf(&b, "... and %zu more errors\n", l->n_dropped);
	return buf_take(&b);
}

static void
loader_clear(struct loader *l)
{
	size_t i;

	for (i = 0; i < l->n_errors; i++)
		free(l->errors[i].text);
	free(l->errors);
	free(l->main_file);
	free(l->feed_file_nos);
}

/* The directory part of path: "." if it has none. */
static char *
path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* path, relative to dir unless absolute. */
static char *
path_join(const char *dir, const char *path)
{
	if (path[0] == '/' || strcmp(dir, ".") == 0)
		return xstrdup(path);
	return xasprintf("%s/%s", dir, path);
}

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* RFC 9110 token characters, as in header names. */
static bool
is_tchar(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* Feed names go on command lines and into messages: keep them plain. */
static bool
feed_name_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > MAX_NAME_LEN || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* ---- values ---- */

static int
parse_uint(const char *s, int64_t max, int64_t *ret)
{
	int64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*ret = v;
	return 0;
}

int
config_parse_duration(const char *s, int64_t *ret_seconds)
{
	int64_t total = 0, v, unit;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -1;
		for (v = 0; *s >= '0' && *s <= '9'; s++) {
			if (v > (DURATION_MAX - (*s - '0')) / 10)
				return -1;
			v = v * 10 + (*s - '0');
		}
		switch (*s) {
		case '\0':
			unit = 1;
			break;
		case 's':
			unit = 1;
			s++;
			break;
		case 'm':
			unit = 60;
			s++;
			break;
		case 'h':
			unit = 3600;
			s++;
			break;
		case 'd':
			unit = DAY;
			s++;
			break;
		case 'w':
			unit = 7 * DAY;
			s++;
			break;
		default:
			return -1;
		}
		if (v > (DURATION_MAX - total) / unit)
			return -1;
		total += v * unit;
		/* A bare number only alone: "1h30" is more likely a typo. */
		if (unit == 1 && s[-1] != 's' && total != v)
			return -1;
	}
	*ret_seconds = total;
	return 0;
}

int
config_parse_size(const char *s, int64_t *ret_bytes)
{
	static const struct {
		const char	*suffix;
		int		 shift;
	} units[] = {
		{ "", 0 }, { "B", 0 },
		{ "k", 10 }, { "K", 10 }, { "KiB", 10 },
		{ "M", 20 }, { "MiB", 20 },
		{ "G", 30 }, { "GiB", 30 },
	};
	int64_t v = 0;
	size_t i;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (SIZE_MAX_BYTES - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(s, units[i].suffix) != 0)
			continue;
		if (v > SIZE_MAX_BYTES >> units[i].shift)
			return -1;
		*ret_bytes = v << units[i].shift;
		return 0;
	}
	return -1;
}

static int
parse_bool(const char *s, bool *ret)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -1;
}

/* A duration for messages: the largest unit that divides it. */
static char *
duration_str(int64_t s)
{
	if (s % (7 * DAY) == 0)
		return xasprintf("%lldw", (long long)(s / (7 * DAY)));
	if (s % DAY == 0)
		return xasprintf("%lldd", (long long)(s / DAY));
	if (s % 3600 == 0)
		return xasprintf("%lldh", (long long)(s / 3600));
	if (s % 60 == 0)
		return xasprintf("%lldm", (long long)(s / 60));
	return xasprintf("%llds", (long long)s);
}

static char *
size_str(int64_t n)
{
	if (n % (1LL << 30) == 0)
		return xasprintf("%lldG", (long long)(n >> 30));
	if (n % (1LL << 20) == 0)
		return xasprintf("%lldM", (long long)(n >> 20));
	if (n % (1LL << 10) == 0)
		return xasprintf("%lldk", (long long)(n >> 10));
	return xasprintf("%lld", (long long)n);
}

/* Reads a small secret file whole; -1 with errno-style text on failure. */
static int
read_password(const char *path, char **ret, char **ret_err)
{
	struct stat st;
	char buf[MAX_PASSWORD_BYTES + 1];
	ssize_t n;
	size_t len = 0;
	int fd;

	/*
	 * Only regular files, checked before opening: opening a device can
	 * do things (a watchdog starts counting), and O_NONBLOCK keeps a
	 * FIFO swapped in meanwhile from hanging the load.
	 */
	if (stat(path, &st) == -1) {
		*ret_err = xasprintf("%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*ret_err = xstrdup("not a regular file");
		return -1;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		*ret_err = xasprintf("%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		*ret_err = xstrdup("not a regular file");
		return -1;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*ret_err = xasprintf("%s", strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > MAX_PASSWORD_BYTES) {
		*ret_err = xasprintf("longer than %d bytes",
		    MAX_PASSWORD_BYTES);
		return -1;
	}
	/* One trailing newline is the editor's, not the password's. */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len == 0) {
		*ret_err = xstrdup("empty");
		return -1;
	}
	if (memchr(buf, '\0', len) != NULL || memchr(buf, '\n', len) != NULL) {
		*ret_err = xstrdup("more than one line");
		return -1;
	}
	*ret = xstrndup(buf, len);
	return 0;
}

static bool
group_exists(const char *name)
{
	struct group gr, *res = NULL;
	char buf[16384];

	return getgrnam_r(name, &gr, buf, sizeof(buf), &res) == 0 &&
	    res != NULL;
}

/* A proxy URL libcurl understands (CURLOPT_PROXY). */
static bool
proxy_valid(const char *s)
{
	static const char *schemes[] = {
		"http", "https", "socks4", "socks4a", "socks5", "socks5h",
	};
	CURLU *u;
	char *scheme = NULL, *host = NULL;
	bool ok = false;
	size_t i;

	if ((u = curl_url()) == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME) ==
	    CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    host[0] != '\0') {
		for (i = 0; i < ARRAY_SIZE(schemes); i++)
			if (strcasecmp(scheme, schemes[i]) == 0)
				ok = true;
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/*
 * Adds the headers in value: one "Name: value", or several separated by
 * commas, where a comma only separates if a "Name:" follows it (so
 * "Accept: a/b, c/d" stays one header).
 */
static void
add_headers(struct loader *l, struct feed_conf *f, const char *value)
{
	const char *p = value, *start, *q, *colon;
	char *h, *name;
	size_t n;

	while (*p != '\0') {
		start = p;
		/* Find the comma that starts the next header, if any. */
		for (q = strchr(p, ','); q != NULL; q = strchr(q + 1, ',')) {
			const char *t = q + 1;

			while (*t == ' ' || *t == '\t')
				t++;
			if (!is_tchar((unsigned char)*t))
				continue;
			while (is_tchar((unsigned char)*t))
				t++;
			if (*t == ':')
				break;
		}
		n = q != NULL ? (size_t)(q - start) : strlen(start);
		p = q != NULL ? q + 1 : start + n;
		while (*p == ' ' || *p == '\t')
			p++;
		while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
			n--;
		h = xstrndup(start, n);
		colon = strchr(h, ':');
		name = xstrndup(h, colon != NULL ? (size_t)(colon - h) : 0);
		if (colon == NULL || name[0] == '\0') {
			loader_error(l, l->line, "headers: '%s' is not "
			    "\"Name: value\"", h);
			goto next;
		}
		for (q = name; *q != '\0'; q++)
			if (!is_tchar((unsigned char)*q))
				break;
		if (*q != '\0') {
			loader_error(l, l->line, "headers: invalid header "
			    "name '%s'", name);
			goto next;
		}
		if (f->n_headers >= MAX_HEADERS) {
			loader_error(l, l->line, "headers: more than %d "
			    "headers", MAX_HEADERS);
			goto next;
		}
		f->headers = xreallocarray(f->headers, f->n_headers + 1,
		    sizeof(*f->headers));
		f->headers[f->n_headers++] = h;
		h = NULL;
next:
		free(name);
		free(h);
	}
}

/*
 * The expressions run over untrusted titles and content, so refuse what
 * makes glibc's matcher slow or huge: back-references (backtracking),
 * nested counted repetitions (a{100}{100} compiles to 10,000 copies) and
 * a repetition of a repetition (a++++: regcomp's time doubles with each
 * '+'; undefined in POSIX anyway; found by fuzz_config).
 */
static const char *
regex_too_costly(const char *re)
{
	const char *p;
	int64_t product = 1, n, m;
	char *end;
	bool after_rep = false, in_count = false;
	/* How deep repetitions nest in the group being read, and in those
	 * that enclose it; after_group: that of the group just closed. */
	int depth = 0, stack[64], after_group = -1, d;
	size_t sp = 0;

	if (strlen(re) > MAX_REGEX_BYTES)
		return "longer than 1024 bytes";
	for (p = re; *p != '\0'; p++) {
		if (*p == '[') {
			/* A bracket expression: its '+' '*' '?' are plain. */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' ||
				    p[1] == '=') && (end = strchr(p + 2, p[1])) !=
				    NULL && end[1] == ']')
					p = end + 1;
				p++;
			}
			if (*p == '\0')
				break;
			after_rep = false;
			after_group = -1;
			continue;
		}
		if (in_count) {
			/* Inside {m,n}: still the same repetition. */
			in_count = *p != '}';
		} else if (*p == '+' || *p == '*' || *p == '?' ||
		    (*p == '{' && p[1] >= '0' && p[1] <= '9')) {
			if (after_rep)
				return "a repetition of a repetition (such as "
				    "a++) is not supported";
			/* ((a+)+)+ costs regcomp as much as a+++. */
			d = after_group >= 0 ? after_group + 1 : 1;
			if (d > MAX_REGEX_NESTED_REPEAT)
				return "repetitions nested more than 4 deep";
			if (d > depth)
				depth = d;
			after_rep = true;
			after_group = -1;
			in_count = *p == '{';
		} else {
			after_rep = false;
			after_group = -1;
			if (*p == '(') {
				if (sp == ARRAY_SIZE(stack))
					return "groups nested too deeply";
				stack[sp++] = depth;
				depth = 0;
			} else if (*p == ')' && sp > 0) {
				after_group = depth;
				sp--;
				if (stack[sp] > depth)
					depth = stack[sp];
			}
		}
		if (*p == '\\') {
			if (p[1] >= '1' && p[1] <= '9')
				return "back-references are not supported";
			if (p[1] != '\0')
				p++;
			continue;
		}
		if (*p != '{' || p[1] < '0' || p[1] > '9')
			continue;
		n = strtoll(p + 1, &end, 10);
		if (*end == ',') {
			m = end[1] >= '0' && end[1] <= '9' ?
			    strtoll(end + 1, &end, 10) : n;
			if (m > n)
				n = m;
			if (*end == ',')
				end++;
		}
		if (n > 1)
			product *= n > MAX_REGEX_REPEAT ? MAX_REGEX_REPEAT + 1 : n;
		if (product > MAX_REGEX_REPEAT)
			return "repetition counts multiply to more than 1000";
	}
	return NULL;
}

static void
set_regex(struct loader *l, const char *key, const char *value,
    char **src, regex_t **re)
{
	char msg[256];
	const char *why;
	regex_t *r;
	int rc;

	if ((why = regex_too_costly(value)) != NULL) {
		loader_error(l, l->line, "%s: regular expression refused: %s",
		    key, why);
		return;
	}
	r = xmalloc(sizeof(*r));
	rc = regcomp(r, value, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, r, msg, sizeof(msg));
		loader_error(l, l->line, "%s: bad regular expression '%s': %s",
		    key, value, msg);
		free(r);
		return;
	}
	*src = xstrdup(value);
	*re = r;
}

/* A duration or size: parsed, then checked against the key's range. */
static void
set_quantity(struct loader *l, const struct key *k, int64_t *p,
    const char *value, int (*parse)(const char *, int64_t *),
    char *(*show)(int64_t), const char *what, const char *examples)
{
	char *lo, *hi;
	int64_t v;

	if (parse(value, &v) == -1) {
		loader_error(l, l->line, "%s: bad %s '%s' (examples: %s)",
		    k->name, what, value, examples);
	} else if (v < k->min || v > k->max) {
		lo = show(k->min);
		hi = show(k->max);
		loader_error(l, l->line, "%s: '%s' is out of range (%s to %s)",
		    k->name, value, lo, hi);
		free(lo);
		free(hi);
	} else
		*p = v;
}

/* Applies `key = value` to the object at base. */
static void
set_value(struct loader *l, const struct key *k, void *base,
    const char *value)
{
	char *p = (char *)base + k->offset;
	struct feed_conf *f = base;
	char *s, *err = NULL;
	int64_t v;
	bool b;
	int lvl;

	if (value[0] == '\0') {
		loader_error(l, l->line, "%s: empty value", k->name);
		return;
	}
	if (has_control(value)) {
		loader_error(l, l->line, "%s: control character in value",
		    k->name);
		return;
	}
	switch (k->type) {
	case KT_STRING:
	case KT_USERNAME:
		str_set((char **)p, value);
		break;
	case KT_PATH:
		str_take((char **)p, path_join(l->dir, value));
		break;
	case KT_SOCKET:
		s = path_join(l->dir, value);
		if (strlen(s) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			loader_error(l, l->line, "%s: path longer than %zu "
			    "bytes: %s", k->name,
			    sizeof(((struct sockaddr_un *)0)->sun_path) - 1,
			    s);
		str_take((char **)p, s);
		break;
	case KT_GROUP:
		if (!group_exists(value))
			loader_error(l, l->line, "%s: no such group '%s'",
			    k->name, value);
		else
			str_set((char **)p, value);
		break;
	case KT_DURATION:
		set_quantity(l, k, (int64_t *)p, value, config_parse_duration,
		    duration_str, "duration", "90s, 15m, 2h, 1d");
		break;
	case KT_SIZE:
		set_quantity(l, k, (int64_t *)p, value, config_parse_size,
		    size_str, "size", "512k, 16M, 1G");
		break;
	case KT_INT:
	case KT_INT64:
		if (parse_uint(value, INT64_MAX, &v) == -1 || v < k->min ||
		    v > k->max) {
			loader_error(l, l->line, "%s: '%s' is not a whole "
			    "number from %lld to %lld", k->name, value,
			    (long long)k->min, (long long)k->max);
		} else if (k->type == KT_INT)
			*(int *)p = (int)v;
		else
			*(int64_t *)p = v;
		break;
	case KT_BOOL:
		if (parse_bool(value, &b) == -1)
			loader_error(l, l->line, "%s: '%s' is not yes or no",
			    k->name, value);
		else
			*(bool *)p = b;
		break;
	case KT_LOG_LEVEL:
		if ((lvl = log_level_parse(value)) == -1)
			loader_error(l, l->line, "%s: '%s' is not one of "
			    "error, warning, notice, info, debug", k->name,
			    value);
		else
			*(int *)p = lvl;
		break;
	case KT_URL:
		if (!url_is_http(value))
			loader_error(l, l->line, "%s: '%s' is not an http or "
			    "https URL", k->name, value);
		else
			str_set((char **)p, value);
		break;
	case KT_PROXY:
		if (!proxy_valid(value))
			loader_error(l, l->line, "%s: '%s' is not a proxy URL "
			    "(http, https, socks4, socks4a, socks5, socks5h)",
			    k->name, value);
		else
			str_set((char **)p, value);
		break;
	case KT_FULLTEXT:
		if (strcmp(value, "yes") == 0)
			f->fulltext = FULLTEXT_YES;
		else if (strcmp(value, "no") == 0)
			f->fulltext = FULLTEXT_NO;
		else if (strcmp(value, "auto") == 0)
			f->fulltext = FULLTEXT_AUTO;
		else
			loader_error(l, l->line, "%s: '%s' is not yes, no or "
			    "auto", k->name, value);
		break;
	case KT_ON_UPDATE:
		if (strcmp(value, "keep") == 0)
			f->on_update = ON_UPDATE_KEEP;
		else if (strcmp(value, "unread") == 0)
			f->on_update = ON_UPDATE_UNREAD;
		else
			loader_error(l, l->line, "%s: '%s' is not keep or "
			    "unread", k->name, value);
		break;
	case KT_HEADERS:
		add_headers(l, f, value);
		break;
	case KT_PASSWORD_FILE:
		l->has_password_file = true;
		l->password_line = l->line;
		s = path_join(l->dir, value);
		if (read_password(s, &f->password, &err) == -1) {
			loader_error(l, l->line, "%s: %s: %s", k->name, s,
			    err);
			free(err);
		}
		free(s);
		break;
	case KT_KEEP:
		set_regex(l, k->name, value, &f->keep, &f->keep_re);
		break;
	case KT_BLOCK:
		set_regex(l, k->name, value, &f->block, &f->block_re);
		break;
	}
}

/* ---- sections ---- */

static struct feed_conf *
current_feed(struct loader *l)
{
	return &l->cfg->feeds[l->feed];
}

/* Checks a finished section as a whole. */
static void
finish_section(struct loader *l)
{
	struct feed_conf *f;

	if (l->section == SECTION_FEED) {
		f = current_feed(l);
		if (f->url == NULL && l->seen[0] == 0)
			loader_error(l, f->line, "[%s]: no url", f->name);
		if (l->has_password_file && f->username == NULL)
			loader_error(l, l->password_line, "password_file "
			    "without username");
	}
	l->section = SECTION_NONE;
	memset(l->seen, 0, sizeof(l->seen));
	l->has_password_file = false;
	l->password_line = 0;
}

static void
feed_conf_init(struct feed_conf *f)
{
	memset(f, 0, sizeof(*f));
	f->interval = UNSET;
	f->fulltext = FULLTEXT_NO;
	f->on_update = ON_UPDATE_KEEP;
	f->enabled = true;
	f->max_body = UNSET;
	f->keep_days = UNSET;
	f->keep_items = UNSET;
}

static void
open_section(struct loader *l, const char *name)
{
	struct config *cfg = l->cfg;
	struct feed_conf *f;

	finish_section(l);
	if (!l->feeds_file) {
		if (strcmp(name, "feedd") != 0) {
			loader_error(l, l->line, "[%s]: feeds are defined in "
			    "the feeds directory (%s/NAME.conf), not in "
			    "feedd.conf", name, cfg->feeds_dir);
			l->section = SECTION_BAD;
		} else if (l->main_line > 0) {
			loader_error(l, l->line, "[feedd]: section repeated "
			    "(first at line %d)", l->main_line);
			l->section = SECTION_BAD;
		} else {
			l->main_line = l->line;
			l->section = SECTION_MAIN;
		}
		return;
	}
	if (strcmp(name, "feedd") == 0) {
		loader_error(l, l->line, "[feedd]: this section belongs in "
		    "feedd.conf, not in the feeds directory");
		l->section = SECTION_BAD;
		return;
	}
	if (!feed_name_valid(name)) {
		loader_error(l, l->line, "[%s]: invalid feed name: use up to "
		    "%d letters, digits, '.', '_' and '-', starting with a "
		    "letter or digit", name, MAX_NAME_LEN);
		l->section = SECTION_BAD;
		return;
	}
	cfg->feeds = xreallocarray(cfg->feeds, cfg->n_feeds + 1,
	    sizeof(*cfg->feeds));
	f = &cfg->feeds[cfg->n_feeds];
	feed_conf_init(f);
	f->name = xstrdup(name);
	f->file = xstrdup(l->file);
	f->line = l->line;
	l->feed_file_nos = xreallocarray(l->feed_file_nos, cfg->n_feeds + 1,
	    sizeof(*l->feed_file_nos));
	l->feed_file_nos[cfg->n_feeds] = l->file_no;
	l->feed = cfg->n_feeds++;
	l->section = SECTION_FEED;
}

static void
set_key(struct loader *l, const char *key, const char *value)
{
	const struct key *keys;
	size_t i, n;
	int *seen;
	void *base;

	switch (l->section) {
	case SECTION_NONE:
		if (l->feeds_file)
			loader_error(l, l->line, "'%s' outside a section: "
			    "start each feed with [name]", key);
		else
			loader_error(l, l->line, "'%s' outside a section: "
			    "settings go under [feedd]", key);
		return;
	case SECTION_BAD:
		return;
	case SECTION_MAIN:
		keys = main_keys;
		n = ARRAY_SIZE(main_keys);
		base = l->cfg;
		seen = l->main_seen;
		break;
	case SECTION_FEED:
	default:
		keys = feed_keys;
		n = ARRAY_SIZE(feed_keys);
		base = current_feed(l);
		seen = l->seen;
		break;
	}
	for (i = 0; i < n; i++)
		if (strcmp(keys[i].name, key) == 0)
			break;
	if (i == n) {
		if (l->section == SECTION_MAIN)
			loader_error(l, l->line, "unknown key '%s' in [feedd]",
			    key);
		else
			loader_error(l, l->line, "unknown key '%s' in feed "
			    "[%s]", key, current_feed(l)->name);
		return;
	}
	if (seen[i] != 0 && keys[i].type != KT_HEADERS) {
		loader_error(l, l->line, "%s: set twice (first at line %d)",
		    key, seen[i]);
		return;
	}
	seen[i] = l->line;
	set_value(l, &keys[i], base, value);
}

/* ---- lines ---- */

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* Trims blanks at both ends, in place. */
static char *
trim(char *s)
{
	size_t n;

	while (is_blank((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_blank((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Removes the quotes of a quoted value in place; -1 if unterminated. */
static int
unquote(char *s)
{
	char *r = s + 1, *w = s;

	if (s[0] != '"')
		return 0;
	for (; *r != '\0' && *r != '"'; r++) {
		if (r[0] == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		*w++ = *r;
	}
	if (*r != '"' || r[1] != '\0')
		return -1;
	*w = '\0';
	return 0;
}

static void
parse_line(struct loader *l, const char *p, size_t len)
{
	char *line, *s, *eq, *key, *value, *end;

	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len > MAX_LINE_BYTES) {
		loader_error(l, l->line, "line longer than %d bytes",
		    MAX_LINE_BYTES);
		return;
	}
	if (memchr(p, '\0', len) != NULL) {
		loader_error(l, l->line, "NUL byte in line");
		return;
	}
	if (!utf8_valid(p, len)) {
		loader_error(l, l->line, "invalid UTF-8");
		return;
	}
	line = xstrndup(p, len);
	s = trim(line);
	if (*s == '\0' || *s == '#' || *s == ';')
		goto out;
	if (*s == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != '\0') {
			loader_error(l, l->line, "malformed section header: "
			    "expected [name]");
			finish_section(l);
			l->section = SECTION_BAD;
			goto out;
		}
		*end = '\0';
		open_section(l, trim(s + 1));
		goto out;
	}
	eq = strchr(s, '=');
	if (eq == NULL) {
		loader_error(l, l->line, "expected 'key = value', '[name]' or "
		    "a comment");
		goto out;
	}
	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (*key == '\0') {
		loader_error(l, l->line, "missing key before '='");
		goto out;
	}
	if (unquote(value) == -1) {
		loader_error(l, l->line, "%s: unterminated quoted value",
		    key);
		goto out;
	}
	set_key(l, key, value);
out:
	free(line);
}

static void
parse_text(struct loader *l, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;

	l->line = 0;
	l->section = SECTION_NONE;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l->line++;
		parse_line(l, p, (size_t)((nl != NULL ? nl : end) - p));
		p = nl != NULL ? nl + 1 : end;
	}
	finish_section(l);
}

/* ---- files ---- */

/* Reads a whole file; -1 with errno set (EFBIG past the cap). */
static int
read_file(const char *path, char **ret, size_t *ret_len)
{
	struct buf b = { 0 };
	struct stat st;
	char chunk[65536];
	ssize_t n;
	int fd, saved;

	/* Regular files only, and checked before opening (see above). */
	if (stat(path, &st) == -1)
		return -1;
	if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		if (b.len + (size_t)n > MAX_FILE_BYTES) {
			errno = EFBIG;
			goto fail;
		}
		buf_append(&b, chunk, (size_t)n);
	}
	close(fd);
	*ret_len = b.len;
	*ret = buf_take(&b);
	return 0;
fail:
	saved = errno;
	close(fd);
	buf_free(&b);
	errno = saved;
	return -1;
}

static void
load_file(struct loader *l, const char *path, bool feeds_file)
{
	char *text;
	size_t len;

	l->file = path;
	l->feeds_file = feeds_file;
	l->dir = path_dirname(path);
	if (read_file(path, &text, &len) == -1) {
		loader_error(l, 0, "cannot read: %s", errno == EFBIG ?
		    "file too large" : errno == EINVAL ? "not a regular file" :
		    strerror(errno));
	} else {
		parse_text(l, text, len);
		free(text);
	}
	free(l->dir);
	l->dir = NULL;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every NAME.conf of the feeds directory, in byte order of names. */
static void
load_feeds_dir(struct loader *l, bool must_exist)
{
	const char *dir = l->cfg->feeds_dir;
	struct dirent *de;
	struct stat st;
	char **names = NULL, *path;
	size_t n = 0, i, len;
	int line;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT && !must_exist)
			return;
		l->file_no = l->main_file_no;
		line = l->main_seen[main_key_index("feeds_dir")];
		if (line > 0) {
			l->file = l->main_file;
			loader_error(l, line, "feeds_dir: cannot open %s: %s",
			    dir, strerror(errno));
		} else {
			l->file = dir;
			loader_error(l, 0, "cannot open the feeds directory: "
			    "%s", strerror(errno));
		}
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		path = path_join(dir, names[i]);
		/* Skip directories and such, but report broken links. */
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		l->file_no++;
		load_file(l, path, true);
		free(path);
		free(names[i]);
	}
	for (; i < n; i++)
		free(names[i]);
	free(names);
}

/* ---- defaults ---- */

/* An environment variable that holds an absolute path, else NULL. */
static const char *
env_path(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] == '/' ? v : NULL;
}

static char *
home_dir(void)
{
	const struct passwd *pw;
	const char *h = env_path("HOME");

	if (h != NULL)
		return xstrdup(h);
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL &&
	    pw->pw_dir[0] == '/')
		return xstrdup(pw->pw_dir);
	return xstrdup("/");
}

/* $XDG_VAR/feedd, else ~/fallback/feedd (XDG Base Directory). */
static char *
user_dir(const char *xdg_var, const char *fallback)
{
	const char *v;
	char *home, *s;

	if ((v = env_path(xdg_var)) != NULL)
		return xasprintf("%s/feedd", v);
	home = home_dir();
	s = xasprintf("%s/%s/feedd", strcmp(home, "/") == 0 ? "" : home,
	    fallback);
	free(home);
	return s;
}

/*
 * systemd's $CONFIGURATION_DIRECTORY, $STATE_DIRECTORY and
 * $RUNTIME_DIRECTORY (ConfigurationDirectory= and friends) come first:
 * under DynamicUser= they are the places the service may use.  A unit that
 * lists several directories gets "a:b"; ours is the first.
 */
char *
config_default_path(void)
{
	const char *v;
	char *dir, *s;

	if ((v = env_path("CONFIGURATION_DIRECTORY")) != NULL)
		return xasprintf("%.*s/feedd.conf", (int)strcspn(v, ":"), v);
	if (geteuid() == 0)
		return xstrdup("/etc/feedd/feedd.conf");
	dir = user_dir("XDG_CONFIG_HOME", ".config");
	s = xasprintf("%s/feedd.conf", dir);
	free(dir);
	return s;
}

char *
config_default_state_dir(void)
{
	const char *v;

	if ((v = env_path("STATE_DIRECTORY")) != NULL)
		return xstrndup(v, strcspn(v, ":"));
	if (geteuid() == 0)
		return xstrdup("/var/lib/feedd");
	return user_dir("XDG_STATE_HOME", ".local/state");
}

char *
config_default_socket(void)
{
	const char *v;
	char *dir, *s;

	if ((v = env_path("RUNTIME_DIRECTORY")) != NULL)
		return xasprintf("%.*s/feedd.sock", (int)strcspn(v, ":"), v);
	if (geteuid() == 0)
		return xstrdup("/run/feedd/feedd.sock");
	if ((v = env_path("XDG_RUNTIME_DIR")) != NULL)
		return xasprintf("%s/feedd/feedd.sock", v);
	dir = config_default_state_dir();
	s = xasprintf("%s/feedd.sock", dir);
	free(dir);
	return s;
}

static struct config *
config_new_defaults(const char *path)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	char *dir;

	cfg->state_dir = config_default_state_dir();
	cfg->socket_path = config_default_socket();
	dir = path_dirname(path);
	cfg->feeds_dir = path_join(dir, "feeds.d");
	free(dir);
	cfg->interval = 3600;
	cfg->min_interval = 15 * 60;
	cfg->max_interval = DAY;
	cfg->adaptive = false;
	cfg->max_connections = 32;
	cfg->max_per_host = 2;
	cfg->user_agent = xstrdup(CONFIG_DEFAULT_USER_AGENT);
	cfg->timeout = 60;
	cfg->max_body = 16 << 20;
	cfg->log_level = LOG_INFO;
	cfg->keep_days = 0;
	cfg->keep_items = 0;
	cfg->expire_unread = false;
	return cfg;
}

/* ---- checks of the whole ---- */

static int
feed_ptr_cmp(const void *a, const void *b)
{
	const struct feed_conf *x = *(struct feed_conf *const *)a;
	const struct feed_conf *y = *(struct feed_conf *const *)b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	/* Same name: the earlier definition first (feeds is in load order). */
	return x < y ? -1 : x > y;
}

/* Index of the feedd.conf key, for main_seen[]. */
static size_t
main_key_index(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(main_keys); i++)
		if (strcmp(main_keys[i].name, name) == 0)
			return i;
	abort();
}

static void
check_whole(struct loader *l)
{
	struct config *cfg = l->cfg;
	struct feed_conf *f, *first;
	size_t i, mi, ma;

	l->file = l->main_file != NULL ? l->main_file : "feedd.conf";
	l->file_no = l->main_file_no;
	if (cfg->min_interval > cfg->max_interval) {
		mi = main_key_index("min_interval");
		ma = main_key_index("max_interval");
		loader_error(l, l->main_seen[mi] > l->main_seen[ma] ?
		    l->main_seen[mi] : l->main_seen[ma],
		    "min_interval is above max_interval");
	}
	if (cfg->max_per_host > cfg->max_connections) {
		mi = main_key_index("max_per_host");
		ma = main_key_index("max_connections");
		loader_error(l, l->main_seen[mi] > l->main_seen[ma] ?
		    l->main_seen[mi] : l->main_seen[ma],
		    "max_per_host is above max_connections");
	}

	cfg->by_name = xreallocarray(NULL, cfg->n_feeds + 1,
	    sizeof(*cfg->by_name));
	for (i = 0; i < cfg->n_feeds; i++)
		cfg->by_name[i] = &cfg->feeds[i];
	qsort(cfg->by_name, cfg->n_feeds, sizeof(*cfg->by_name),
	    feed_ptr_cmp);
	/* Each repeat is reported against the first definition. */
	first = cfg->n_feeds > 0 ? cfg->by_name[0] : NULL;
	for (i = 1; i < cfg->n_feeds; i++) {
		f = cfg->by_name[i];
		if (strcmp(f->name, first->name) != 0) {
			first = f;
			continue;
		}
		l->file = f->file;
		l->file_no = l->feed_file_nos[f - cfg->feeds];
		loader_error(l, f->line, "[%s]: feed already defined at %s:%d",
		    f->name, first->file, first->line);
	}
}

/* Gives each feed the global value of whatever it left unset. */
static void
resolve_feeds(struct config *cfg)
{
	struct feed_conf *f;
	size_t i;

	for (i = 0; i < cfg->n_feeds; i++) {
		f = &cfg->feeds[i];
		if (f->interval == UNSET)
			f->interval = cfg->interval;
		if (f->user_agent == NULL)
			f->user_agent = xstrdup(cfg->user_agent);
		if (f->max_body == UNSET)
			f->max_body = cfg->max_body;
		if (f->keep_days == UNSET)
			f->keep_days = cfg->keep_days;
		if (f->keep_items == UNSET)
			f->keep_items = cfg->keep_items;
	}
}

static int
finish(struct loader *l, struct config *cfg, struct config **ret,
    char **ret_errs)
{
	char *errs;

	check_whole(l);
	errs = loader_take_errors(l);
	loader_clear(l);
	if (errs != NULL) {
		config_free(cfg);
		if (ret_errs != NULL)
			*ret_errs = errs;
		else
			free(errs);
		return -1;
	}
	resolve_feeds(cfg);
	*ret = cfg;
	return 0;
}

int
config_load(const char *path, bool path_is_default, struct config **ret,
    char **ret_errs)
{
	struct loader l = { 0 };
	struct config *cfg = config_new_defaults(path);
	char *text;
	size_t len;
	bool explicit_dir;

	l.cfg = cfg;
	l.main_file = xstrdup(path);
	l.file = path;
	l.dir = path_dirname(path);
	if (read_file(path, &text, &len) == -1) {
		if (errno != ENOENT || !path_is_default)
			loader_error(&l, 0, "cannot read: %s",
			    errno == EFBIG ? "file too large" :
			    errno == EINVAL ? "not a regular file" :
			    strerror(errno));
	} else {
		cfg->path = xstrdup(path);
		parse_text(&l, text, len);
		free(text);
	}
	free(l.dir);
	l.dir = NULL;
	explicit_dir = l.main_seen[main_key_index("feeds_dir")] > 0;
	load_feeds_dir(&l, explicit_dir);
	return finish(&l, cfg, ret, ret_errs);
}

int
config_load_text(const char *name, const char *text, size_t len,
    bool feeds_file, struct config **ret, char **ret_errs)
{
	struct loader l = { 0 };
	struct config *cfg = config_new_defaults(name);

	l.cfg = cfg;
	l.main_file = feeds_file ? NULL : xstrdup(name);
	l.file = name;
	l.file_no = feeds_file ? 1 : 0;
	l.feeds_file = feeds_file;
	l.dir = path_dirname(name);
	parse_text(&l, text, len);
	free(l.dir);
	l.dir = NULL;
	if (!feeds_file)
		cfg->path = xstrdup(name);
	return finish(&l, cfg, ret, ret_errs);
}

static void
feed_conf_clear(struct feed_conf *f)
{
	size_t i;

	free(f->name);
	free(f->url);
	free(f->file);
	free(f->user_agent);
	for (i = 0; i < f->n_headers; i++)
		free(f->headers[i]);
	free(f->headers);
	free(f->username);
	if (f->password != NULL) {
		explicit_bzero(f->password, strlen(f->password));
		free(f->password);
	}
	free(f->proxy);
	free(f->keep);
	free(f->block);
	if (f->keep_re != NULL) {
		regfree(f->keep_re);
		free(f->keep_re);
	}
	if (f->block_re != NULL) {
		regfree(f->block_re);
		free(f->block_re);
	}
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n_feeds; i++)
		feed_conf_clear(&cfg->feeds[i]);
	free(cfg->feeds);
	free(cfg->by_name);
	free(cfg->path);
	free(cfg->state_dir);
	free(cfg->socket_path);
	free(cfg->socket_group);
	free(cfg->feeds_dir);
	free(cfg->user_agent);
	free(cfg);
}

static int
feed_name_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct feed_conf *const *)elem)->name);
}

const struct feed_conf *
config_feed(const struct config *cfg, const char *name)
{
	struct feed_conf **f;

	if (cfg->by_name == NULL)
		return NULL;
	f = bsearch(name, cfg->by_name, cfg->n_feeds, sizeof(*cfg->by_name),
	    feed_name_key_cmp);
	return f != NULL ? *f : NULL;
}

/* ---- reload ---- */

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Whether anything that affects fetching or storing differs. */
static bool
feed_conf_equal(const struct feed_conf *a, const struct feed_conf *b)
{
	size_t i;

	if (!str_eq(a->url, b->url) || a->interval != b->interval ||
	    a->fulltext != b->fulltext ||
	    !str_eq(a->user_agent, b->user_agent) ||
	    a->n_headers != b->n_headers ||
	    !str_eq(a->username, b->username) ||
	    !str_eq(a->password, b->password) ||
	    !str_eq(a->proxy, b->proxy) || a->http1 != b->http1 ||
	    !str_eq(a->keep, b->keep) || !str_eq(a->block, b->block) ||
	    a->on_update != b->on_update || a->enabled != b->enabled ||
	    a->max_body != b->max_body || a->keep_days != b->keep_days ||
	    a->keep_items != b->keep_items)
		return false;
	for (i = 0; i < a->n_headers; i++)
		if (strcmp(a->headers[i], b->headers[i]) != 0)
			return false;
	return true;
}

static void
diff_add(char ***list, size_t *n, char *name)
{
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = name;
}

void
config_diff(const struct config *old, const struct config *new,
    struct config_diff *ret)
{
	struct config_diff d = { 0 };
	size_t i = 0, j = 0;
	int c;

	/* Both by_name lists are sorted: one merge pass. */
	while (i < old->n_feeds || j < new->n_feeds) {
		if (i == old->n_feeds)
			c = 1;
		else if (j == new->n_feeds)
			c = -1;
		else
			c = strcmp(old->by_name[i]->name,
			    new->by_name[j]->name);
		if (c < 0) {
			diff_add(&d.removed, &d.n_removed,
			    old->by_name[i++]->name);
		} else if (c > 0) {
			diff_add(&d.added, &d.n_added,
			    new->by_name[j++]->name);
		} else {
			if (!feed_conf_equal(old->by_name[i], new->by_name[j]))
				diff_add(&d.changed, &d.n_changed,
				    new->by_name[j]->name);
			i++;
			j++;
		}
	}
	*ret = d;
}

void
config_diff_clear(struct config_diff *d)
{
	free(d->added);
	free(d->removed);
	free(d->changed);
	memset(d, 0, sizeof(*d));
}
