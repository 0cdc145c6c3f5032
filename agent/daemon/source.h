/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a watch's readings come from: a UPS server (source-net.c), a script
 * (source-sim.c) or a UPS on this host's USB port (source-usb.c). A watch
 * owns one source and knows it only through struct source_ops; the source
 * knows its owner only through the struct source_env it was given when
 * created, and hands every outcome back through env->ops: a reading with
 * its variables, or a failure with its reason.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "status.h"
#include "varlist.h"

struct gate;
struct source;

/* How a source reports to its owner. Each gets the env's userdata. */
struct source_owner_ops {
	/* An attempt's outcome: a reading s with its variables (the owner
	 * copies them), or NULL and why not (NULL error: "poll failed"). */
	void (*result)(void *userdata, const struct status_snapshot *s, const struct varlist *vars,
		       const char *error);
	/* A session is up (what: "connected to ..."): said once, with the outage it ends. */
	void (*connected)(void *userdata, const char *what);
	/* The answer to GET NUMLOGINS for the UPS, -1 when there was none. */
	void (*numlogins)(void *userdata, int n);
	/* Whether the latest status carried ALARM: a poll then reads ups.alarm too. */
	bool (*alarm)(void *userdata);
	/* Now, on CLOCK_MONOTONIC: the owner's clock, so that tests can set it. */
	uint64_t (*now)(void *userdata);
};

/* What a source is given when created. The owner keeps all of it alive
 * for as long as the source lives; the source owns none of it. */
struct source_env {
	sd_event *event;
	const struct config *config; /* poll-interval, timeouts */
	const struct config_ups *ups;
	struct gate **gates;  /* set-ups per server host, shared by every net source: gate.h */
	const bool *stopping; /* true while the daemon frees everything: start no session */
	const struct source_owner_ops *ops;
	void *userdata;
};

struct source_ops {
	/* Opens what the source reads from; 0 or -errno (logged). slot: when
	 * the first session connects, in usec from now (sources that connect). */
	int (*start)(struct source *s, uint64_t slot);
	/* The poll timer's tick: read now, or let an attempt under way report. */
	void (*poll)(struct source *s);
	/* monitor_wants_attempt(): an attempt now unless one is under way. NULL: poll. */
	void (*attempt)(struct source *s);
	/* For the status socket: "ready", "simulated", "open /dev/hidraw0"... */
	const char *(*state)(const struct source *s);
	/* FSD and GET NUMLOGINS to a UPS server; NULL where there is none. */
	void (*send_fsd)(struct source *s);
	void (*query_numlogins)(struct source *s);
	/* After this host asked for its power-off: ends the session with
	 * LOGOUT, and no session ever starts again (a server that comes back
	 * must not count this host's login while its primary waits for it to
	 * go). Whether there was a session. NULL: none. */
	bool (*logout)(struct source *s);
	void (*free)(struct source *s);

	/* Sets up a session first, at the watch's slot: the first poll comes
	 * one poll interval after that. */
	bool connects;
	/* Logs its own failures as they change: the watch only sums up an outage. */
	bool says_failures;
	/* No server: nobody but this host reads the UPS, so no primary needs
	 * time to set FSD (a local UPS). */
	bool alone;
};

/* The part every implementation embeds first. */
struct source {
	const struct source_ops *ops;
	const struct source_env *env; /* the owner's */
};

/* The identity variables a NUT driver serves (device.*, ups.mfr/model/serial,
 * device.type, driver.name/version), for the sources that are their own
 * driver; NULL or "" values are left out. source.c */
void source_identity(struct varlist *vars, const char *driver, const char *mfr, const char *model,
		     const char *serial);

/* One per driver; the source is freed by ops->free(), which its owner calls. */
int source_net_new(const struct source_env *env, struct source **ret);
int source_sim_new(const struct source_env *env, struct source **ret);
int source_usb_new(const struct source_env *env, struct source **ret);

struct conn_config;
/* The session a net source sets up for u, as check-config --connect tries
 * it too: out's strings point into u; creds are left NULL. */
void source_net_conn_config(const struct config *cfg, const struct config_ups *u,
			    struct conn_config *out);

/* What a source says to its owner (env->ops with env->userdata). */
static inline void source_result(struct source *s, const struct status_snapshot *st,
				 const struct varlist *vars, const char *error)
{
	s->env->ops->result(s->env->userdata, st, vars, error);
}

static inline void source_connected(struct source *s, const char *what)
{
	s->env->ops->connected(s->env->userdata, what);
}

static inline void source_numlogins(struct source *s, int n)
{
	s->env->ops->numlogins(s->env->userdata, n);
}

static inline uint64_t source_now(const struct source *s)
{
	return s->env->ops->now(s->env->userdata);
}
