/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "escape.h"

static int max_level = LOG_INFO;
static bool journal_prefix;
static bool journal_native; /* events go to the journal with their fields */
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
	journal_prefix = journal_native = stderr_is_journal();
	kmsg_prefix = !journal_prefix && stderr_is_kmsg();
}

void log_set_journal(bool native)
{
	journal_native = native;
}

void log_fullv(int level, const char *fmt, va_list ap)
{
	char buf[2048], line[2048];
	int saved = errno;

	if (level > max_level)
		return;
	errno = saved;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* A message carries what peers sent (ERR texts, certificate names,
	 * USB strings): one message, one line, whatever they sent. One write
	 * per message: the kernel makes each write one record. */
	escape_line(line, sizeof(line), buf);
	if (journal_prefix)
		fprintf(stderr, "<%d>%s\n", level, line);
	else if (kmsg_prefix)
		fprintf(stderr, "<%d>upsagent: %s\n", level, line);
	else
		fprintf(stderr, "upsagent: %s\n", line);
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

/* "NAME=value" as one more journal field; a NULL or empty value is left out. */
static void field(struct iovec *iov, size_t *n, char *buf, size_t len, const char *name,
		  const char *value)
{
	if (!value || !*value)
		return;
	snprintf(buf, len, "%s=%s", name, value);
	iov[(*n)++] = (struct iovec){buf, strlen(buf)};
}

static int event_send(int level, const struct log_event_fields *f, const char *message)
{
	char msg[2100], level_s[8], prio[24], id[64], ups[160], ev[64], status[160];
	struct iovec iov[7];
	size_t n = 0;

	snprintf(level_s, sizeof(level_s), "%d", level);
	field(iov, &n, msg, sizeof(msg), "MESSAGE", message);
	field(iov, &n, prio, sizeof(prio), "PRIORITY", level_s);
	field(iov, &n, id, sizeof(id), "MESSAGE_ID", f->message_id);
	field(iov, &n, ups, sizeof(ups), "UPS", f->ups);
	field(iov, &n, ev, sizeof(ev), "UPSAGENT_EVENT", f->event);
	field(iov, &n, status, sizeof(status), "UPSAGENT_STATUS", f->status);
	iov[n++] = (struct iovec){(char *)"SYSLOG_IDENTIFIER=upsagent", 26};
	return sd_journal_sendv(iov, (int)n);
}

void log_event(int level, const struct log_event_fields *f, const char *fmt, ...)
{
	char raw[2048], buf[2048];
	va_list ap;
	int saved = errno;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_line(buf, sizeof(buf), raw); /* as every other line: one line, printable */
	/* Without the journal (or when it refuses), the line it would have had. */
	if (!journal_native || event_send(level, f, buf) < 0)
		log_full(level, "%s", buf);
	errno = saved;
}
