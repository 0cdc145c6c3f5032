/* SPDX-License-Identifier: GPL-2.0-or-later */
/* upsagent test-event: the notify hooks of one event, run as the daemon would. Each verb takes its
 * argv (argv[0] is the verb) and returns the exit status. */
#pragma once

int verb_test_event(int argc, char **argv);
