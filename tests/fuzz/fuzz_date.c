/*
 * fuzz_date: date_parse under arbitrary strings.  A date that reads must
 * survive a round trip through date_format_rfc3339.  A libFuzzer target;
 * the replay driver runs it over tests/fuzz/corpus/date/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[512], out[DATE_RFC3339_LEN + 1];
	int64_t t;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	t = date_parse(s);
	if (t == DATE_NONE)
		return 0;
	date_format_rfc3339(t, out, sizeof(out));
	if (strlen(out) != DATE_RFC3339_LEN || date_parse(out) != t)
		abort();
	return 0;
}
