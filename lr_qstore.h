/*
 * lr_qstore.h: what the quota stores share with lr_quota_store.c, which
 * drives them, and with lr_qstore_breaker.c, which they all call: the
 * provider each store file offers (as httpd's socache providers are), and
 * the breaker and the rate-limited log line.
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

#ifndef LR_QSTORE_H
#define LR_QSTORE_H

#include "lr_quota.h"

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(hidden)
#endif

/* The timeout of every store operation when timeout= is not given. */
#define LR_QSTORE_TIMEOUT   apr_time_from_msec(100)

/*
 * One store: lr_qstore_shm.c, lr_qstore_memcache.c, lr_qstore_redis.c
 * (redis and redis-sentinel).
 * lr_quota_store.c parses LengthRequiredQuotaStore up to the provider's
 * name and its own options (timeout=, fail=), and hands the provider the
 * rest; at request time it calls reserve and refund of the provider in
 * force.
 */
typedef struct lr_qstore_provider {
    const char *name;           /* before the ':' of the spec */
    const char *syntax;         /* for messages: "redis:host:port" */
    int has_address;            /* "name:address" (shm has none) */

    /* What follows "name:", into store->store_conf (cmd->pool).  NULL, or
     * an error that names the directive.
     */
    const char *(*parse)(cmd_parms *cmd, lr_quota_srv *store,
                         const char *address);
    /* An option word of the provider's own ("db=3"): 0 when it is not
     * one, 1 when it is, with *err NULL or what is wrong with it.  NULL:
     * the provider takes none.
     */
    int (*option)(cmd_parms *cmd, lr_quota_srv *store, const char *word,
                  const char **err);
    const char *options;        /* the provider's own, for messages */
    /* Once every word is read: NULL, or what the options lack together
     * (an error that names the directive).  NULL: nothing to check.
     */
    const char *(*finish)(cmd_parms *cmd, lr_quota_srv *store);
    /* Whether budget q can be counted (NULL, or why not); NULL: any. */
    const char *(*check)(const lr_quota_srv *store, const lr_quota *q,
                         apr_pool_t *p);
    /* Per generation in the parent, and per child.  Only shm's init is
     * also called with store NULL, where the shm store is not in use: it
     * lets go of a table an earlier generation made (the others keep
     * nothing of their own across generations beside the breakers, which
     * lr_qstore_init lets go of).
     */
    apr_status_t (*init)(apr_pool_t *pconf, server_rec *s,
                         const lr_quota_srv *store);
    void (*child_init)(apr_pool_t *pchild, server_rec *s,
                       const lr_quota_srv *store);
    /* lr_qstore_reserve and lr_qstore_refund (lr_quota.h). */
    lr_qs_result (*reserve)(request_rec *r, lr_qop *ops, int nops,
                            int *over);
    void (*refund)(request_rec *r, lr_qop *ops, int nops);
} lr_qstore_provider;

extern const lr_qstore_provider lr_qstore_shm;
extern const lr_qstore_provider lr_qstore_memcache;
extern const lr_qstore_provider lr_qstore_redis;
extern const lr_qstore_provider lr_qstore_redis_sentinel;

/*
 * lr_qstore_breaker.c: a breaker for each thing a store asks (the Redis
 * server, each memcached server), in shared memory for every child of
 * every generation.  After LR_QB_TRIES consecutive errors or timeouts the
 * thing is given up: it is not asked for a back-off (1 s, doubled after
 * each failed probe up to 8 s), and a request that would ask it meets the
 * fail mode at once; then one request probes it, and its answer closes
 * the breaker or opens it again.
 */
#define LR_QB_TRIES         3

/* Parent, per generation: n breakers named names[i] (for the log), for
 * store, and room bytes of the store's own beside them in the same
 * shared memory (lr_qbreaker_room); their state carries over a graceful
 * restart that keeps the store as it was, and starts afresh (zeroed)
 * otherwise.  backoff_max: the longest back-off (at least 1 s; 0: 8 s).
 */
apr_status_t lr_qbreaker_init(apr_pool_t *pconf, server_rec *s,
                              const lr_quota_srv *store,
                              const char *const *names, int n,
                              apr_size_t room,
                              apr_interval_time_t backoff_max);

/* The store's room (8-byte aligned), for every child of every generation
 * that keeps the store; NULL when the store asked for none.
 */
void *lr_qbreaker_room(void);

/* Whether breaker i lets the request ask: LR_QB_ASK (it is closed),
 * LR_QB_PROBE (it is open and this request is the one to try), or 0
 * (given up: the fail mode applies).
 */
#define LR_QB_ASK           1
#define LR_QB_PROBE         2
int lr_qbreaker_allow(int i);

/* What the asking found: an answer (over or not), or an error or timeout
 * (logged here: one LR00044 line per breaker per 10 s, and the lines of
 * giving up and coming back); asked is what lr_qbreaker_allow() said.
 */
void lr_qbreaker_ok(request_rec *r, int i);
void lr_qbreaker_failed(request_rec *r, int i, int asked, apr_status_t rv,
                        const char *what);

/* Whether every breaker is closed (lr_qstore_up). */
int lr_qbreaker_all_up(void);

/* The store's timeout and fail mode, for the stores' own use. */
apr_interval_time_t lr_qstore_timeout(const lr_quota_srv *store);

/* At most one line per LR_QS_LOG_EVERY seconds across every child, with
 * *last (in shared memory) the second of the last one.
 */
#define LR_QS_LOG_EVERY     10
int lr_qstore_may_log(apr_uint32_t *last);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#endif /* LR_QSTORE_H */
