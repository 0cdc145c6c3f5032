/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NUT on the cable host (ups.conf, upsd.conf, upsd.users) converted to
 * upsagent's own driver and server: each usbhid-ups UPS becomes a UPS this
 * host reads from USB (struct upsmon_local, for the upsmon.conf import to
 * place), upsd.conf and upsd.users the serve section with its users. Pure:
 * parsed files in, text, notes and passwords out; "upsagent import-upsd"
 * (agent/cli/import-upsd.c) reads and writes the files.
 *
 * The other hosts must keep working unchanged through the switch: upsd took
 * logins in plaintext from any client without FORCESSL 1, so the users that
 * log in with upsmon are marked plaintext-login, and the same upsmon.conf
 * lines still log in on the same port; each is said, with how to move to TLS.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "nutsection.h"
#include "upsmonconf.h"
#include "upsmonimport.h"

struct upsd_import_in {
	struct nut_sections ups;       /* ups.conf */
	const char *ups_path;	       /* for notes */
	const struct upsmonconf *upsd; /* upsd.conf; NULL: absent (upsd's defaults) */
	struct nut_sections users;     /* upsd.users; empty: absent */
	const char *users_path;	       /* for notes; NULL when absent */
	const char *password_dir;      /* absolute, without a trailing '/' */
};

struct upsd_import {
	/* The UPSes of ups.conf, in its order: upsagent reads the usbhid-ups
	 * ones (options set); the rest stay with NUT (options NULL). */
	struct upsmon_local *local;
	size_t n_local;
	char *serve_text; /* the serve section; NULL when nothing is served */
	struct upsmon_note *notes;
	size_t n_notes;
	struct upsmon_password *passwords; /* the users' (section: "user NAME") */
	size_t n_passwords;
	char **plaintext_users; /* NULL-terminated: users marked plaintext-login */
	size_t n_served;	/* UPSes the serve section shares */
};

/* 0 and a new result in *ret (free with upsd_import_free()), or -ENOMEM. */
int upsd_import(const struct upsd_import_in *in, struct upsd_import **ret);
struct upsd_import *upsd_import_free(struct upsd_import *r);

/* The usb sections of the local UPSes no MONITOR line of res names (res may
 * be NULL: no upsmon.conf), as watch-only UPSes (power-value 0): this host
 * did not shut down on them. A new string, or NULL without memory. */
char *upsd_import_unwatched(const struct upsd_import *u, const struct upsmon_import *res);
