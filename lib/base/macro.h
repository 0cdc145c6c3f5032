/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by every module: cleanup attributes and array sizes. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno; /* close() must not clobber the caller's errno */
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_free_	_cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

#define INT_TO_PTR(i) ((void *)(intptr_t)(i))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand a pointer over to a new owner: returns it and clears the old slot. */
#define TAKE_PTR(p)                                                                                \
	__extension__({                                                                            \
		__typeof__(p) _ptr_ = (p);                                                         \
		(p) = NULL;                                                                        \
		_ptr_;                                                                             \
	})

#define TAKE_FD(fd)                                                                                \
	__extension__({                                                                            \
		int _fd_ = (fd);                                                                   \
		(fd) = -1;                                                                         \
		_fd_;                                                                              \
	})

#define USEC_PER_SEC  1000000ULL
#define USEC_PER_MSEC 1000ULL

/* Overwrite secrets in a way the compiler may not drop as a dead store. */
static inline void explicit_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}
