/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between the parts of the import: upsmonimport.c (upsmon.conf's
 * directives into the model below), upsmonnotify.c (its NOTIFYFLAG and
 * NOTIFYMSG lines), upssched-import.c (upssched.conf's timers, with
 * cmdscript.c reading its CMDSCRIPT), upsmonimport-note.c (notes, helpers)
 * and upsmonemit.c (the model written out as upsagent.conf).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "upsmonimport.h"

/* upsmon's notify flags. */
#define UM_SYSLOG 1u
#define UM_WALL	  2u
#define UM_EXEC	  4u
#define UM_IGNORE 8u /* upsmon then does nothing else for the event */

/* upsmon's event names; upsagent has the same name for every one below
 * UM_EVENTS_MAPPED, and nothing for the rest. */
#define UM_EVENTS	 32
#define UM_EVENTS_MAPPED 28
extern const char *const um_events[UM_EVENTS];
/* Index into um_events, or -1; case does not matter, as for upsmon. */
int um_event_from_string(const char *s);

struct um_monitor {
	char name[72]; /* the ups section */
	char *system;  /* as written in MONITOR: ups[@host[:port]] */
	char *ups, *host;
	unsigned port; /* 0: the default */
	char *user;
	bool primary;
	unsigned power;
	unsigned line;
	char *server_name;		  /* from CERTHOST, or NULL */
	bool role_guessed;		  /* neither primary nor secondary: secondary, as upsmon */
	const struct upsmon_local *local; /* this host's own UPS (import-upsd), or NULL */
	unsigned on_battery_max;	  /* seconds, from upssched; 0: none */
};

/* An integer directive: set when seen and good. */
struct um_value {
	long v;
	unsigned line;
	bool set;
	bool every_poll; /* upsmon's 0, "at every poll": v is the poll interval */
};

enum um_value_kind {
	UM_POLL,
	UM_DEAD,
	UM_HOSTSYNC,
	UM_FINALDELAY,
	UM_NOCOMM,
	UM_RBWARN,
	UM_OFFDURATION,
	UM_OBLB,
	UM_MINSUPPLIES,
	_UM_VALUE_MAX
};

struct um {
	const struct upsmon_import_in *in;
	struct upsmon_import *res;
	int error; /* -ENOMEM once anything failed to allocate */
	struct um_value values[_UM_VALUE_MAX];
	char **shutdown_argv; /* NULL: logind */
	char **notify_argv;   /* NULL: none */
	unsigned notify_line;
	bool notify_upssched;
	unsigned flags[UM_EVENTS];
	unsigned ignore_line;	   /* the first NOTIFYFLAG ... IGNORE */
	char *messages[UM_EVENTS]; /* NOTIFYMSG texts other than upsmon's own */
	unsigned message_lines[UM_EVENTS];
	struct um_value pollalert; /* POLLFREQALERT */
	unsigned shutdown_none;	   /* the line of SHUTDOWNCMD "": nothing is powered off */
	unsigned powerdown_line;   /* POWERDOWNFLAG */
	uint64_t sched_events;	   /* events upssched still needs to hear of (UM_EVENTS bits) */
	struct um_monitor *mon;
	size_t n_mon;
	bool tls_warned;	   /* FORCESSL or CERTVERIFY 0 said TLS changes */
	bool certverify, forcessl; /* set to 1: upsmon already required verified TLS */
	char *certpath;
};

/* Notes the problem for FILE:LINE, with the line as written (passwords
 * masked), to be printed as a warning and written as a comment. */
int um_comment(struct um *m, const struct upsmonconf *file, const struct upsmonconf_line *l,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same without the line's words (line 0: the file as a whole). */
int um_comment_file(struct um *m, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* upssched.conf's timers into on-battery-max, or a warning each. */
int um_sched(struct um *m);

/* NOTIFYFLAG and NOTIFYMSG lines; 0 or -ENOMEM. */
int um_on_notifyflag(struct um *m, const struct upsmonconf_line *l);
int um_on_notifymsg(struct um *m, const struct upsmonconf_line *l);
/* What needs every line: the IGNOREd events, texts that go nowhere. */
void um_finish_notify(struct um *m);
/* Whether event e reaches the section that has flag bit (UM_WALL, UM_EXEC). */
bool um_event_reaches(const struct um *m, unsigned e, unsigned bit);

/* upsmontransport.c: m->res->servers from the monitors; 0 or -ENOMEM. */
int um_servers(struct um *m);
/* The UPS of this host's ups.conf that MONITOR u names, or NULL. */
const struct upsmon_local *um_local(const struct um *m, const struct um_monitor *u);

/* The transport lines of monitor i's section (tls, pin, ca-file and why),
 * and its notes; from m->in->transports when probed. */
void um_emit_transport(struct um *m, FILE *f, size_t i);
void um_servers_free(struct upsmon_import *r);

/* The text of the new file into m->res->text; -ENOMEM. */
int um_emit(struct um *m);

/* "a b c" split at blanks; NULL on -ENOMEM. */
char **um_split(const char *s);
char **um_strv_free(char **v);
