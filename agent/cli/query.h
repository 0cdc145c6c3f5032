/* SPDX-License-Identifier: GPL-2.0-or-later */
/* upsagent query: a UPS's variables from a UPS server, like upsc. Each verb takes its argv (argv[0]
 * is the verb) and returns the exit status. */
#pragma once

int verb_query(int argc, char **argv);
