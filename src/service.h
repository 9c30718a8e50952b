/*
 * service: the methods of the org.feedd Varlink interface (and of
 * org.varlink.service), over the store and the daemon's hooks.  server.c
 * owns sockets, connections and calls; it hands each parsed call to
 * service_call(), and the service answers through the server_call_*()
 * functions below, now or later.
 */
#ifndef FEEDD_SERVICE_H
#define FEEDD_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct server;
struct server_hooks;
struct store;

struct service;		/* the handlers' shared state */
struct service_conn;	/* a connection's state: leases, watch filter */
struct server_call;	/* one call, owned by the server */

/* The interface description, as served by GetInterfaceDescription. */
extern const char service_idl[];

struct service *service_new(struct store *, const struct server_hooks *,
	    struct server *);
void	service_free(struct service *);

struct service_conn *service_conn_new(struct service *);
/* The client left (or the server stops): releases its leases. */
void	service_conn_free(struct service *, struct service_conn *);

/*
 * Serves one call.  method is the full name; params an object.  The
 * handler replies with server_call_reply()/server_call_error() before
 * returning, or later for the asynchronous methods (Refresh with wait,
 * ExtractItem) and streams (Watch).
 */
void	service_call(struct service *, struct service_conn *,
	    struct server_call *, const char *method, json_t *params);

/* New or changed items: streamed to the connections in Watch. */
void	service_notify(struct service *, const int64_t *ids, size_t n);

/* ---- implemented by server.c, for the handlers ---- */

bool	server_call_more(const struct server_call *);
/*
 * Final reply or error: sends it (unless the call was oneway or its
 * client is gone) and ends the call, which must not be used afterwards.
 * params (may be NULL) is stolen.
 */
void	server_call_reply(struct server_call *, json_t *params);
void	server_call_error(struct server_call *, const char *error,
	    json_t *params);
/*
 * One reply of a stream ("continues": true); params is stolen.  Returns
 * -1 if the client is gone or was dropped for not reading (too much
 * output waiting): the stream is over, the call ends when the connection
 * is reaped.
 */
int	server_call_stream(struct server_call *, json_t *params);
/*
 * The call waits for a hook's done_cb, which may come after the client
 * left or the server was freed: the call then lives on until it ends.
 */
void	server_call_hold(struct server_call *);
/* The service, or NULL once the client left or the server is gone. */
struct service *server_call_service(const struct server_call *);
/* The connection's state, NULL under the same conditions. */
struct service_conn *server_call_conn(const struct server_call *);
/* Counters for Status. */
size_t	server_clients(const struct server *);

#endif
