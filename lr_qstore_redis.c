/*
 * lr_qstore_redis.c: the quota store on Redis, through hiredis: its
 * options (one server, redis:, on TCP or a Unix socket, or the master
 * that Sentinel names, redis-sentinel:; the database, the ACL user and
 * the password files), all of a request's budgets in one Lua script (one
 * round trip, all or nothing), each window made with a relative expiry
 * when it is new, connections kept per child and dropped one by one when
 * they fail (lr_qstore_redis_conn.c makes them).
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

#include "apr_file_io.h"
#include "apr_sha1.h"
#include "apr_thread_mutex.h"

#include <errno.h>
#include <limits.h>
#include <sys/un.h>

#include "lr_qstore_redis.h"
#include "ap_mpm.h"

/* Redis runs scripts in Lua 5.1, whose numbers are doubles: counts are
 * exact up to 2^53 bytes (8P), and a budget may not be larger.
 */
#define LR_REDIS_SIZE_MAX   ((apr_off_t)1 << 53)

/* A password file holds the password on one line: a longer file is not
 * one.
 */
#define LR_REDIS_SECRET_MAX 4096

/* An idle connection, and the version of the master it was made for
 * (Sentinel; 0 otherwise).
 */
typedef struct {
    redisContext *ctx;
    apr_uint32_t version;
} lr_redis_conn;

/* Per child: the connections no thread uses at the moment (at most one
 * per thread), made on first use.
 */
typedef struct {
    apr_thread_mutex_t *lock;   /* NULL without threads */
    lr_redis_conn *idle;
    int nidle;
    int max;
} lr_redis_pool;

static lr_redis_pool lr_redis;
static const lr_quota_srv *lr_redis_store;
static apr_uint32_t lr_redis_last_log;      /* of this process's own lines */

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

static lr_redis_conf *lr_redis_conf_make(cmd_parms *cmd,
                                         lr_quota_srv *store)
{
    lr_redis_conf *rc = apr_pcalloc(cmd->pool, sizeof(*rc));

    rc->db = -1;
    store->store_conf = rc;
    return rc;
}

/* A name that Redis takes as one word (an ACL user, a Sentinel master):
 * no space or control character.
 */
static int lr_redis_word_ok(const char *s)
{
    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if ((unsigned char)*s <= ' ' || *s == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* A server of the list into addr. */
static void lr_redis_addr_set(apr_pool_t *p, const lr_hostport *hp,
                              lr_redis_addr *addr)
{
    addr->host = hp->host;
    addr->port = hp->port;
    addr->path = NULL;
    addr->name = lr_hostport_name(p, hp->host, hp->port);
}

/* redis:host:port, or redis:/path/to/redis.sock (a Unix socket) */
static const char *lr_redis_parse(cmd_parms *cmd, lr_quota_srv *store,
                                  const char *address)
{
    lr_redis_conf *rc = lr_redis_conf_make(cmd, store);
    struct sockaddr_un sun;
    apr_array_header_t *list;
    const char *bad;

    if (address[0] == '/') {
        /* hiredis would cut a longer path short without a word. */
        if (!address[1] || strlen(address) >= sizeof(sun.sun_path)) {
            return apr_psprintf(cmd->pool, "%s: '%s' in '%s' is not a "
                                "valid socket path; use an absolute path "
                                "of at most %d bytes", cmd->cmd->name,
                                address, store->spec,
                                (int)sizeof(sun.sun_path) - 1);
        }
        rc->server.path = rc->server.name = address;
        return NULL;
    }
    if (ap_strchr_c(address, ',')) {
        return apr_psprintf(cmd->pool, "%s: '%s' does not name one "
                            "redis:host:port (several servers: "
                            "redis-sentinel:host:port[,host:port...]/master)",
                            cmd->cmd->name, store->spec);
    }
    if (!lr_parse_hostports(cmd->pool, address, &list, &bad)) {
        return apr_psprintf(cmd->pool, "%s: '%s' in '%s' is not a valid "
                            "host:port (or a socket: redis:/path/to/socket)",
                            cmd->cmd->name, address, store->spec);
    }
    lr_redis_addr_set(cmd->pool, &APR_ARRAY_IDX(list, 0, lr_hostport),
                      &rc->server);
    return NULL;
}

/* redis-sentinel:host:port[,host:port...]/master */
static const char *lr_redis_sentinel_parse(cmd_parms *cmd,
                                           lr_quota_srv *store,
                                           const char *address)
{
    lr_redis_conf *rc = lr_redis_conf_make(cmd, store);
    const char *slash = ap_strchr_c(address, '/'), *bad;
    apr_array_header_t *list;
    int i;

    if (!slash || !lr_redis_word_ok(slash + 1)) {
        return apr_psprintf(cmd->pool, "%s: '%s' names no master; use "
                            "redis-sentinel:host:port[,host:port...]/master, "
                            "the master's name as the sentinels know it (a "
                            "word without spaces)", cmd->cmd->name,
                            store->spec);
    }
    rc->master = slash + 1;
    if (!lr_parse_hostports(cmd->pool,
                            apr_pstrmemdup(cmd->temp_pool, address,
                                           slash - address),
                            &list, &bad)) {
        return *bad ? apr_psprintf(cmd->pool, "%s: '%s' in '%s' is not a "
                                   "valid host:port", cmd->cmd->name, bad,
                                   store->spec)
                    : apr_psprintf(cmd->pool, "%s: '%s' does not name "
                                   "redis-sentinel:host:port[,host:port...]"
                                   "/master", cmd->cmd->name, store->spec);
    }
    rc->nsentinels = list->nelts;
    rc->sentinels = apr_palloc(cmd->pool,
                               list->nelts * sizeof(*rc->sentinels));
    for (i = 0; i < list->nelts; i++) {
        lr_redis_addr_set(cmd->pool, &APR_ARRAY_IDX(list, i, lr_hostport),
                          &rc->sentinels[i]);
    }
    return NULL;
}

/* The password in the file an option names (relative to ServerRoot),
 * read now: httpd reads its configuration while it still runs as root,
 * and the children, which may not be able to read the file, have the
 * password from it.  One line; its line end is not part of it.  The
 * password itself is never in a message.
 */
static const char *lr_redis_secret(cmd_parms *cmd, const char *word,
                                   const char *file, const char **secret)
{
    const char *path = *file ? ap_server_root_relative(cmd->temp_pool, file)
                             : NULL;
    apr_size_t len = LR_REDIS_SECRET_MAX + 1;
    char *buf = apr_palloc(cmd->temp_pool, len);
    apr_file_t *f;
    apr_status_t rv;

    if (!path) {
        return apr_psprintf(cmd->pool, "%s: '%s' names no file; use "
                            "%.*sPATH, a file that holds the password on "
                            "one line", cmd->cmd->name, word,
                            (int)(file - word), word);
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT,
                       cmd->temp_pool);
    if (rv == APR_SUCCESS) {
        rv = apr_file_read_full(f, buf, len, &len);
        apr_file_close(f);
        if (rv == APR_EOF) {
            rv = APR_SUCCESS;
        }
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s: cannot read '%s' (%pm); "
                            "name a file that holds the password on one "
                            "line, readable by the user httpd starts as",
                            cmd->cmd->name, word, path, &rv);
    }
    if (len > LR_REDIS_SECRET_MAX) {
        return apr_psprintf(cmd->pool, "%s: %s: '%s' is longer than %d "
                            "bytes; it should hold the password alone, on "
                            "one line", cmd->cmd->name, word, path,
                            LR_REDIS_SECRET_MAX);
    }
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
        len--;
    }
    if (!len) {
        return apr_psprintf(cmd->pool, "%s: %s: '%s' is empty; it should "
                            "hold the password on one line", cmd->cmd->name,
                            word, path);
    }
    if (memchr(buf, '\n', len) || memchr(buf, '\r', len)
        || memchr(buf, '\0', len)) {
        return apr_psprintf(cmd->pool, "%s: %s: '%s' holds more than one "
                            "line; it should hold the password alone, on "
                            "one line", cmd->cmd->name, word, path);
    }
    *secret = apr_pstrmemdup(cmd->pool, buf, len);
    return NULL;
}

/* Whether word is name=... (v: what follows the '='). */
static int lr_redis_is(const char *word, const char *v, const char *name)
{
    apr_size_t n = strlen(name);

    return (apr_size_t)(v - 1 - word) == n && !strncasecmp(word, name, n);
}

/* db=N, user=NAME, password-file=PATH; with Sentinel also
 * sentinel-user=NAME and sentinel-password-file=PATH.  TLS is refused
 * with the way to have it: hiredis 0.14 has none.
 */
static int lr_redis_option(cmd_parms *cmd, lr_quota_srv *store,
                           const char *word, const char **err)
{
    lr_redis_conf *rc = store->store_conf;
    const char *v = ap_strchr_c(word, '=');
    lr_redis_auth *auth;
    apr_int64_t n;

    *err = NULL;
    if (!strncasecmp(word, "tls", 3)
        && (!word[3] || word[3] == '=' || word[3] == '-')) {
        *err = apr_psprintf(cmd->pool, "%s: '%s': this build's hiredis has "
                            "no TLS; connect to a local TLS tunnel "
                            "(stunnel, verifying the server's certificate) "
                            "as the directive reference's Quotas section "
                            "shows", cmd->cmd->name, word);
        return 1;
    }
    if (!v++) {
        return 0;
    }
    if (lr_redis_is(word, v, "db")) {
        if (!lr_parse_number(v, INT_MAX, &n)) {
            *err = apr_psprintf(cmd->pool, "%s: '%s' is not a valid "
                                "database; use db=N, a whole number from 0 "
                                "to %d (a Redis server has 0 to 15 unless "
                                "its databases setting says more)",
                                cmd->cmd->name, word, INT_MAX);
        }
        else {
            rc->db = (int)n;
        }
        return 1;
    }
    auth = (rc->sentinels && !strncasecmp(word, "sentinel-", 9))
           ? &rc->sentinel_auth : &rc->auth;
    if (lr_redis_is(word, v, auth == &rc->auth ? "user" : "sentinel-user")) {
        if (!lr_redis_word_ok(v)) {
            *err = apr_psprintf(cmd->pool, "%s: '%s' is not a valid user "
                                "name; use %.*sNAME, a name without spaces "
                                "or control characters", cmd->cmd->name,
                                word, (int)(v - word), word);
        }
        else {
            auth->user = apr_pstrdup(cmd->pool, v);
        }
        return 1;
    }
    if (lr_redis_is(word, v, auth == &rc->auth ? "password-file"
                                               : "sentinel-password-file")) {
        *err = lr_redis_secret(cmd, word, v, &auth->password);
        return 1;
    }
    return 0;
}

/* A user's name goes with its password (AUTH user password). */
static const char *lr_redis_finish(cmd_parms *cmd, lr_quota_srv *store)
{
    const lr_redis_conf *rc = store->store_conf;

    if (rc->auth.user && !rc->auth.password) {
        return apr_psprintf(cmd->pool, "%s: user=%s needs password-file="
                            "PATH: Redis takes a user's name with its "
                            "password", cmd->cmd->name, rc->auth.user);
    }
    if (rc->sentinel_auth.user && !rc->sentinel_auth.password) {
        return apr_psprintf(cmd->pool, "%s: sentinel-user=%s needs "
                            "sentinel-password-file=PATH: Sentinel takes a "
                            "user's name with its password", cmd->cmd->name,
                            rc->sentinel_auth.user);
    }
    return NULL;
}

static const char *lr_redis_check(const lr_quota_srv *store,
                                  const lr_quota *q, apr_pool_t *p)
{
    if (q->size > LR_REDIS_SIZE_MAX) {
        return apr_psprintf(p, "size %" APR_OFF_T_FMT " is more than the "
                            "%" APR_OFF_T_FMT " bytes Redis scripts count "
                            "exactly (LengthRequiredQuotaStore %s:)",
                            q->size, LR_REDIS_SIZE_MAX,
                            store->provider->name);
    }
    return NULL;
}

static apr_status_t lr_redis_cleanup(void *data)
{
    while (lr_redis.nidle > 0) {
        redisFree(lr_redis.idle[--lr_redis.nidle].ctx);
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
    lr_redis.idle = apr_pcalloc(pchild, lr_redis.max * sizeof(lr_redis_conn));
    lr_redis.nidle = 0;
    lr_redis.lock = NULL;
#if APR_HAS_THREADS
    if (lr_redis.max > 1) {
        apr_status_t rv = apr_thread_mutex_create(&lr_redis.lock,
                                                  APR_THREAD_MUTEX_DEFAULT,
                                                  pchild);

        if (rv != APR_SUCCESS) {
            /* Without the lock threads would share connections: no
             * client (LR00055 at request time, the fail mode).
             */
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "LR00055: quota "
                         "store %s: cannot create the lock of this child's "
                         "Redis connections", store->spec);
            lr_redis.max = 0;
            return;
        }
    }
#endif
    apr_pool_cleanup_register(pchild, NULL, lr_redis_cleanup,
                              apr_pool_cleanup_null);
}

/* An idle connection made for the master of version want (always, without
 * Sentinel), or NULL when there is none; one made for another master is
 * dropped (the master moved since).
 */
static redisContext *lr_redis_take(apr_uint32_t want, apr_uint32_t *version)
{
    lr_redis_conn c;

    for (;;) {
        c.ctx = NULL;
        if (lr_redis.lock) {
            apr_thread_mutex_lock(lr_redis.lock);
        }
        if (lr_redis.nidle > 0) {
            c = lr_redis.idle[--lr_redis.nidle];
        }
        if (lr_redis.lock) {
            apr_thread_mutex_unlock(lr_redis.lock);
        }
        if (!c.ctx || c.version == want) {
            break;
        }
        redisFree(c.ctx);
    }
    *version = c.ctx ? c.version : 0;
    return c.ctx;
}

/* A connection that answered goes back for the next request. */
static void lr_redis_put(redisContext *ctx, apr_uint32_t version)
{
    if (lr_redis.lock) {
        apr_thread_mutex_lock(lr_redis.lock);
    }
    if (lr_redis.nidle < lr_redis.max) {
        lr_redis.idle[lr_redis.nidle].ctx = ctx;
        lr_redis.idle[lr_redis.nidle++].version = version;
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
 * run, so the next idle one, or a new one, is tried.  With Sentinel, one
 * whose server answers READONLY is to a replica now (a failover: the
 * script wrote nothing), and a probe of a given-up store (asked:
 * LR_QB_PROBE) follows a master that failed: both skip the idle
 * connections, made for that server, and ask the sentinels first.  Any
 * other failure (a timeout above all: the script may have run) is final.
 * New connections share one timeout for their set-up, from the first one
 * made.
 */
static redisReply *lr_redis_run(request_rec *r, int s, int asked,
                                int argc, const char **argv,
                                const char **why)
{
    apr_interval_time_t timeout = lr_qstore_timeout(lr_redis_store);
    const lr_redis_conf *rc = lr_redis_store->store_conf;
    apr_uint32_t want = rc->sentinels ? lr_redis_master_version() : 0;
    apr_uint32_t version;
    apr_time_t deadline = 0;
    redisReply *reply = NULL;
    redisContext *ctx;
    int ask = rc->sentinels && asked == LR_QB_PROBE;
    int tries, pass, stale, err, pooled = !ask;

    argv[0] = "EVALSHA";
    argv[1] = lr_redis_sha[s];
    for (tries = 0; tries <= lr_redis.max; tries++) {
        if (!pooled || !(ctx = lr_redis_take(want, &version))) {
            if (!deadline) {
                deadline = apr_time_now() + timeout;
            }
            if (!(ctx = lr_redis_open(r, lr_redis_store, deadline, ask,
                                      &version, why))) {
                return NULL;
            }
            want = version;
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
        if (reply && rc->sentinels && reply->type == REDIS_REPLY_ERROR
            && !strncmp(reply->str, "READONLY", 8)) {
            /* The idle connections were made for the same server, which
             * is no master now: a new one, to the master the sentinels
             * name.
             */
            *why = apr_psprintf(r->pool, "%s, a replica now, answered %s",
                                lr_redis_server(r->pool, ctx), reply->str);
            freeReplyObject(reply);
            redisFree(ctx);
            pooled = 0;
            ask = 1;
            continue;
        }
        if (reply) {
            lr_redis_put(ctx, version);
            return reply;
        }
        /* Only the connection that failed is dropped. */
        err = errno;
        stale = ctx->err == REDIS_ERR_EOF
                || (ctx->err == REDIS_ERR_IO
                    && (err == ECONNRESET || err == EPIPE));
        *why = (ctx->err == REDIS_ERR_IO
                && (err == EAGAIN || err == EWOULDBLOCK))
               ? apr_psprintf(r->pool, "no answer from %s within %"
                              APR_TIME_T_FMT " ms",
                              lr_redis_server(r->pool, ctx),
                              apr_time_as_msec(timeout))
               : apr_pstrcat(r->pool, lr_redis_server(r->pool, ctx), ": ",
                             ctx->errstr[0] ? ctx->errstr : "no reply",
                             NULL);
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
    if (!(reply = lr_redis_run(r, 0, asked, argc, argv, &why))) {
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
    if (!(reply = lr_redis_run(r, 1, asked, argc, argv, &why))) {
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
    "redis", "redis:host:port, redis:/path/to/redis.sock", 1,
    lr_redis_parse,
    lr_redis_option, ": db=N, user=NAME or password-file=PATH",
    lr_redis_finish,
    lr_redis_check,
    lr_redis_shared_init,
    lr_redis_child_init,
    lr_redis_reserve,
    lr_redis_refund
};

/* The same store, on the master that Sentinel names. */
const lr_qstore_provider lr_qstore_redis_sentinel = {
    "redis-sentinel", "redis-sentinel:host:port[,host:port...]/master", 1,
    lr_redis_sentinel_parse,
    lr_redis_option, ": db=N, user=NAME, password-file=PATH, "
    "sentinel-user=NAME or sentinel-password-file=PATH",
    lr_redis_finish,
    lr_redis_check,
    lr_redis_shared_init,
    lr_redis_child_init,
    lr_redis_reserve,
    lr_redis_refund
};
