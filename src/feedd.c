/*
 * feedd: the daemon's entry point: options, configuration, signals and the
 * event loop.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: feedd [-c FILE] [--foreground] [--check-config] "
	    "[--version] [--help]\n");
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
	int c;

	log_init("feedd", LOG_INFO);
	while ((c = getopt_long(argc, argv, "c:fnVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'f':
		case 'n':
			break;
		case 'V':
			printf("feedd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	return 0;
}
