/*
 * lr_qstore_breaker.c: what every quota store calls when it fails: the
 * breaker, in shared memory for every child of every generation, that
 * gives up a store (or one memcached server) after a few errors in a row
 * and has one request probe it now and then; and the rate-limited lines
 * of the error log that say so.
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

#include "apr_atomic.h"
#include "apr_shm.h"

#include "lr_qstore.h"
#include "lr_stats.h"

/* The back-off of a given-up store: the first, and the longest it grows
 * to by doubling after each failed probe.
 */
#define LR_QB_BACKOFF_FIRST apr_time_from_sec(1)
#define LR_QB_BACKOFF_MAX   apr_time_from_sec(8)

/* One breaker.  Every field is read and written with atomic operations:
 * children of every generation update it at once, with no lock.
 */
typedef struct {
    apr_uint32_t fails;         /* errors in a row while closed */
    apr_uint32_t down;          /* 1 while given up */
    apr_uint32_t last_log;      /* second of the last LR00044 line */
    apr_uint32_t pad;
    apr_uint64_t backoff;       /* the current back-off, microseconds */
    apr_uint64_t retry_at;      /* while down: no request asks before */
} lr_qbreaker;

#define LR_QB_SPEC_MAX      512
typedef struct {
    apr_uint32_t layout;        /* LR_QB_LAYOUT */
    int n;
    apr_size_t room;            /* bytes of the store's own after b[n] */
    char spec[LR_QB_SPEC_MAX];  /* the store the breakers are for */
    lr_qbreaker b[1];           /* n of them, then the store's room */
} lr_qbreakers;

/* Changed with the segment's header (0x43: the store's room came), so
 * that a graceful restart into another build starts afresh.
 */
#define LR_QB_LAYOUT \
    ((apr_uint32_t)(0x4c514300u | sizeof(lr_qbreaker)))

/* Set in post_config (the parent, before forking), read afterwards. */
static lr_qbreakers *lr_qb;
static const char *const *lr_qb_names;
static const lr_quota_srv *lr_qb_store;
static apr_interval_time_t lr_qb_backoff_max = LR_QB_BACKOFF_MAX;

apr_interval_time_t lr_qstore_timeout(const lr_quota_srv *store)
{
    return (store && store->timeout > 0) ? store->timeout : LR_QSTORE_TIMEOUT;
}

int lr_qstore_may_log(apr_uint32_t *last)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
    apr_uint32_t old = apr_atomic_read32(last);

    return now - old >= LR_QS_LOG_EVERY
           && apr_atomic_cas32(last, now, old) == old;
}

/* In the process pool, so that a graceful restart finds the breakers as
 * the old generation left them (its children go on using them).  Made
 * anew when the store changed: the old one's state says nothing of it.
 * The store's room comes after the breakers, 8-byte aligned (a breaker's
 * size is a multiple of 8).
 */
apr_status_t lr_qbreaker_init(apr_pool_t *pconf, server_rec *s,
                              const lr_quota_srv *store,
                              const char *const *names, int n,
                              apr_size_t room,
                              apr_interval_time_t backoff_max)
{
    static const char *const userdata_key = "length_required_qbreakers";
    apr_pool_t *proc = s->process->pool;
    apr_shm_t *shm = NULL;
    apr_size_t size;
    apr_status_t rv;

    lr_qb = NULL;
    lr_qb_names = names;
    lr_qb_store = store;
    lr_qb_backoff_max = backoff_max > 0 ? backoff_max : LR_QB_BACKOFF_MAX;
    room = APR_ALIGN(room, 8);
    apr_pool_userdata_get((void **)&shm, userdata_key, proc);
    if (shm) {
        lr_qbreakers *old = apr_shm_baseaddr_get(shm);

        if (n && old->layout == LR_QB_LAYOUT && old->n == n
            && old->room == room
            && !strncmp(old->spec, store->spec, LR_QB_SPEC_MAX - 1)) {
            lr_qb = old;
            return APR_SUCCESS;
        }
        apr_pool_userdata_set(NULL, userdata_key, apr_pool_cleanup_null,
                              proc);
        apr_shm_destroy(shm);
    }
    if (!n) {
        return APR_SUCCESS;
    }
    size = APR_OFFSETOF(lr_qbreakers, b) + n * sizeof(lr_qbreaker) + room;
    rv = apr_shm_create(&shm, size, NULL, proc);
    if (rv != APR_SUCCESS) {
        /* Each child then keeps breakers of its own: a store that is
         * down costs each child a few timeouts instead of the server.
         */
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     "LR00052: cannot create shared memory for the quota "
                     "store's breakers; each child gives the store up on "
                     "its own");
        lr_qb = apr_pcalloc(pconf, size);
    }
    else {
        lr_qb = apr_shm_baseaddr_get(shm);
        memset(lr_qb, 0, size);
        apr_pool_userdata_set(shm, userdata_key, apr_pool_cleanup_null,
                              proc);
    }
    lr_qb->layout = LR_QB_LAYOUT;
    lr_qb->n = n;
    lr_qb->room = room;
    apr_cpystrn(lr_qb->spec, store->spec, LR_QB_SPEC_MAX);
    return APR_SUCCESS;
}

/* The one place where a breaker goes down or up: its log line and its
 * count.  (The up/down state is what lr_qstore_up() reports.)
 */
static void lr_qbreaker_changed(request_rec *r, int i, int up,
                                apr_status_t rv, const char *what)
{
    lr_stats_gauge_set(LR_G_QUOTA_STORE_UP, lr_qbreaker_all_up());
    if (up) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      "LR00051: quota store %s answers again: requests are "
                      "charged", lr_qb_names[i]);
        return;
    }
    lr_count(r, LR_C_QUOTA_GIVEN_UP);
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                  "LR00050: quota store %s given up after %d errors in a "
                  "row (the last: %s): requests %s without asking it, and "
                  "one request asks it again after %" APR_TIME_T_FMT " s "
                  "(fail=%s)", lr_qb_names[i], LR_QB_TRIES, what,
                  lr_qb_store->fail_closed ? "are refused with 503"
                                           : "pass uncharged",
                  apr_time_sec(LR_QB_BACKOFF_FIRST),
                  lr_qb_store->fail_closed ? "closed" : "open");
}

int lr_qbreaker_allow(int i)
{
    lr_qbreaker *b;
    apr_time_t now;
    apr_uint64_t at;

    if (!lr_qb || i >= lr_qb->n) {
        return LR_QB_ASK;
    }
    b = &lr_qb->b[i];
    if (!apr_atomic_read32(&b->down)) {
        return LR_QB_ASK;
    }
    now = apr_time_now();
    at = apr_atomic_read64(&b->retry_at);
    if ((apr_uint64_t)now < at) {
        return 0;
    }
    /* The first request past the back-off is the probe: it moves the time
     * on, so that the others meet the fail mode until it has an answer
     * (or until the next back-off, if its child never gives one).
     */
    return apr_atomic_cas64(&b->retry_at,
                            now + apr_atomic_read64(&b->backoff), at) == at
           ? LR_QB_PROBE : 0;
}

void lr_qbreaker_ok(request_rec *r, int i)
{
    lr_qbreaker *b;

    if (!lr_qb || i >= lr_qb->n) {
        return;
    }
    b = &lr_qb->b[i];
    if (apr_atomic_read32(&b->fails)) {
        apr_atomic_set32(&b->fails, 0);
    }
    if (apr_atomic_read32(&b->down)
        && apr_atomic_cas32(&b->down, 0, 1) == 1) {
        lr_qbreaker_changed(r, i, 1, APR_SUCCESS, NULL);
    }
}

void lr_qbreaker_failed(request_rec *r, int i, int asked, apr_status_t rv,
                        const char *what)
{
    const char *name = (lr_qb_names && lr_qb && i < lr_qb->n)
                       ? lr_qb_names[i] : "(none)";
    lr_qbreaker *b;
    apr_uint64_t backoff;

    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r, "quota store %s: %s",
                  name, what);
    if (!lr_qb || i >= lr_qb->n) {
        return;
    }
    b = &lr_qb->b[i];
    if (apr_atomic_read32(&b->down)) {
        /* A request that asked before the store was given up says
         * nothing new; a failed probe makes the next one wait twice as
         * long, up to the longest.
         */
        if (asked != LR_QB_PROBE) {
            return;
        }
        backoff = 2 * apr_atomic_read64(&b->backoff);
        if (backoff > (apr_uint64_t)lr_qb_backoff_max) {
            backoff = lr_qb_backoff_max;
        }
        apr_atomic_set64(&b->backoff, backoff);
        apr_atomic_set64(&b->retry_at, apr_time_now() + backoff);
        return;
    }
    if (apr_atomic_inc32(&b->fails) + 1 >= LR_QB_TRIES) {
        /* The back-off is in place before the breaker is seen down, so
         * that no request probes on an old one; a child that loses the
         * race to give it up wrote the same values.
         */
        apr_atomic_set64(&b->backoff, LR_QB_BACKOFF_FIRST);
        apr_atomic_set64(&b->retry_at, apr_time_now() + LR_QB_BACKOFF_FIRST);
        if (apr_atomic_cas32(&b->down, 1, 0) == 0) {
            apr_atomic_set32(&b->fails, 0);
            lr_qbreaker_changed(r, i, 0, rv, what);
            return;
        }
    }
    if (lr_qstore_may_log(&b->last_log)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "LR00044: quota store %s: %s; requests %s "
                      "(fail=%s; at most one such line per %d s)", name,
                      what, lr_qb_store->fail_closed ? "are refused with 503"
                                                     : "pass uncharged",
                      lr_qb_store->fail_closed ? "closed" : "open",
                      LR_QS_LOG_EVERY);
    }
}

void *lr_qbreaker_room(void)
{
    return (lr_qb && lr_qb->room) ? (void *)&lr_qb->b[lr_qb->n] : NULL;
}

int lr_qbreaker_all_up(void)
{
    int i;

    for (i = 0; lr_qb && i < lr_qb->n; i++) {
        if (apr_atomic_read32(&lr_qb->b[i].down)) {
            return 0;
        }
    }
    return 1;
}
