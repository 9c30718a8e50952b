/*
 * fuzz_config: feedd.conf and feeds.d files under arbitrary bytes.  The
 * first byte chooses how the rest is read: as a feedd.conf or as a feeds
 * file; a feeds file is also split in two and the halves compared with
 * config_diff, as a reload would.  Every error must be a "file:line:"
 * line.  A libFuzzer target; the replay driver runs it over
 * tests/fuzz/corpus/config/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Each line of errs starts with the file name and a colon. */
static void
check_errors(const char *name, const char *errs)
{
	const char *p, *nl;
	size_t n = strlen(name);

	for (p = errs; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			abort();	/* every line ends in a newline */
		if (strncmp(p, name, n) != 0 || p[n] != ':') {
			if (strncmp(p, "... and ", 8) != 0)
				abort();
		}
	}
}

static struct config *
load(const char *name, const char *text, size_t len, bool feeds_file)
{
	struct config *cfg = NULL;
	char *errs = NULL;
	size_t i;

	if (config_load_text(name, text, len, feeds_file, &cfg, &errs) == -1) {
		if (errs == NULL || cfg != NULL)
			abort();
		check_errors(name, errs);
		free(errs);
		return NULL;
	}
	if (errs != NULL)
		abort();
	/* Every feed can be found by name, and has what a feed needs. */
	for (i = 0; i < cfg->n_feeds; i++) {
		if (config_feed(cfg, cfg->feeds[i].name) != &cfg->feeds[i] ||
		    cfg->feeds[i].url == NULL ||
		    cfg->feeds[i].interval <= 0 ||
		    cfg->feeds[i].user_agent == NULL)
			abort();
	}
	return cfg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *a, *b;
	struct config_diff d;
	const char *text = (const char *)data + 1;
	size_t len, half;

	if (size == 0)
		return 0;
	len = size - 1;
	if (data[0] & 1) {
		config_free(load("feedd.conf", text, len, false));
		return 0;
	}
	config_free(load("f.conf", text, len, true));
	half = len / 2;
	a = load("a.conf", text, half, true);
	b = load("b.conf", text + half, len - half, true);
	if (a != NULL && b != NULL) {
		config_diff(a, b, &d);
		if (d.n_added > b->n_feeds || d.n_removed > a->n_feeds ||
		    d.n_changed > b->n_feeds)
			abort();
		config_diff_clear(&d);
		/* A configuration against itself changes nothing. */
		config_diff(a, a, &d);
		if (d.n_added + d.n_removed + d.n_changed != 0)
			abort();
		config_diff_clear(&d);
	}
	config_free(a);
	config_free(b);
	return 0;
}
