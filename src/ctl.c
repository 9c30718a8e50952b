/*
 * ctl: what every feedctl subcommand shares.
 */
#include "config.h"

#include "ctl.h"

bool
ctl_global_option(int c, const char *arg, struct ctl_opts *opts)
{
	switch (c) {
	case CTL_OPT_SOCKET:
		opts->socket_path = arg;
		return true;
	case CTL_OPT_JSON:
		opts->json = true;
		return true;
	default:
		return false;
	}
}
