/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "log.h"

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_fullv(LOG_ERR, fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

static const struct option common_options[] = {
    {"config", required_argument, NULL, 'c'}, {"dry-run", no_argument, NULL, 'n'},
    {"json", no_argument, NULL, 'j'},	      {"socket", required_argument, NULL, 's'},
    {"verbose", no_argument, NULL, 'v'},      {"connect", no_argument, NULL, 'C'},
    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
};

int verb_parse(int argc, char **argv, const char *help, struct verb_args *v)
{
	int opt;

	*v = (struct verb_args){.config = CONFIG_PATH_DEFAULT};
	while ((opt = getopt_long(argc, argv, "c:njs:vh", common_options, NULL)) >= 0) {
		switch (opt) {
		case 'c':
			v->config = optarg;
			break;
		case 'n':
			v->dry_run = true;
			break;
		case 'j':
			v->json = true;
			break;
		case 's':
			v->socket = optarg;
			break;
		case 'v':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'C':
			v->connect = true;
			break;
		case 'h':
			fputs(help, stdout);
			return 1;
		default:
			return cli_usage_error("see 'upsagent %s --help'", argv[0]);
		}
	}
	v->first = optind;
	return 0;
}
