/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static int max_level = LOG_INFO;
static bool journal_prefix;
static bool kmsg_prefix;

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

void log_set_prefix(bool journal)
{
	journal_prefix = journal;
}

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected us to. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

/* /dev/kmsg is character device 1:11. */
static bool stderr_is_kmsg(void)
{
	struct stat st;

	return fstat(STDERR_FILENO, &st) == 0 && S_ISCHR(st.st_mode) &&
	       major(st.st_rdev) == 1 && minor(st.st_rdev) == 11;
}

void log_open(void)
{
	journal_prefix = stderr_is_journal();
	kmsg_prefix = !journal_prefix && stderr_is_kmsg();
}

void log_fullv(int level, const char *fmt, va_list ap)
{
	char buf[2048];
	int saved = errno;

	if (level > max_level)
		return;
	errno = saved;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* One write per message: the kernel makes each write one record. */
	if (journal_prefix)
		fprintf(stderr, "<%d>%s\n", level, buf);
	else if (kmsg_prefix)
		fprintf(stderr, "<%d>upsagent: %s\n", level, buf);
	else
		fprintf(stderr, "upsagent: %s\n", buf);
	errno = saved;
}

void log_full(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_fullv(level, fmt, ap);
	va_end(ap);
}

int log_full_errno(int level, int error, const char *fmt, ...)
{
	va_list ap;

	if (error > 0)
		error = -error;
	errno = -error;
	va_start(ap, fmt);
	log_fullv(level, fmt, ap);
	va_end(ap);
	return error < 0 ? error : -EINVAL;
}
