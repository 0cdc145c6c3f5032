/* SPDX-License-Identifier: GPL-2.0-or-later */
/* upsagent import-upsd: NUT on the cable host into upsagent's driver and server. Each verb takes
 * its argv (argv[0] is the verb) and returns the exit status. */
#pragma once

int verb_import_upsd(int argc, char **argv);
