/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between the parts of the config module: config-schema.c (the file, its
 * text and libconfuse), config-value.c (typed access to one value) and
 * config.c (the values checked together and copied into struct config).
 */
#pragma once

#include <confuse.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define CONFIG_ERRORS_MAX   50	 /* then stop: a binary file is not worth more */
#define CONFIG_LIST_MAX	    1000 /* values in one list (a sim script is the longest) */
#define CONFIG_VALUES_MAX   20000
#define CONFIG_SECTIONS_MAX 1152 /* CONFIG_UPS_MAX ups + CONFIG_HOOKS_MAX notify, and more */

/* Where libconfuse saw each value: it keeps no line numbers of its own. */
struct config_line {
	const cfg_t *sec;
	const cfg_opt_t *opt; /* NULL: the section itself */
	unsigned idx;	      /* value index in a list */
	unsigned line;
};

struct config_message {
	unsigned line; /* 0: the file as a whole */
	unsigned seq;  /* order found, for a stable sort */
	int level;     /* LOG_ERR or LOG_WARNING */
	char *text;
};

/* One config_load(). */
struct config_parse {
	const char *path;
	int secrets; /* enum config_secrets */
	const cfg_t *root;
	unsigned n_errors;
	struct config_line *lines;
	size_t n_lines, n_alloc;
	unsigned n_sections;
	struct config_message *messages; /* logged by config_parse_done() */
	size_t n_messages, n_alloc_messages;
};

/*
 * Reads p->path, checks its text, and parses it with the schema into *ret
 * (free with cfg_free()). Errors are reported; returns -errno for an
 * unreadable file, -EINVAL for any other error.
 */
int config_parse_file(struct config_parse *p, cfg_t **ret);
/* Logs the messages, in line order, and frees what p holds. */
void config_parse_done(struct config_parse *p);

/* The line of value idx of option name in sec; name NULL: where sec starts. 0 if unknown. */
unsigned config_line(const struct config_parse *p, cfg_t *sec, const char *name, unsigned idx);

/* "FILE:LINE: message" (line 0: "FILE: message"), counted as an error; logged later. */
void config_error(struct config_parse *p, unsigned line, const char *fmt, ...) _printf_(3, 4);
void config_warning(struct config_parse *p, unsigned line, const char *fmt, ...) _printf_(3, 4);

/* The section being converted: messages name it ("ups rack-a: ..."). */
struct scope {
	struct config_parse *p;
	cfg_t *sec;
	char what[96]; /* "", "notify: " or "ups NAME: " */
};

/* "FILE:LINE: [section: ][name: ]message" at the line of name (NULL: the section); -EINVAL. */
int config_scope_error(const struct scope *s, const char *name, const char *fmt, ...)
    _printf_(3, 4);
/* The same at the line of name, without "name: " in front. */
int config_scope_error_at(const struct scope *s, const char *name, const char *fmt, ...)
    _printf_(3, 4);
void config_scope_warning(const struct scope *s, const char *name, const char *fmt, ...)
    _printf_(3, 4);

/*
 * The value of a single option, NULL when absent. The getters below return
 * 0 when the option is absent (*ret untouched), 1 when it is set and good,
 * -EINVAL when it is bad (reported, *ret untouched), or -ENOMEM.
 */
const char *config_value(const struct scope *s, const char *name);
/* A list written as "= {}". */
bool config_list_empty(const struct scope *s, const char *name);
/* Seconds, fractions allowed, into usec; never_ok: "never" gives UINT64_MAX. */
int config_get_seconds(const struct scope *s, const char *name, bool never_ok, uint64_t *ret);
int config_get_unsigned(const struct scope *s, const char *name, unsigned max, unsigned *ret);
int config_get_percent(const struct scope *s, const char *name, double *ret);
/* The index of the value in names (n of them, 2 or 3). */
int config_get_choice(const struct scope *s, const char *name, const char *const *names, size_t n,
		      unsigned *ret);
/* A copy without control characters. */
int config_get_string(const struct scope *s, const char *name, char **ret);
/* The title of a ups or user section, copied, and the line it starts on; a
 * title that is not one NUT word is reported as not what ("a UPS name").
 * 0 or -ENOMEM. */
int config_get_title(const struct scope *s, const char *what, unsigned *line, char **ret);
/* An absolute path (empty_ok: or ""), copied. */
int config_get_path(const struct scope *s, const char *name, bool empty_ok, char **ret);
/* A list: an absolute program path, then its arguments; NULL-terminated copy. */
int config_get_argv(const struct scope *s, const char *name, char ***ret);
char **config_argv_free(char **argv);

/* upsname: 1 to CONFIG_UPSNAME_MAX printable characters, no blanks; copied. */
#define CONFIG_UPSNAME_MAX 255
int config_get_upsname(const struct scope *s, const char *name, char **ret);
/* messages = {"EVENT=TEXT", ...} into messages[EVENT] (_CONFIG_EVENT_MAX
 * slots, NULL where unset); bad ones are reported. */
#define CONFIG_MESSAGE_MAX 255
int config_get_messages(const struct scope *s, const char *name, char **messages);

bool config_text_ok(const char *v);
/* 0, or -EINVAL reported: path cannot be opened for reading. */
int config_check_readable(const struct scope *s, const char *name, const char *path);
/* A file the daemon trusts after the fact (the power-down flag, the status
 * socket): no "..", and in a directory no other user can write to. */
int config_check_private_path(const struct scope *s, const char *name, const char *path);
/* 0, or -EINVAL reported: path is not a file that only root or the daemon
 * can read (lib/secret.h), with what ("password file", "key file") naming it
 * in the message; not checked with CONFIG_SECRETS_SKIP. */
int config_check_secret(const struct scope *s, const char *name, const char *path,
			const char *what);
/* 0, or -errno with a sentence in err: path is not an executable regular file. */
int config_check_program(const char *path, char *err, size_t errlen);

/* "FILE:LINE: section: name: message" at the line of value idx of list name. */
void config_item_error(const struct scope *s, const char *name, unsigned idx, const char *fmt, ...)
    _printf_(4, 5);
/* cert-file, key-file (a secret) and client-ca-file of a listening section,
 * each checked; bad ones reported. 0 or -ENOMEM. */
int config_get_tls_files(const struct scope *s, char **cert, char **key, char **client_ca);

/* ---- config-serve.c ---------------------------------------------------- */

struct config;
struct config_serve;

/* The serve section, if any, into c->serve; after the ups sections, whose
 * names it refers to. Bad values are reported; returns -ENOMEM or 0. */
int config_serve_load(struct config_parse *p, cfg_t *cfg, struct config *c);
/* NULL-safe; returns NULL. */
struct config_serve *config_serve_free(struct config_serve *sv);

/* Addresses, shared with config-metrics.c. */
struct config_net;
struct addr {
	int family;
	uint8_t bytes[16];
};

/* A numeric IPv4 or IPv6 address. */
bool addr_parse(const char *text, struct addr *a);
bool addr_loopback(const struct addr *a);
/* "[v6]:port", "v4:port", "*:port" and the same without the port into host
 * and *port (NULL: none). -EINVAL: none of these forms. */
int listen_split(const char *v, char *host, size_t size, const char **port);
/* "192.168.1.0/24", "2001:db8::/32", "10.0.0.5". 0, -EINVAL, or -EDOM: bits
 * set after the prefix, with *n holding the network it means. */
int net_parse(const char *v, struct config_net *n);

/* ---- config-metrics.c -------------------------------------------------- */

struct config_metrics;

/* The metrics section, if any, into c->metrics. Bad values are reported;
 * returns -ENOMEM or 0. */
int config_metrics_load(struct config_parse *p, cfg_t *cfg, struct config *c);
/* NULL-safe; returns NULL. */
struct config_metrics *config_metrics_free(struct config_metrics *m);
