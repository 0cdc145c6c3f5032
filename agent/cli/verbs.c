/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's verbs: run, status, reload, test-event, check-config. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "connect.h"
#include "log.h"
#include "verbs.h"

int verb_run(int argc, char **argv)
{
	struct verb_args v;
	int r = verb_parse(argc, argv,
			   "Usage: upsagent run [--config FILE] [--dry-run] [--verbose]\n\n"
			   "Watch the UPSes of FILE (default " CONFIG_PATH_DEFAULT ") and shut\n"
			   "the host down in time. --dry-run logs the shutdown instead.\n",
			   &v);

	if (r)
		return r == 1 ? 0 : r;
	if (v.first != argc)
		return cli_usage_error("run takes no arguments");
	return agent_run(v.config, v.dry_run);
}

/*
 * Inside the service (ExecStart=; systemd gives ExecReload= none)
 * $CREDENTIALS_DIRECTORY names its credentials. Outside it is unset, and
 * "${CREDENTIALS_DIRECTORY}/nas.pw" would read "/nas.pw": point it where systemd keeps them while
 * the service runs, which root can read, and say so when they are not there.
 */
static enum config_secrets check_secrets(void)
{
	if (getenv("CREDENTIALS_DIRECTORY"))
		return CONFIG_SECRETS_READ;
	if (setenv("CREDENTIALS_DIRECTORY", CONFIG_CREDENTIALS_DIR, 1) < 0)
		return CONFIG_SECRETS_READ;
	return CONFIG_SECRETS_OUTSIDE;
}

/* Each user still allowed a plaintext login, and what its hosts need to stop. */
static void check_plaintext_users(const struct config *c)
{
	for (size_t i = 0; c->serve && i < c->serve->n_users; i++) {
		const struct config_serve_user *u = &c->serve->users[i];

		if (!u->plaintext_login)
			continue;
		printf("user %s still logs in in plaintext: move that host to STARTTLS; in its "
		       "upsmon.conf:\n"
		       "    CERTPATH /etc/nut/cert      # an NSS database with this server's CA:\n"
		       "                                # certutil -A -d sql:/etc/nut/cert -n "
		       "upsagent-ca -t C,, -a -i CA.pem\n"
		       "    CERTHOST THIS-HOST \"NAME IN ITS CERTIFICATE\" 1 1\n"
		       "    FORCESSL 1\n"
		       "    CERTVERIFY 1\n"
		       "  then remove plaintext-login from user %s once all its hosts have moved\n",
		       u->name, u->name);
	}
}

int verb_check_config(int argc, char **argv)
{
	struct config *c = NULL;
	struct verb_args v;
	int r = verb_parse(argc, argv,
			   "Usage: upsagent check-config [--connect] [FILE]\n\n"
			   "Check FILE (default " CONFIG_PATH_DEFAULT "); every problem is\n"
			   "reported as FILE:LINE: message. Exit status 0 when it is valid.\n\n"
			   "  --connect   also read every UPS as the daemon will (connect, TLS,\n"
			   "              log in, one variable; a USB UPS: find it), one line\n"
			   "              per UPS; exit status 1 when any cannot be read\n",
			   &v);

	if (r)
		return r == 1 ? 0 : r;
	if (argc - v.first > 1)
		return cli_usage_error("check-config takes one file");
	if (v.first < argc)
		v.config = argv[v.first];
	r = config_load_secrets(v.config, check_secrets(), &c);
	if (r < 0)
		return 1;
	printf("%s: configuration OK (%zu UPS", v.config, c->n_ups);
	if (c->serve) {
		size_t n = 0;

		while (c->serve->ups[n])
			n++;
		/* Under systemd the ports come from upsagent.socket, whatever listen says. */
		printf("; serving %zu of them, %zu listener(s) or upsagent.socket", n,
		       c->serve->n_listen);
	}
	printf(")\n");
	check_plaintext_users(c);
	r = v.connect ? connect_check(c) : 0;
	config_free(c);
	return r;
}

static int status_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int status_socket_path(struct verb_args *v, char **ret)
{
	struct config *c = NULL;

	if (v->socket) {
		*ret = strdup(v->socket);
		return *ret ? 0 : -ENOMEM;
	}
	/* Only the socket's path is wanted: no password file is opened. A file
	 * broken since the daemon started must not hide how it stands: ask it
	 * where it listens by default. */
	if (config_load_secrets(v->config, CONFIG_SECRETS_SKIP, &c) < 0) {
		log_warning("%s does not load; asking the daemon at %s", v->config,
			    CONFIG_STATUS_SOCKET_DEFAULT);
		*ret = strdup(CONFIG_STATUS_SOCKET_DEFAULT);
		return *ret ? 0 : -ENOMEM;
	}
	*ret = strdup(c->status_socket ? c->status_socket : "");
	config_free(c);
	return *ret ? 0 : -ENOMEM;
}

/* Sends request to the daemon's control socket and copies the answer to out. 0, or 1 (logged). */
static int control_ask(struct verb_args *v, const char *request, FILE *out, time_t timeout)
{
	char *path = NULL, buf[4096];
	struct timeval tv = {.tv_sec = timeout};
	size_t len = strlen(request);
	ssize_t n;
	int fd;

	if (status_socket_path(v, &path) < 0)
		return 1;
	fd = status_connect(path);
	if (fd < 0) {
		log_error("cannot reach the daemon at %s: %s", path, strerror(-fd));
		free(path);
		return 1;
	}
	free(path);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, request, len, MSG_NOSIGNAL) != (ssize_t)len) {
		close(fd);
		return log_error_errno(-EIO, "the daemon closed the status socket"), 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, out);
	close(fd);
	return n < 0 ? 1 : 0;
}

/* The daemon's whole answer to request, in *answer (freed by the caller). */
static int control_request(struct verb_args *v, const char *request, time_t timeout, char **answer)
{
	size_t len = 0;
	FILE *f = open_memstream(answer, &len);
	int r;

	if (!f)
		return log_error_errno(-ENOMEM, "out of memory"), 1;
	r = control_ask(v, request, f, timeout);
	fclose(f);
	return r;
}

/* "failed: REASON\n" -> "REASON"; cuts answer at its first line end. */
static const char *answer_why(char *answer)
{
	const char *why = answer;

	answer[strcspn(answer, "\n")] = '\0';
	if (strncmp(why, "failed: ", 8) == 0)
		why += 8;
	return why[0] ? why : "no answer";
}

int verb_status(int argc, char **argv)
{
	struct verb_args v;
	int r = verb_parse(argc, argv,
			   "Usage: upsagent status [--json] [--socket PATH | --config FILE]\n\n"
			   "Ask the running daemon how each UPS and the host stand.\n",
			   &v);

	if (r)
		return r == 1 ? 0 : r;
	return control_ask(&v, v.json ? "json\n" : "text\n", stdout, 5);
}

/*
 * systemd's ExecReload=: SIGHUP cannot carry an answer, and on systemd 252
 * nothing waits for the daemon's RELOADING=1/READY=1. The file is checked
 * here first (every problem as FILE:LINE, into the unit's journal), then the
 * daemon reloads it itself, with its own credentials, and says whether that
 * worked; the exit status tells systemctl reload.
 */
int verb_reload(int argc, char **argv)
{
	struct config *c = NULL;
	struct verb_args v;
	char *answer = NULL;
	int r = verb_parse(argc, argv,
			   "Usage: upsagent reload [--config FILE] [--socket PATH]\n\n"
			   "Check FILE (default " CONFIG_PATH_DEFAULT "), then have the running\n"
			   "daemon reload it and wait for the result: exit status 0 when it did.\n",
			   &v);

	if (r)
		return r == 1 ? 0 : r;
	if (v.first != argc)
		return cli_usage_error("reload takes no arguments");
	/* Password files are the daemon's to read: ExecReload= gets no credentials. */
	if (config_load_secrets(v.config, CONFIG_SECRETS_SKIP, &c) < 0) {
		log_error("not reloaded: the running configuration stays");
		return 1;
	}
	config_free(c);
	r = control_request(&v, "reload\n", 30, &answer);
	if (r == 0 && strncmp(answer, "ok", 2) != 0) {
		log_error("the daemon did not reload: %s; the running configuration stays",
			  answer_why(answer));
		r = 1;
	}
	free(answer);
	return r;
}

/*
 * What scripts call instead of upsmon -c fsd: the running daemon starts its
 * forced shutdown now (a primary sets FSD and waits for its secondaries,
 * bounded by host-sync), or with UPS counts that UPS as critical.
 */
int verb_fsd(int argc, char **argv)
{
	char *answer = NULL, request[128];
	struct verb_args v;
	int r = verb_parse(argc, argv,
			   "Usage: upsagent fsd [--config FILE] [--socket PATH] [UPS]\n\n"
			   "Have the running daemon shut the host down now, as upsmon -c fsd\n"
			   "does: as a primary it first sets FSD on its UPSes and waits for its\n"
			   "secondaries (host-sync). With UPS (an ups section), that UPS counts\n"
			   "as critical from now on and min-supplies decides. Root and members\n"
			   "of the group upsagent may ask.\n",
			   &v);

	if (r)
		return r == 1 ? 0 : r;
	if (argc - v.first > 1)
		return cli_usage_error("expected at most one UPS; see --help");
	if (argc - v.first == 1 &&
	    (!argv[v.first][0] || strlen(argv[v.first]) > 64 || strpbrk(argv[v.first], " \t\r\n")))
		return cli_usage_error("'%s' is not an ups section name", argv[v.first]);
	snprintf(request, sizeof(request), "fsd%s%s\n", argc > v.first ? " " : "",
		 argc > v.first ? argv[v.first] : "");
	r = control_request(&v, request, 10, &answer);
	if (r == 0 && strncmp(answer, "ok: ", 4) == 0) {
		answer[strcspn(answer, "\n")] = '\0';
		log_notice("%s", answer + 4);
	} else if (r == 0) {
		log_error("the daemon refused: %s", answer_why(answer));
		r = 1;
	}
	free(answer);
	return r;
}
