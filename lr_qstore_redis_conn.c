/*
 * lr_qstore_redis_conn.c: connections to Redis for the quota store: each
 * new one set up within the store's timeout (connect, AUTH, SELECT, and
 * with Sentinel ROLE) in lr_redis_connect() alone; with Sentinel, the
 * sentinels asked in turn for the master, and the master found shared by
 * every child in the breaker's shared memory.
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

#include <errno.h>

#include "lr_qstore_redis.h"

/* The longest host name a sentinel may name (DNS allows 253). */
#define LR_REDIS_HOST_MAX   256

/* A step of setting up a connection is not begun with less time left. */
#define LR_REDIS_STEP_MIN   apr_time_from_msec(1)

/* With Sentinel a given-up store is asked again every second, never
 * later: the probe asks the sentinels, so charges find a new master
 * within about a second of its promotion.
 */
#define LR_REDIS_SENTINEL_BACKOFF   apr_time_from_sec(1)

/* A child that began to write the master's address this many seconds ago
 * and has not finished died halfway: another may write it.
 */
#define LR_REDIS_WRITER_GONE    2

/* With Sentinel: the master last found (named by a sentinel, confirmed by
 * ROLE), in the breaker's shared memory for every child of every
 * generation that keeps the store.  Written when the master moves, read
 * when a connection is made: a sequence lock.  The low 32 bits of lock
 * are the version, odd while a child writes and 2 more with each write;
 * the high 32 bits the second the writer began, so that a writer that
 * died halfway holds the others up for LR_REDIS_WRITER_GONE s at most.
 */
typedef struct {
    apr_uint64_t lock;
    apr_uint32_t port;          /* 0: no master found yet */
    apr_uint32_t sentinel;      /* the sentinel that answered last */
    char host[LR_REDIS_HOST_MAX];
} lr_redis_master;

/* Set in post_config (the parent, before forking); NULL without Sentinel. */
static lr_redis_master *lr_redis_found;

/*
 * Names
 */

const char *lr_redis_server(apr_pool_t *p, const redisContext *ctx)
{
    if (ctx->connection_type == REDIS_CONN_UNIX) {
        return ctx->unix_sock.path;
    }
    return lr_hostport_name(p, ctx->tcp.host ? ctx->tcp.host : "?",
                         (apr_port_t)ctx->tcp.port);
}

/*
 * Setting up a connection
 */

/* Sets the connection's timeout to what is left before the deadline: the
 * steps of setting a connection up share one timeout.  0 and *why when
 * too little is left.
 */
static int lr_redis_until(redisContext *ctx, apr_time_t deadline,
                          const lr_redis_addr *addr, const char *step,
                          apr_pool_t *p, const char **why)
{
    apr_interval_time_t left = deadline - apr_time_now();
    struct timeval tv;

    if (left < LR_REDIS_STEP_MIN) {
        *why = apr_psprintf(p, "%s: no time left for %s", step, addr->name);
        return 0;
    }
    tv.tv_sec = apr_time_sec(left);
    tv.tv_usec = apr_time_usec(left);
    if (redisSetTimeout(ctx, tv) != REDIS_OK) {
        *why = apr_psprintf(p, "%s: cannot set the timeout of a connection "
                            "to %s: %s", step, addr->name, ctx->errstr);
        return 0;
    }
    return 1;
}

/* What went wrong with a command of step (reply NULL: no answer), for
 * the log.  The server's own error is quoted unless it holds the
 * password, which no Redis answer does: this makes sure.
 */
static const char *lr_redis_failed(redisContext *ctx, redisReply *reply,
                                   int err, const lr_redis_addr *addr,
                                   const char *step, const char *secret,
                                   apr_pool_t *p)
{
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        return apr_psprintf(p, "%s refused by %s: %s", step, addr->name,
                            (secret && ap_strstr_c(reply->str, secret))
                            ? "(an answer that is not shown)" : reply->str);
    }
    if (reply) {
        return apr_psprintf(p, "%s: unexpected answer from %s", step,
                            addr->name);
    }
    if (ctx->err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK)) {
        return apr_psprintf(p, "%s: no answer from %s in time", step,
                            addr->name);
    }
    return apr_psprintf(p, "%s: %s: %s", step, addr->name,
                        ctx->errstr[0] ? ctx->errstr : "no reply");
}

/* One step of a connection's set-up, within the deadline: argv, whose
 * answer must be +OK, or with role (ROLE) an array whose first element
 * is role.  0 and *why when it is not.
 */
static int lr_redis_step(redisContext *ctx, apr_time_t deadline,
                         const lr_redis_addr *addr, const char *step,
                         int argc, const char **argv, const char *role,
                         const char *secret, apr_pool_t *p,
                         const char **why)
{
    redisReply *reply, *first;
    int ok;

    if (!lr_redis_until(ctx, deadline, addr, step, p, why)) {
        return 0;
    }
    reply = redisCommandArgv(ctx, argc, argv, NULL);
    if (!role) {
        ok = reply && reply->type == REDIS_REPLY_STATUS
             && !strcasecmp(reply->str, "OK");
    }
    else if (reply && reply->type == REDIS_REPLY_ARRAY
             && reply->elements >= 1
             && ((first = reply->element[0])->type == REDIS_REPLY_STRING
                 || first->type == REDIS_REPLY_STATUS)) {
        ok = !strcmp(first->str, role);
        if (!ok) {
            *why = apr_psprintf(p, "%s of %s is %s, not %s", step,
                                addr->name, first->str, role);
        }
        freeReplyObject(reply);
        return ok;
    }
    else {
        ok = 0;
    }
    if (!ok) {
        *why = lr_redis_failed(ctx, reply, errno, addr, step, secret, p);
    }
    if (reply) {
        freeReplyObject(reply);
    }
    return ok;
}

/* A new connection to addr, ready for its first command, or NULL with
 * *why (which names the step that failed and the server, never the
 * password).  The set-up shares the time left before the deadline: the
 * connect, AUTH with auth's password where there is one, SELECT db where
 * db >= 0, and with master, ROLE, which must say master.  Then every
 * command is given timeout (0: what is left of the deadline).
 */
static redisContext *lr_redis_connect(const lr_redis_addr *addr,
                                      const lr_redis_auth *auth, int db,
                                      int master, apr_time_t deadline,
                                      apr_interval_time_t timeout,
                                      apr_pool_t *p, const char **why)
{
    apr_interval_time_t left = deadline - apr_time_now();
    const char *argv[3];
    struct timeval tv;
    redisContext *ctx;

    if (left < LR_REDIS_STEP_MIN) {
        *why = apr_psprintf(p, "no time left to connect to %s", addr->name);
        return NULL;
    }
    tv.tv_sec = apr_time_sec(left);
    tv.tv_usec = apr_time_usec(left);
    ctx = addr->path ? redisConnectUnixWithTimeout(addr->path, tv)
                     : redisConnectWithTimeout(addr->host, addr->port, tv);
    if (!ctx || ctx->err) {
        *why = apr_psprintf(p, "cannot connect to %s: %s", addr->name,
                            ctx ? ctx->errstr : "out of memory");
        goto failed;
    }
    if (auth->password) {
        int argc = 0;

        argv[argc++] = "AUTH";
        if (auth->user) {
            argv[argc++] = auth->user;
        }
        argv[argc++] = auth->password;
        if (!lr_redis_step(ctx, deadline, addr,
                           auth->user ? apr_pstrcat(p, "AUTH as user ",
                                                    auth->user, NULL)
                                      : "AUTH",
                           argc, argv, NULL, auth->password, p, why)) {
            goto failed;
        }
    }
    if (db >= 0) {
        argv[0] = "SELECT";
        argv[1] = apr_itoa(p, db);
        if (!lr_redis_step(ctx, deadline, addr,
                           apr_pstrcat(p, "SELECT ", argv[1], NULL),
                           2, argv, NULL, NULL, p, why)) {
            goto failed;
        }
    }
    if (master) {
        argv[0] = "ROLE";
        if (!lr_redis_step(ctx, deadline, addr, "ROLE", 1, argv, "master",
                           NULL, p, why)) {
            goto failed;
        }
    }
    if (timeout > 0) {
        tv.tv_sec = apr_time_sec(timeout);
        tv.tv_usec = apr_time_usec(timeout);
        if (redisSetTimeout(ctx, tv) != REDIS_OK) {
            *why = apr_psprintf(p, "cannot set the timeout of a connection "
                                "to %s: %s", addr->name, ctx->errstr);
            goto failed;
        }
    }
    else if (!lr_redis_until(ctx, deadline, addr, "connect", p, why)) {
        goto failed;
    }
    return ctx;

failed:
    if (ctx) {
        redisFree(ctx);
    }
    return NULL;
}

/*
 * Sentinel: the master every child connects to
 */

apr_status_t lr_redis_shared_init(apr_pool_t *pconf, server_rec *s,
                                  const lr_quota_srv *store)
{
    const lr_redis_conf *rc = store->store_conf;
    const char **names = apr_palloc(pconf, sizeof(*names));
    apr_status_t rv;

    names[0] = store->spec;
    rv = lr_qbreaker_init(pconf, s, store, names, 1,
                          rc->sentinels ? sizeof(lr_redis_master) : 0,
                          rc->sentinels ? LR_REDIS_SENTINEL_BACKOFF : 0);
    lr_redis_found = lr_qbreaker_room();
    return rv;
}

apr_uint32_t lr_redis_master_version(void)
{
    return lr_redis_found
           ? (apr_uint32_t)apr_atomic_read64(&lr_redis_found->lock) : 0;
}

/* The master last found: 1 with its address in host (LR_REDIS_HOST_MAX
 * bytes) and *port, and *version the version it is; 0 when none is found
 * yet or a child is writing it.
 */
static int lr_redis_master_get(char *host, apr_port_t *port,
                               apr_uint32_t *version)
{
    lr_redis_master *m = lr_redis_found;
    apr_uint64_t w;

    if (!m || ((w = apr_atomic_read64(&m->lock)) & 1)) {
        return 0;
    }
    memcpy(host, m->host, LR_REDIS_HOST_MAX);
    *port = (apr_port_t)apr_atomic_read32(&m->port);
    /* A compare-and-swap that changes nothing is a full barrier: the lock
     * unchanged after the copy says nothing was written meanwhile.
     */
    if (apr_atomic_cas64(&m->lock, w, w) != w) {
        return 0;
    }
    host[LR_REDIS_HOST_MAX - 1] = '\0';
    *version = (apr_uint32_t)w;
    return *port != 0;
}

/* Makes host:port, which sentinel i named and ROLE confirmed, the master
 * every child connects to, unless it is already (or another child is
 * writing at this moment: its news is as fresh).  Returns the version
 * that a connection to it belongs to; logs the change (LR00056).
 */
static apr_uint32_t lr_redis_master_set(request_rec *r,
                                        const lr_quota_srv *store,
                                        const char *host, apr_port_t port,
                                        int i)
{
    const lr_redis_conf *rc = store->store_conf;
    lr_redis_master *m = lr_redis_found;
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
    apr_uint32_t v, mine;
    char old[LR_REDIS_HOST_MAX];
    apr_port_t old_port = 0;
    apr_uint64_t w, lock;

    if (!m) {
        return 0;
    }
    apr_atomic_set32(&m->sentinel, (apr_uint32_t)i);
    if (!lr_redis_master_get(old, &old_port, &v)) {
        old_port = 0;
    }
    else if (old_port == port && !strcmp(old, host)) {
        return v;
    }
    w = apr_atomic_read64(&m->lock);
    v = (apr_uint32_t)w;
    if ((v & 1) && now - (apr_uint32_t)(w >> 32) < LR_REDIS_WRITER_GONE) {
        return v;
    }
    /* Odd while this child writes (a writer that died left it odd: it
     * stays odd, and moves on so that the dead one's end cannot match).
     */
    mine = v + ((v & 1) ? 2 : 1);
    lock = ((apr_uint64_t)now << 32) | mine;
    if (apr_atomic_cas64(&m->lock, lock, w) != w) {
        return v;
    }
    apr_cpystrn(m->host, host, LR_REDIS_HOST_MAX);
    apr_atomic_set32(&m->port, port);
    apr_atomic_cas64(&m->lock, ((apr_uint64_t)now << 32) | (mine + 1), lock);
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "LR00056: quota store %s: "
                  "the master '%s' is at %s (named by sentinel %s, "
                  "confirmed by ROLE)%s%s", store->spec, rc->master,
                  lr_hostport_name(r->pool, host, port), rc->sentinels[i].name,
                  old_port ? "; it was at " : "",
                  old_port ? lr_hostport_name(r->pool, old, old_port) : "");
    return mine + 1;
}

/* Sentinel i did not answer: the next search begins with the one after
 * it (unless another child moved on meanwhile), so that a sentinel that
 * swallows connections costs one search its time, not every search.
 */
static void lr_redis_sentinel_failed(int i, int n)
{
    if (lr_redis_found) {
        apr_atomic_cas32(&lr_redis_found->sentinel,
                         (apr_uint32_t)((i + 1) % n), (apr_uint32_t)i);
    }
}

/* With Sentinel: asks the sentinels in turn, from the one that answered
 * last (or the one after a sentinel that did not), for the master's address, and connects to the first address that
 * ROLE confirms as the master, which becomes the master every child
 * connects to.  failed (with failed_why) is an address that did not
 * answer as the master in this request: it is not asked again.
 */
static redisContext *lr_redis_discover(request_rec *r,
                                       const lr_quota_srv *store,
                                       apr_time_t deadline,
                                       apr_interval_time_t timeout,
                                       const char *failed,
                                       const char *failed_why,
                                       apr_uint32_t *version,
                                       const char **why)
{
    const lr_redis_conf *rc = store->store_conf;
    const char *argv[3] = {"SENTINEL", "get-master-addr-by-name", NULL};
    const char **tried = apr_palloc(r->pool, 2 * (rc->nsentinels + 1)
                                             * sizeof(*tried));
    const char *last = failed ? failed_why
                              : "no time was left to ask the sentinels";
    int ntried = 0, first = 0, k, i, j;

    argv[2] = rc->master;
    if (failed) {
        tried[ntried++] = failed;
        tried[ntried++] = failed_why;
    }
    if (lr_redis_found) {
        first = (int)(apr_atomic_read32(&lr_redis_found->sentinel)
                      % (apr_uint32_t)rc->nsentinels);
    }
    for (k = 0; k < rc->nsentinels; k++) {
        const lr_redis_addr *sa = &rc->sentinels[(i = (first + k)
                                                  % rc->nsentinels)];
        lr_redis_addr ma = {NULL, 0, NULL, NULL};
        redisContext *ctx;
        redisReply *reply = NULL;
        apr_int64_t port;

        if (deadline - apr_time_now() < LR_REDIS_STEP_MIN) {
            break;              /* the last failure says why */
        }
        ctx = lr_redis_connect(sa, &rc->sentinel_auth, -1, 0, deadline, 0,
                               r->pool, &last);
        if (!ctx) {
            last = apr_pstrcat(r->pool, "sentinel: ", last, NULL);
            lr_redis_sentinel_failed(i, rc->nsentinels);
            continue;
        }
        reply = redisCommandArgv(ctx, 3, argv, NULL);
        if (reply && reply->type == REDIS_REPLY_ARRAY
            && reply->elements == 2
            && reply->element[0]->type == REDIS_REPLY_STRING
            && reply->element[1]->type == REDIS_REPLY_STRING
            && reply->element[0]->len < LR_REDIS_HOST_MAX
            && lr_parse_number(reply->element[1]->str, 65535, &port)
            && port > 0) {
            ma.host = apr_pstrdup(r->pool, reply->element[0]->str);
            ma.port = (apr_port_t)port;
            ma.name = lr_hostport_name(r->pool, ma.host, ma.port);
        }
        else if (reply && reply->type == REDIS_REPLY_NIL) {
            last = apr_psprintf(r->pool, "sentinel %s knows no master '%s'",
                                sa->name, rc->master);
        }
        else {
            last = apr_pstrcat(r->pool, "sentinel: ",
                               lr_redis_failed(ctx, reply, errno, sa,
                                               "SENTINEL "
                                               "get-master-addr-by-name",
                                               rc->sentinel_auth.password,
                                               r->pool), NULL);
        }
        if (reply) {
            freeReplyObject(reply);
        }
        redisFree(ctx);
        if (!ma.host) {
            lr_redis_sentinel_failed(i, rc->nsentinels);
            continue;
        }
        for (j = 0; j < ntried && strcmp(tried[j], ma.name); j += 2) {
        }
        if (j < ntried) {
            last = apr_psprintf(r->pool, "sentinel %s names %s: %s",
                                sa->name, ma.name, tried[j + 1]);
            continue;
        }
        ctx = lr_redis_connect(&ma, &rc->auth, rc->db, 1, deadline, timeout,
                               r->pool, &last);
        if (ctx) {
            *version = lr_redis_master_set(r, store, ma.host, ma.port, i);
            return ctx;
        }
        tried[ntried++] = ma.name;
        tried[ntried++] = last;
        last = apr_psprintf(r->pool, "sentinel %s names %s: %s", sa->name,
                            ma.name, last);
    }
    *why = apr_psprintf(r->pool, "no master '%s' found through the "
                        "sentinels (the last: %s)", rc->master, last);
    return NULL;
}

redisContext *lr_redis_open(request_rec *r, const lr_quota_srv *store,
                            apr_time_t deadline, int ask,
                            apr_uint32_t *version, const char **why)
{
    const lr_redis_conf *rc = store->store_conf;
    apr_interval_time_t timeout = lr_qstore_timeout(store);
    char host[LR_REDIS_HOST_MAX];
    lr_redis_addr ma = {host, 0, NULL, NULL};
    redisContext *ctx;

    *version = 0;
    if (!rc->sentinels) {
        return lr_redis_connect(&rc->server, &rc->auth, rc->db, 0, deadline,
                                timeout, r->pool, why);
    }
    /* The master last found, if ROLE says it still is; else the one the
     * sentinels name now.  The sentinels first when asked to: the master
     * last found has failed, and may take all the time there is to fail
     * again (a host that is gone swallows connections until they time
     * out), which would leave none for them.
     */
    if (ask || !lr_redis_master_get(host, &ma.port, version)) {
        return lr_redis_discover(r, store, deadline, timeout, NULL, NULL,
                                 version, why);
    }
    ma.name = lr_hostport_name(r->pool, host, ma.port);
    if ((ctx = lr_redis_connect(&ma, &rc->auth, rc->db, 1, deadline,
                                timeout, r->pool, why))) {
        return ctx;
    }
    return lr_redis_discover(r, store, deadline, timeout, ma.name, *why,
                             version, why);
}
