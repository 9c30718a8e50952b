/*
 * ctl: the feedctl subcommands.  Each takes the arguments from its name on
 * (argv[0] is the command name) and returns the process exit status.
 */
#ifndef FEEDD_CTL_H
#define FEEDD_CTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct client;
struct json_t;

/* Exit statuses of feedctl(1). */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_ERROR = 1,	/* the daemon or the input said no */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_NO_DAEMON = 3,
};

/* Options that apply to every command. */
struct ctl_opts {
	const char	*socket_path;	/* --socket, else FEEDD_SOCKET, or NULL */
	bool		 json;
};

/*
 * The global options are accepted after the command too, as people type
 * them: every command's getopt_long table includes CTL_GLOBAL_LONGOPTS and
 * offers each option it does not know to ctl_global_option().
 */
enum { CTL_OPT_SOCKET = 0x1000, CTL_OPT_JSON };
#define CTL_GLOBAL_LONGOPTS \
	{ "socket", required_argument, NULL, CTL_OPT_SOCKET }, \
	{ "json", no_argument, NULL, CTL_OPT_JSON }

/* Applies option c if it is a global one; false if it is not. */
bool	ctl_global_option(int c, const char *arg, struct ctl_opts *);

/*
 * Talking to feedd (ctl_client.c).  cmd names the command in messages
 * ("feedctl: list: ...").  Each returns an exit status, having printed
 * why it is not CTL_EXIT_OK: CTL_EXIT_NO_DAEMON when nobody listens on
 * the socket (the message names the path and how to start feedd),
 * CTL_EXIT_ERROR for an error reply or a broken connection.
 */
int	ctl_connect(const char *cmd, const struct ctl_opts *,
	    struct client **ret);
/* params is stolen; *ret (may be NULL) gets the reply's parameters. */
int	ctl_call(const char *cmd, struct client *, const char *method,
	    struct json_t *params, struct json_t **ret);
/* Connect, call, disconnect. */
int	ctl_run(const char *cmd, const struct ctl_opts *, const char *method,
	    struct json_t *params, struct json_t **ret);

/* Prints why (may be NULL) and the synopsis; CTL_EXIT_USAGE. */
int	ctl_usage(const char *cmd, const char *synopsis, const char *why);

/* Output conventions. */
int	ctl_print_json(struct json_t *);	/* indented, newline */
/* jansson dump flags for stdout (all ASCII on a terminal). */
int	ctl_json_flags(void);
/* Flushes stdout: CTL_EXIT_ERROR (said) if the output was not written. */
int	ctl_finish_output(const char *cmd);
/* Columns of the terminal on stdout; 0 when it is not a terminal. */
int	ctl_term_width(void);
/* On a terminal, and NO_COLOR unset or empty, and TERM not dumb. */
bool	ctl_use_color(void);
const char *ctl_color(bool on, const char *sgr);
/*
 * Appends s, with control characters made harmless (spaces; newlines and
 * tabs kept if keep_newlines), cut with an ellipsis to width columns if
 * width > 0 and not keep_newlines.  Returns the columns used.
 */
int	ctl_put_text(struct buf *, const char *s, int width,
	    bool keep_newlines);
int	ctl_text_width(const char *s);
void	ctl_pad(struct buf *, int n);

/* Times: "24h", "7d", "90m" ago, or RFC 3339, as Unix time; -1 if bad. */
int	ctl_parse_when(const char *, int64_t now, int64_t *ret);
/* A positive item id; -1 if s is anything else. */
int	ctl_parse_id(const char *, int64_t *ret);
/* An RFC 3339 string of a reply as Unix time; DATE_NONE if null. */
int64_t	ctl_json_time(struct json_t *);
/* "5m", "3h", "2d", "3w", "1y" */
void	ctl_format_age(int64_t t, int64_t now, char *out, size_t len);
/* Local "YYYY-MM-DD HH:MM", or "-" for DATE_NONE. */
void	ctl_format_time(int64_t t, char *out, size_t len);

/* Commands talking to feedd (ctl_items.c, ctl_feeds.c). */
int	ctl_list(int argc, char **argv, struct ctl_opts *);
int	ctl_show(int argc, char **argv, struct ctl_opts *);
int	ctl_read(int argc, char **argv, struct ctl_opts *);
int	ctl_unread(int argc, char **argv, struct ctl_opts *);
int	ctl_star(int argc, char **argv, struct ctl_opts *);
int	ctl_unstar(int argc, char **argv, struct ctl_opts *);
int	ctl_search(int argc, char **argv, struct ctl_opts *);
int	ctl_watch(int argc, char **argv, struct ctl_opts *);
int	ctl_feeds(int argc, char **argv, struct ctl_opts *);
int	ctl_add(int argc, char **argv, struct ctl_opts *);
int	ctl_remove(int argc, char **argv, struct ctl_opts *);
int	ctl_refresh(int argc, char **argv, struct ctl_opts *);
int	ctl_status(int argc, char **argv, struct ctl_opts *);

/* Digests and OPML (ctl_digest.c, ctl_opml.c). */
int	ctl_digest(int argc, char **argv, struct ctl_opts *);
int	ctl_import(int argc, char **argv, struct ctl_opts *);
int	ctl_export(int argc, char **argv, struct ctl_opts *);

int	ctl_extract(int argc, char **argv, struct ctl_opts *);
int	ctl_parse(int argc, char **argv, struct ctl_opts *);

#endif
