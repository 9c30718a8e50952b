/* ctl_parse: placeholder until the parser lands (issue 2). */
#include "config.h"

#include <stdio.h>

#include "ctl.h"

int
ctl_parse(int argc, char **argv, struct ctl_opts *opts)
{
	fprintf(stderr, "feedctl parse: not built yet\n");
	return CTL_EXIT_ERROR;
}
