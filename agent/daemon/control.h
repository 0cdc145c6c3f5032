/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The status socket: a client connects, sends "text" or "json" and a line
 * end, reads the state of every UPS and of the host, and the daemon closes.
 * "reload" reloads the configuration, as SIGHUP does, and answers "ok" or
 * "failed: REASON"; "fsd [UPS]" starts a forced shutdown and answers the
 * same way. The socket is mode 0660: root and the daemon's group (upsagent)
 * may ask. What the answers say comes from the owner, through the
 * control_ops it gave control_open().
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-event.h>

struct control;

/* The owner's side. Each gets the userdata given to control_open(). */
struct control_ops {
	/* Writes the state, as text or one JSON object, into f. */
	void (*status)(void *userdata, FILE *f, bool json);
	/* Reloads the configuration: 0, or -EBUSY (a shutdown is in
	 * progress), -EINVAL (the file does not load) or another -errno. */
	int (*reload)(void *userdata);
	/* upsagent fsd [UPS]: ups is NULL for the whole host. 0 or -errno,
	 * with a sentence for the asker in msg either way. */
	int (*fsd)(void *userdata, const char *ups, char *msg, size_t len);
};

/*
 * Opens the socket at path (mode 0600) and answers on e; *ret is NULL when
 * path is NULL or empty (no socket). Freed with control_free(), which
 * removes the socket. 0 or -errno, logged.
 */
int control_open(sd_event *e, const char *path, const struct control_ops *ops, void *userdata,
		 struct control **ret);
struct control *control_free(struct control *c);
