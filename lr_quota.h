/*
 * lr_quota.h: what the files of upload quotas share, and no other file
 * needs: budgets, their configuration, and the store interface
 * (lr_quota_conf.c reads them, lr_quota.c charges them, lr_quota_store.c
 * has them counted by one of the stores, lr_qstore_*.c).
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

#ifndef LR_QUOTA_H
#define LR_QUOTA_H

#include "ap_expr.h"

#include "lr_features.h"

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(hidden)
#endif

/* One LengthRequiredQuota line. */
typedef struct lr_quota {
    const char *name;
    apr_off_t size;             /* bytes per window */
    apr_int64_t period;         /* seconds */
    const ap_expr_info_t *key;  /* NULL with off */
    const char *key_text;
    int off;                    /* "name Off": removes the inherited one */
    int after_auth;             /* the key names the authenticated user:
                                 * charged in fixups, after httpd's auth */
    int key_is_addr;            /* the key is "%{REMOTE_ADDR}" (the
                                 * default): read without ap_expr */
    const char *key_prefix;     /* "lrq:NAME:PERIOD:", its store keys'
                                 * start (lr_quota.c) */
    apr_size_t key_prefix_len;
} lr_quota;

/* The quotas of a scope: every budget in force (after a merge), or what
 * the scope's own lines add, replace and remove (before it).
 */
typedef struct lr_quota_dir {
    apr_array_header_t *quotas; /* lr_quota *, or NULL */
    int headers;                /* LengthRequiredQuotaHeaders, -1 unset */
} lr_quota_dir;

/* What a store operation found. */
typedef enum {
    LR_QS_OK = 0,               /* charged */
    LR_QS_OVER,                 /* would pass the size: nothing charged */
    LR_QS_ERROR                 /* the store failed, timed out, or is
                                 * given up for now */
} lr_qs_result;

struct lr_qstore_provider;

/* LengthRequiredQuotaStore and LengthRequiredQuotaEntries (read from the
 * main server's only), and the budgets a virtual host's sections declare.
 */
typedef struct lr_quota_srv {
    const struct lr_qstore_provider *provider;  /* shm, memcache, redis */
    void *store_conf;           /* the provider's own: servers, options */
    const char *spec;           /* as written, for the log */
    apr_interval_time_t timeout;    /* -1 unset */
    int fail_closed;
    int entries;                /* -1 unset */
    /* Every budget declared in this virtual host's sections, for the
     * startup checks against what the store can hold.
     */
    apr_array_header_t *budgets;    /* const lr_quota * */
} lr_quota_srv;

/*
 * lr_quota_store.c: where the budgets are counted (shm, memcached, Redis),
 * behind one small interface; what the request side calls.
 */

/* One operation on one budget's window for one key value.  The window's
 * expiry is relative (ttl), so that the store's own clock ends it, however
 * far the store's clock is from the web server's.
 */
typedef struct {
    const char *key;            /* lrq:NAME:PERIOD:WINDOW:v... (lr_quota.c) */
    apr_off_t n;                /* bytes to charge or to give back */
    apr_off_t size;             /* reserve: the budget's size */
    apr_int64_t ttl;            /* reserve: seconds the window has left, at
                                 * least 1 */
    apr_int64_t now;            /* Unix seconds the ttl counts from (the
                                 * shm store, on this machine's clock,
                                 * need not read the clock again) */
    apr_off_t used;             /* reserve: the window's count with the
                                 * charge, or without it where over */
} lr_qop;

/* Charges every op, all or nothing where the store can (one lock, one
 * script); a store that cannot (memcached) undoes what it charged.
 * LR_QS_OVER: nothing is charged, and *over is an op that would pass its
 * size.  LR_QS_ERROR: nothing is charged (the store failed, timed out, or
 * is given up for now); the store has logged it.
 */
lr_qs_result lr_qstore_reserve(request_rec *r, lr_qop *ops, int nops,
                               int *over);

/* Gives back what the ops say (key, n and now), never below 0; a failure
 * is logged.
 */
void lr_qstore_refund(request_rec *r, lr_qop *ops, int nops);

/* fail=closed: a request the store cannot charge is refused. */
int lr_qstore_fail_closed(void);

/* Whether the store answers: 0 while the breaker holds it (or one of its
 * servers) given up, 1 otherwise.
 */
int lr_qstore_up(void);

/* Configuration: the server's quota part (made on first use; the
 * budgets are lr_quota_conf.c's, the store's fields lr_quota_store.c's),
 * and the store in force (the main server's, or the default shm).
 */
lr_quota_srv *lr_qstore_srv_conf(server_rec *s, apr_pool_t *p);
const lr_quota_srv *lr_qstore_main(server_rec *s);

/* Startup: whether the store can count budget q (NULL, or why not), and
 * its set-up per generation (used: some host declares a budget) and per
 * child.
 */
const char *lr_qstore_check(const lr_quota_srv *store, const lr_quota *q,
                            apr_pool_t *p);
apr_status_t lr_qstore_init(apr_pool_t *pconf, server_rec *s,
                            const lr_quota_srv *store, int used);
void lr_qstore_child_init(apr_pool_t *pchild, server_rec *s);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#endif /* LR_QUOTA_H */
