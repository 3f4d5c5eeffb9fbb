/*
 * lr_qstore_redis.c: the quota store on Redis, through hiredis: all of a
 * request's budgets in one Lua script (one round trip, all or nothing),
 * each window made with a relative expiry when it is new, connections
 * kept per child and dropped one by one when they fail.
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

#include "apr_sha1.h"
#include "apr_thread_mutex.h"

#include <errno.h>
#include <hiredis/hiredis.h>

#include "lr_qstore.h"
#include "ap_mpm.h"

/* Redis runs scripts in Lua 5.1, whose numbers are doubles: counts are
 * exact up to 2^53 bytes (8P), and a budget may not be larger.
 */
#define LR_REDIS_SIZE_MAX   ((apr_off_t)1 << 53)

/* The Redis store's configuration: where the server is.  Everything that
 * a connection needs before its first command belongs here, and is used
 * by lr_redis_connect() alone.
 */
typedef struct {
    const char *host;
    apr_port_t port;
} lr_redis_conf;

/* Per child: the connections no thread uses at the moment (at most one
 * per thread), made on first use.
 */
typedef struct {
    apr_thread_mutex_t *lock;   /* NULL without threads */
    redisContext **idle;
    int nidle;
    int max;
} lr_redis_pool;

static lr_redis_pool lr_redis;
static const lr_quota_srv *lr_redis_store;
static apr_uint32_t lr_redis_last_log;  /* of this process's own lines */

/*
 * The scripts.  KEYS are the ops' store keys; the reserve script takes
 * three ARGV per key (bytes, size, ttl), the refund script one (bytes).
 * Numbers reach Redis as the decimal strings ARGV holds: Lua only
 * compares them.
 */

/* Charges each key in turn: INCRBY, and EXPIRE with the window's ttl when
 * the key is new (its count is what was just added).  When a key would
 * pass its size, what this run added is taken back (so nothing is
 * charged) and the answer is {0, that key's position, its count without
 * the charge}; otherwise {1, count of each key}.
 */
static const char lr_redis_reserve_lua[] =
    "local r = {1} "
    "for i = 1, #KEYS do "
    "  local n = ARGV[3 * i - 2] "
    "  local c = redis.call('INCRBY', KEYS[i], n) "
    "  if c == tonumber(n) then "
    "    redis.call('EXPIRE', KEYS[i], ARGV[3 * i]) "
    "  end "
    "  if c > tonumber(ARGV[3 * i - 1]) then "
    "    for j = 1, i do "
    "      redis.call('DECRBY', KEYS[j], ARGV[3 * j - 2]) "
    "    end "
    "    return {0, i, c - tonumber(n)} "
    "  end "
    "  r[i + 1] = c "
    "end "
    "return r";

/* Gives back to each key that still exists, never below 0; a key that
 * reaches 0 goes (the next charge makes it again, with its expiry).
 */
static const char lr_redis_refund_lua[] =
    "for i = 1, #KEYS do "
    "  local c = tonumber(redis.call('GET', KEYS[i]) or '0') "
    "  if c > tonumber(ARGV[i]) then "
    "    redis.call('DECRBY', KEYS[i], ARGV[i]) "
    "  elseif c > 0 then "
    "    redis.call('DEL', KEYS[i]) "
    "  end "
    "end "
    "return 0";

/* The SHA-1 of each script in hex, for EVALSHA. */
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

/*
 * Configuration
 */

/* redis:host:port */
static const char *lr_redis_parse(cmd_parms *cmd, lr_quota_srv *store,
                                  const char *address)
{
    lr_redis_conf *rc = apr_pcalloc(cmd->pool, sizeof(*rc));
    char *host, *scope;

    if (ap_strchr_c(address, ',')) {
        return apr_psprintf(cmd->pool, "%s: '%s' does not name one "
                            "redis:host:port", cmd->cmd->name, store->spec);
    }
    if (apr_parse_addr_port(&host, &scope, &rc->port, address, cmd->pool)
        != APR_SUCCESS || !host || !rc->port || scope) {
        return apr_psprintf(cmd->pool, "%s: '%s' in '%s' is not a valid "
                            "host:port", cmd->cmd->name, address,
                            store->spec);
    }
    rc->host = host;
    store->store_conf = rc;
    return NULL;
}

static const char *lr_redis_check(const lr_quota_srv *store,
                                  const lr_quota *q, apr_pool_t *p)
{
    if (q->size > LR_REDIS_SIZE_MAX) {
        return apr_psprintf(p, "size %" APR_OFF_T_FMT " is more than the "
                            "%" APR_OFF_T_FMT " bytes Redis scripts count "
                            "exactly (LengthRequiredQuotaStore redis:)",
                            q->size, LR_REDIS_SIZE_MAX);
    }
    return NULL;
}

static apr_status_t lr_redis_init(apr_pool_t *pconf, server_rec *s,
                                  const lr_quota_srv *store)
{
    const char **names = apr_palloc(pconf, sizeof(*names));

    names[0] = store->spec;
    return lr_qbreaker_init(pconf, s, store, names, 1, 0, 0);
}

/*
 * Connections
 */

/* A new connection, ready for its first command, or NULL with *why.  The
 * timeout bounds the connect and every command after it.
 */
static redisContext *lr_redis_connect(const lr_redis_conf *rc,
                                      apr_interval_time_t timeout,
                                      apr_pool_t *p, const char **why)
{
    struct timeval tv;
    redisContext *ctx;

    tv.tv_sec = apr_time_sec(timeout);
    tv.tv_usec = apr_time_usec(timeout);
    ctx = redisConnectWithTimeout(rc->host, rc->port, tv);
    if (!ctx || ctx->err) {
        *why = apr_psprintf(p, "cannot connect: %s",
                            ctx ? ctx->errstr : "out of memory");
        if (ctx) {
            redisFree(ctx);
        }
        return NULL;
    }
    if (redisSetTimeout(ctx, tv) != REDIS_OK) {
        *why = apr_psprintf(p, "cannot set the timeout of a connection: "
                            "%s", ctx->errstr);
        redisFree(ctx);
        return NULL;
    }
    return ctx;
}

static apr_status_t lr_redis_cleanup(void *data)
{
    while (lr_redis.nidle > 0) {
        redisFree(lr_redis.idle[--lr_redis.nidle]);
    }
    lr_redis.max = 0;
    return APR_SUCCESS;
}

static void lr_redis_child_init(apr_pool_t *pchild, server_rec *s,
                                const lr_quota_srv *store)
{
    int threads = 1;

    lr_redis_store = store;
    lr_redis_sha_init();
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    lr_redis.max = threads > 1 ? threads : 1;
    lr_redis.idle = apr_pcalloc(pchild, lr_redis.max * sizeof(redisContext *));
    lr_redis.nidle = 0;
    lr_redis.lock = NULL;
#if APR_HAS_THREADS
    if (lr_redis.max > 1) {
        apr_thread_mutex_create(&lr_redis.lock, APR_THREAD_MUTEX_DEFAULT,
                                pchild);
    }
#endif
    apr_pool_cleanup_register(pchild, NULL, lr_redis_cleanup,
                              apr_pool_cleanup_null);
}

/* An idle connection, or NULL when there is none. */
static redisContext *lr_redis_take(void)
{
    redisContext *ctx = NULL;

    if (lr_redis.lock) {
        apr_thread_mutex_lock(lr_redis.lock);
    }
    if (lr_redis.nidle > 0) {
        ctx = lr_redis.idle[--lr_redis.nidle];
    }
    if (lr_redis.lock) {
        apr_thread_mutex_unlock(lr_redis.lock);
    }
    return ctx;
}

/* A connection that answered goes back for the next request. */
static void lr_redis_put(redisContext *ctx)
{
    if (lr_redis.lock) {
        apr_thread_mutex_lock(lr_redis.lock);
    }
    if (lr_redis.nidle < lr_redis.max) {
        lr_redis.idle[lr_redis.nidle++] = ctx;
        ctx = NULL;
    }
    if (lr_redis.lock) {
        apr_thread_mutex_unlock(lr_redis.lock);
    }
    if (ctx) {
        redisFree(ctx);
    }
}

/*
 * Request time
 */

/* Runs script s (0 reserve, 1 refund) with argv[3...] (keys and ARGV
 * after "EVALSHA sha nkeys"): its reply, or NULL and *why.  By SHA-1
 * first; when this server has not seen the script (NOSCRIPT: new or
 * restarted), the script itself.  A connection that turns out to be one
 * the server had closed (it restarted) failed before the script could
 * run, so the next idle one, or a new one, is tried; any other failure
 * (a timeout above all: the script may have run) is final.
 */
static redisReply *lr_redis_run(request_rec *r, int s, int argc,
                                const char **argv, const char **why)
{
    const lr_redis_conf *rc = lr_redis_store->store_conf;
    apr_interval_time_t timeout = lr_qstore_timeout(lr_redis_store);
    redisReply *reply = NULL;
    redisContext *ctx;
    int tries, pass, stale, err;

    argv[0] = "EVALSHA";
    argv[1] = lr_redis_sha[s];
    for (tries = 0; tries <= lr_redis.max; tries++) {
        if (!(ctx = lr_redis_take())
            && !(ctx = lr_redis_connect(rc, timeout, r->pool, why))) {
            return NULL;
        }
        for (pass = 0; pass < 2; pass++) {
            reply = redisCommandArgv(ctx, argc, argv, NULL);
            if (!reply || reply->type != REDIS_REPLY_ERROR
                || strncmp(reply->str, "NOSCRIPT", 8)) {
                break;
            }
            freeReplyObject(reply);
            reply = NULL;
            argv[0] = "EVAL";
            argv[1] = s ? lr_redis_refund_lua : lr_redis_reserve_lua;
        }
        if (reply) {
            lr_redis_put(ctx);
            return reply;
        }
        /* Only the connection that failed is dropped. */
        err = errno;
        stale = ctx->err == REDIS_ERR_EOF
                || (ctx->err == REDIS_ERR_IO
                    && (err == ECONNRESET || err == EPIPE));
        *why = (ctx->err == REDIS_ERR_IO
                && (err == EAGAIN || err == EWOULDBLOCK))
               ? apr_psprintf(r->pool, "no answer within %" APR_TIME_T_FMT
                              " ms", apr_time_as_msec(timeout))
               : apr_pstrdup(r->pool, ctx->errstr[0] ? ctx->errstr
                                                     : "no reply");
        redisFree(ctx);
        if (!stale) {
            return NULL;
        }
    }
    return NULL;
}

/* argv for the script: "EVALSHA", sha, nkeys, the keys, then per key its
 * ARGV (reserve: bytes, size, ttl; refund: bytes).
 */
static const char **lr_redis_argv(request_rec *r, const lr_qop *ops,
                                  int nops, int refund, int *argc)
{
    int per = refund ? 1 : 3, i;
    const char **argv = apr_palloc(r->pool,
                                   (3 + nops * (1 + per)) * sizeof(*argv));
    const char **arg = argv + 3 + nops;

    argv[2] = apr_itoa(r->pool, nops);
    for (i = 0; i < nops; i++) {
        argv[3 + i] = ops[i].key;
        *arg++ = apr_off_t_toa(r->pool, ops[i].n);
        if (!refund) {
            *arg++ = apr_off_t_toa(r->pool, ops[i].size);
            *arg++ = apr_off_t_toa(r->pool, ops[i].ttl);
        }
    }
    *argc = 3 + nops * (1 + per);
    return argv;
}

static lr_qs_result lr_redis_reserve(request_rec *r, lr_qop *ops, int nops,
                                     int *over)
{
    const char *why = NULL;
    const char **argv;
    redisReply *reply;
    lr_qs_result res = LR_QS_ERROR;
    int argc, i, asked;

    if (!lr_redis.max) {
        if (lr_qstore_may_log(&lr_redis_last_log)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LR00055: no Redis "
                          "client in this process (see the startup "
                          "errors)");
        }
        return LR_QS_ERROR;
    }
    if (!(asked = lr_qbreaker_allow(0))) {
        return LR_QS_ERROR;     /* given up: the fail mode at once */
    }
    argv = lr_redis_argv(r, ops, nops, 0, &argc);
    if (!(reply = lr_redis_run(r, 0, argc, argv, &why))) {
        lr_qbreaker_failed(r, 0, asked, 0, why);
        return LR_QS_ERROR;
    }
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1
        && reply->element[0]->type == REDIS_REPLY_INTEGER) {
        if (reply->element[0]->integer == 1
            && reply->elements == (size_t)nops + 1) {
            for (i = 0; i < nops; i++) {
                ops[i].used = (apr_off_t)reply->element[i + 1]->integer;
            }
            res = LR_QS_OK;
        }
        else if (reply->element[0]->integer == 0 && reply->elements == 3
                 && reply->element[1]->type == REDIS_REPLY_INTEGER
                 && reply->element[2]->type == REDIS_REPLY_INTEGER
                 && reply->element[1]->integer >= 1
                 && reply->element[1]->integer <= nops) {
            *over = (int)reply->element[1]->integer - 1;
            ops[*over].used = (apr_off_t)reply->element[2]->integer;
            res = LR_QS_OVER;
        }
    }
    if (res == LR_QS_ERROR) {
        lr_qbreaker_failed(r, 0, asked, 0, apr_pstrcat(r->pool,
                           "the reserve script answered ",
                           reply->type == REDIS_REPLY_ERROR ? reply->str
                                                            : "unexpectedly",
                           NULL));
    }
    else {
        lr_qbreaker_ok(r, 0);
    }
    freeReplyObject(reply);
    return res;
}

static void lr_redis_refund(request_rec *r, lr_qop *ops, int nops)
{
    const char *why = NULL;
    const char **argv;
    redisReply *reply;
    int argc, asked;

    if (!lr_redis.max || !(asked = lr_qbreaker_allow(0))) {
        return;                 /* given up: the refund is lost */
    }
    argv = lr_redis_argv(r, ops, nops, 1, &argc);
    if (!(reply = lr_redis_run(r, 1, argc, argv, &why))) {
        lr_qbreaker_failed(r, 0, asked, 0, why);
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        lr_qbreaker_failed(r, 0, asked, 0, apr_pstrcat(r->pool,
                           "the refund script answered ", reply->str, NULL));
    }
    else {
        lr_qbreaker_ok(r, 0);
    }
    freeReplyObject(reply);
}

const lr_qstore_provider lr_qstore_redis = {
    "redis", "redis:host:port", 1,
    lr_redis_parse,
    NULL, "",                   /* no options of its own yet */
    NULL,
    lr_redis_check,
    lr_redis_init,
    lr_redis_child_init,
    lr_redis_reserve,
    lr_redis_refund
};
