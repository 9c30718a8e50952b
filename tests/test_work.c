/*
 * Unit tests for work, the thread beside the event loop.
 *
 * What the daemon relies on: tasks run one at a time in the order given,
 * on a thread that is not the caller's; done callbacks run on the caller's
 * thread in the same order, from the loop or from work_wait/work_drain;
 * work_wait really bounds the results not handed back; work_submit
 * really bounds the cost queued, and neither wait can deadlock, even with
 * a bound smaller than one task; work_drain follows what done callbacks
 * submit; work_free runs whatever is still queued.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <time.h>

#include <cmocka.h>
#include <ev.h>

#include "work.h"

#define N_TASKS		2000

struct rec {
	pthread_mutex_t	 mu;
	pthread_t	 caller;
	size_t		 ran[N_TASKS + 100];	/* ids, in run order */
	size_t		 n_ran;
	size_t		 done[N_TASKS + 100];	/* ids, in done order */
	size_t		 n_done;
	bool		 run_on_caller;		/* ever: a failure */
	bool		 done_off_caller;	/* ever: a failure */
	struct ev_loop	*loop;			/* owned */
	struct work	*w;			/* owned, or NULL once freed */
	size_t		 next_id;		/* for tasks done submits */
};

struct job {
	struct rec	*rec;
	size_t		 id;
	unsigned	 spin_us;	/* work to do, so queues build up */
	bool		 resubmit;	/* done submits one more */
};

static void
spin(unsigned us)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000 +
	    (t.tv_nsec - t0.tv_nsec) / 1000 < (long)us);
}

static void
job_run(void *arg)
{
	struct job *j = arg;
	struct rec *r = j->rec;

	spin(j->spin_us);
	pthread_mutex_lock(&r->mu);
	if (pthread_equal(pthread_self(), r->caller))
		r->run_on_caller = true;
	r->ran[r->n_ran++] = j->id;
	pthread_mutex_unlock(&r->mu);
}

static void	job_submit(struct rec *, size_t id, unsigned spin_us,
		    bool with_done, bool resubmit);

static void
job_done(void *arg)
{
	struct job *j = arg;
	struct rec *r = j->rec;

	if (!pthread_equal(pthread_self(), r->caller))
		r->done_off_caller = true;
	r->done[r->n_done++] = j->id;
	if (j->resubmit)
		job_submit(r, r->next_id++, 0, true, false);
	free(j);
}

/* A task without done callback owns its argument. */
static void
job_run_free(void *arg)
{
	job_run(arg);
	free(arg);
}

static void
job_submit(struct rec *r, size_t id, unsigned spin_us, bool with_done,
    bool resubmit)
{
	struct job *j = calloc(1, sizeof(*j));

	assert_non_null(j);
	j->rec = r;
	j->id = id;
	j->spin_us = spin_us;
	j->resubmit = resubmit;
	if (with_done)
		work_submit(r->w, job_run, job_done, j, 1);
	else
		work_submit(r->w, job_run_free, NULL, j, 1);
}

/* A loop of its own and a worker beside it. */
static struct rec *
rec_new(size_t max_cost)
{
	struct rec *r = calloc(1, sizeof(*r));
	char *err = NULL;

	assert_non_null(r);
	pthread_mutex_init(&r->mu, NULL);
	r->caller = pthread_self();
	r->loop = ev_loop_new(EVFLAG_AUTO);
	assert_int_equal(work_new(r->loop, max_cost, &r->w, &err), 0);
	assert_null(err);
	return r;
}

static void
rec_free(struct rec *r)
{
	work_free(r->w);
	ev_loop_destroy(r->loop);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static size_t
n_ran(struct rec *r)
{
	size_t n;

	pthread_mutex_lock(&r->mu);
	n = r->n_ran;
	pthread_mutex_unlock(&r->mu);
	return n;
}

/* Order kept, each thread where it belongs, every done called by drain. */
static void
test_order_and_threads(void **state)
{
	struct rec *r = rec_new(1000);
	size_t i, k = 0;

	(void)state;
	for (i = 0; i < N_TASKS; i++)
		job_submit(r, i, i % 7 == 0 ? 20 : 0, i % 3 != 0, false);
	work_drain(r->w);
	assert_int_equal(r->n_ran, N_TASKS);
	for (i = 0; i < N_TASKS; i++) {
		assert_int_equal(r->ran[i], i);
		if (i % 3 != 0)
			assert_int_equal(r->done[k++], i);
	}
	assert_int_equal(r->n_done, k);
	assert_false(r->run_on_caller);
	assert_false(r->done_off_caller);
	rec_free(r);
}

static void
stop_when_done(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct rec *r = t->data;

	(void)revents;
	if (r->n_done == 3)
		ev_break(loop, EVBREAK_ALL);
}

/* The loop calls the done callbacks by itself (the ev_async). */
static void
test_done_from_loop(void **state)
{
	struct rec *r = rec_new(1000);
	ev_timer poll, limit;

	(void)state;
	job_submit(r, 0, 1000, true, false);
	job_submit(r, 1, 0, true, false);
	job_submit(r, 2, 1000, true, false);
	ev_timer_init(&poll, stop_when_done, 0.001, 0.001);
	poll.data = r;
	ev_timer_start(r->loop, &poll);
	/* A hang fails here rather than timing the suite out. */
	ev_timer_init(&limit, stop_when_done, 10., 0.);
	limit.data = r;
	ev_timer_start(r->loop, &limit);
	ev_run(r->loop, 0);
	assert_int_equal(r->n_done, 3);
	assert_int_equal(r->done[0], 0);
	assert_int_equal(r->done[2], 2);
	assert_false(r->done_off_caller);
	ev_timer_stop(r->loop, &poll);
	ev_timer_stop(r->loop, &limit);
	rec_free(r);
}

/* work_wait leaves at most max results unclaimed, whatever the timing. */
static void
test_wait_bounds_unfinished(void **state)
{
	struct rec *r = rec_new(1000000);
	size_t i, max;

	(void)state;
	for (max = 0; max < 4; max++) {
		size_t base = r->n_done, submitted = 0;

		for (i = 0; i < 200; i++) {
			job_submit(r, 0, i % 5 == 0 ? 200 : 10, true, false);
			submitted++;
			work_wait(r->w, max);
			assert_true(submitted - (r->n_done - base) <= max);
		}
		work_drain(r->w);
		assert_int_equal(r->n_done - base, submitted);
	}
	rec_free(r);
}

struct costly {
	pthread_mutex_t	*mu;
	size_t		*queued;	/* cost submitted and not yet run */
	size_t		 cost;
};

static void
costly_run(void *arg)
{
	struct costly *c = arg;

	spin(50);
	pthread_mutex_lock(c->mu);
	*c->queued -= c->cost;
	pthread_mutex_unlock(c->mu);
	free(c);
}

/*
 * work_submit waits while more than the bound would be queued; a task
 * dearer than the bound waits for an empty queue, and gets in.
 */
static void
test_submit_bounds_cost(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	size_t queued = 0, max_seen = 0, i, bound = 100;
	struct work *w;
	char *err = NULL;

	(void)state;
	assert_int_equal(work_new(loop, bound, &w, &err), 0);
	for (i = 0; i < 3000; i++) {
		struct costly *c = calloc(1, sizeof(*c));
		/* Some dearer than the bound alone. */
		size_t cost = i % 50 == 0 ? 250 : 1 + i % 30;

		assert_non_null(c);
		c->mu = &mu;
		c->queued = &queued;
		c->cost = cost;
		pthread_mutex_lock(&mu);
		queued += cost;
		pthread_mutex_unlock(&mu);
		/* The worker frees c once it ran. */
		work_submit(w, costly_run, NULL, c, cost);
		/* A task within the bound gets in only with room for it. */
		pthread_mutex_lock(&mu);
		if (cost <= bound && queued > max_seen)
			max_seen = queued;
		pthread_mutex_unlock(&mu);
	}
	work_drain(w);
	assert_int_equal(queued, 0);
	assert_true(max_seen <= bound);
	assert_true(max_seen > 0);
	work_free(w);
	ev_loop_destroy(loop);
}

/* Done callbacks that submit more: drain and free wait for those too. */
static void
test_drain_follows_resubmits(void **state)
{
	struct rec *r = rec_new(1000);
	size_t i;

	(void)state;
	r->next_id = 100;
	for (i = 0; i < 50; i++)
		job_submit(r, i, 0, true, true);
	work_drain(r->w);
	assert_int_equal(r->n_done, 100);
	assert_int_equal(n_ran(r), 100);
	/* And work_free runs what is still queued. */
	for (i = 0; i < 30; i++)
		job_submit(r, 1000 + i, 100, i % 2 == 0, false);
	work_free(r->w);
	r->w = NULL;
	assert_int_equal(r->n_ran, 130);
	assert_int_equal(r->n_done, 115);
	rec_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_threads),
		cmocka_unit_test(test_done_from_loop),
		cmocka_unit_test(test_wait_bounds_unfinished),
		cmocka_unit_test(test_submit_bounds_cost),
		cmocka_unit_test(test_drain_follows_resubmits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
