/*
 * work: one thread beside the event loop for the CPU-bound steps of a
 * fetch (parsing a feed, sanitizing its items), so that the loop goes on
 * fetching and storing meanwhile, on another core.
 *
 * Tasks run one at a time, in the order they were submitted; their done
 * callbacks run on the loop thread, from the loop, in the same order.  A
 * task's run callback touches only what its argument holds: nothing of
 * the caller's, no logging.  Each task has a cost (the bytes it carries,
 * say): work_submit() waits while the tasks queued cost more than a
 * bound, so that a backlog never grows without limit; work_wait() bounds
 * the results not yet handed back.
 */
#ifndef FEEDD_WORK_H
#define FEEDD_WORK_H

#include <stddef.h>

#include <ev.h>

typedef void (*work_fn)(void *arg);

struct work;

/*
 * Starts the thread.  max_cost: the queued costs at which work_submit()
 * waits.  -1 with *ret_err (caller frees) if no thread can be made.
 */
int		 work_new(struct ev_loop *, size_t max_cost, struct work **,
		    char **ret_err);

/*
 * Runs run(arg) on the worker thread, then done(arg) on the loop thread
 * (done may be NULL: run then owns arg).
 */
void		 work_submit(struct work *, work_fn run, work_fn done,
		    void *arg, size_t cost);

/*
 * Waits until at most max tasks with a done callback are submitted whose
 * callback was not called yet, calling those due meanwhile: only from
 * where the callbacks may run.
 */
void		 work_wait(struct work *, size_t max);

/*
 * Waits until every task submitted has run, and calls the done callbacks
 * due: what the callbacks submit meanwhile is waited for too.
 */
void		 work_drain(struct work *);

/* work_drain(), then stops the thread.  NULL is a no-op. */
void		 work_free(struct work *);

#endif
