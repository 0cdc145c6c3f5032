/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may own what the daemon trusts after the fact (the directory of the
 * power-down flag and the status socket, the flag itself): root, whoever
 * checks (the daemon itself, root running killpower, a test), and the
 * daemon's own user.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

bool owner_trusted(uid_t uid);
