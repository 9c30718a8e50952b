/*
 * bench_parse: feedd's feed parser alone, as the daemon runs it: the file
 * pushed in 64 KiB chunks (as a fetch delivers it), the parsed feed freed,
 * nothing printed.  The difference to `feedctl parse` is the output.
 *
 *   bench_parse FILE
 *
 * Prints the number of items on stderr.  Only `make bench` runs it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"

#define CHUNK	(64u << 10)

int
main(int argc, char **argv)
{
	static char buf[CHUNK];
	struct parse_opts po = { .base_url = "http://127.0.0.1/big.rss" };
	struct parser *p;
	struct feed *f = NULL;
	char *err = NULL;
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_parse FILE\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY)) == -1) {
		fprintf(stderr, "bench_parse: %s: %s\n", argv[1],
		    strerror(errno));
		return 2;
	}
	p = parser_new(&po);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (parser_push(p, buf, (size_t)n, &err) == -1)
			break;
	if (err == NULL && parser_finish(p, &f, &err) == 0) {
		fprintf(stderr, "bench_parse: %zu items\n", f->n_items);
		feed_free(f);
	}
	parser_free(p);
	close(fd);
	if (err != NULL) {
		fprintf(stderr, "bench_parse: %s: %s\n", argv[1], err);
		free(err);
		return 1;
	}
	return 0;
}
