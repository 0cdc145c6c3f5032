/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging to stderr. When stderr is connected to the journal (JOURNAL_STREAM
 * names it), every line carries a "<N>" priority prefix that journald reads,
 * and events (log_event) go to the journal natively, with fields;
 * when stderr is the kernel log (/dev/kmsg, as the system-shutdown hook sets
 * it up) "<N>upsagent: message", so the kernel files it at that level;
 * otherwise lines read "upsagent: message", as a person at a terminal expects.
 *
 * Library modules log at debug level only; the code that decides what to do
 * about a failure logs it, once.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

/* Messages above this level are dropped. Default LOG_INFO. */
void log_set_max_level(int level);
int log_get_max_level(void);

/* Re-check JOURNAL_STREAM and /dev/kmsg; call once at start. */
void log_open(void);

/* Force (or forbid) the journald "<N>" prefix, for tests. */
void log_set_prefix(bool journal);
/* Force (or forbid) sending events to the journal with their fields. */
void log_set_journal(bool native);

void log_full(int level, const char *fmt, ...) _printf_(2, 3);
void log_fullv(int level, const char *fmt, va_list ap) _printf_(2, 0);

/*
 * Logs and returns error (always negative), so callers can write
 * return log_error_errno(r, "cannot ...: %s", strerror(-r)); ("%m" is a GNU
 * extension that -Wpedantic refuses).
 */
int log_full_errno(int level, int error, const char *fmt, ...) _printf_(3, 4);

/*
 * The fields of an event in the journal, so that an administrator can ask
 * "journalctl -u upsagent UPSAGENT_EVENT=ONBATT". NULL or "" leaves a field out.
 */
struct log_event_fields {
	const char *message_id; /* MESSAGE_ID=, one per event kind (lib/eventid.h) */
	const char *ups;	/* UPS= the ups section */
	const char *event;	/* UPSAGENT_EVENT= ONBATT, SHUTDOWN, ... */
	const char *status;	/* UPSAGENT_STATUS= the last ups.status, "OB LB" */
};

/*
 * Logs an event: when stderr is the journal (log_open()), sent natively
 * with sd_journal_send and the fields above plus PRIORITY= and
 * SYSLOG_IDENTIFIER=upsagent; otherwise, or when the journal refuses it, the
 * same line as log_full().
 */
void log_event(int level, const struct log_event_fields *f, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...)	 log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)	 log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)	 log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)	 log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(r, ...)	  log_full_errno(LOG_DEBUG, r, __VA_ARGS__)
#define log_warning_errno(r, ...) log_full_errno(LOG_WARNING, r, __VA_ARGS__)
#define log_error_errno(r, ...)	  log_full_errno(LOG_ERR, r, __VA_ARGS__)
