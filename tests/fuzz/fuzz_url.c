/*
 * fuzz_url: the URL helpers under arbitrary strings ("base\nref").  A
 * canonical URL must be a fixed point of url_canonical, and a resolved
 * http URL must resolve to itself.  A libFuzzer target; the replay driver
 * runs it over tests/fuzz/corpus/url/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *nl, *base = NULL, *ref, *r, *c, *c2, *h;

	if (size > 4096)
		return 0;
	in = xstrndup((const char *)data, size);	/* stops at a NUL */
	if ((nl = strchr(in, '\n')) != NULL) {
		*nl = '\0';
		base = in;
		ref = nl + 1;
	} else
		ref = in;
	r = url_resolve(base, ref);
	if (r != NULL) {
		if (url_is_http(r)) {
			char *again = url_resolve(NULL, r);

			if (again == NULL || strcmp(again, r) != 0)
				abort();
			free(again);
		}
		c = url_canonical(r);
		if (c != NULL) {
			if (!url_is_http(c))
				abort();
			c2 = url_canonical(c);
			if (c2 == NULL || strcmp(c, c2) != 0)
				abort();
			free(c2);
		}
		free(c);
		h = url_host(r);
		free(h);
	}
	c = url_canonical(ref);
	free(c);
	free(r);
	free(in);
	return 0;
}
