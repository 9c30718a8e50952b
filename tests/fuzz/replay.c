/*
 * replay: runs one libFuzzer target (linked in: LLVMFuzzerTestOneInput)
 * over saved inputs, so `make check` replays every seed corpus under the
 * sanitizers of the normal build, without clang or libFuzzer.
 *
 *   tests/fuzz/replay_NAME [FILE|DIR ...]
 *
 * Without arguments it takes $FEEDD_SRCDIR/tests/fuzz/corpus/NAME, NAME
 * being what follows "replay_" in its own file name.  Directories are
 * read one level deep.  Prints TAP, one line per input; a crash or a
 * sanitizer report ends the run (and fails the test).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define REPLAY_MAX_INPUT	(16u << 20)

static int	ntests;
static int	nfailed;

static void
run_file(const char *path)
{
	FILE *f;
	struct stat st;
	uint8_t *data;
	size_t n, size;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) == -1) {
		printf("not ok %d - %s: %s\n", ++ntests, path,
		    strerror(errno));
		nfailed++;
		if (f != NULL)
			fclose(f);
		return;
	}
	/*
	 * An exact-size buffer, as libFuzzer hands over, so that ASan sees
	 * any read past the input (and no 16 MB buffer is poisoned per input).
	 */
	size = (uintmax_t)st.st_size < REPLAY_MAX_INPUT ?
	    (size_t)st.st_size : REPLAY_MAX_INPUT;
	if (size == 0)
		size = 1;	/* malloc(0) may return NULL */
	if ((data = malloc(size)) == NULL)
		abort();
	n = fread(data, 1, size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	printf("ok %d - %s\n", ++ntests, path);
	fflush(stdout);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
run_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	char **names = NULL, *p;
	size_t n = 0, i;

	if (stat(path, &st) == -1) {
		printf("not ok %d - %s: %s\n", ++ntests, path,
		    strerror(errno));
		nfailed++;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((names = realloc(names, (n + 1) * sizeof(*names))) == NULL)
			abort();
		if ((p = malloc(strlen(path) + strlen(de->d_name) + 2)) == NULL)
			abort();
		sprintf(p, "%s/%s", path, de->d_name);
		names[n++] = p;
	}
	closedir(d);
	/* A stable order makes a failure easy to find again. */
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			run_file(names[i]);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	const char *self, *name, *src;
	char *dir;
	int i;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			run_path(argv[i]);
	} else {
		self = strrchr(argv[0], '/');
		self = self != NULL ? self + 1 : argv[0];
		name = strncmp(self, "replay_", 7) == 0 ? self + 7 : self;
		if ((src = getenv("FEEDD_SRCDIR")) == NULL)
			src = ".";
		if ((dir = malloc(strlen(src) + strlen(name) + 32)) == NULL)
			abort();
		sprintf(dir, "%s/tests/fuzz/corpus/%s", src, name);
		run_path(dir);
		free(dir);
	}
	if (ntests == 0)
		printf("1..0 # SKIP no inputs\n");
	else
		printf("1..%d\n", ntests);
	return nfailed > 0;
}
