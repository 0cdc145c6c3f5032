/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pwd.h>
#include <unistd.h>

#include "owner.h"
#include "secret.h"

bool owner_trusted(uid_t uid)
{
	const struct passwd *pw;

	if (uid == 0 || uid == geteuid())
		return true;
	pw = getpwnam(SECRET_DAEMON_USER);
	return pw && pw->pw_uid == uid;
}
