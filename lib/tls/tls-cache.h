/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS credentials shared between sessions. A thousand ups sections that
 * trust the same CA file, or the system trust store, load it once: each load
 * parses every certificate in it (Debian's system store: ~3.7 MB and ~20 ms
 * per load, measured with bench/scale).
 *
 * An entry is found by its options and by the identity of every file it
 * read (device, inode, size, modification time), so after a reload a file
 * that changed is read again, while sessions made before keep the
 * credentials they hold until they go. For the system trust store, the file
 * that stands for it is TLS_CACHE_SYSTEM_TRUST_FILE.
 *
 * Not thread-safe: the agent's one event loop is its only user.
 */
#pragma once

#include <stddef.h>

#include "tls.h"

#define TLS_CACHE_SYSTEM_TRUST_FILE "/etc/ssl/certs/ca-certificates.crt"

/* As tls_creds_new(), but shared: every get is matched by one put. */
int tls_cache_get(const struct tls_options *o, struct tls_creds **ret, char *err, size_t errlen);
/* Drops one reference; the last one frees the credentials. Returns NULL. */
struct tls_creds *tls_cache_put(struct tls_creds *c);
/* How many distinct credentials are loaded now (for tests). */
size_t tls_cache_size(void);
