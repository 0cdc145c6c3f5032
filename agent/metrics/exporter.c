/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The exporter's listeners: one libmicrohttpd daemon per listen address, on
 * a socket we bind, driven from the owner's sd-event loop. Each daemon runs
 * in epoll mode without threads of its own: its epoll descriptor is an I/O
 * source of the loop, and its next timeout (idle connections) a timer, so a
 * scrape is handled between polls and never holds one up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "exporter-internal.h"
#include "log.h"
#include "macro.h"
#include "tls.h"

#define REQUEST_MEMORY (16 * 1024) /* a request's line and headers, bounded */
#define PEM_MAX	       (1024 * 1024)
#define LISTEN_BACKLOG 64

/* ---- the loop ------------------------------------------------------------ */

static void listener_arm(struct exporter_listener *l)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;

	/* No timeout: no connection to expire. */
	if (MHD_get_timeout(l->mhd, &ms) != MHD_YES) {
		(void)sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
		return;
	}
	(void)sd_event_source_set_time_relative(l->timer, ms * USEC_PER_MSEC);
	(void)sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
}

static void listener_run(struct exporter_listener *l)
{
	/* Never blocks: the epoll descriptor said there is work, or a timeout is due. */
	if (MHD_run(l->mhd) != MHD_YES)
		log_debug("metrics: %s: libmicrohttpd could not run", l->name);
	listener_arm(l);
}

static int on_listener_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	listener_run(userdata);
	return 0;
}

static int on_listener_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	listener_run(userdata);
	return 0;
}

/* ---- TLS material ----------------------------------------------------------- */

/* The whole file, NUL-terminated, as libmicrohttpd takes PEM. */
static int pem_read(const char *path, char **ret, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *buf;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > PEM_MAX)
		return -EFBIG;
	buf = calloc(1, (size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	n = read(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		free(buf);
		return n < 0 ? -errno : -EIO;
	}
	*ret = buf;
	if (len)
		*len = (size_t)n;
	return 0;
}

static int exporter_load_tls(struct exporter *e)
{
	const struct config_metrics *m = e->cfg;
	const char *path = m->cert_file;
	int r;

	if (!m->cert_file)
		return 0;
	r = pem_read(m->cert_file, &e->cert, NULL);
	if (r >= 0)
		r = pem_read(path = m->key_file, &e->key, &e->key_len);
	if (r >= 0 && m->client_ca_file)
		r = pem_read(path = m->client_ca_file, &e->client_ca, NULL);
	if (r < 0)
		return log_error_errno(r, "metrics: cannot read %s: %s", path, strerror(-r));
	return 0;
}

/* ---- listeners -------------------------------------------------------------- */

static int listen_socket(const struct config_listen *cl)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int one = 1, fd;

	if (strchr(cl->address, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(cl->port);
		inet_pton(AF_INET6, cl->address, &a->sin6_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(cl->port);
		inet_pton(AF_INET, cl->address, &a->sin_addr);
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) _printf_(2, 0);
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	/* A scraper's mistakes are its own: debug only, never a journal flood. */
	if (log_get_max_level() >= LOG_DEBUG)
		log_fullv(LOG_DEBUG, fmt, ap);
}

/* One address may hold a quarter of the connections: a scraper gone wrong
 * (or one that floods) cannot take every slot from Prometheus. */
static unsigned per_ip_limit(unsigned max)
{
	return max / 4 ? max / 4 : 1;
}

static struct MHD_Daemon *listener_start(struct exporter_listener *l, int fd)
{
	const struct config_metrics *m = l->e->cfg;
	struct MHD_OptionItem tls[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, l->e->cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, l->e->key},
	    {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)tls_priority_string(TLS_VERSION_1_2)},
	    {l->e->client_ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, l->e->client_ca},
	    {MHD_OPTION_END, 0, NULL},
	};
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (m->cert_file ? MHD_USE_TLS : 0);
	unsigned timeout = (unsigned)((m->timeout + USEC_PER_SEC - 1) / USEC_PER_SEC);

	return MHD_start_daemon(flags, 0, exporter_http_accept, l->e, exporter_http_request, l->e,
				MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
				m->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				per_ip_limit(m->max_connections), MHD_OPTION_CONNECTION_TIMEOUT,
				timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)REQUEST_MEMORY,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_ARRAY,
				m->cert_file ? tls : tls + 4, MHD_OPTION_END);
}

/* Serves fd (now the listener's: libmicrohttpd closes it); l->name is set. */
static int listener_serve(struct exporter *e, int fd, struct exporter_listener *l)
{
	const union MHD_DaemonInfo *info;
	int r;

	l->e = e;
	l->mhd = listener_start(l, fd);
	if (!l->mhd) {
		close(fd);
		return log_error_errno(
		    -EINVAL, "metrics: %s: libmicrohttpd refused to start%s", l->name,
		    e->cfg->cert_file ? " (is the certificate and key PEM?)" : "");
	}
	info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	r = sd_event_add_io(e->event, &l->io, info->epoll_fd, EPOLLIN, on_listener_io, l);
	if (r >= 0)
		r = sd_event_add_time_relative(e->event, &l->timer, CLOCK_MONOTONIC, 0,
					       10 * USEC_PER_MSEC, on_listener_timer, l);
	if (r < 0)
		return log_error_errno(r, "metrics: %s: %s", l->name, strerror(-r));
	listener_arm(l);
	log_info("metrics: listening on %s (%s)", l->name,
		 e->cfg->cert_file ? (e->client_ca ? "HTTPS, client certificates" : "HTTPS")
				   : "HTTP");
	return 0;
}

static int listener_open(struct exporter *e, const struct config_listen *cl,
			 struct exporter_listener *l)
{
	int fd;

	snprintf(l->name, sizeof(l->name), strchr(cl->address, ':') ? "[%s]:%u" : "%s:%u",
		 cl->address, cl->port);
	fd = listen_socket(cl);
	if (fd < 0)
		return log_error_errno(fd, "metrics: cannot listen on %s: %s", l->name,
				       strerror(-fd));
	return listener_serve(e, fd, l);
}

/* A socket from systemd: its address for the name; it speaks what the
 * section says (HTTPS with cert-file), and allow still decides who gets in. */
static int listener_activated(struct exporter *e, int fd, struct exporter_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return log_error_errno(-EINVAL,
				       "metrics: socket %d from systemd is not a "
				       "listening stream socket",
				       fd);
	}
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr));
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	snprintf(l->name, sizeof(l->name), ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr,
		 port);
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return listener_serve(e, fd, l);
}

static void listener_close(struct exporter_listener *l)
{
	l->io = sd_event_source_disable_unref(l->io);
	l->timer = sd_event_source_disable_unref(l->timer);
	if (l->mhd)
		MHD_stop_daemon(l->mhd); /* closes the listening socket it was given */
	l->mhd = NULL;
}

/* ---- life cycle ------------------------------------------------------------- */

static void fds_close(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* The sockets from systemd instead of listen's addresses. */
static int exporter_open_activated(struct exporter *e, const struct exporter_env *env)
{
	struct exporter_listener *l = calloc(env->n_fds, sizeof(*l));
	int r = 0;

	if (!l) {
		fds_close(env->fds, env->n_fds);
		return log_error_errno(-ENOMEM, "metrics: out of memory");
	}
	free(e->listeners);
	e->listeners = l;
	for (size_t i = 0; i < env->n_fds; i++) {
		if (r >= 0) {
			r = listener_activated(e, env->fds[i], &e->listeners[i]);
			e->n_listeners = i + 1;
		} else
			close(env->fds[i]);
	}
	return r < 0 ? r : exporter_textfile_open(e);
}

int exporter_open(const struct exporter_env *env, struct exporter **ret)
{
	const struct config_metrics *m = env->config->metrics;
	struct exporter *e;
	int r;

	*ret = NULL;
	if (!m) {
		if (env->n_fds > 0)
			log_warning("systemd passed %zu metrics socket(s) but upsagent.conf has no "
				    "metrics section: closing them (systemctl disable --now "
				    "upsagent-metrics.socket)",
				    env->n_fds);
		fds_close(env->fds, env->n_fds);
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		fds_close(env->fds, env->n_fds);
		return log_error_errno(-ENOMEM, "metrics: out of memory");
	}
	*e = (struct exporter){.event = env->event,
			       .config = env->config,
			       .cfg = m,
			       .ops = env->ops,
			       .userdata = env->userdata};
	*ret = e;
	e->cache = metrics_cache_new();
	e->listeners = calloc(m->n_listen ? m->n_listen : 1, sizeof(*e->listeners));
	r = e->listeners && e->cache ? exporter_load_tls(e)
				     : log_error_errno(-ENOMEM, "metrics: out of memory");
	if (r < 0) {
		fds_close(env->fds, env->n_fds); /* ours, whatever happens */
		return r;
	}
	if (env->n_fds > 0)
		return exporter_open_activated(e, env);
	for (size_t i = 0; r >= 0 && i < m->n_listen; i++) {
		r = listener_open(e, &m->listen[i], &e->listeners[i]);
		e->n_listeners = i + 1;
	}
	return r < 0 ? r : exporter_textfile_open(e);
}

struct exporter *exporter_free(struct exporter *e)
{
	if (!e)
		return NULL;
	for (size_t i = 0; i < e->n_listeners; i++)
		listener_close(&e->listeners[i]);
	free(e->listeners);
	exporter_http_close(e);
	exporter_textfile_close(e);
	metrics_cache_free(e->cache);
	free(e->cert);
	if (e->key)
		explicit_wipe(e->key, e->key_len);
	free(e->key);
	free(e->client_ca);
	free(e);
	return NULL;
}
