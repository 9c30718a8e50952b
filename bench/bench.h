/*
 * bench.h: the clocks and the sort order the benchmark programs share.
 * Not part of feedd: only `make bench` builds them.
 */
#ifndef FEEDD_BENCH_H
#define FEEDD_BENCH_H

#include <time.h>

/* Seconds on a clock that never jumps. */
static inline double
bench_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of the process: steadier than wall time on a busy machine. */
static inline double
bench_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* For qsort() of doubles, smallest first (for medians and maxima). */
static inline int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#endif
