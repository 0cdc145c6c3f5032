/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upsmon.conf (and the upssched.conf its NOTIFYCMD may run) converted to an
 * upsagent.conf. Pure: parsed files in, the new file's text, its warnings
 * and the passwords to store out; "upsagent import-upsmon" (agent/import.c)
 * reads and writes the files.
 *
 * Every line that is not carried over, or whose meaning changes, becomes a
 * comment in the text (its password masked) and a note with FILE:LINE.
 * Passwords never appear in the text: each ups section names a
 * password-file under password_dir, and the caller writes them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "upsmonconf.h"

/*
 * How the host reaches one MONITOR's server, as a probe found it before the
 * import writes (upsagent import-upsmon probes unless --offline): the ups
 * section is written to match.
 */
enum upsmon_tls {
	UPSMON_TLS_UNPROBED, /* --offline: verified STARTTLS, as a file written by hand */
	UPSMON_TLS_VERIFIED, /* read over verified TLS (with ca_file when given) */
	UPSMON_TLS_PINNED,   /* STARTTLS, certificate not verifiable (CERTVERIFY 0): pin */
	UPSMON_TLS_OFF,	     /* the server offers no TLS: plaintext, as upsmon ran */
};

struct upsmon_transport {
	enum upsmon_tls tls;
	const char *pin;     /* PINNED: the key the server showed */
	const char *ca_file; /* VERIFIED: the CA file that verified it, or NULL (system) */
	const char *why;     /* PINNED, OFF: why the verified way failed (escaped) */
	const char *when;    /* when the probe ran, for the comment */
};

/* One ups section's server, for the probes (upsmon_import::servers). */
struct upsmon_server {
	const char *section; /* the ups section */
	const char *host;
	unsigned port; /* 3493 unless written */
	const char *ups;
	const char *user;
	const char *password;	 /* NULL when the MONITOR line had none */
	const char *server_name; /* CERTHOST's name, or NULL */
	bool primary;
	bool local;    /* a UPS of this host's ups.conf: nothing to probe */
	unsigned line; /* of the MONITOR line */
};

/*
 * A UPS of this host's own ups.conf (import-upsd): a MONITOR line naming it
 * on this host (localhost, 127.0.0.1, ::1) becomes a section that reads it
 * directly, with no server, user or password.
 */
struct upsmon_local {
	const char *ups;     /* its ups.conf section */
	const char *options; /* the lines of its section ("\tdriver = \"usb\"\n"...),
			      * or NULL: it stays with NUT's driver and upsd */
	unsigned nut_port;   /* options NULL: the port NUT's upsd keeps serving it on */
};

struct upsmon_import_in {
	const struct upsmonconf *conf;	/* upsmon.conf */
	const struct upsmonconf *sched; /* upssched.conf, NULL when not read */
	const char *sched_path;		/* where it was looked for, for messages */
	const char *sched_error;	/* why it could not be read, or NULL */
	const char *sched_script;	/* the text of its CMDSCRIPT, or NULL */
	const char *password_dir;	/* absolute, without a trailing '/' */
	const char *version;		/* for the header comment */
	/* One per server of an earlier import of the same files, in its
	 * order (upsmon_import::servers); NULL: nothing probed. */
	const struct upsmon_transport *transports;
	size_t n_transports;
	/* The UPSes this host drives (import-upsd); NULL: none known. */
	const struct upsmon_local *local;
	size_t n_local;
};


struct upsmon_import {
	char *text; /* the upsagent.conf */
	struct upsmon_note *notes;
	size_t n_notes;
	struct upsmon_password *passwords;
	size_t n_passwords;
	size_t n_ups; /* ups sections written */
	/* Each ups section's server, in the file's order; the strings belong
	 * to this result. */
	struct upsmon_server *servers;
	size_t n_servers;
	char *script_path; /* upssched's CMDSCRIPT, which notes may name; or NULL */
};

/* 0 and a new result in *ret (free with upsmon_import_free()), or -ENOMEM. */
int upsmon_import(const struct upsmon_import_in *in, struct upsmon_import **ret);
/* NULL-safe; wipes the passwords; returns NULL. */
struct upsmon_import *upsmon_import_free(struct upsmon_import *r);

/* Whether upsmon.conf's NOTIFYCMD runs NUT's upssched, whose file is then worth reading. */
bool upsmon_import_uses_upssched(const struct upsmonconf *conf);
