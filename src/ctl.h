/*
 * ctl: the feedctl subcommands.  Each takes the arguments from its name on
 * (argv[0] is the command name) and returns the process exit status.
 */
#ifndef FEEDD_CTL_H
#define FEEDD_CTL_H

#include <getopt.h>
#include <stdbool.h>

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

int	ctl_parse(int argc, char **argv, struct ctl_opts *);

#endif
