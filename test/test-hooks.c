/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Notify hooks on a real sd-event loop with real child processes: small shell
 * scripts written to a temporary directory at run time. Nothing waits by
 * sleeping: each test runs the loop until the done callbacks it expects have
 * come, under a bounding timer that fails the test when they do not.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "hooks.h"
#include "log.h"
#include "macro.h"
#include "test.h"

#define DONE_MAX 64

static char dir[] = "/tmp/test-hooks-XXXXXX";
static int saved_stderr = -1;

struct waiter {
	sd_event *event;
	unsigned want, done;
	int status[DONE_MAX];
	uint64_t when[DONE_MAX]; /* CLOCK_MONOTONIC usec of each done */
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static void on_done(int status, void *userdata)
{
	struct waiter *w = userdata;

	CHECK(w->done < DONE_MAX);
	w->status[w->done] = status;
	w->when[w->done++] = now_usec();
	if (w->done == w->want)
		sd_event_exit(w->event, 0);
}

static int on_bound(sd_event_source *s, uint64_t usec, void *userdata)
{
	fprintf(stderr, "bounding timer ran out: the expected hooks did not end\n");
	abort();
}

/* Runs the loop until w->want hooks have ended; limit bounds it. */
static void run_until(struct waiter *w, unsigned want, uint64_t limit)
{
	_cleanup_(sd_event_source_unrefp) sd_event_source *bound = NULL;

	w->want = want;
	if (w->done >= want)
		return;
	CHECK(sd_event_add_time_relative(w->event, &bound, CLOCK_MONOTONIC, limit, 0, on_bound,
					 NULL) >= 0);
	CHECK(sd_event_loop(w->event) >= 0);
}

static struct hooks *setup(sd_event **e, struct waiter *w)
{
	struct hooks *h;

	CHECK(sd_event_new(e) >= 0);
	*w = (struct waiter){.event = *e};
	CHECK(hooks_new(*e, &h) >= 0);
	hooks_set_done_callback(h, on_done, w);
	return h;
}

/* Every hook was reaped: the test process has no child left, not even a zombie. */
static void check_no_children(void)
{
	siginfo_t si = {0};

	CHECK(waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0);
	CHECK_INT(errno, ECHILD);
}

static char *path_of(const char *name)
{
	char *p;

	CHECK(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static char *script(const char *name, const char *body)
{
	char *path = path_of(name);
	FILE *f = fopen(path, "we");

	CHECK(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	CHECK(fclose(f) == 0);
	CHECK(chmod(path, 0755) == 0);
	return path;
}

static char *read_file(const char *path)
{
	char *buf = calloc(1, 1 << 20);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	CHECK(buf && fd >= 0);
	n = read(fd, buf, (1 << 20) - 1);
	CHECK(n >= 0);
	close(fd);
	return buf;
}

/* The log goes to stderr: point it at a file while a test runs. */
static void log_capture(void)
{
	_cleanup_free_ char *path = path_of("log");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	CHECK(saved_stderr >= 0 && dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	close(fd);
}

static char *log_release(void)
{
	_cleanup_free_ char *path = path_of("log");
	char *text;

	fflush(stderr);
	CHECK(dup2(saved_stderr, STDERR_FILENO) == STDERR_FILENO);
	close(saved_stderr);
	text = read_file(path);
	fputs(text, stderr); /* shown when the test fails */
	return text;
}

static unsigned count_lines(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_env_and_argv(void)
{
	_cleanup_free_ char *out = path_of("env.out");
	_cleanup_free_ char *body = NULL, *path = NULL, *text = NULL, *expect = NULL;
	char *const extra[] = {"UPSAGENT_EVENT=ONBATT", "UPSAGENT_HOST=ups1@server", NULL};
	const char *msg = "UPS ups1@server on battery; $(touch x) 'q' \"dq\" *";
	struct hook_env env = {"ONBATT", "ups1@server:3493", msg, extra};
	struct waiter w;
	sd_event *e;
	struct hooks *h = setup(&e, &w);

	/* The kernel's copy of the environment the script was started with,
	 * its stdin and its process group. */
	CHECK(asprintf(&body,
		       "{ for a in \"$@\"; do printf 'arg=%%s\\n' \"$a\"; done\n"
		       "tr '\\0' '\\n' </proc/$$/environ\n"
		       "printf 'stdin=%%s\\n' \"$(readlink /proc/$$/fd/0)\"\n"
		       "[ \"$(cut -d' ' -f5 /proc/$$/stat)\" = $$ ] && echo own-group\n"
		       "} >%s",
		       out) > 0);
	path = script("env.sh", body);
	CHECK(setenv("UPSAGENT_PASSWORD", "must-not-leak", 1) == 0);
	CHECK_INT(hooks_run(h, (char *const[]){path, "first arg", "", NULL}, &env, 0), 0);
	CHECK_INT(hooks_running(h), 1);
	run_until(&w, 1, 10 * USEC_PER_SEC);
	CHECK(WIFEXITED(w.status[0]) && WEXITSTATUS(w.status[0]) == 0);
	CHECK_INT(hooks_running(h), 0);
	text = read_file(out);
	CHECK(asprintf(&expect,
		       "arg=first arg\narg=\narg=%s\n"
		       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
		       "NOTIFYTYPE=ONBATT\nUPSNAME=ups1@server:3493\nNOTIFYMSG=%s\n"
		       "UPSAGENT_EVENT=ONBATT\nUPSAGENT_HOST=ups1@server\n"
		       "stdin=/dev/null\nown-group\n",
		       msg, msg) > 0);
	CHECK_STR(text, expect);
	unsetenv("UPSAGENT_PASSWORD");
	hooks_free(h);
	sd_event_unref(e);
	check_no_children();
}

/* NULL fields leave their variable and the message argument out. */
static void test_env_minimal(void)
{
	_cleanup_free_ char *out = path_of("min.out");
	_cleanup_free_ char *body = NULL, *path = NULL, *text = NULL;
	struct hook_env env = {0};
	struct waiter w;
	sd_event *e;
	struct hooks *h = setup(&e, &w);

	CHECK(asprintf(&body, "{ echo \"$#\"; tr '\\0' '\\n' </proc/$$/environ; } >%s", out) > 0);
	path = script("min.sh", body);
	CHECK_INT(hooks_run(h, (char *const[]){path, NULL}, &env, 0), 0);
	run_until(&w, 1, 10 * USEC_PER_SEC);
	text = read_file(out);
	CHECK_STR(text, "0\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
	hooks_free(h);
	sd_event_unref(e);
	check_no_children();
}

/* The daemon blocks signals for sd-event and may ignore SIGPIPE: a hook starts
 * with neither. grep runs directly, as a shell could change its own mask. */
static void test_signals(void)
{
	char *const argv[] = {"/usr/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL};
	_cleanup_free_ char *log = NULL;
	const char *ign;
	struct hook_env env = {0};
	struct waiter w;
	sigset_t ss;
	sd_event *e;
	struct hooks *h = setup(&e, &w);

	sigfillset(&ss);
	CHECK(sigprocmask(SIG_BLOCK, &ss, NULL) == 0);
	CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	log_capture();
	CHECK_INT(hooks_run(h, argv, &env, 0), 0);
	run_until(&w, 1, 10 * USEC_PER_SEC);
	log = log_release();
	CHECK(strstr(log, "hook grep: SigBlk:\t0000000000000000\n"));
	/* No standard signal ignored; glibc's posix_spawn leaves its two internal
	 * real-time signals (32, 33) ignored, which nothing else uses. */
	ign = strstr(log, "hook grep: SigIgn:\t");
	CHECK(ign);
	CHECK_INT(strtoull(ign + strlen("hook grep: SigIgn:\t"), NULL, 16) & 0x7fffffffULL, 0);
	CHECK(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	CHECK(sigprocmask(SIG_SETMASK, &ss, NULL) == 0);
	hooks_free(h);
	sd_event_unref(e);
	check_no_children();
}

struct ticker {
	unsigned ticks;
};

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ticker *t = userdata;

	t->ticks++;
	CHECK(sd_event_source_set_time_relative(s, 50 * USEC_PER_MSEC) >= 0);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/*
 * Two hooks that hang: one ends on SIGTERM at its timeout, one ignores SIGTERM
 * and gets SIGKILL 5 s later. Meanwhile a 50 ms timer keeps firing.
 */
static void test_timeout(void)
{
	_cleanup_free_ char *hang = script("hang.sh", "sleep 1000");
	_cleanup_free_ char *stubborn = script("stubborn.sh", "trap '' TERM\nsleep 1000");
	_cleanup_(sd_event_source_unrefp) sd_event_source *tick = NULL;
	_cleanup_free_ char *log = NULL;
	struct hook_env env = {"ONBATT", "ups1", "msg", NULL};
	struct ticker t = {0};
	struct waiter w;
	uint64_t start;
	sd_event *e;
	struct hooks *h = setup(&e, &w);

	CHECK(sd_event_add_time_relative(e, &tick, CLOCK_MONOTONIC, 50 * USEC_PER_MSEC,
					 /* accuracy= */ 1, on_tick, &t) >= 0);
	log_capture();
	start = now_usec();
	CHECK_INT(hooks_run(h, (char *const[]){hang, NULL}, &env, 300 * USEC_PER_MSEC), 0);
	CHECK_INT(hooks_run(h, (char *const[]){stubborn, NULL}, &env, 300 * USEC_PER_MSEC), 0);
	run_until(&w, 2, 15 * USEC_PER_SEC);
	log = log_release();
	CHECK(WIFSIGNALED(w.status[0]) && WTERMSIG(w.status[0]) == SIGTERM);
	CHECK(WIFSIGNALED(w.status[1]) && WTERMSIG(w.status[1]) == SIGKILL);
	CHECK(w.when[0] - start >= 300 * USEC_PER_MSEC && w.when[0] - start < 1 * USEC_PER_SEC);
	CHECK(w.when[1] - start >= 5300 * USEC_PER_MSEC && w.when[1] - start < 7 * USEC_PER_SEC);
	/* The loop was never blocked: ticks kept coming while the hooks hung. */
	fprintf(stderr, "%u ticks in %.2f s\n", t.ticks, (double)(w.when[1] - start) / 1e6);
	CHECK(t.ticks >= (w.when[1] - start) / (50 * USEC_PER_MSEC) * 8 / 10);
	CHECK(strstr(log, "hook hang.sh: still running after 0.3 s, sending SIGTERM"));
	CHECK(strstr(log, "hook stubborn.sh: still running 5 s after SIGTERM, sending SIGKILL"));
	CHECK(strstr(log, "hook hang.sh: killed by signal 15 (Terminated) after its timeout"));
	CHECK(strstr(log, "hook stubborn.sh: killed by signal 9 (Killed) after its timeout"));
	hooks_free(h);
	sd_event_unref(e);
	check_no_children();
}

static void test_failures(void)
{
	_cleanup_free_ char *fail = script("fail.sh", "exit 3");
	_cleanup_free_ char *noexec = path_of("noexec.sh"), *missing = path_of("missing");
	_cleanup_free_ char *log = NULL;
	char *const bad_extra[] = {"PASSWORD=x", NULL};
	struct hook_env env = {"ONBATT", "ups1", "msg", NULL};
	struct hook_env bad = {"ONBATT", "ups1", "msg", bad_extra};
	struct waiter w;
	sd_event *e;
	struct hooks *h = setup(&e, &w);

	free(script("noexec.sh", "exit 0"));
	CHECK(chmod(noexec, 0644) == 0);
	log_capture();
	CHECK_INT(hooks_run(h, (char *const[]){fail, NULL}, &env, 0), 0);
	CHECK_INT(hooks_run(h, (char *const[]){missing, NULL}, &env, 0), -ENOENT);
	CHECK_INT(hooks_run(h, (char *const[]){noexec, NULL}, &env, 0), -EACCES);
	CHECK_INT(hooks_run(h, (char *const[]){"fail.sh", NULL}, &env, 0), -EINVAL);
	CHECK_INT(hooks_run(h, (char *const[]){NULL}, &env, 0), -EINVAL);
	CHECK_INT(hooks_run(h, (char *const[]){fail, NULL}, &bad, 0), -EINVAL);
	CHECK_INT(hooks_running(h), 1);
	run_until(&w, 1, 10 * USEC_PER_SEC);
	log = log_release();
	CHECK(WIFEXITED(w.status[0]) && WEXITSTATUS(w.status[0]) == 3);
	CHECK(strstr(log, "hook fail.sh: exited with status 3\n"));
	CHECK(strstr(log, "hook missing: cannot run "));
	CHECK(strstr(log, "/missing: No such file or directory\n"));
	CHECK(strstr(log, "hook noexec.sh: cannot run "));
	CHECK(strstr(log, "/noexec.sh: Permission denied\n"));
	CHECK(strstr(log, "hook fail.sh: not an absolute path, not running it\n"));
	CHECK(strstr(log, "environment entry \"PASSWORD=x\" is not UPSAGENT_*=..."));
	CHECK_INT(count_lines(log, "hook missing:"), 1); /* logged once */
	hooks_free(h);
	sd_event_unref(e);
	check_no_children();
}

/* stdout and stderr reach the log line by line, bounded in length and count. */
static void test_output(void)
{
	_cleanup_free_ char *path =
	    script("out.sh", "echo 'line one'\n"
			     "echo 'to stderr' >&2\n"
			     "printf 'esc\\033[31mred\\r\\n'\n"
			     "head -c 3000 /dev/zero | tr '\\0' x; echo\n"
			     "echo after-long\n"
			     "i=0; while [ $i -lt 200 ]; do echo \"flood $i\"; i=$((i+1)); done\n"
			     "printf 'no newline at the end'");
	_cleanup_free_ char *log = NULL, *long_line = NULL;
	struct hook_env env = {"ONBATT", "ups1", "msg", NULL};
	struct waiter w;
	sd_event *e;
	struct hooks *h = setup(&e, &w);

	log_capture();
	CHECK_INT(hooks_run(h, (char *const[]){path, NULL}, &env, 0), 0);
	run_until(&w, 1, 10 * USEC_PER_SEC);
	log = log_release();
	CHECK(strstr(log, "upsagent: hook out.sh: line one\n"));
	CHECK(strstr(log, "upsagent: hook out.sh: to stderr\n"));
	CHECK(strstr(log, "upsagent: hook out.sh: esc?[31mred\n"));
	long_line = malloc(HOOKS_LINE_MAX + 1);
	memset(long_line, 'x', HOOKS_LINE_MAX);
	long_line[HOOKS_LINE_MAX] = '\0';
	CHECK(strstr(log, long_line) && strstr(log, "x [cut]\n"));
	CHECK(!strstr(log, "xxx\n")); /* the rest of the long line is dropped */
	CHECK(strstr(log, "upsagent: hook out.sh: after-long\n"));
	/* 5 lines before the flood, so 95 flood lines fit in the 100. */
	CHECK(strstr(log, "hook out.sh: flood 94\n"));
	CHECK(!strstr(log, "hook out.sh: flood 95\n"));
	CHECK(!strstr(log, "no newline"));
	CHECK_INT(count_lines(log, "upsagent: hook out.sh: "), HOOKS_LINES_MAX + 1);
	CHECK(strstr(log, "hook out.sh: more than 100 lines of output, dropping the rest\n"));
	hooks_free(h);
	sd_event_unref(e);
	check_no_children();
}

/* A last line without a newline is logged when the hook ends. */
static void test_output_partial(void)
{
	_cleanup_free_ char *path = script("partial.sh", "printf 'no newline at the end'");
	_cleanup_free_ char *log = NULL;
	struct hook_env env = {"ONBATT", "ups1", "msg", NULL};
	struct waiter w;
	sd_event *e;
	struct hooks *h = setup(&e, &w);

	log_capture();
	CHECK_INT(hooks_run(h, (char *const[]){path, NULL}, &env, 0), 0);
	run_until(&w, 1, 10 * USEC_PER_SEC);
	log = log_release();
	CHECK(strstr(log, "upsagent: hook partial.sh: no newline at the end\n"));
	hooks_free(h);
	sd_event_unref(e);
	check_no_children();
}

/* 40 at once: 32 run, 8 are refused; the 32 all end once released. */
static void test_bounded(void)
{
	_cleanup_free_ char *go = path_of("go"), *body = NULL, *path = NULL, *log = NULL;
	struct hook_env env = {"ONBATT", "ups1", "msg", NULL};
	unsigned ok = 0, busy = 0;
	struct waiter w;
	sd_event *e;
	struct hooks *h = setup(&e, &w);

	CHECK(asprintf(&body, "while [ ! -e %s ]; do sleep 0.01; done", go) > 0);
	path = script("wait.sh", body);
	log_capture();
	for (int i = 0; i < 40; i++) {
		int r = hooks_run(h, (char *const[]){path, NULL}, &env, 0);

		CHECK(r == 0 || r == -EBUSY);
		if (r == 0)
			ok++;
		else
			busy++;
	}
	CHECK_INT(ok, HOOKS_RUNNING_MAX);
	CHECK_INT(busy, 40 - HOOKS_RUNNING_MAX);
	CHECK_INT(hooks_running(h), HOOKS_RUNNING_MAX);
	free(script("go", "")); /* release them */
	run_until(&w, HOOKS_RUNNING_MAX, 20 * USEC_PER_SEC);
	log = log_release();
	CHECK_INT(count_lines(log, "hook wait.sh: 32 hooks still running, not starting another"),
		  8);
	CHECK_INT(hooks_running(h), 0);
	for (unsigned i = 0; i < w.done; i++)
		CHECK(WIFEXITED(w.status[i]) && WEXITSTATUS(w.status[i]) == 0);
	hooks_free(h);
	sd_event_unref(e);
	check_no_children();
	unlink(go);
}

/* hooks_free() kills what still runs, its whole process group, and reaps it. */
static void test_free_kills(void)
{
	_cleanup_free_ char *path = script("forever.sh", "sleep 1000 & sleep 1000");
	struct hook_env env = {"ONBATT", "ups1", "msg", NULL};
	struct waiter w;
	sd_event *e;
	struct hooks *h = setup(&e, &w);

	CHECK_INT(hooks_run(h, (char *const[]){path, NULL}, &env, 0), 0);
	CHECK_INT(hooks_run(h, (char *const[]){path, NULL}, &env, 0), 0);
	hooks_free(h);
	CHECK_INT(w.done, 0); /* no done callback for hooks that were killed */
	sd_event_unref(e);
	check_no_children();
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	log_set_prefix(false);
	CHECK(mkdtemp(dir));
	TEST_RUN(test_env_and_argv);
	TEST_RUN(test_env_minimal);
	TEST_RUN(test_signals);
	TEST_RUN(test_failures);
	TEST_RUN(test_output);
	TEST_RUN(test_output_partial);
	TEST_RUN(test_bounded);
	TEST_RUN(test_free_kills);
	TEST_RUN(test_timeout);
	CHECK(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0);
	return 0;
}
