/*
 * ctl_client: what the feedctl commands that talk to feedd share —
 * connecting with the right exit status, calling with errors reported,
 * and the output conventions: JSON for --json, otherwise text that fits
 * the terminal, in colour only on a terminal and never with NO_COLOR,
 * with nothing from a feed able to send control sequences to it.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "ctl.h"
#include "date.h"
#include "util.h"

int
ctl_connect(const char *cmd, const struct ctl_opts *opts,
    struct client **ret)
{
	char *err = NULL;
	int rc;

	rc = client_connect(opts->socket_path, ret, &err);
	if (rc == 0)
		return CTL_EXIT_OK;
	fprintf(stderr, "feedctl: %s: %s\n", cmd, err);
	free(err);
	return rc == CLIENT_NO_DAEMON ? CTL_EXIT_NO_DAEMON : CTL_EXIT_ERROR;
}

int
ctl_call(const char *cmd, struct client *cl, const char *method,
    json_t *params, json_t **ret)
{
	char *error = NULL, *err = NULL, *text;
	json_t *reply = NULL;

	switch (client_call(cl, method, params, &reply, &error, &err)) {
	case 0:
		if (ret)
			*ret = reply;
		else
			json_decref(reply);
		return CTL_EXIT_OK;
	case 1:
		text = client_error_text(error, reply);
		fprintf(stderr, "feedctl: %s: %s\n", cmd, text);
		free(text);
		free(error);
		json_decref(reply);
		return CTL_EXIT_ERROR;
	default:
		fprintf(stderr, "feedctl: %s: %s\n", cmd, err);
		free(err);
		return CTL_EXIT_ERROR;
	}
}

int
ctl_run(const char *cmd, const struct ctl_opts *opts, const char *method,
    json_t *params, json_t **ret)
{
	struct client *cl;
	int rc;

	if ((rc = ctl_connect(cmd, opts, &cl)) != CTL_EXIT_OK) {
		json_decref(params);
		return rc;
	}
	rc = ctl_call(cmd, cl, method, params, ret);
	client_free(cl);
	return rc;
}

int
ctl_json_flags(void)
{
	/*
	 * jansson escapes C0 controls; on a terminal escape everything
	 * beyond ASCII too, or a C1 control (U+009B is CSI) could reach it.
	 */
	return JSON_ENCODE_ANY | (isatty(STDOUT_FILENO) ? JSON_ENSURE_ASCII :
	    0);
}

int
ctl_print_json(json_t *v)
{
	if (json_dumpf(v, stdout, JSON_INDENT(2) | ctl_json_flags()) == -1)
		return -1;
	putchar('\n');
	return 0;
}

int
ctl_finish_output(const char *cmd)
{
	/* A full disk or a closed pipe is an error, not a silent success. */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "feedctl: %s: cannot write output\n", cmd);
		return CTL_EXIT_ERROR;
	}
	return CTL_EXIT_OK;
}

int
ctl_parse_when(const char *s, int64_t now, int64_t *ret)
{
	int64_t secs, t;

	/* "90m", "24h", "7d": that long ago. */
	if (config_parse_duration(s, &secs) == 0) {
		*ret = secs > now ? 0 : now - secs;
		return 0;
	}
	if ((t = date_parse(s)) != DATE_NONE && t >= 0) {
		*ret = t;
		return 0;
	}
	return -1;
}

int
ctl_parse_id(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v <= 0 || v == LLONG_MAX)
		return -1;
	*ret = v;
	return 0;
}

int
ctl_term_width(void)
{
	struct winsize ws;
	const char *cols;
	int n;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if ((cols = getenv("COLUMNS")) != NULL && (n = atoi(cols)) > 0)
		return n;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

bool
ctl_use_color(void)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	/* no-color.org: present and not empty disables colour. */
	if (nc != NULL && *nc != '\0')
		return false;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return false;
	return isatty(STDOUT_FILENO);
}

/* Decodes one UTF-8 sequence (input is valid UTF-8 from the daemon). */
static size_t
utf8_next(const unsigned char *s, uint32_t *ret)
{
	if (s[0] < 0x80) {
		*ret = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0 && s[1]) {
		*ret = ((s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		return 2;
	}
	if ((s[0] & 0xf0) == 0xe0 && s[1] && s[2]) {
		*ret = ((s[0] & 0x0f) << 12) | ((s[1] & 0x3f) << 6) |
		    (s[2] & 0x3f);
		return 3;
	}
	if ((s[0] & 0xf8) == 0xf0 && s[1] && s[2] && s[3]) {
		*ret = ((uint32_t)(s[0] & 0x07) << 18) | ((s[1] & 0x3f) << 12) |
		    ((s[2] & 0x3f) << 6) | (s[3] & 0x3f);
		return 4;
	}
	*ret = 0xfffd;
	return 1;
}

/*
 * Columns a code point takes on a terminal: 0 for combining marks and
 * zero-width characters, 2 for East Asian wide ones and most emoji, else
 * 1.  Independent of the locale (tests run in the C locale).
 */
static int
cp_width(uint32_t c)
{
	if ((c >= 0x0300 && c <= 0x036f) || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe00 && c <= 0xfe0f) ||
	    c == 0xfeff)
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

/* Control characters (C0, DEL, C1) would let a feed drive the terminal. */
static bool
cp_control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

int
ctl_put_text(struct buf *out, const char *s, int width, bool keep_newlines)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int used = 0, w, limit;
	size_t n;
	uint32_t c;

	/* Too wide: keep what fits before an ellipsis in the last column. */
	limit = width > 0 && !keep_newlines && ctl_text_width((const char *)p) >
	    width ? width - 1 : 0;
	for (; *p; p += n) {
		n = utf8_next(p, &c);
		if (cp_control(c)) {
			if (keep_newlines && (c == '\n' || c == '\t')) {
				buf_putc(out, c);
				continue;
			}
			if (c == '\r' && keep_newlines)
				continue;
			/* A line break in a title becomes a space. */
			w = 1;
			if (limit > 0 && used + w > limit)
				break;
			buf_putc(out, ' ');
			used += w;
			continue;
		}
		w = cp_width(c);
		if (limit > 0 && used + w > limit)
			break;
		buf_append(out, p, n);
		used += w;
	}
	if (limit > 0) {
		buf_puts(out, "\xe2\x80\xa6");
		used++;
	}
	return used;
}

int
ctl_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	int w = 0;

	while (*p) {
		p += utf8_next(p, &c);
		w += cp_control(c) ? 1 : cp_width(c);
	}
	return w;
}

void
ctl_pad(struct buf *out, int n)
{
	while (n-- > 0)
		buf_putc(out, ' ');
}

void
ctl_format_age(int64_t t, int64_t now, char *out, size_t len)
{
	int64_t d = now - t;

	if (d < 60)
		snprintf(out, len, "%llds", (long long)(d < 0 ? 0 : d));
	else if (d < 3600)
		snprintf(out, len, "%lldm", (long long)(d / 60));
	else if (d < 86400)
		snprintf(out, len, "%lldh", (long long)(d / 3600));
	else if (d < 14 * 86400)
		snprintf(out, len, "%lldd", (long long)(d / 86400));
	else if (d < 365 * 86400)
		snprintf(out, len, "%lldw", (long long)(d / (7 * 86400)));
	else
		snprintf(out, len, "%lldy", (long long)(d / (365 * 86400)));
}

int64_t
ctl_json_time(json_t *v)
{
	const char *s = json_string_value(v);

	return s ? date_parse(s) : DATE_NONE;
}

void
ctl_format_time(int64_t t, char *out, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == DATE_NONE || localtime_r(&tt, &tm) == NULL) {
		snprintf(out, len, "-");
		return;
	}
	strftime(out, len, "%Y-%m-%d %H:%M", &tm);
}

const char *
ctl_color(bool on, const char *sgr)
{
	return on ? sgr : "";
}
