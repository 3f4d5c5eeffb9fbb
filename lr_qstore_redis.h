/*
 * lr_qstore_redis.h: what the Redis store's two files share: the store's
 * configuration (where the servers are, who to say we are), which
 * lr_qstore_redis.c reads from LengthRequiredQuotaStore, and the
 * connections that lr_qstore_redis_conn.c makes from it.
 *
 * Copyright 2026 The mod_length_required authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may
 * not use this file except in compliance with the License.  You may obtain
 * a copy of the License in the LICENSE file at the top of this source tree
 * or at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

#ifndef LR_QSTORE_REDIS_H
#define LR_QSTORE_REDIS_H

#include <hiredis/hiredis.h>

#include "lr_qstore.h"

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(hidden)
#endif

/* Where a server is. */
typedef struct {
    const char *host;           /* NULL for a Unix socket */
    apr_port_t port;
    const char *path;           /* the socket, or NULL */
    const char *name;           /* host:port, [host]:port or the path:
                                 * for messages */
} lr_redis_addr;

/* What a new connection says before anything else: AUTH [user] password,
 * where there is a password.
 */
typedef struct {
    const char *user;           /* NULL: AUTH password alone */
    const char *password;       /* NULL: no AUTH */
} lr_redis_auth;

/* The Redis store's configuration.  Everything that a connection needs
 * before its first command belongs here, and is used by
 * lr_redis_connect() alone.
 */
typedef struct {
    lr_redis_addr server;       /* redis: */
    lr_redis_addr *sentinels;   /* redis-sentinel: nsentinels of them */
    int nsentinels;
    const char *master;         /* redis-sentinel: the master's name */
    int db;                     /* SELECT db; -1: none */
    lr_redis_auth auth;         /* to the server, or the master */
    lr_redis_auth sentinel_auth;    /* to the sentinels */
} lr_redis_conf;

/*
 * lr_qstore_redis_conn.c: connections, and with Sentinel which server is
 * the master.
 */

/* The server a connection is to, for messages. */
const char *lr_redis_server(apr_pool_t *p, const redisContext *ctx);

/* Parent, per generation: the store's breaker, and with Sentinel the
 * master found, in shared memory beside it for every child.
 */
apr_status_t lr_redis_shared_init(apr_pool_t *pconf, server_rec *s,
                                  const lr_quota_srv *store);

/* With Sentinel: the version of the master found (it moves on with each
 * new master; odd while a child writes a new one).  A connection made for
 * another version is to a server that may not be the master any more.
 */
apr_uint32_t lr_redis_master_version(void);

/* A new connection for the store's scripts, authenticated and in its
 * database, set up before the deadline: to the server, or with Sentinel
 * to the master (*version: the version it was made for; 0 without
 * Sentinel), the sentinels asked first with ask, else only when the
 * master last found is not one any more.  NULL and *why (naming the step
 * that failed and the server, never a password) when none can be made.
 */
redisContext *lr_redis_open(request_rec *r, const lr_quota_srv *store,
                            apr_time_t deadline, int ask,
                            apr_uint32_t *version, const char **why);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#endif /* LR_QSTORE_REDIS_H */
