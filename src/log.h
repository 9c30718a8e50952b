/*
 * log: the daemon's one voice.  Lines go to stderr; under systemd (stderr
 * connected to the journal) each carries a <N> priority prefix so the
 * journal records the level, otherwise a program-name prefix.  Only code
 * that decides what to do logs; pure modules return errors instead.
 */
#ifndef FEEDD_LOG_H
#define FEEDD_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "util.h"

/* level: the least important priority still printed (LOG_ERR..LOG_DEBUG). */
void	log_init(const char *progname, int level);
void	log_set_level(int level);
/* Parses "error", "warning", "notice", "info", "debug"; -1 if unknown. */
int	log_level_parse(const char *);
void	log_msg(int prio, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
