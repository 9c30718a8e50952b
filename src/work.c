/*
 * work: see work.h.  A queue under one mutex: the loop thread appends
 * tasks, the worker takes them from the front and, once run, appends
 * those with a done callback to a second list that an ev_async hands
 * back to the loop.  The worker never waits for the loop, so the loop
 * may wait for the worker.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "util.h"
#include "work.h"

struct task {
	work_fn		 run;
	work_fn		 done;
	void		*arg;
	size_t		 cost;
	struct task	*next;
};

/* A FIFO of tasks. */
struct tasks {
	struct task	*head;
	struct task	**tail;
};

struct work {
	struct ev_loop	*loop;
	ev_async	 async;		/* the worker ran tasks with a done */
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 more;		/* todo gained a task, or quit */
	pthread_cond_t	 ran;		/* a task ran */
	struct tasks	 todo;		/* under mu */
	struct tasks	 done;		/* under mu: ran, done to call */
	size_t		 cost;		/* under mu: of todo and the running */
	size_t		 max_cost;
	size_t		 n_unfinished;	/* under mu: with a done not called */
	bool		 busy;		/* under mu: a task is running */
	bool		 quit;		/* under mu */
};

static void
tasks_init(struct tasks *q)
{
	q->head = NULL;
	q->tail = &q->head;
}

static void
tasks_put(struct tasks *q, struct task *t)
{
	t->next = NULL;
	*q->tail = t;
	q->tail = &t->next;
}

static struct task *
tasks_take(struct tasks *q)
{
	struct task *t = q->head;

	if (t != NULL && (q->head = t->next) == NULL)
		q->tail = &q->head;
	return t;
}

static void *
worker(void *arg)
{
	struct work *w = arg;
	struct task *t;

	/* For top -H and perf: which of feedd's threads is busy. */
	pthread_setname_np(pthread_self(), "feedd-work");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->todo.head == NULL && !w->quit)
			pthread_cond_wait(&w->more, &w->mu);
		if ((t = tasks_take(&w->todo)) == NULL)
			break;
		w->busy = true;
		pthread_mutex_unlock(&w->mu);
		t->run(t->arg);
		pthread_mutex_lock(&w->mu);
		w->busy = false;
		w->cost -= t->cost;
		if (t->done != NULL) {
			tasks_put(&w->done, t);
			ev_async_send(w->loop, &w->async);
		} else
			free(t);
		pthread_cond_broadcast(&w->ran);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Calls the done callbacks of the tasks that ran, in order. */
static void
call_done(struct work *w)
{
	struct tasks q;
	struct task *t;
	size_t n = 0;

	pthread_mutex_lock(&w->mu);
	q = w->done;
	if (q.head == NULL)
		tasks_init(&q);
	tasks_init(&w->done);
	pthread_mutex_unlock(&w->mu);
	while ((t = tasks_take(&q)) != NULL) {
		t->done(t->arg);
		free(t);
		n++;
	}
	pthread_mutex_lock(&w->mu);
	w->n_unfinished -= n;
	pthread_mutex_unlock(&w->mu);
}

static void
async_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)loop;
	(void)revents;
	call_done(a->data);
}

int
work_new(struct ev_loop *loop, size_t max_cost, struct work **ret,
    char **ret_err)
{
	struct work *w = xcalloc(1, sizeof(*w));
	int rc;

	w->loop = loop;
	w->max_cost = max_cost;
	tasks_init(&w->todo);
	tasks_init(&w->done);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->more, NULL);
	pthread_cond_init(&w->ran, NULL);
	if ((rc = pthread_create(&w->thread, NULL, worker, w)) != 0) {
		*ret_err = xasprintf("cannot start a worker thread: %s",
		    strerror(rc));
		pthread_cond_destroy(&w->ran);
		pthread_cond_destroy(&w->more);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return -1;
	}
	ev_async_init(&w->async, async_cb);
	w->async.data = w;
	ev_async_start(loop, &w->async);
	/* Like a timer nobody waits for: it keeps no loop running. */
	ev_unref(loop);
	*ret = w;
	return 0;
}

void
work_submit(struct work *w, work_fn run, work_fn done, void *arg,
    size_t cost)
{
	struct task *t = xmalloc(sizeof(*t));

	t->run = run;
	t->done = done;
	t->arg = arg;
	t->cost = cost;
	pthread_mutex_lock(&w->mu);
	/* A task dearer than the bound alone waits for an empty queue. */
	while (w->cost > 0 && w->cost + cost > w->max_cost)
		pthread_cond_wait(&w->ran, &w->mu);
	w->cost += cost;
	if (done != NULL)
		w->n_unfinished++;
	tasks_put(&w->todo, t);
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
}

void
work_wait(struct work *w, size_t max)
{
	pthread_mutex_lock(&w->mu);
	while (w->n_unfinished > max) {
		/* Some task with a done callback is queued or running. */
		while (w->done.head == NULL)
			pthread_cond_wait(&w->ran, &w->mu);
		pthread_mutex_unlock(&w->mu);
		call_done(w);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
}

void
work_drain(struct work *w)
{
	bool idle;

	do {
		pthread_mutex_lock(&w->mu);
		while (w->todo.head != NULL || w->busy)
			pthread_cond_wait(&w->ran, &w->mu);
		pthread_mutex_unlock(&w->mu);
		call_done(w);
		/* The callbacks may have submitted more. */
		pthread_mutex_lock(&w->mu);
		idle = w->todo.head == NULL && w->done.head == NULL;
		pthread_mutex_unlock(&w->mu);
	} while (!idle);
}

void
work_free(struct work *w)
{
	if (w == NULL)
		return;
	work_drain(w);
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	ev_ref(w->loop);
	ev_async_stop(w->loop, &w->async);
	pthread_cond_destroy(&w->ran);
	pthread_cond_destroy(&w->more);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
