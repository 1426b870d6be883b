/* log.h: mmapd's logging, one line per event on stderr.
 *
 * Under systemd (JOURNAL_STREAM set) each line starts with a "<N>" priority prefix that the
 * journal understands, as sd-daemon(3) describes; otherwise with the level's name. Requests
 * are logged once, where they are dispatched (daemon/handlers.c), at debug level for
 * successes and info level for refusals. Not here: anything the client library prints (it
 * prints nothing).
 */
#ifndef MMAPD_LOG_H
#define MMAPD_LOG_H

#include <syslog.h>

/* Messages above this syslog priority (LOG_ERR … LOG_DEBUG) are dropped. */
extern int log_level;

/* Parses "error", "warning", "notice", "info" or "debug". Returns the priority or -EINVAL. */
int log_parse_level(const char *name);

void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
