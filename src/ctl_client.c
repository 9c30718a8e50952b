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
ctl_usage(const char *cmd, const char *synopsis, const char *why)
{
	if (why != NULL)
		fprintf(stderr, "feedctl: %s: %s\n", cmd, why);
	fprintf(stderr, "usage: feedctl %s\n", synopsis);
	return CTL_EXIT_USAGE;
}

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
	const unsigned char *end = p + strlen((const char *)p);
	int used = 0, w, limit;
	size_t n;
	uint32_t c;

	/* Too wide: keep what fits before an ellipsis in the last column. */
	limit = width > 0 && !keep_newlines && ctl_text_width((const char *)p) >
	    width ? width - 1 : 0;
	for (; *p; p += n) {
		n = utf8_decode((const char *)p, end - p, &c);
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
		w = unicode_width(c);
		if (limit > 0 && used + w > limit)
			break;
		if (n == 1 && *p >= 0x80)
			buf_puts(out, "\xef\xbf\xbd");	/* not UTF-8 */
		else
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
	const unsigned char *end = p + strlen(s);
	uint32_t c;
	int w = 0;

	while (p < end) {
		p += utf8_decode((const char *)p, end - p, &c);
		w += cp_control(c) ? 1 : unicode_width(c);
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
