/*
 * lr_qstore_memcache.c: the quota store on memcached, through
 * libmemcached: 64-bit counters charged with one binary-protocol increment
 * (made with its expiry when the window is new), keys spread over the
 * servers by consistent hashing, every operation bounded by the timeout,
 * and a breaker per server.
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

#include <libmemcached-1.0/memcached.h>
#include <libmemcachedutil-1.0/pool.h>

#include "lr_qstore.h"
#include "ap_mpm.h"

/* memcached reads an expiry of more than 30 days as a date (Unix
 * seconds), not as seconds from now: a window longer than that cannot be
 * given a relative expiry.
 */
#define LR_MC_TTL_MAX       (30 * 86400)

/* LengthRequiredQuotaStore memcache:host:port[,host:port...] */
typedef struct {
    apr_array_header_t *servers;    /* lr_hostport */
} lr_mc_conf;

/* Per child (child_init), read afterwards: one client per thread, each
 * with a connection to every server, made on first use.
 */
static memcached_pool_st *lr_mc_pool;
static const lr_quota_srv *lr_mc_store;
static apr_uint32_t lr_mc_last_log;     /* of this process's own lines */

/*
 * Configuration
 */

static const char *lr_mc_parse(cmd_parms *cmd, lr_quota_srv *store,
                               const char *address)
{
    lr_mc_conf *mc = apr_palloc(cmd->pool, sizeof(*mc));
    const char *bad;

    if (!lr_parse_hostports(cmd->pool, address, &mc->servers, &bad)) {
        return *bad ? apr_psprintf(cmd->pool, "%s: '%s' in '%s' is not a "
                                   "valid host:port", cmd->cmd->name, bad,
                                   store->spec)
                    : apr_psprintf(cmd->pool, "%s: '%s' does not name "
                                   "memcache:host:port[,host:port...]",
                                   cmd->cmd->name, store->spec);
    }
    store->store_conf = mc;
    return NULL;
}

/* The window of q must take a relative expiry. */
static const char *lr_mc_check(const lr_quota_srv *store, const lr_quota *q,
                               apr_pool_t *p)
{
    if (q->period > LR_MC_TTL_MAX) {
        return apr_psprintf(p, "period %" APR_INT64_T_FMT " s is more than "
                            "the 30 days memcached takes as an expiry "
                            "(LengthRequiredQuotaStore memcache:)",
                            q->period);
    }
    return NULL;
}

/* The breakers, one per server, named as a store of that server alone. */
static apr_status_t lr_mc_init(apr_pool_t *pconf, server_rec *s,
                               const lr_quota_srv *store)
{
    const lr_mc_conf *mc = store->store_conf;
    const char **names = apr_palloc(pconf, mc->servers->nelts
                                           * sizeof(*names));
    int i;

    for (i = 0; i < mc->servers->nelts; i++) {
        const lr_hostport *ms = &APR_ARRAY_IDX(mc->servers, i,
                                               lr_hostport);

        names[i] = apr_pstrcat(pconf, "memcache:",
                               lr_hostport_name(pconf, ms->host, ms->port),
                               NULL);
    }
    return lr_qbreaker_init(pconf, s, store, names, mc->servers->nelts, 0, 0);
}

/*
 * Per child
 */

static apr_status_t lr_mc_cleanup(void *data)
{
    memcached_st *master = memcached_pool_destroy(lr_mc_pool);

    if (master) {
        memcached_free(master);
    }
    lr_mc_pool = NULL;
    return APR_SUCCESS;
}

/* The client every thread's is cloned from.  Binary protocol (increment
 * with an initial value and an expiry), ketama's consistent hashing (a
 * server added or removed moves few keys), the timeout on connect, send
 * and receive, and no retry or ejection of its own: the breaker decides
 * when a server is asked, and a server's keys never move to another while
 * it is down (they would start again from 0 there).
 */
static void lr_mc_child_init(apr_pool_t *pchild, server_rec *s,
                             const lr_quota_srv *store)
{
    const lr_mc_conf *mc = store->store_conf;
    apr_interval_time_t t = lr_qstore_timeout(store);
    uint64_t ms = (uint64_t)(t / 1000) ? (uint64_t)(t / 1000) : 1;
    memcached_st *master = memcached_create(NULL);
    int threads = 1, i;

    lr_mc_store = store;
    if (!master) {
        return;
    }
    memcached_behavior_set(master, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
    memcached_behavior_set(master, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
    memcached_behavior_set(master, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
    memcached_behavior_set(master, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, ms);
    memcached_behavior_set(master, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, ms);
    memcached_behavior_set(master, MEMCACHED_BEHAVIOR_SND_TIMEOUT,
                           (uint64_t)t);
    memcached_behavior_set(master, MEMCACHED_BEHAVIOR_RCV_TIMEOUT,
                           (uint64_t)t);
    memcached_behavior_set(master, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0);
    memcached_behavior_set(master, MEMCACHED_BEHAVIOR_AUTO_EJECT_HOSTS, 0);
    for (i = 0; i < mc->servers->nelts; i++) {
        const lr_hostport *srv = &APR_ARRAY_IDX(mc->servers, i,
                                                 lr_hostport);
        const memcached_instance_st *inst;

        memcached_server_add(master, srv->host, srv->port);
        /* The breakers are numbered as the configuration lists the
         * servers; libmemcached keeps them in that order.
         */
        inst = memcached_server_instance_by_position(master, i);
        if (!inst || memcached_server_port(inst) != srv->port) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "LR00054: memcached "
                         "server %s:%u is not where it was added; the "
                         "breakers may name the wrong server", srv->host,
                         srv->port);
        }
    }
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    lr_mc_pool = memcached_pool_create(master, 1, threads > 1 ? threads : 1);
    if (!lr_mc_pool) {
        memcached_free(master);
        return;
    }
    apr_pool_cleanup_register(pchild, NULL, lr_mc_cleanup,
                              apr_pool_cleanup_null);
}

/*
 * Request time
 */

/* A thread's client: there is one for each thread, so this never waits
 * long; NULL when none can be had.
 */
static memcached_st *lr_mc_fetch(request_rec *r)
{
    apr_interval_time_t t = lr_qstore_timeout(lr_mc_store);
    struct timespec wait;
    memcached_return_t rc;
    memcached_st *m;

    if (!lr_mc_pool) {
        if (lr_qstore_may_log(&lr_mc_last_log)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LR00054: no "
                          "memcached client in this process (see the "
                          "startup errors)");
        }
        return NULL;
    }
    wait.tv_sec = apr_time_sec(t);
    wait.tv_nsec = apr_time_usec(t) * 1000;
    m = memcached_pool_fetch(lr_mc_pool, &wait, &rc);
    if (!m && lr_qstore_may_log(&lr_mc_last_log)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LR00054: no memcached "
                      "client free: %s", memcached_strerror(NULL, rc));
    }
    return m;
}

/* A connection that memcached closed (it restarted) fails at once when it
 * is next used, and libmemcached then drops it: such an error, never a
 * timeout, is worth one more try, on a new connection.
 */
static int lr_mc_stale(memcached_return_t rc)
{
    return rc == MEMCACHED_CONNECTION_FAILURE || rc == MEMCACHED_WRITE_FAILURE
           || rc == MEMCACHED_READ_FAILURE
           || rc == MEMCACHED_UNKNOWN_READ_FAILURE;
}

/* One charge: the window's count with n added, made with n and the ttl
 * when the window is new, in one round trip.  Two requests that find the
 * window missing at once both ask memcached to make it; it makes it for
 * one and answers the other NOT_STORED, whose increment then finds it.
 */
static memcached_return_t lr_mc_incr(memcached_st *m, const lr_qop *op,
                                     apr_size_t len, uint64_t *v)
{
    memcached_return_t rc;
    int stale = 0, raced = 0;

    for (;;) {
        rc = memcached_increment_with_initial_by_key(
                 m, op->key, len, op->key, len, (uint64_t)op->n,
                 (uint64_t)op->n, (time_t)op->ttl, v);
        if (!(lr_mc_stale(rc) && ++stale < 2)
            && !(rc == MEMCACHED_NOTSTORED && ++raced < 4)) {
            return rc;
        }
    }
}

/* Gives back n, in one round trip; memcached stops a decrement at 0, and
 * a window that has gone (expired, evicted) has nothing to give back to.
 */
static void lr_mc_decr(request_rec *r, memcached_st *m, const lr_qop *op)
{
    apr_size_t len = strlen(op->key);
    uint32_t srv = memcached_generate_hash(m, op->key, len);
    memcached_return_t rc;
    uint64_t v;
    int tries = 0, asked = lr_qbreaker_allow(srv);

    if (!asked) {
        return;                 /* given up: the refund is lost */
    }
    do {
        rc = memcached_decrement_by_key(m, op->key, len, op->key, len,
                                        (uint64_t)op->n, &v);
    } while (lr_mc_stale(rc) && ++tries < 2);
    if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_NOTFOUND) {
        lr_qbreaker_ok(r, srv);
    }
    else {
        lr_qbreaker_failed(r, srv, asked, 0, apr_pstrcat(r->pool,
                           "decrement failed: ",
                           memcached_strerror(m, rc), NULL));
    }
}

/* Each op is one increment on its key's server, in turn; a server that is
 * given up is not asked, and when an op fails or would pass its size the
 * ones before it are given back.
 */
static lr_qs_result lr_mc_reserve(request_rec *r, lr_qop *ops, int nops,
                                  int *over)
{
    memcached_st *m = lr_mc_fetch(r);
    lr_qs_result res = LR_QS_OK;
    int i, j;

    if (!m) {
        return LR_QS_ERROR;
    }
    for (i = 0; i < nops; i++) {
        apr_size_t len = strlen(ops[i].key);
        uint32_t srv = memcached_generate_hash(m, ops[i].key, len);
        int asked = lr_qbreaker_allow(srv);
        memcached_return_t rc;
        uint64_t v = 0;

        if (!asked) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "quota store: "
                          "memcached server %u is given up", srv);
            res = LR_QS_ERROR;
            break;
        }
        rc = lr_mc_incr(m, &ops[i], len, &v);
        if (rc != MEMCACHED_SUCCESS) {
            lr_qbreaker_failed(r, srv, asked, 0,
                               apr_pstrcat(r->pool, "increment failed: ",
                               memcached_strerror(m, rc), NULL));
            res = LR_QS_ERROR;
            break;
        }
        lr_qbreaker_ok(r, srv);
        if (v > (uint64_t)ops[i].size) {
            /* Over: this charge is undone at once, the one way memcached
             * has; for that instant another request may see the window
             * fuller than it is (and be refused), never emptier.
             */
            ops[i].used = (apr_off_t)(v - (uint64_t)ops[i].n);
            lr_mc_decr(r, m, &ops[i]);
            res = LR_QS_OVER;
            break;
        }
        ops[i].used = (apr_off_t)v;
    }
    if (res != LR_QS_OK) {
        for (j = 0; j < i; j++) {
            lr_mc_decr(r, m, &ops[j]);
        }
        *over = i;
    }
    memcached_pool_release(lr_mc_pool, m);
    return res;
}

static void lr_mc_refund(request_rec *r, lr_qop *ops, int nops)
{
    memcached_st *m = lr_mc_fetch(r);
    int i;

    if (!m) {
        return;
    }
    for (i = 0; i < nops; i++) {
        lr_mc_decr(r, m, &ops[i]);
    }
    memcached_pool_release(lr_mc_pool, m);
}

const lr_qstore_provider lr_qstore_memcache = {
    "memcache", "memcache:host:port[,host:port...]", 1,
    lr_mc_parse,
    NULL, "",                   /* no options of its own */
    NULL,
    lr_mc_check,
    lr_mc_init,
    lr_mc_child_init,
    lr_mc_reserve,
    lr_mc_refund
};
