/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's verbs: run it, ask it (status, reload), check a configuration. Each verb takes its
 * argv (argv[0] is the verb) and returns the exit status. */
#pragma once

int verb_run(int argc, char **argv);
int verb_status(int argc, char **argv);
int verb_reload(int argc, char **argv);
int verb_check_config(int argc, char **argv);
int verb_fsd(int argc, char **argv);
