/* SPDX-License-Identifier: GPL-2.0-or-later */
/* upsagent import-upsmon: NUT's upsmon.conf into an upsagent.conf. Each verb takes its argv
 * (argv[0] is the verb) and returns the exit status. */
#pragma once

int verb_import_upsmon(int argc, char **argv);
