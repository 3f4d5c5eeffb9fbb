/*
 * lr_stats.h: the counters of mod_length_required (lr_stats.c): what the
 * request core counts with, and what shows them.
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

#ifndef LR_STATS_H
#define LR_STATS_H

#include "lr_private.h"
#include "scoreboard.h"

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(hidden)
#endif

/* The counters, in the order of their mod_status keys. */
typedef enum {
    LR_C_JUDGED = 0,
    LR_C_MISSING,
    LR_C_CHUNKED,
    LR_C_TOO_LARGE,
    LR_C_STREAM,
    LR_C_WOULD,
    LR_C_STRICT,
    LR_C_STREAM_CUT,
    LR_C_BUFFERED,              /* bodies buffered (Chunked Buffer) */
    LR_C_BUFFERED_FILE,         /* ... of which spilled to a file */
    LR_C_QUOTA,                 /* 429: an upload budget was spent */
    LR_C_QUOTA_STORE,           /* the quota store failed or timed out */
    LR_C_UPLOAD_MAX,            /* a resumable upload refused (413, 400) */
    LR_C_QUOTA_GIVEN_UP,        /* ... and was given up by the breaker */
    LR_C_COUNT
} lr_counter_e;

/* One atomic add.  With GCC's builtins (what APR itself uses on x86-64
 * and aarch64 Linux) it is one locked instruction in line, rather than a
 * call into APR; elsewhere APR's own, which falls back to a mutex where the
 * CPU has no 64-bit atomics.
 */
#if defined(__GNUC__) && defined(__ATOMIC_RELAXED)
#define LR_INC64(p)     __atomic_fetch_add((p), 1, __ATOMIC_RELAXED)
#else
#include "apr_atomic.h"
#define LR_INC64(p)     apr_atomic_inc64(p)
#endif

/* The totals in shared memory (LR_C_COUNT of them), set in post_config;
 * NULL where the shared memory could not be had (nothing is counted).
 */
extern apr_uint64_t *lr_stats_total;

/* One more of counter c, in all and for the request's virtual host (if
 * it has a slot of its own).  In line: every judged request counts.
 */
static APR_INLINE void lr_count(const request_rec *r, lr_counter_e c)
{
    const lr_srv_conf *sconf = ap_get_module_config(r->server->module_config,
                                                    &length_required_module);

    if (lr_stats_total) {
        LR_INC64(&lr_stats_total[c]);
        if (sconf->counts) {
            LR_INC64(&sconf->counts[c]);
        }
    }
}

/* Startup: the shared memory, attached and given a slot per host in
 * post_config, zeroed on a full start in pre_mpm.
 */
int lr_stats_post_config(apr_pool_t *ptemp, server_rec *s);
int lr_stats_pre_mpm(apr_pool_t *p, ap_scoreboard_e sb_type);

/* The hosts the status page lists, each counter slot once, in the order
 * of the configuration: those whose configuration files turn the policy
 * On or LogOnly, and those that counted something anyway.  mod_status's
 * rows and the metrics handler both walk them with this, so that the two
 * always list the same hosts with the same figures:
 *
 *     lr_stats_hosts it;
 *     apr_uint64_t count[LR_C_COUNT];
 *     const char *key;
 *
 *     if (lr_stats_hosts_start(&it, r->pool)) {
 *         while ((key = lr_stats_hosts_next(&it, count))) { ... }
 *     }
 */
typedef struct {
    apr_pool_t *pool;           /* for the keys */
    server_rec *next;           /* the next host to look at */
    char *seen;                 /* per slot: listed already */
} lr_stats_hosts;

/* 0 where there are no counters (no shared memory): nothing to list. */
int lr_stats_hosts_start(lr_stats_hosts *it, apr_pool_t *p);
/* The next host listed: its key "name:port" (a copy in the walk's pool),
 * and its LR_C_COUNT counters, each read once from the shared memory,
 * with no lock, into count.  NULL after the last.
 */
const char *lr_stats_hosts_next(lr_stats_hosts *it, apr_uint64_t *count);

/* The totals over every host, each read once, into count; 0 where there
 * are no counters.
 */
int lr_stats_totals(apr_uint64_t *count);

/* Gauges: one value each for the whole server, in the same shared memory,
 * which any process may set at any time (the last value set is the one
 * read).  Not per host: what they say belongs to the server.
 */
typedef enum {
    LR_G_QUOTA_STORE_UP = 0,    /* 1 while the quota store answers, 0
                                 * while it is given up */
    LR_G_COUNT
} lr_gauge_e;

/* post_config (the parent, before the children exist): gauge g is shown
 * in this generation of the configuration, starting at v.  At each start
 * and restart every gauge is hidden again until this is called for it,
 * after lr_stats_post_config.
 */
void lr_stats_gauge_show(lr_gauge_e g, apr_int64_t v);
/* Sets gauge g: in any process, at any time after lr_stats_post_config
 * and lr_stats_gauge_show (post_config included). */
void lr_stats_gauge_set(lr_gauge_e g, apr_int64_t v);
/* Whether gauge g is shown in this generation, and its value in *v. */
int lr_stats_gauge_get(lr_gauge_e g, apr_int64_t *v);

/* mod_status's hook: the table, or the ?auto lines. */
int lr_status_hook(request_rec *r, int flags);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#endif /* LR_STATS_H */
