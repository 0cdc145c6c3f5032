/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/upsagent.conf (upsagent.conf(5)) read with libconfuse into a plain
 * struct config that owns its strings; the libconfuse tree is freed before
 * config_load() returns.
 *
 * Not thread-safe: libconfuse's scanner is global state. The daemon loads at
 * start and on SIGHUP, from its one thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor.h"
#include "sim.h"
#include "tls.h"

#define CONFIG_PATH_DEFAULT	     "/etc/upsagent.conf"
#define CONFIG_STATUS_SOCKET_DEFAULT "/run/upsagent/status.sock"
/* Where systemd keeps the credentials of upsagent.service while it runs
 * (LoadCredential=); inside the service $CREDENTIALS_DIRECTORY names it. */
#define CONFIG_CREDENTIALS_DIR "/run/credentials/upsagent.service"

enum config_driver {
	CONFIG_DRIVER_NET, /* a UPS server speaking the NUT protocol */
	CONFIG_DRIVER_SIM, /* a script of readings (lib/sim.h) */
	CONFIG_DRIVER_USB, /* a UPS on this host's USB port, through hidraw */
	_CONFIG_DRIVER_MAX
};

enum config_role {
	CONFIG_ROLE_SECONDARY, /* another host is primary and sets FSD */
	CONFIG_ROLE_PRIMARY,   /* we set FSD and wait for the secondaries */
	_CONFIG_ROLE_MAX
};

enum config_shutdown {
	CONFIG_SHUTDOWN_LOGIND,	 /* org.freedesktop.login1.Manager.PowerOff */
	CONFIG_SHUTDOWN_COMMAND, /* shutdown_argv */
	_CONFIG_SHUTDOWN_MAX
};

/*
 * Notify events: the enum monitor_event values, then these two host events.
 * config_hook.events has bit CONFIG_EVENT_BIT(e) set for each event wanted.
 */
#define CONFIG_EVENT_SHUTDOWN	       _MONITOR_EVENT_MAX
#define CONFIG_EVENT_SHUTDOWN_HOSTSYNC (_MONITOR_EVENT_MAX + 1)
#define _CONFIG_EVENT_MAX	       (_MONITOR_EVENT_MAX + 2)
#define CONFIG_EVENT_BIT(e)	       (UINT64_C(1) << (e))
#define CONFIG_EVENTS_ALL	       (CONFIG_EVENT_BIT(_CONFIG_EVENT_MAX) - 1)

struct config_ups {
	char *name;		   /* the section title: ups NAME { ... } */
	unsigned line;		   /* where the section starts, for messages */
	enum config_driver driver; /* driver = "net" (default) | "sim" | "usb" */
	char *server;		   /* net: required */
	uint16_t port;		   /* default 3493; 401 with tls = "direct" */
	char *ups;		   /* the UPS name on the server; default: the section title */
	char *upsname;		   /* upsname: UPSNAME given to hooks (import-upsmon writes the
				    * MONITOR system as upsmon passed it); NULL: the default */
	enum tls_mode tls;	   /* tls = "starttls" (default) | "direct" | "off" */
	enum tls_version tls_min;  /* tls-min-version; default tls_mode_min_version(tls) */
	bool tls_min_lowered;	   /* "1.2" written for direct: warned at every start */
	char *ca_file, *server_name, *cert_file, *key_file; /* NULL when not set */
	char pin[TLS_PIN_LEN + 1];			    /* pin-sha256, "" = none */
	char *user;
	char *password_file;	 /* checked at load; read again at each login, never kept */
	enum config_role role;	 /* role = "secondary" (default) | "primary" */
	unsigned power_value;	 /* default 1; 0 = watch only */
	double charge_low;	 /* battery-charge-low, percent; < 0 = off (default) */
	double runtime_low;	 /* runtime-low, seconds; < 0 = off (default) */
	uint64_t on_battery_max; /* on-battery-max, usec; 0 = off (default) */
	struct sim_step *sim;	 /* sim: never empty (the built-in demo without script) */
	size_t n_sim;
	int32_t vendor_id, product_id; /* usb: 0..0xffff, or -1 (default) for any */
	char *serial;		       /* usb: NULL for any */
};

struct config_hook {
	char **argv;	  /* NULL-terminated; argv[0] is an absolute path; NULL: wall only */
	uint64_t events;  /* CONFIG_EVENT_BIT() mask; default CONFIG_EVENTS_ALL */
	uint64_t timeout; /* usec, default 30 s */
	unsigned line;	  /* where the notify section starts */
	bool wall;	  /* wall = true: the message also goes to every logged-in terminal */
	/* messages = {"EVENT=TEXT", ...}: this section's text for EVENT (its
	 * command's last argument and NOTIFYMSG, and its wall), upsmon's
	 * NOTIFYMSG; "%s" stands for UPSNAME, a second one for the details.
	 * NULL: the daemon's own text. */
	char *messages[_CONFIG_EVENT_MAX];
};

/* serve { user NAME { ... } }: one account of the server (agent/serve.c). */
struct config_serve_user {
	char *name; /* the section title: USERNAME on the wire; a nut_word_ok() word */
	unsigned line;
	enum config_role role;	/* role = "secondary" (default) | "primary" */
	char *password_file;	/* NULL: certificate only; checked like the ups sections' */
	char *certificate_name; /* client-certificate = "NAME": a verified client certificate
				 * whose subjectAltName of certificate_type is NAME
				 * authenticates as this user without a password; NULL: none */
	enum tls_name_type certificate_type; /* "DNS:"/"email:" prefix, else '@' means e-mail */
	/* plaintext-login = true: this user may log in before TLS, on a
	 * STARTTLS or network plaintext listener, as upsd let every client
	 * without FORCESSL (import-upsd marks upsmon users so); never FSD in
	 * plaintext. Warned at every start. Default false. */
	bool plaintext_login;
};

/* serve { listen = {...} }: one listening address and how it speaks. */
enum config_listen_mode {
	CONFIG_LISTEN_TLS,	/* TLS 1.3 from the first byte (listen, default port 401) */
	CONFIG_LISTEN_STARTTLS, /* plaintext until STARTTLS, nothing else before it
				   (listen-starttls, 3493) */
	CONFIG_LISTEN_PLAIN,	/* no TLS at all: loopback addresses only (listen-plain, 3493) */
	_CONFIG_LISTEN_MAX
};

struct config_listen {
	enum config_listen_mode mode;
	char *
	    address; /* numeric: "0.0.0.0", "::", "127.0.0.1", "::1" ... ("*" is written as "::") */
	uint16_t port;
};

/* A client network: allow = {"192.168.1.0/24", "::1"}. */
struct config_net {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

/* serve { ... }: the server; absent unless the file has the section. */
struct config_serve {
	unsigned line;
	char *
	    *ups; /* names of ups sections to serve (ups = {...}); NULL-terminated, at least one */
	struct config_listen *listen; /* outside socket activation; default ":: port 401, TLS" */
	size_t n_listen;
	char *cert_file, *key_file; /* required when any listener speaks TLS */
	char *client_ca_file;	    /* client certificates: verified against it when given */
	char *client_crl_file;	    /* PEM CRLs of that CA, read with the credentials */
	bool client_cert_required; /* client-certificate-required = true: mutual TLS for everyone */
	struct config_net *allow;  /* NULL/0: any address may connect */
	size_t n_allow;
	unsigned max_clients;		       /* default 256 */
	unsigned max_before_login;	       /* connections not authenticated yet, default 32 */
	unsigned max_before_login_per_address; /* of those from one address (IPv6 /64), default 4 */
	uint64_t handshake_timeout;	       /* usec, default 10 s */
	uint64_t idle_timeout;		       /* usec, default 60 s (upsd's) */
	struct config_serve_user *users;
	size_t n_users;
};

/* The users of sv allowed plaintext logins, as "a, b" into buf; 0 when none. */
size_t config_serve_plaintext_users(const struct config_serve *sv, char *buf, size_t len);

/* metrics { ... }: the HTTP exporter (agent/metrics) and node_exporter's
 * textfile; absent unless the file has the section. */
struct config_metrics {
	unsigned line;
	/* CONFIG_LISTEN_TLS with cert-file, else CONFIG_LISTEN_PLAIN (loopback,
	 * or any address with an allow list); none: no HTTP listener */
	struct config_listen *listen;
	size_t n_listen;
	char *cert_file, *key_file; /* both or neither; then every listener speaks TLS */
	char *client_ca_file;	    /* mutual TLS: a client certificate from this CA is required */
	struct config_net *allow;   /* NULL/0: any address may connect */
	size_t n_allow;
	unsigned max_connections; /* default 16 */
	uint64_t timeout;	  /* usec, default 10 s: a connection idle this long is closed */
	char *textfile;		  /* a .prom file written after every poll round; NULL: none */
};

/* Without any wall = option, upsmon's habit: wall these. */
#define CONFIG_WALL_DEFAULT                                                                        \
	(CONFIG_EVENT_BIT(MONITOR_EVENT_ONBATT) | CONFIG_EVENT_BIT(MONITOR_EVENT_LOWBATT) |        \
	 CONFIG_EVENT_BIT(MONITOR_EVENT_FSD) | CONFIG_EVENT_BIT(CONFIG_EVENT_SHUTDOWN) |           \
	 CONFIG_EVENT_BIT(CONFIG_EVENT_SHUTDOWN_HOSTSYNC))

struct config {
	char *path;
	uint64_t poll_interval;	  /* usec, default 5 s; always below 60 s */
	uint64_t poll_timeout;	  /* usec, default 5 s (poll-interval if shorter) */
	uint64_t connect_timeout; /* usec, default 10 s */
	uint64_t dead_time;	  /* usec, default 15 s; at least 2 x poll_interval */
	uint64_t host_sync;	  /* usec, default 15 s */
	uint64_t final_delay;	  /* usec, default 5 s */
	uint64_t nocomm_warn;	  /* usec, default 300 s; 0 = no NOCOMM */
	uint64_t rb_warn;	  /* usec, default 43200 s; 0 = REPLBATT only once */
	uint64_t off_duration;	  /* usec, default 30 s; MONITOR_NEVER ("never") = ignore OFF */
	uint64_t ob_lb_duration;  /* usec, default 0 */
	unsigned min_supplies;	  /* default 1; 0 = never shut down */
	char *powerdown_flag;	  /* default "/run/upsagent/killpower"; "" = none */
	enum config_shutdown shutdown;
	char **shutdown_argv; /* COMMAND: NULL-terminated, argv[0] absolute; LOGIND: NULL */
	char *status_socket;  /* default "/run/upsagent/status.sock" */
	struct config_hook *hooks;
	size_t n_hooks;
	uint64_t wall_events;	/* the events of the wall = true sections; CONFIG_WALL_DEFAULT
				 * when no notify section has a wall option */
	struct config_ups *ups; /* at least one */
	size_t n_ups;
	struct config_serve *serve;	/* NULL without a serve section */
	struct config_metrics *metrics; /* NULL without a metrics section */
};

/* What config_load_secrets() does with the password files. */
enum config_secrets {
	CONFIG_SECRETS_READ, /* read each, as the daemon does at login: unreadable is an error */
	CONFIG_SECRETS_SKIP, /* never open them: for the verbs that do not log in */
	/* check-config outside the service: a file under CONFIG_CREDENTIALS_DIR
	 * that is not there (the service is not running) is a warning, not an
	 * error; the others are read as for CONFIG_SECRETS_READ. */
	CONFIG_SECRETS_OUTSIDE,
	_CONFIG_SECRETS_MAX
};

/*
 * Reads, parses and validates path. Reports every problem it finds, each
 * once, through log_error() as "FILE:LINE: message" (or "FILE: message" for
 * the file as a whole), warnings likewise through log_warning(), and then
 * returns -EINVAL. An unreadable file is reported too and gives its -errno.
 * On success *ret is a new config to free with config_free().
 */
int config_load(const char *path, struct config **ret);
/* The same, with the password files handled as secrets says (config_load: READ). */
int config_load_secrets(const char *path, enum config_secrets secrets, struct config **ret);

/* NULL-safe; wipes the passwords; returns NULL. */
struct config *config_free(struct config *c);

/* The monitor settings for one UPS of c (struct monitor_config in lib/monitor.h). */
void config_monitor(const struct config *c, const struct config_ups *u, struct monitor_config *out);

/* "ONBATT", "SHUTDOWN", ... -> the event number, or -EINVAL. */
int config_event_from_string(const char *s);
/* The event's name, or NULL for a number out of range. */
const char *config_event_to_string(unsigned e);

/* Whether the peer address sa is in one of the n networks of allow (n 0: any). */
struct sockaddr;
bool config_allows(const struct config_net *allow, size_t n, const struct sockaddr *sa);

/* Whether hook h runs for event e. */
bool config_hook_wants(const struct config_hook *h, unsigned e);
/* Hook h's own text for event e (messages = ...), or NULL for the default. */
const char *config_hook_message(const struct config_hook *h, unsigned e);
