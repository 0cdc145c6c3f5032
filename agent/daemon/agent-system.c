/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Part of the agent module (agent.h): what the daemon takes from systemd and
 * the kernel once, at start: the listening sockets systemd passed, sorted
 * by name, and every file descriptor the hard limit allows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

/* What systemd passed (upsagent.socket, upsagent-metrics.socket), by name:
 * "metrics" for the exporter, the rest for the server. */
int agent_take_sockets(struct agent *a)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(true, &names), r = 0;

	if (n < 0)
		return log_error_errno(n, "sockets from systemd: %s", strerror(-n));
	a->serve_sockets = calloc(n ? (size_t)n : 1, sizeof(*a->serve_sockets));
	a->metrics_fds = calloc(n ? (size_t)n : 1, sizeof(*a->metrics_fds));
	if (!a->serve_sockets || !a->metrics_fds)
		r = log_error_errno(-ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		char *name = names ? names[i] : NULL;

		if (r >= 0 && name && strcmp(name, "metrics") == 0) {
			a->metrics_fds[a->n_metrics_fds++] = fd;
			free(name);
		} else if (r >= 0)
			a->serve_sockets[a->n_serve_sockets++] = (struct serve_socket){fd, name};
		else
			free(name);
	}
	free(names);
	return r;
}

void agent_sockets_free(struct agent *a)
{
	for (size_t i = 0; i < a->n_serve_sockets; i++)
		free((char *)a->serve_sockets[i].name);
	free(a->serve_sockets);
	for (size_t i = 0; i < a->n_metrics_fds; i++)
		close(a->metrics_fds[i]);
	free(a->metrics_fds);
}

/* Every fd the hard limit allows (the unit's LimitNOFILE=): a server's
 * clients are fds, and running out of them would cost the hooks and logind
 * too. The loop is epoll, so no select() limit applies. */
void agent_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warning("cannot raise RLIMIT_NOFILE to %llu: %s, ignoring",
			    (unsigned long long)rl.rlim_max, strerror(errno));
}
