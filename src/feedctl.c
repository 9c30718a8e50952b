/*
 * feedctl: the client.  Global options, then one subcommand; each
 * subcommand lives in its own ctl_*.c.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

static const struct {
	const char	*name;
	int		(*run)(int, char **, struct ctl_opts *);
	const char	*synopsis;
} commands[] = {
	{ "list", ctl_list, "list [--unread|--all|--starred] [--feed NAME] "
	    "[--since WHEN] [--limit N] [--all-copies]" },
	{ "show", ctl_show, "show [--html] ID" },
	{ "read", ctl_read, "read ID...|--feed NAME|--all" },
	{ "unread", ctl_unread, "unread ID...|--feed NAME|--all" },
	{ "star", ctl_star, "star ID...|--feed NAME|--all" },
	{ "unstar", ctl_unstar, "unstar ID...|--feed NAME|--all" },
	{ "feeds", ctl_feeds, "feeds" },
	{ "add", ctl_add, "add [--name NAME] [--fulltext] [--no-discover] URL" },
	{ "remove", ctl_remove, "remove NAME" },
	{ "refresh", ctl_refresh, "refresh [--wait] [NAME...]" },
	{ "watch", ctl_watch, "watch [--feed NAME]..." },
	{ "search", ctl_search, "search [--unread] [--feed NAME] [--limit N] "
	    "QUERY" },
	{ "status", ctl_status, "status" },
	{ "digest", ctl_digest, "digest [--since WHEN] [--cursor NAME] "
	    "[--feed NAME]... [--unread]\n"
	    "                [--format text|markdown|html|json|mbox] "
	    "[--per-item] [--full|--excerpt N]\n"
	    "                [--mark-read] [--limit N] "
	    "[--output FILE | --pipe COMMAND] [--always]\n"
	    "                [--to ADDR] [--from ADDR] [--subject TEXT]" },
	{ "import", ctl_import, "import FILE.opml|-" },
	{ "export", ctl_export, "export" },
	{ "extract", ctl_extract,
	    "extract [--url URL] [--content-type TYPE] FILE|-|URL" },
	{ "parse", ctl_parse,
	    "parse [--base URL] [--content-type TYPE] FILE|-" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: feedctl [--socket PATH] [--json] COMMAND [ARGS]\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "       feedctl %s\n", commands[i].synopsis);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CTL_GLOBAL_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts opts = { 0 };
	size_t i;
	int c, cmd;

	opts.socket_path = getenv("FEEDD_SOCKET");
	/* "+": stop at the command; its own options are its business. */
	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, &opts))
			continue;
		switch (c) {
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("feedctl %s\n", PACKAGE_VERSION);
			return CTL_EXIT_OK;
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	cmd = optind;
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[cmd], commands[i].name) == 0) {
			/* Each command parses its own options from scratch. */
			optind = 0;
			return commands[i].run(argc - cmd, argv + cmd, &opts);
		}
	}
	fprintf(stderr, "feedctl: unknown command '%s'\n", argv[cmd]);
	usage(stderr);
	return CTL_EXIT_USAGE;
}
