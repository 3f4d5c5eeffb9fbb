/*
 * lr_quota_store.c: where upload budgets are counted: a table in shared
 * memory (one machine), memcached (APR-util's client) or Redis (hiredis),
 * behind reserve and refund, each one atomic operation on the store.
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
#include "apr_global_mutex.h"
#include "apr_memcache.h"
#include "apr_reslist.h"
#include "apr_sha1.h"
#include "apr_shm.h"

#include <hiredis/hiredis.h>

#include "lr_quota.h"
#include "ap_mpm.h"
#include "http_core.h"
#include "http_main.h"
#include "util_mutex.h"

#define LR_QUOTA_MUTEX      "length-required-quota"
#define LR_QS_PROBE         16      /* shm: slots a key may live in */
#define LR_QS_LOG_EVERY     10      /* seconds between error-log lines */

/* memcached's counters, through APR-util, are 32 bits wide and a step is
 * a signed 32-bit number: a budget under 2 GiB is counted in bytes,
 * a larger one in KiB (charges rounded up to whole KiB), and one that
 * would need more than 2^31 KiB is refused at startup.
 */
#define LR_MC_MAX_UNITS     ((apr_off_t)APR_INT32_MAX)

/* One budget's window for one key in the shm table.  Store keys are at
 * most 4 + 64 + 1 + 7 + 1 + 10 + 2 + 48 bytes (lr_quota.c).
 */
#define LR_QS_KEY_MAX       144
typedef struct {
    apr_int64_t expires;        /* window end, Unix seconds; 0: free */
    apr_int64_t used;           /* bytes charged */
    char key[LR_QS_KEY_MAX];    /* the store key */
} lr_qentry;

typedef struct {
    apr_uint32_t last_error_log;    /* Unix seconds, for the rate limit */
    apr_uint32_t last_full_log;
    int nentries;
    lr_qentry entry[1];             /* nentries of them */
} lr_qshared;

/* Set in post_config (the parent, before forking) and child_init, read
 * afterwards; what they point to lives in pools or shared memory.
 */
static const lr_quota_srv *lr_qs_conf;
static lr_qshared *lr_qs_shm;
static apr_global_mutex_t *lr_qs_mutex;
static apr_memcache_t *lr_qs_mc;
static apr_reslist_t *lr_qs_redis;
static apr_uint32_t lr_qs_redis_gen;    /* bumped on every Redis error */
static void lr_redis_sha_init(void);
static apr_uint32_t lr_qs_local_log;    /* if the shared memory is missing */

static const char *const lr_qs_kind_name[] = {"shm", "memcache", "redis"};

static apr_interval_time_t lr_qs_timeout(void)
{
    return (lr_qs_conf->timeout > 0) ? lr_qs_conf->timeout
                                     : apr_time_from_msec(100);
}

int lr_qstore_fail_closed(void)
{
    return lr_qs_conf && lr_qs_conf->fail_closed;
}

/* At most one line per LR_QS_LOG_EVERY seconds across every child. */
static int lr_qs_may_log(apr_uint32_t *last)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
    apr_uint32_t old = apr_atomic_read32(last);

    return now - old >= LR_QS_LOG_EVERY
           && apr_atomic_cas32(last, now, old) == old;
}

static void lr_qs_error(request_rec *r, apr_status_t rv, const char *what)
{
    apr_uint32_t *last = lr_qs_shm ? &lr_qs_shm->last_error_log
                                   : &lr_qs_local_log;

    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r, "quota store %s: %s",
                  lr_qs_conf->spec, what);
    if (lr_qs_may_log(last)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "LR00044: quota store %s: %s; requests %s "
                      "(fail=%s; at most one such line per %d s)",
                      lr_qs_conf->spec, what,
                      lr_qs_conf->fail_closed ? "are refused with 503"
                                              : "pass uncharged",
                      lr_qs_conf->fail_closed ? "closed" : "open",
                      LR_QS_LOG_EVERY);
    }
}

const char *lr_qstore_check(const lr_quota_srv *store, apr_off_t size)
{
    if (store->kind == LR_STORE_MEMCACHE && size > LR_MC_MAX_UNITS * 1024) {
        return "memcached's 32-bit counters hold (2T - 1K) with "
               "LengthRequiredQuotaStore memcache:";
    }
    return NULL;
}

/*
 * Startup
 */

static apr_status_t lr_qs_shm_attach(server_rec *s, int nentries)
{
    apr_pool_t *proc = s->process->pool;
    const char *key = apr_psprintf(proc, "length_required_quota_shm_%d",
                                   nentries);
    apr_shm_t *shm = NULL;
    apr_size_t size;
    apr_status_t rv;

    /* In the process pool, so budgets survive a graceful restart that
     * keeps the table's size.
     */
    apr_pool_userdata_get((void **)&shm, key, proc);
    if (shm) {
        lr_qs_shm = apr_shm_baseaddr_get(shm);
        return APR_SUCCESS;
    }
    size = APR_OFFSETOF(lr_qshared, entry) + nentries * sizeof(lr_qentry);
    rv = apr_shm_create(&shm, size, NULL, proc);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "LR00045: cannot create shared memory for %d quota "
                     "entries", nentries);
        return rv;
    }
    lr_qs_shm = apr_shm_baseaddr_get(shm);
    memset(lr_qs_shm, 0, size);
    lr_qs_shm->nentries = nentries;
    apr_pool_userdata_set(shm, key, apr_pool_cleanup_null, proc);
    return APR_SUCCESS;
}

apr_status_t lr_qstore_init(apr_pool_t *pconf, server_rec *s,
                            const lr_quota_srv *store, int used)
{
    int shm = (store->kind == LR_STORE_SHM && used);
    apr_status_t rv;

    lr_qs_conf = store;
    lr_qs_shm = NULL;
    lr_qs_mutex = NULL;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return APR_SUCCESS;         /* httpd's preflight pass */
    }
    /* The rate limit of the error log lives here for every store; the
     * table only for shm.
     */
    rv = lr_qs_shm_attach(s, shm ? (store->entries > 0 ? store->entries
                                                        : 10000) : 0);
    if (rv != APR_SUCCESS || !shm) {
        return rv;
    }
    rv = ap_global_mutex_create(&lr_qs_mutex, NULL, LR_QUOTA_MUTEX, NULL,
                                s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "LR00046: cannot create the quota table's mutex");
    }
    return rv;
}

/* A pooled Redis connection, and the error generation it was made in:
 * after an error every connection made before it is dropped, so a store
 * that restarted is not met with stale connections one by one.
 */
typedef struct {
    redisContext *ctx;
    apr_uint32_t gen;
} lr_redis_conn;

static apr_status_t lr_redis_make(void **res, void *params, apr_pool_t *p)
{
    const char *hostport = params;
    const char *colon = strrchr(hostport, ':');
    const char *host = apr_pstrmemdup(p, hostport, colon - hostport);
    apr_interval_time_t t = lr_qs_timeout();
    struct timeval tv;
    redisContext *ctx;

    tv.tv_sec = apr_time_sec(t);
    tv.tv_usec = apr_time_usec(t);
    ctx = redisConnectWithTimeout(host, atoi(colon + 1), tv);
    if (!ctx || ctx->err) {
        if (ctx) {
            redisFree(ctx);
        }
        return APR_ECONNREFUSED;
    }
    /* Every command waits at most the timeout too. */
    redisSetTimeout(ctx, tv);
    *res = apr_palloc(p, sizeof(lr_redis_conn));
    ((lr_redis_conn *)*res)->ctx = ctx;
    ((lr_redis_conn *)*res)->gen = apr_atomic_read32(&lr_qs_redis_gen);
    return APR_SUCCESS;
}

static apr_status_t lr_redis_free(void *res, void *params, apr_pool_t *p)
{
    redisFree(((lr_redis_conn *)res)->ctx);
    return APR_SUCCESS;
}

void lr_qstore_child_init(apr_pool_t *pchild, server_rec *s)
{
    int threads = 1, i;

    if (!lr_qs_conf) {
        return;
    }
    if (lr_qs_mutex) {
        apr_global_mutex_child_init(&lr_qs_mutex,
                                    apr_global_mutex_lockfile(lr_qs_mutex),
                                    pchild);
    }
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    if (threads < 1) {
        threads = 1;
    }
    if (lr_qs_conf->kind == LR_STORE_MEMCACHE) {
        apr_memcache_create(pchild, lr_qs_conf->hosts->nelts, 0, &lr_qs_mc);
        for (i = 0; i < lr_qs_conf->hosts->nelts; i++) {
            const char *hp = APR_ARRAY_IDX(lr_qs_conf->hosts, i,
                                           const char *);
            const char *colon = strrchr(hp, ':');
            apr_memcache_server_t *ms;

            if (apr_memcache_server_create(pchild,
                    apr_pstrmemdup(pchild, hp, colon - hp), atoi(colon + 1),
                    0, threads, threads, 60 * APR_USEC_PER_SEC, &ms)
                == APR_SUCCESS) {
                apr_memcache_add_server(lr_qs_mc, ms);
            }
        }
    }
    else if (lr_qs_conf->kind == LR_STORE_REDIS) {
        lr_redis_sha_init();
        /* One connection per thread at most, made on first use and made
         * again after an error: a store that comes back is used again.
         */
        if (apr_reslist_create(&lr_qs_redis, 0, threads, threads,
                               apr_time_from_sec(60), lr_redis_make,
                               lr_redis_free,
                               APR_ARRAY_IDX(lr_qs_conf->hosts, 0, char *),
                               pchild) == APR_SUCCESS) {
            apr_reslist_timeout_set(lr_qs_redis, lr_qs_timeout());
        }
    }
}

/*
 * shm: one table, a global lock, bounded probing
 */

/* FNV-1a: where a key's 16 slots begin (the key itself is compared). */
static apr_uint32_t lr_shm_hash(const char *key)
{
    apr_uint32_t h = 2166136261u;

    for (; *key; key++) {
        h = (h ^ (unsigned char)*key) * 16777619u;
    }
    return h;
}

static lr_qentry *lr_shm_find(const char *key, apr_int64_t now,
                              apr_int64_t window_end, int create)
{
    apr_uint32_t h = lr_shm_hash(key);
    apr_size_t len = strlen(key);
    lr_qentry *free_slot = NULL;
    int n = lr_qs_shm->nentries, j;

    if (len >= LR_QS_KEY_MAX) {
        return NULL;            /* cannot happen: lr_quota.c builds them */
    }
    for (j = 0; j < LR_QS_PROBE && j < n; j++) {
        lr_qentry *e = &lr_qs_shm->entry[(h + j) % n];

        if (e->expires > now && !memcmp(e->key, key, len + 1)) {
            return e;
        }
        /* A window that has ended is room for a new one. */
        if (!free_slot && e->expires <= now) {
            free_slot = e;
        }
    }
    if (free_slot && create) {
        memcpy(free_slot->key, key, len + 1);
        free_slot->expires = window_end;
        free_slot->used = 0;
    }
    return free_slot && create ? free_slot : NULL;
}

static lr_qs_result lr_shm_op(request_rec *r, const char *key, apr_off_t n,
                              apr_off_t size, apr_int64_t window_end,
                              apr_off_t *used, int refund)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    lr_qs_result res = LR_QS_OK;
    lr_qentry *e;
    apr_status_t rv;

    if (!lr_qs_shm || !lr_qs_mutex) {
        lr_qs_error(r, APR_EINIT, "the shared-memory table is missing");
        return LR_QS_ERROR;
    }
    if ((rv = apr_global_mutex_lock(lr_qs_mutex)) != APR_SUCCESS) {
        lr_qs_error(r, rv, "cannot lock the shared-memory table");
        return LR_QS_ERROR;
    }
    e = lr_shm_find(key, now, window_end, !refund);
    if (refund) {
        if (e) {
            e->used -= (n < e->used) ? n : e->used;
        }
    }
    else if (!e) {
        res = LR_QS_ERROR;
    }
    else if (e->used + n > size) {
        *used = e->used;
        res = LR_QS_OVER;
    }
    else {
        e->used += n;
        *used = e->used;
    }
    apr_global_mutex_unlock(lr_qs_mutex);
    if (res == LR_QS_ERROR && lr_qs_may_log(&lr_qs_shm->last_full_log)) {
        /* Only live windows left where this key may go. */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "LR00047: the quota table is full (%d entries, "
                      "LengthRequiredQuotaEntries): a new key is treated "
                      "as a store error (fail=%s); at most one such line "
                      "per %d s", lr_qs_shm->nentries,
                      lr_qs_conf->fail_closed ? "closed" : "open",
                      LR_QS_LOG_EVERY);
    }
    return res;
}

/*
 * memcached: incr, or add with an expiry when the window is new
 */

static apr_off_t lr_mc_unit(apr_off_t size)
{
    return (size > LR_MC_MAX_UNITS) ? 1024 : 1;
}

/* APR-util marks a server dead on an error and leaves it so for a while;
 * it is tried again on the next request instead, so a store that comes
 * back is noticed at once.
 */
static void lr_mc_revive(void)
{
    int i;

    for (i = 0; i < lr_qs_mc->ntotal; i++) {
        if (lr_qs_mc->live_servers[i]->status == APR_MC_SERVER_DEAD) {
            apr_memcache_enable_server(lr_qs_mc, lr_qs_mc->live_servers[i]);
        }
    }
}

/* An error of a pooled connection the server had closed: the command
 * never reached a live server, so it may be sent again.  APR-util says
 * APR_EGENERAL when the reply line cannot be read (EOF); a server that
 * is down fails to connect with its own error instead.
 */
#define LR_MC_STALE_TRIES   64
static int lr_mc_stale(apr_status_t rv)
{
    return rv == APR_EGENERAL || rv == APR_EOF
           || APR_STATUS_IS_ECONNRESET(rv) || APR_STATUS_IS_EPIPE(rv);
}

static lr_qs_result lr_mc_reserve(request_rec *r, const char *key,
                                  apr_off_t n, apr_off_t size,
                                  apr_int64_t window_end, apr_off_t *used)
{
    apr_off_t unit = lr_mc_unit(size);
    apr_uint32_t k = (apr_uint32_t)((n + unit - 1) / unit);
    apr_uint32_t lim = (apr_uint32_t)(size / unit);
    apr_uint32_t nv = 0, back;
    apr_status_t rv;
    int tries = 0;

    if (!lr_qs_mc) {
        lr_qs_error(r, APR_EINIT, "no memcached client");
        return LR_QS_ERROR;
    }
    if (k > lim) {
        *used = 0;
        return LR_QS_OVER;
    }
    lr_mc_revive();
    rv = apr_memcache_incr(lr_qs_mc, key, (apr_int32_t)k, &nv);
    while (lr_mc_stale(rv) && ++tries < LR_MC_STALE_TRIES) {
        /* The connection was one memcached had closed (it restarted):
         * APR-util dropped it; the pool may hold more such, each failing
         * at once.  A server that is down fails at connect instead, which
         * is not retried.
         */
        lr_mc_revive();
        rv = apr_memcache_incr(lr_qs_mc, key, (apr_int32_t)k, &nv);
    }
    if (rv == APR_NOTFOUND) {
        /* A new window (or no server): created with its expiry, as an
         * absolute time (memcached reads values over 30 days so).
         */
        char *v = apr_psprintf(r->pool, "%u", k);

        rv = apr_memcache_add(lr_qs_mc, key, v, strlen(v),
                              (apr_uint32_t)(window_end + 1), 0);
        if (rv == APR_SUCCESS) {
            nv = k;
        }
        else if (rv == APR_EEXIST) {
            /* Another server made it first. */
            rv = apr_memcache_incr(lr_qs_mc, key, (apr_int32_t)k, &nv);
        }
    }
    if (rv != APR_SUCCESS) {
        lr_qs_error(r, rv, "incr/add failed");
        return LR_QS_ERROR;
    }
    if (nv > lim) {
        /* Over: this charge is undone, the one operation that can. */
        apr_memcache_decr(lr_qs_mc, key, (apr_int32_t)k, &back);
        *used = (apr_off_t)(nv - k) * unit;
        return LR_QS_OVER;
    }
    *used = (apr_off_t)nv * unit;
    return LR_QS_OK;
}

static lr_qs_result lr_mc_refund(request_rec *r, const char *key,
                                 apr_off_t n, apr_off_t size,
                                 apr_off_t charged)
{
    apr_off_t unit = lr_mc_unit(size);
    apr_uint32_t nv;
    /* In whole units as charged: what stays is rounded up too. */
    apr_off_t k = (charged + unit - 1) / unit
                  - (charged - n + unit - 1) / unit;
    apr_status_t rv;

    if (!lr_qs_mc || k <= 0) {
        return LR_QS_OK;
    }
    rv = apr_memcache_decr(lr_qs_mc, key, (apr_int32_t)k, &nv);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        lr_qs_error(r, rv, "decr failed");
        return LR_QS_ERROR;
    }
    return LR_QS_OK;
}

/*
 * Redis: one Lua script per operation, which Redis runs atomically; the
 * expiry is set in the same script as the increment.
 */

static const char lr_redis_reserve_lua[] =
    "local n = tonumber(ARGV[1]) "
    "local cur = tonumber(redis.call('GET', KEYS[1]) or '0') "
    "if cur + n > tonumber(ARGV[2]) then return {0, cur} end "
    "local v = redis.call('INCRBY', KEYS[1], n) "
    "redis.call('EXPIREAT', KEYS[1], ARGV[3]) "
    "return {1, v}";

static const char lr_redis_refund_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
    "local v = redis.call('DECRBY', KEYS[1], ARGV[1]) "
    "if v < 0 then v = redis.call('INCRBY', KEYS[1], -v) end "
    "return v";

/* The SHA-1 of each script, in hex, for EVALSHA (child_init). */
static char lr_redis_sha[2][2 * APR_SHA1_DIGESTSIZE + 1];

static void lr_redis_sha_init(void)
{
    const char *scripts[2] = {lr_redis_reserve_lua, lr_redis_refund_lua};
    unsigned char digest[APR_SHA1_DIGESTSIZE];
    apr_sha1_ctx_t ctx;
    int i;

    for (i = 0; i < 2; i++) {
        apr_sha1_init(&ctx);
        apr_sha1_update_binary(&ctx, (const unsigned char *)scripts[i],
                               strlen(scripts[i]));
        apr_sha1_final(digest, &ctx);
        ap_bin2hex(digest, APR_SHA1_DIGESTSIZE, lr_redis_sha[i]);
    }
}

/* Sends one script; NULL with *retry set when the connection turned out
 * to be one the store had closed (it restarted) before the command could
 * have run, so that a fresh connection may try once more.
 */
static redisReply *lr_redis_eval(lr_redis_conn *c, const char *key,
                                 apr_off_t n, apr_off_t size,
                                 apr_int64_t expires, int refund, int *retry)
{
    redisReply *reply;
    int pass;

    /* By the script's SHA-1 first (Redis keeps the scripts it has run);
     * the script itself when this Redis has not seen it (NOSCRIPT: a new
     * or restarted server).  Either way one atomic script run.
     */
    for (pass = 0; pass < 2; pass++) {
        const char *cmd = pass ? "EVAL" : "EVALSHA";
        const char *script = pass ? (refund ? lr_redis_refund_lua
                                            : lr_redis_reserve_lua)
                                  : (refund ? lr_redis_sha[1]
                                            : lr_redis_sha[0]);

        if (refund) {
            reply = redisCommand(c->ctx, "%s %s 1 %s %" APR_OFF_T_FMT, cmd,
                                 script, key, n);
        }
        else {
            reply = redisCommand(c->ctx, "%s %s 1 %s %" APR_OFF_T_FMT " %"
                                 APR_OFF_T_FMT " %" APR_INT64_T_FMT, cmd,
                                 script, key, n, size, expires);
        }
        if (!reply || reply->type != REDIS_REPLY_ERROR
            || strncmp(reply->str, "NOSCRIPT", 8)) {
            break;
        }
        freeReplyObject(reply);
        reply = NULL;
    }
    /* EOF: the server closed the connection; a timeout (EAGAIN) is never
     * retried, the command may have run.
     */
    *retry = !reply && c->ctx->err == REDIS_ERR_EOF;
    return reply;
}

static lr_qs_result lr_redis_op(request_rec *r, const char *key, apr_off_t n,
                                apr_off_t size, apr_int64_t window_end,
                                apr_off_t *used, int refund)
{
    lr_redis_conn *c = NULL;
    redisReply *reply = NULL;
    lr_qs_result res = LR_QS_ERROR;
    apr_status_t rv;
    int attempt, retry = 0;

    if (!lr_qs_redis) {
        lr_qs_error(r, APR_EINIT, "no Redis client");
        return LR_QS_ERROR;
    }
    for (attempt = 0; attempt < 2; attempt++) {
        rv = apr_reslist_acquire(lr_qs_redis, (void **)&c);
        while (rv == APR_SUCCESS
               && c->gen != apr_atomic_read32(&lr_qs_redis_gen)) {
            apr_reslist_invalidate(lr_qs_redis, c);
            rv = apr_reslist_acquire(lr_qs_redis, (void **)&c);
        }
        if (rv != APR_SUCCESS) {
            apr_atomic_inc32(&lr_qs_redis_gen);
            lr_qs_error(r, rv, "cannot connect");
            return LR_QS_ERROR;
        }
        reply = lr_redis_eval(c, key, n, size, window_end + 1, refund,
                              &retry);
        if (reply) {
            break;
        }
        /* A broken or timed-out connection is never used again, nor any
         * made before it.
         */
        apr_atomic_inc32(&lr_qs_redis_gen);
        if (!retry || attempt == 1) {
            lr_qs_error(r, APR_EGENERAL, c->ctx->errstr[0] ? c->ctx->errstr
                                                           : "no reply");
            apr_reslist_invalidate(lr_qs_redis, c);
            return LR_QS_ERROR;
        }
        apr_reslist_invalidate(lr_qs_redis, c);
    }
    if (refund && reply->type == REDIS_REPLY_INTEGER) {
        res = LR_QS_OK;
    }
    else if (!refund && reply->type == REDIS_REPLY_ARRAY
             && reply->elements == 2
             && reply->element[0]->type == REDIS_REPLY_INTEGER
             && reply->element[1]->type == REDIS_REPLY_INTEGER) {
        res = reply->element[0]->integer ? LR_QS_OK : LR_QS_OVER;
        *used = (apr_off_t)reply->element[1]->integer;
    }
    else {
        lr_qs_error(r, APR_EGENERAL, reply->type == REDIS_REPLY_ERROR
                                     ? reply->str : "unexpected reply");
    }
    freeReplyObject(reply);
    apr_reslist_release(lr_qs_redis, c);
    return res;
}

/*
 * The interface
 */

static lr_qs_result lr_qstore_one(request_rec *r, lr_qop *op, int refund)
{
    apr_int64_t window_end = apr_time_sec(apr_time_now()) + op->ttl;
    apr_off_t used = 0;
    lr_qs_result res;

    switch (lr_qs_conf->kind) {
    case LR_STORE_MEMCACHE:
        res = refund ? lr_mc_refund(r, op->key, op->n, op->size, op->n)
                     : lr_mc_reserve(r, op->key, op->n, op->size, window_end,
                                     &used);
        break;
    case LR_STORE_REDIS:
        res = lr_redis_op(r, op->key, op->n, op->size, window_end, &used,
                          refund);
        break;
    default:
        res = lr_shm_op(r, op->key, op->n, op->size, window_end, &used,
                        refund);
        break;
    }
    if (!refund) {
        op->used = used;
    }
    return res;
}

lr_qs_result lr_qstore_reserve(request_rec *r, lr_qop *ops, int nops,
                               int *over)
{
    lr_qs_result res = LR_QS_OK;
    int i, j;

    if (!lr_qs_conf) {
        return LR_QS_ERROR;
    }
    for (i = 0; i < nops && res == LR_QS_OK; i++) {
        res = lr_qstore_one(r, &ops[i], 0);
    }
    if (res != LR_QS_OK) {
        /* All or nothing: what this call charged goes back. */
        *over = --i;
        for (j = 0; j < i; j++) {
            lr_qstore_one(r, &ops[j], 1);
        }
    }
    return res;
}

void lr_qstore_refund(request_rec *r, lr_qop *ops, int nops)
{
    int i;

    if (!lr_qs_conf) {
        return;
    }
    for (i = 0; i < nops; i++) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "quota store %s: "
                      "refund %" APR_OFF_T_FMT " on %s",
                      lr_qs_kind_name[lr_qs_conf->kind], ops[i].n,
                      ops[i].key);
        lr_qstore_one(r, &ops[i], 1);
    }
}
