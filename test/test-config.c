/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config_load() on the files in test/data/config (argv[1]; see its README)
 * and on etc/upsagent.conf (argv[2]). What config_load() logs is captured
 * from stderr and compared, line for line, with what each file expects.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "macro.h"
#include "test.h"

#define S(x) ((uint64_t)((x)*1000000.0 + 0.5))

static const char *data_dir, *example_path;
static char tmp_dir[] = "/tmp/test-config-XXXXXX";

/* ---- helpers ----------------------------------------------------------- */

static char *file_read(FILE *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;

	CHECK(out);
	rewind(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, out);
	fclose(out);
	return buf;
}

/* config_load() with stderr captured into *log. */
static int load(const char *path, struct config **ret, char **log)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO), r;

	CHECK(f && saved >= 0);
	fflush(stderr);
	CHECK(dup2(fileno(f), STDERR_FILENO) >= 0);
	r = config_load(path, ret);
	fflush(stderr);
	CHECK(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	*log = file_read(f);
	fclose(f);
	return r;
}

static void file_write(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	CHECK(write(fd, text, len) == (ssize_t)len);
	CHECK(fchmod(fd, mode) == 0);
	close(fd);
}

static char *tmp_path(const char *name)
{
	char *p;

	CHECK(asprintf(&p, "%s/%s", tmp_dir, name) > 0);
	return p;
}

static void tmp_write(const char *name, const char *text, mode_t mode)
{
	_cleanup_free_ char *p = tmp_path(name);

	file_write(p, text, strlen(text), mode);
}

/* s with every from replaced by to; free the result. */
static char *replace(const char *s, const char *from, const char *to)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *at;

	CHECK(f);
	while ((at = strstr(s, from))) {
		fwrite(s, 1, (size_t)(at - s), f);
		fputs(to, f);
		s = at + strlen(from);
	}
	fputs(s, f);
	fclose(f);
	return out;
}

/* What libconfuse makes of ${UPSAGENT_TEST_DIR} in the files. */
static char *expand(const char *s)
{
	return replace(s, "${UPSAGENT_TEST_DIR}", tmp_dir);
}

/* The "#> TEXT" lines of a file, as the log lines config_load() must write. */
static char *expected_log(const char *path)
{
	FILE *in = fopen(path, "re");
	char *out = NULL, *line = NULL;
	size_t len = 0, cap = 0;
	FILE *f = open_memstream(&out, &len);

	CHECK(in && f);
	while (getline(&line, &cap, in) > 0) {
		_cleanup_free_ char *text = NULL;

		if (strncmp(line, "#> ", 3) != 0)
			continue;
		text = expand(line + 3);
		fprintf(f, "upsagent: %s%s", path, text);
	}
	free(line);
	fclose(in);
	fclose(f);
	return out;
}

static void check_log(const char *path, const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return;
	fprintf(stderr, "%s: the log differs\n--- expected:\n%s--- got:\n%s---\n", path, want, got);
	abort();
}

/* ---- the data files ---------------------------------------------------- */

static void setup_tmp(void)
{
	CHECK(mkdtemp(tmp_dir));
	CHECK(setenv("UPSAGENT_TEST_DIR", tmp_dir, 1) == 0);
	tmp_write("good.pw", "s3cret\n", 0600);
	tmp_write("open.pw", "s3cret\n", 0644);
	tmp_write("notify", "#!/bin/sh\nexit 0\n", 0755);
	tmp_write("poweroff", "#!/bin/sh\nexit 0\n", 0755);
	tmp_write("not-executable", "#!/bin/sh\nexit 0\n", 0644);
	tmp_write("ca.pem", "not checked here\n", 0644);
	tmp_write("client.pem", "not checked here\n", 0644);
	tmp_write("client.key", "not checked here\n", 0600);
}

static void cleanup_tmp(void)
{
	static const char *const names[] = {
	    "good.pw", "open.pw",    "notify",	   "poweroff",	   "not-executable",
	    "ca.pem",  "client.pem", "client.key", "example.conf", "generated.conf",
	    "ups1.pw", "remote.pw",  "server.crt", "server.key",   "clients-ca.pem"};

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		_cleanup_free_ char *p = tmp_path(names[i]);

		(void)unlink(p);
	}
	CHECK(rmdir(tmp_dir) == 0);
}

static int conf_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

/* Every file: loads or not as its name says, and logs exactly what it expects. */
static void test_data_files(void)
{
	struct dirent **names;
	int n = scandir(data_dir, &names, conf_filter, alphasort);
	int good = 0, bad = 0;

	CHECK(n > 0);
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL, *want = NULL, *got = NULL;
		bool is_good = strncmp(names[i]->d_name, "good-", 5) == 0;
		struct config *c = NULL;
		int r;

		CHECK(is_good || strncmp(names[i]->d_name, "bad-", 4) == 0);
		CHECK(asprintf(&path, "%s/%s", data_dir, names[i]->d_name) > 0);
		fprintf(stderr, "   %s\n", names[i]->d_name);
		want = expected_log(path);
		r = load(path, &c, &got);
		check_log(path, got, want);
		CHECK_INT(r, is_good ? 0 : -EINVAL);
		CHECK(is_good == (c != NULL));
		config_free(c);
		good += is_good;
		bad += !is_good;
		free(names[i]);
	}
	free(names);
	fprintf(stderr, "   %d good and %d bad files\n", good, bad);
}

static struct config *load_good(const char *name)
{
	_cleanup_free_ char *path = NULL, *got = NULL;
	struct config *c = NULL;

	CHECK(asprintf(&path, "%s/%s", data_dir, name) > 0);
	CHECK_INT(load(path, &c, &got), 0);
	CHECK(c);
	CHECK_STR(c->path, path);
	return c;
}

/* wall = true sections say which events wall; any wall option drops the default. */
static void test_wall(void)
{
	struct config *c = load_good("good-wall.conf");

	CHECK_INT(c->n_hooks, 3);
	CHECK(c->hooks[0].wall && c->hooks[0].argv == NULL);
	CHECK(!c->hooks[1].wall && c->hooks[1].argv == NULL);
	CHECK(c->hooks[2].wall && c->hooks[2].argv != NULL);
	CHECK_INT(c->wall_events,
		  CONFIG_EVENT_BIT(MONITOR_EVENT_COMMBAD) | CONFIG_EVENT_BIT(MONITOR_EVENT_ONLINE));
	config_free(c);
}

/* upsname and messages, as import-upsmon writes them from MONITOR and NOTIFYMSG. */
static void test_messages(void)
{
	struct config *c = load_good("good-messages.conf");
	const struct config_hook *h = &c->hooks[0];

	CHECK_STR(c->ups[0].upsname, "rack@localhost:3493");
	CHECK_STR(c->ups[1].upsname, "desk@[fd00::1]");
	CHECK_STR(config_hook_message(h, MONITOR_EVENT_ONBATT),
		  "UPS %s on battery: save your work");
	CHECK_STR(config_hook_message(h, MONITOR_EVENT_LOWBATT), "100%% gone soon: %s");
	CHECK_STR(config_hook_message(h, CONFIG_EVENT_SHUTDOWN_HOSTSYNC), "Waiting for the others");
	CHECK(config_hook_message(h, MONITOR_EVENT_FSD) == NULL);
	CHECK(config_hook_message(h, _CONFIG_EVENT_MAX) == NULL);
	config_free(c);
	/* Without the options: NULL, the documented defaults. */
	c = load_good("good-wall.conf");
	CHECK(c->ups[0].upsname == NULL);
	CHECK(config_hook_message(&c->hooks[2], MONITOR_EVENT_ONLINE) == NULL);
	config_free(c);
}

static void test_defaults(void)
{
	struct config *c = load_good("good-minimal.conf");
	const struct config_ups *u = &c->ups[0];
	size_t n_demo;

	CHECK_INT(c->poll_interval, S(5));
	CHECK_INT(c->poll_timeout, S(5));
	CHECK_INT(c->connect_timeout, S(10));
	CHECK_INT(c->dead_time, S(15));
	CHECK_INT(c->host_sync, S(15));
	CHECK_INT(c->final_delay, S(5));
	CHECK_INT(c->nocomm_warn, S(300));
	CHECK_INT(c->rb_warn, S(43200));
	CHECK_INT(c->off_duration, S(30));
	CHECK_INT(c->ob_lb_duration, 0);
	CHECK_INT(c->min_supplies, 1);
	CHECK_STR(c->powerdown_flag, "/run/upsagent/killpower");
	CHECK_INT(c->shutdown, CONFIG_SHUTDOWN_LOGIND);
	CHECK(c->shutdown_argv == NULL);
	CHECK_STR(c->status_socket, "/run/upsagent/status.sock");
	CHECK_INT(c->n_hooks, 0);
	CHECK_INT(c->wall_events, CONFIG_WALL_DEFAULT);
	CHECK_INT(c->n_ups, 1);

	CHECK_STR(u->name, "demo");
	CHECK_INT(u->line, 2);
	CHECK_INT(u->driver, CONFIG_DRIVER_SIM);
	CHECK(!u->server && !u->ups && !u->user && !u->password_file && !u->ca_file);
	CHECK_INT(u->port, 3493);
	CHECK_INT(u->tls, TLS_MODE_STARTTLS);
	CHECK_STR(u->pin, "");
	CHECK_INT(u->role, CONFIG_ROLE_SECONDARY);
	CHECK_INT(u->power_value, 1);
	CHECK(u->charge_low < 0 && u->runtime_low < 0);
	CHECK_INT(u->on_battery_max, 0);
	/* No script: the built-in demo. */
	sim_default_script(&n_demo);
	CHECK_INT(u->n_sim, n_demo);
	CHECK(strstr(u->sim[u->n_sim - 1].status, "LB") != NULL);
	config_free(c);
}

static void check_full_net(const struct config_ups *u)
{
	_cleanup_free_ char *ca = tmp_path("ca.pem"), *pw = tmp_path("good.pw");

	CHECK_STR(u->name, "rack-a");
	CHECK_INT(u->line, 27);
	CHECK_INT(u->driver, CONFIG_DRIVER_NET);
	CHECK_STR(u->server, "nas.lan");
	CHECK_INT(u->port, 3494);
	CHECK_STR(u->ups, "ups1");
	CHECK_INT(u->tls, TLS_MODE_DIRECT);
	CHECK_STR(u->ca_file, ca);
	CHECK_STR(u->server_name, "nas.example");
	CHECK(strstr(u->cert_file, "client.pem") && strstr(u->key_file, "client.key"));
	CHECK_STR(u->pin, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	CHECK_STR(u->user, "monuser");
	CHECK_STR(u->password_file, pw); /* checked, but the password is not kept */
	CHECK_INT(u->role, CONFIG_ROLE_PRIMARY);
	CHECK_INT(u->power_value, 2);
	CHECK(u->charge_low == 20.5);
	CHECK(u->runtime_low == 300);
	CHECK_INT(u->on_battery_max, S(600));
	CHECK(u->sim == NULL);
}

static void check_full_hooks(const struct config *c)
{
	_cleanup_free_ char *notify = tmp_path("notify");

	CHECK_INT(c->n_hooks, 2);
	CHECK_STR(c->hooks[0].argv[0], notify);
	CHECK_STR(c->hooks[0].argv[1], "--mail");
	CHECK(c->hooks[0].argv[2] == NULL);
	CHECK_INT(c->hooks[0].line, 17);
	CHECK_INT(c->hooks[0].events, CONFIG_EVENT_BIT(MONITOR_EVENT_ONBATT) |
					  CONFIG_EVENT_BIT(MONITOR_EVENT_LOWBATT) |
					  CONFIG_EVENT_BIT(CONFIG_EVENT_SHUTDOWN));
	CHECK_INT(c->hooks[0].timeout, S(10));
	CHECK(config_hook_wants(&c->hooks[0], CONFIG_EVENT_SHUTDOWN));
	CHECK(!config_hook_wants(&c->hooks[0], MONITOR_EVENT_ONLINE));
	CHECK(!config_hook_wants(&c->hooks[0], _CONFIG_EVENT_MAX));
	CHECK(c->hooks[1].argv[1] == NULL);
	CHECK_INT(c->hooks[1].events, CONFIG_EVENTS_ALL);
	CHECK_INT(c->hooks[1].timeout, S(30));
}

static void test_full(void)
{
	struct config *c = load_good("good-full.conf");
	_cleanup_free_ char *poweroff = tmp_path("poweroff");
	const struct config_ups *demo = &c->ups[1], *v6 = &c->ups[2];

	CHECK_INT(c->poll_interval, S(2.5));
	CHECK_INT(c->poll_timeout, S(2));
	CHECK_INT(c->connect_timeout, S(7));
	CHECK_INT(c->dead_time, S(20));
	CHECK_INT(c->host_sync, 0);
	CHECK_INT(c->final_delay, S(1.5));
	CHECK_INT(c->nocomm_warn, 0);
	CHECK_INT(c->rb_warn, S(3600));
	CHECK(c->off_duration == MONITOR_NEVER);
	CHECK_INT(c->ob_lb_duration, S(3));
	CHECK_INT(c->min_supplies, 2);
	CHECK_STR(c->powerdown_flag, "");
	CHECK_INT(c->shutdown, CONFIG_SHUTDOWN_COMMAND);
	CHECK_STR(c->shutdown_argv[0], poweroff);
	CHECK_STR(c->shutdown_argv[1], "--force");
	CHECK(c->shutdown_argv[2] == NULL);
	CHECK_STR(c->status_socket, "/run/test/status.sock");
	check_full_hooks(c);
	CHECK_INT(c->n_ups, 3);
	check_full_net(&c->ups[0]);
	CHECK_INT(demo->driver, CONFIG_DRIVER_SIM);
	CHECK_INT(demo->power_value, 0);
	CHECK_INT(demo->n_sim, 3);
	CHECK_INT(demo->sim[1].at, S(3));
	CHECK_STR(demo->sim[2].status, "OB LB");
	CHECK(demo->sim[2].charge == 8 && demo->sim[2].runtime == 60);
	CHECK_STR(v6->server, "2001:db8::1");
	CHECK_STR(v6->ups, "v6");
	CHECK_INT(v6->tls, TLS_MODE_OFF);
	config_free(c);
}

static void test_syntax(void)
{
	struct config *c = load_good("good-syntax.conf");
	static const char *const args[] = {"-f", "a;b#c//d", "it's", "appended"};

	CHECK_INT(c->poll_interval, S(4));
	CHECK_INT(c->dead_time, S(12));
	CHECK_INT(c->final_delay, S(3));
	CHECK_INT(c->host_sync, S(10));
	CHECK_INT(c->connect_timeout, S(6));
	for (size_t i = 0; i < ELEMENTSOF(args); i++)
		CHECK_STR(c->shutdown_argv[i + 1], args[i]);
	CHECK(c->shutdown_argv[5] == NULL);
	CHECK_INT(c->n_hooks, 2);
	CHECK_INT(c->hooks[0].line, 13);
	CHECK_INT(c->hooks[0].events, CONFIG_EVENT_BIT(MONITOR_EVENT_ONBATT));
	CHECK_INT(c->hooks[1].line, 15);
	CHECK_INT(c->hooks[1].events, CONFIG_EVENT_BIT(MONITOR_EVENT_ONLINE) |
					  CONFIG_EVENT_BIT(MONITOR_EVENT_ONBATT) |
					  CONFIG_EVENT_BIT(MONITOR_EVENT_LOWBATT));
	CHECK_INT(c->n_ups, 2);
	CHECK_STR(c->ups[0].name, "quoted-name");
	CHECK_INT(c->ups[0].line, 21);
	CHECK_STR(c->ups[1].server, "nas.lan");
	CHECK_STR(c->ups[1].ups, "ups2");
	CHECK_INT(c->ups[1].line, 22);
	config_free(c);
}

static void test_monitor_settings(void)
{
	struct config *c = load_good("good-full.conf");
	struct monitor_config mc;

	config_monitor(c, &c->ups[0], &mc);
	CHECK_INT(mc.dead_time, S(20));
	CHECK_INT(mc.host_sync, 0);
	CHECK_INT(mc.ob_lb_duration, S(3));
	CHECK(mc.off_duration == MONITOR_NEVER);
	CHECK_INT(mc.on_battery_max, S(600));
	CHECK_INT(mc.nocomm_warn, 0);
	CHECK_INT(mc.rb_warn, S(3600));
	CHECK(mc.charge_low == 20.5 && mc.runtime_low == 300);
	CHECK(!mc.secondary);
	/* on-battery-max 0 (off) is the monitor's "never". */
	config_monitor(c, &c->ups[1], &mc);
	CHECK(mc.on_battery_max == MONITOR_NEVER);
	CHECK(mc.charge_low < 0 && mc.runtime_low < 0);
	CHECK(mc.secondary);
	config_free(c);
}

static void test_events(void)
{
	CHECK_INT(config_event_from_string("ONLINE"), MONITOR_EVENT_ONLINE);
	CHECK_INT(config_event_from_string("NOTOTHER"), MONITOR_EVENT_NOTOTHER);
	CHECK_INT(config_event_from_string("SHUTDOWN"), CONFIG_EVENT_SHUTDOWN);
	CHECK_INT(config_event_from_string("SHUTDOWN_HOSTSYNC"), CONFIG_EVENT_SHUTDOWN_HOSTSYNC);
	CHECK_INT(config_event_from_string("ALL"), -EINVAL);
	CHECK_INT(config_event_from_string("onbatt"), -EINVAL);
	for (unsigned e = 0; e < _CONFIG_EVENT_MAX; e++)
		CHECK_INT(config_event_from_string(config_event_to_string(e)), e);
	CHECK(config_event_to_string(_CONFIG_EVENT_MAX) == NULL);
}

/* ---- the serve section ------------------------------------------------ */

static void check_listen(const struct config_listen *l, enum config_listen_mode mode,
			 const char *address, uint16_t port)
{
	CHECK_INT(l->mode, mode);
	CHECK_STR(l->address, address);
	CHECK_INT(l->port, port);
}

static void check_net(const struct config_net *n, const char *address, unsigned prefix)
{
	uint8_t want[16] = {0};
	int family = strchr(address, ':') ? AF_INET6 : AF_INET;

	CHECK(inet_pton(family, address, want) == 1);
	CHECK_INT(n->family, family);
	CHECK(memcmp(n->addr, want, sizeof(want)) == 0);
	CHECK_INT(n->prefix, prefix);
}

static void check_serve_users(const struct config_serve *sv)
{
	_cleanup_free_ char *pw = tmp_path("good.pw");

	CHECK_INT(sv->n_users, 4);
	CHECK_STR(sv->users[0].name, "upsmon-remote");
	CHECK_INT(sv->users[0].line, 19);
	CHECK_INT(sv->users[0].role, CONFIG_ROLE_SECONDARY);
	CHECK_STR(sv->users[0].password_file, pw); /* checked, but the password is not kept */
	CHECK(sv->users[0].certificate_name == NULL);
	CHECK_STR(sv->users[1].name, "host2");
	CHECK_INT(sv->users[1].line, 22);
	CHECK_INT(sv->users[1].role, CONFIG_ROLE_PRIMARY);
	CHECK_STR(sv->users[1].password_file, pw);
	CHECK_STR(sv->users[1].certificate_name, "host2.example.org");
	CHECK_STR(sv->users[2].name, "certonly");
	CHECK_INT(sv->users[2].line, 27);
	CHECK_INT(sv->users[2].role, CONFIG_ROLE_SECONDARY);
	CHECK(sv->users[2].password_file == NULL);
	CHECK_STR(sv->users[2].certificate_name, "ops@example.org");
	CHECK_INT(sv->users[2].certificate_type, TLS_NAME_EMAIL);
	CHECK_INT(sv->users[1].certificate_type, TLS_NAME_DNS); /* bare, no '@' */
	/* the same name's other type is another user */
	CHECK_STR(sv->users[3].certificate_name, "ops.example.org");
	CHECK_INT(sv->users[3].certificate_type, TLS_NAME_DNS);
}

/* Every option of the serve section, read back. */
static void test_serve_full(void)
{
	struct config *c = load_good("good-serve.conf");
	const struct config_serve *sv = c->serve;
	_cleanup_free_ char *cert = tmp_path("client.pem"), *key = tmp_path("client.key"),
			    *ca = tmp_path("ca.pem");

	CHECK(sv);
	CHECK_INT(sv->line, 5);
	CHECK_STR(sv->ups[0], "demo");
	CHECK_STR(sv->ups[1], "rack-a");
	CHECK(sv->ups[2] == NULL);
	CHECK_INT(sv->n_listen, 11);
	check_listen(&sv->listen[0], CONFIG_LISTEN_TLS, "::", 4401);
	check_listen(&sv->listen[1], CONFIG_LISTEN_TLS, "0.0.0.0", 401);
	check_listen(&sv->listen[2], CONFIG_LISTEN_TLS, "192.0.2.7", 402);
	check_listen(&sv->listen[3], CONFIG_LISTEN_TLS, "::", 401); /* "*" */
	check_listen(&sv->listen[4], CONFIG_LISTEN_STARTTLS, "2001:db8::1", 3493);
	check_listen(&sv->listen[5], CONFIG_LISTEN_STARTTLS, "198.51.100.1", 3494);
	check_listen(&sv->listen[6], CONFIG_LISTEN_PLAIN, "127.0.0.1", 3493);
	check_listen(&sv->listen[7], CONFIG_LISTEN_PLAIN, "::1", 3495);
	check_listen(&sv->listen[8], CONFIG_LISTEN_PLAIN, "127.0.0.53", 3496);
	check_listen(&sv->listen[9], CONFIG_LISTEN_PLAIN, "::1", 3493);
	/* beyond loopback with an allow list: the legacy readers' */
	check_listen(&sv->listen[10], CONFIG_LISTEN_PLAIN, "192.0.2.8", 3497);
	CHECK_STR(sv->client_crl_file, ca);
	CHECK_INT(sv->max_before_login, 20);
	CHECK_INT(sv->max_before_login_per_address, 3);
	CHECK_STR(sv->cert_file, cert);
	CHECK_STR(sv->key_file, key);
	CHECK_STR(sv->client_ca_file, ca);
	CHECK(sv->client_cert_required);
	CHECK_INT(sv->n_allow, 5);
	check_net(&sv->allow[0], "192.168.1.0", 24);
	check_net(&sv->allow[1], "::1", 128);
	check_net(&sv->allow[2], "10.0.0.5", 32);
	check_net(&sv->allow[3], "2001:db8::", 32);
	check_net(&sv->allow[4], "0.0.0.0", 0);
	CHECK_INT(sv->max_clients, 1000);
	CHECK_INT(sv->handshake_timeout, S(2.5));
	CHECK_INT(sv->idle_timeout, S(3600));
	check_serve_users(sv);
	config_free(c);
}

/* ---- the metrics section ---------------------------------------------- */

static void test_metrics(void)
{
	struct config *c = load_good("good-metrics.conf");
	const struct config_metrics *m = c->metrics;
	_cleanup_free_ char *cert = tmp_path("client.pem"), *ca = tmp_path("ca.pem"),
			    *prom = tmp_path("upsagent.prom");

	CHECK(m);
	CHECK_INT(m->line, 2);
	CHECK_INT(m->n_listen, 3);
	check_listen(&m->listen[0], CONFIG_LISTEN_TLS, "127.0.0.1", 9839);
	check_listen(&m->listen[1], CONFIG_LISTEN_TLS, "::1", 9839);
	check_listen(&m->listen[2], CONFIG_LISTEN_TLS, "::", 9840);
	CHECK_STR(m->cert_file, cert);
	CHECK_STR(m->client_ca_file, ca);
	CHECK_INT(m->n_allow, 2);
	check_net(&m->allow[0], "192.168.1.0", 24);
	CHECK_INT(m->max_connections, 4);
	CHECK_INT(m->timeout, S(2.5));
	CHECK_STR(m->textfile, prom);
	config_free(c);

	/* The defaults; plaintext on loopback needs no allow list. */
	c = load_good("good-metrics-defaults.conf");
	m = c->metrics;
	CHECK_INT(m->n_listen, 1);
	check_listen(&m->listen[0], CONFIG_LISTEN_PLAIN, "::1", 9839);
	CHECK(!m->cert_file && !m->textfile && m->n_allow == 0);
	CHECK_INT(m->max_connections, 16);
	CHECK_INT(m->timeout, S(10));
	config_free(c);
}

static void test_serve_defaults(void)
{
	struct config *c = load_good("good-minimal.conf");
	const struct config_serve *sv;

	CHECK(c->serve == NULL);
	config_free(c);

	c = load_good("good-serve-defaults.conf");
	sv = c->serve;
	CHECK(sv);
	CHECK_STR(sv->ups[0], "a");
	CHECK(sv->ups[1] == NULL);
	/* No listen option at all: direct TLS on every address, port 401. */
	CHECK_INT(sv->n_listen, 1);
	check_listen(&sv->listen[0], CONFIG_LISTEN_TLS, "::", 401);
	CHECK(sv->client_ca_file == NULL);
	CHECK(!sv->client_cert_required);
	CHECK(sv->allow == NULL && sv->n_allow == 0); /* allow = {}: anyone */
	CHECK_INT(sv->max_clients, 256);
	CHECK_INT(sv->max_before_login, 32);
	CHECK_INT(sv->max_before_login_per_address, 4);
	CHECK_INT(sv->handshake_timeout, S(10));
	CHECK_INT(sv->idle_timeout, S(60));
	CHECK(sv->n_users == 0);
	config_free(c);

	/* Plaintext on loopback only: no certificate needed. */
	c = load_good("good-serve-plain.conf");
	sv = c->serve;
	CHECK_INT(sv->n_listen, 1);
	check_listen(&sv->listen[0], CONFIG_LISTEN_PLAIN, "127.0.0.1", 3493);
	CHECK(!sv->cert_file && !sv->key_file);
	config_free(c);
}

/* plaintext-login: for users with a password, listed by name. */
static void test_serve_plaintext_login(void)
{
	_cleanup_free_ char *pw = tmp_path("legacy.pw"), *conf = tmp_path("legacy.conf"),
			    *text = NULL, *log = NULL;
	struct config *c = NULL;
	char names[64];

	file_write(pw, "secret\n", 7, 0600);
	CHECK(asprintf(
		  &text,
		  "ups a { driver = \"sim\" }\n"
		  "serve {\n ups = \"a\"\n listen-plain = \"127.0.0.1\"\n"
		  " user mon { password-file = \"%s\"\n plaintext-login = true }\n"
		  " user other { password-file = \"%s\" }\n"
		  " user cert { client-certificate = \"a.example\"\n plaintext-login = true }\n}\n",
		  pw, pw) > 0);
	file_write(conf, text, strlen(text), 0644);
	CHECK_INT(load(conf, &c, &log), -EINVAL);
	CHECK(strstr(log, "serve: user cert: plaintext-login: needs a password-file"));
	free(log);
	log = NULL;
	text[strlen(text) - strlen(" user cert { client-certificate = \"a.example\"\n "
				   "plaintext-login = true }\n}\n")] = '\0';
	strcat(text, "}\n");
	file_write(conf, text, strlen(text), 0644);
	CHECK_INT(load(conf, &c, &log), 0);
	CHECK(c->serve->users[0].plaintext_login && !c->serve->users[1].plaintext_login);
	CHECK_INT(config_serve_plaintext_users(c->serve, names, sizeof(names)), 1);
	CHECK_STR(names, "mon");
	config_free(c);
	CHECK(unlink(pw) == 0 && unlink(conf) == 0);
}

/* ---- generated files --------------------------------------------------- */

/* Loads text written to a file; the log must be exactly want_fmt, its "%s" the path. */
static void check_text(const char *text, size_t len, int want_r, const char *want_fmt)
{
	_cleanup_free_ char *path = tmp_path("generated.conf"), *want = NULL, *got = NULL;
	struct config *c = NULL;

	file_write(path, text, len, 0644);
	want = replace(want_fmt, "%s", path);
	CHECK_INT(load(path, &c, &got), want_r);
	check_log(path, got, want);
	CHECK((want_r == 0) == (c != NULL));
	config_free(c);
}

static char *repeat(char ch, size_t n, const char *before, const char *after)
{
	size_t a = strlen(before), b = strlen(after);
	char *s = malloc(a + n + b + 1);

	CHECK(s);
	memcpy(s, before, a);
	memset(s + a, ch, n);
	memcpy(s + a + n, after, b + 1);
	return s;
}

static void test_hostile(void)
{
	static const char nul[] = "ups demo {\n driver = \"sim\"\0 }\n";
	static const char bom[] = "\xef\xbb\xbfups demo { driver = \"sim\" } # caf\xc3\xa9\n";
	char garbage[4096];
	/* A quoted string grows 32 bytes at a time in libconfuse, which ASan's
	 * copying realloc makes quadratic: 256 KiB keeps this test fast there. */
	_cleanup_free_ char *long_value = repeat('a', 256 << 10, "ups a { server = \"", "\" }\n");
	_cleanup_free_ char *long_name = repeat('x', 1 << 20, "", " = 1\n");
	_cleanup_free_ char *huge = repeat('#', 5 << 20, "", "\n");
	/* libconfuse's message quotes the name: cut to 159 characters. */
	_cleanup_free_ char *long_name_log =
	    repeat('x', 159 - 16 - 3, "upsagent: %s:1: no such option '", "...\n");

	check_text(nul, sizeof(nul) - 1, -EINVAL,
		   "upsagent: %s:2: NUL byte 0x00: this is not a text file\n");
	check_text(bom, sizeof(bom) - 1, 0, "");
	check_text("", 0, -EINVAL, "upsagent: %s: no ups section: there is nothing to watch\n");
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)((i * 7919 + 13) % 251);
	check_text(garbage, sizeof(garbage), -EINVAL,
		   "upsagent: %s:1: NUL byte 0x00: this is not a text file\n");
	check_text(
	    long_value, strlen(long_value), -EINVAL,
	    "upsagent: %s:1: ups a: server: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaa' is not a host name or address\n");
	check_text(long_name, strlen(long_name), -EINVAL, long_name_log);
	check_text(huge, strlen(huge), -EFBIG,
		   "upsagent: %s: larger than 4 MiB; this is not a configuration file\n");
}

static void test_limits(void)
{
	_cleanup_free_ char *path = tmp_path("generated.conf"), *got = NULL;
	char *text = NULL;
	size_t len = 0, lines = 0;
	FILE *f = open_memstream(&text, &len);
	struct config *c = NULL;

	CHECK(f);
	for (int i = 0; i < 60; i++)
		fprintf(f, "poll-interval = %d\n", i + 1);
	fclose(f);
	file_write(path, text, len, 0644);
	free(text);
	/* Lines 2 to 51 are 50 errors; then the parse stops. */
	CHECK_INT(load(path, &c, &got), -EINVAL);
	for (const char *p = got; (p = strchr(p, '\n')); p++)
		lines++;
	CHECK_INT(lines, 51);
	CHECK(strstr(got, ":51: poll-interval is set twice (first on line 50)\n"));
	CHECK(strstr(got, ": stopped after 50 errors\n"));
}

static void test_unreadable(void)
{
	struct config *c = NULL;
	_cleanup_free_ char *got = NULL, *got2 = NULL, *want = NULL;

	CHECK_INT(load("/nonexistent/upsagent.conf", &c, &got), -ENOENT);
	CHECK_STR(got, "upsagent: /nonexistent/upsagent.conf: cannot read the configuration: No "
		       "such file or directory\n");
	CHECK_INT(load(tmp_dir, &c, &got2), -EISDIR);
	CHECK(asprintf(&want, "upsagent: %s: this is a directory, not a configuration file\n",
		       tmp_dir) > 0);
	CHECK_STR(got2, want);
	CHECK(c == NULL);
}

/* ---- etc/upsagent.conf ------------------------------------------------- */

static void test_example(void)
{
	struct config *c = NULL;
	_cleanup_free_ char *got = NULL;

	CHECK_INT(load(example_path, &c, &got), 0);
	CHECK_STR(got, "");
	CHECK_INT(c->n_ups, 1);
	CHECK_STR(c->ups[0].server, "localhost");
	CHECK(c->serve == NULL); /* commented out */
	config_free(c);
}

/* "#option = value" and "\t#option = value" lines, and the commented
 * sections, enabled as an administrator would. */
static const char *uncomment(const char *line, char *buf, size_t len)
{
	size_t tabs = strspn(line, "\t");

	if (line[0] == '#' &&
	    (line[1] == '\t' || line[1] == '}' || (line[1] >= 'a' && line[1] <= 'z')))
		return line + 1;
	if (tabs > 0 && line[tabs] == '#' && line[tabs + 1] >= 'a' && line[tabs + 1] <= 'z') {
		snprintf(buf, len, "%.*s%s", (int)tabs, line, line + tabs + 1);
		return buf;
	}
	return line;
}

/* The example with everything enabled, and the files it names in tmp_dir. */
static void example_enable_all(const char *path)
{
	FILE *in = fopen(example_path, "re"), *out = fopen(path, "we");
	_cleanup_free_ char *dir = NULL, *notify = tmp_path("notify"),
			    *poweroff = tmp_path("poweroff");
	char *line = NULL, buf[1024];
	size_t cap = 0;

	CHECK(in && out);
	CHECK(asprintf(&dir, "%s/", tmp_dir) > 0);
	while (getline(&line, &cap, in) > 0) {
		_cleanup_free_ char *a =
		    replace(uncomment(line, buf, sizeof(buf)), "/etc/upsagent/", dir);
		_cleanup_free_ char *b = replace(a, "/usr/local/bin/ups-notify", notify);
		_cleanup_free_ char *c = replace(b, "/sbin/poweroff", poweroff);

		fputs(c, out);
	}
	free(line);
	fclose(in);
	fclose(out);
}

/* driver = "usb": the selectors, in any case and with or without 0x; absent is any. */
static void test_usb(void)
{
	struct config *c = load_good("good-usb.conf");
	const struct config_ups *u = &c->ups[0];

	CHECK_INT(c->n_ups, 2);
	CHECK_INT(u->driver, CONFIG_DRIVER_USB);
	CHECK_INT(u->vendor_id, 0x051d);
	CHECK_INT(u->product_id, 0x0002);
	CHECK_STR(u->serial, "3B1234X56789");
	CHECK(u->charge_low == 30);
	CHECK(!u->server && !u->ups && !u->sim);
	u = &c->ups[1];
	CHECK_INT(u->vendor_id, 0x0764);
	CHECK_INT(u->product_id, -1);
	CHECK(u->serial == NULL);
	CHECK_INT(u->power_value, 0);
	config_free(c);
	c = load_good("good-minimal.conf");
	CHECK_INT(c->ups[0].vendor_id, -1);
	CHECK_INT(c->ups[0].product_id, -1);
	config_free(c);
}

/* Every option the example shows is valid, once enabled. */
static void test_example_enabled(void)
{
	_cleanup_free_ char *path = tmp_path("example.conf"), *got = NULL;
	struct config *c = NULL;

	tmp_write("ups1.pw", "s3cret\n", 0600);
	tmp_write("remote.pw", "s3cret\n", 0600);
	tmp_write("server.crt", "not checked here\n", 0644);
	tmp_write("server.key", "not checked here\n", 0600);
	tmp_write("clients-ca.pem", "not checked here\n", 0644);
	example_enable_all(path);
	CHECK_INT(load(path, &c, &got), 0);
	check_log(path, got, "");
	CHECK_INT(c->n_ups, 3);
	CHECK(strstr(c->ups[0].password_file, "ups1.pw"));
	CHECK(c->ups[0].pin[0] && c->ups[0].cert_file && c->ups[0].charge_low == 20);
	CHECK_INT(c->ups[1].driver, CONFIG_DRIVER_SIM);
	CHECK_INT(c->ups[1].n_sim, 3);
	CHECK_INT(c->ups[2].driver, CONFIG_DRIVER_USB);
	CHECK_INT(c->ups[2].vendor_id, 0x051d);
	CHECK_STR(c->ups[2].serial, "3B1234X56789");
	CHECK_INT(c->n_hooks, 1);
	CHECK_INT(c->shutdown, CONFIG_SHUTDOWN_COMMAND);
	CHECK(c->serve);
	CHECK_STR(c->serve->ups[0], "ups1");
	CHECK_INT(c->serve->n_listen, 3);
	CHECK_INT(c->serve->n_users, 1);
	CHECK(strstr(c->serve->users[0].password_file, "remote.pw"));
	CHECK_STR(c->serve->users[0].certificate_name, "host2.example.org");
	config_free(c);
}

int main(int argc, char **argv)
{
	CHECK(argc == 3);
	data_dir = argv[1];
	example_path = argv[2];
	log_set_prefix(false);
	setup_tmp();
	TEST_RUN(test_data_files);
	TEST_RUN(test_defaults);
	TEST_RUN(test_wall);
	TEST_RUN(test_messages);
	TEST_RUN(test_full);
	TEST_RUN(test_syntax);
	TEST_RUN(test_monitor_settings);
	TEST_RUN(test_events);
	TEST_RUN(test_hostile);
	TEST_RUN(test_limits);
	TEST_RUN(test_unreadable);
	TEST_RUN(test_example);
	TEST_RUN(test_example_enabled);
	TEST_RUN(test_usb);
	TEST_RUN(test_serve_full);
	TEST_RUN(test_serve_defaults);
	TEST_RUN(test_serve_plaintext_login);
	TEST_RUN(test_metrics);
	cleanup_tmp();
	return 0;
}
