/* SPDX-License-Identifier: GPL-2.0-or-later */
/* upsagent killpower: the system-shutdown hook that lets a USB UPS cut its output. Each verb takes
 * its argv (argv[0] is the verb) and returns the exit status. */
#pragma once

int verb_killpower(int argc, char **argv);
