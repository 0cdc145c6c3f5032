/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check-config --connect: can the daemon read every UPS of a configuration? */
#pragma once

#include "config.h"

/*
 * Tries every ups section of c as the daemon will (a server: connect, TLS,
 * verify, log in, LOGIN, read ups.status; a USB UPS: exactly one device
 * matches) and prints one line per UPS. Returns the exit status: 0 when
 * every UPS can be read, 1 otherwise.
 */
int connect_check(const struct config *c);
