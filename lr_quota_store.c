/*
 * lr_quota_store.c: where upload budgets are counted, as the request side
 * sees it: the store's directives (LengthRequiredQuotaStore,
 * LengthRequiredQuotaEntries), and reserve, refund, the fail mode and the
 * store's state, handed to the store in force: a table in shared memory
 * (lr_qstore_shm.c), memcached (lr_qstore_memcache.c) or Redis
 * (lr_qstore_redis.c).
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

#include "lr_qstore.h"
#include "http_core.h"
#include "http_main.h"

/* The stores, by the name that begins their LengthRequiredQuotaStore. */
static const lr_qstore_provider *const lr_qstore_providers[] = {
    &lr_qstore_shm, &lr_qstore_memcache, &lr_qstore_redis,
    &lr_qstore_redis_sentinel, NULL
};

#define LR_QSTORE_TIMEOUT_MAX   apr_time_from_sec(10)

/* The store in force, set in post_config (the parent, before forking),
 * and whether any host declares a budget; read afterwards.
 */
static const lr_quota_srv *lr_qs_conf;
static int lr_qs_used;

/*
 * Configuration
 */

/* The store of a server that names none: shm, timeout and table size
 * unset (their defaults), fail=open.
 */
static const lr_quota_srv lr_qstore_default = {
    &lr_qstore_shm, NULL, "shm", -1, 0, -1, NULL
};

lr_quota_srv *lr_qstore_srv_conf(server_rec *s, apr_pool_t *p)
{
    lr_srv_conf *sconf = ap_get_module_config(s->module_config,
                                              &length_required_module);

    if (!sconf->quota) {
        sconf->quota = apr_palloc(p, sizeof(*sconf->quota));
        *sconf->quota = lr_qstore_default;
        sconf->quota->budgets = apr_array_make(p, 4, sizeof(lr_quota *));
    }
    return sconf->quota;
}

const lr_quota_srv *lr_qstore_main(server_rec *s)
{
    const lr_srv_conf *sconf = ap_get_module_config(s->module_config,
                                                    &length_required_module);

    return sconf->quota ? sconf->quota : &lr_qstore_default;
}

/* "shm, memcache:host:port[,host:port...], redis:... or redis-sentinel:..." */
static const char *lr_qstore_syntax(apr_pool_t *p)
{
    const char *out = "";
    int i;

    for (i = 0; lr_qstore_providers[i]; i++) {
        out = apr_pstrcat(p, out, i ? (lr_qstore_providers[i + 1] ? ", "
                                                                  : " or ")
                                    : "",
                          lr_qstore_providers[i]->syntax, NULL);
    }
    return out;
}

/* timeout=D: a number and its unit, as mod_proxy's timeouts are read
 * (ap_timeout_parameter_parse: ms, s, mi, h), from 1 ms to 10 s.  A bare
 * number is refused: a reader cannot tell whether it means seconds (as
 * mod_proxy would) or milliseconds.
 */
static const char *lr_qstore_timeout_parse(cmd_parms *cmd, const char *word,
                                           apr_interval_time_t *t)
{
    const char *v = word + 8, *p = v;

    while (apr_isdigit(*p)) {
        p++;
    }
    if (p > v && !*p) {
        return apr_psprintf(cmd->pool, "%s: '%s' has no unit; write the "
                            "unit after the number, ms or s (e.g. "
                            "timeout=%sms or timeout=%ss), from 1ms to 10s",
                            cmd->cmd->name, word, v, v);
    }
    if (p == v || ap_timeout_parameter_parse(v, t, "s") != APR_SUCCESS
        || *t < apr_time_from_msec(1) || *t > LR_QSTORE_TIMEOUT_MAX) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid timeout; "
                            "use a number with the unit ms or s (e.g. "
                            "timeout=100ms or timeout=1s), from 1ms to 10s",
                            cmd->cmd->name, word);
    }
    return NULL;
}

/* LengthRequiredQuotaStore STORE [timeout=D] [fail=open|closed]
 * [the store's own options]: STORE is a provider's name, and for those
 * with an address, ':' and the address, which the provider reads; it
 * reads its own options too (a word of the form name=value that is not
 * ours), and says last whether they hold together.
 */
const char *lr_cmd_quota_store(cmd_parms *cmd, void *dconf,
                               const char *args)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const lr_qstore_provider *pv = NULL;
    const char *spec, *colon, *word;
    lr_quota_srv *qs;
    apr_size_t nlen;
    int i;

    if (err) {
        return err;
    }
    qs = lr_qstore_srv_conf(cmd->server, cmd->pool);
    spec = ap_getword_conf(cmd->pool, &args);
    colon = ap_strchr_c(spec, ':');
    nlen = colon ? (apr_size_t)(colon - spec) : strlen(spec);
    for (i = 0; lr_qstore_providers[i]; i++) {
        if (strlen(lr_qstore_providers[i]->name) == nlen
            && !strncasecmp(spec, lr_qstore_providers[i]->name, nlen)
            && lr_qstore_providers[i]->has_address == (colon != NULL)) {
            pv = lr_qstore_providers[i];
            break;
        }
    }
    if (!pv) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid store; use "
                            "%s", cmd->cmd->name, spec,
                            lr_qstore_syntax(cmd->temp_pool));
    }
    /* A later line replaces an earlier one whole. */
    qs->provider = pv;
    qs->spec = spec;
    qs->store_conf = NULL;
    qs->timeout = -1;
    qs->fail_closed = 0;
    if (pv->parse && (err = pv->parse(cmd, qs, colon + 1))) {
        return err;
    }
    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        if (!strncasecmp(word, "timeout=", 8)) {
            if ((err = lr_qstore_timeout_parse(cmd, word, &qs->timeout))) {
                return err;
            }
        }
        else if (!strcasecmp(word, "fail=open")) {
            qs->fail_closed = 0;
        }
        else if (!strcasecmp(word, "fail=closed")) {
            qs->fail_closed = 1;
        }
        else if (pv->option && pv->option(cmd, qs, word, &err)) {
            if (err) {
                return err;
            }
        }
        else {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid "
                                "option; use timeout=duration, fail=open or "
                                "fail=closed%s%s%s", cmd->cmd->name, word,
                                *pv->options ? ", or those of " : "",
                                *pv->options ? pv->name : "",
                                *pv->options ? pv->options : "");
        }
    }
    if (pv->finish && (err = pv->finish(cmd, qs))) {
        return err;
    }
    return NULL;
}

const char *lr_cmd_quota_entries(cmd_parms *cmd, void *dconf,
                                 const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_int64_t n;

    if (err) {
        return err;
    }
    if (!lr_parse_number(arg, 10000000, &n) || n < 1) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid number of "
                            "entries; use a whole number from 1 to 10000000",
                            cmd->cmd->name, arg);
    }
    lr_qstore_srv_conf(cmd->server, cmd->pool)->entries = (int)n;
    return NULL;
}

/*
 * Startup
 */

const char *lr_qstore_check(const lr_quota_srv *store, const lr_quota *q,
                            apr_pool_t *p)
{
    return store->provider->check ? store->provider->check(store, q, p)
                                  : NULL;
}

/* Every generation: the store's set-up in the parent, and what the other
 * stores, or an earlier generation, left is let go of (a table, the
 * breakers).  Nothing in httpd's preflight pass at startup.
 */
apr_status_t lr_qstore_init(apr_pool_t *pconf, server_rec *s,
                            const lr_quota_srv *store, int used)
{
    const lr_qstore_provider *pv = store->provider;

    lr_qs_conf = store;
    lr_qs_used = used;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return APR_SUCCESS;
    }
    if (!used || pv != &lr_qstore_shm) {
        lr_qstore_shm.init(pconf, s, NULL);
    }
    if (!used || pv == &lr_qstore_shm) {
        lr_qbreaker_init(pconf, s, store, NULL, 0, 0, 0);
    }
    return used ? pv->init(pconf, s, store) : APR_SUCCESS;
}

void lr_qstore_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (lr_qs_used && lr_qs_conf->provider->child_init) {
        lr_qs_conf->provider->child_init(pchild, s, lr_qs_conf);
    }
}

/*
 * Request time
 */

int lr_qstore_fail_closed(void)
{
    return lr_qs_conf && lr_qs_conf->fail_closed;
}

int lr_qstore_up(void)
{
    return lr_qbreaker_all_up();
}

lr_qs_result lr_qstore_reserve(request_rec *r, lr_qop *ops, int nops,
                               int *over)
{
    if (!lr_qs_used) {
        return LR_QS_ERROR;
    }
    return lr_qs_conf->provider->reserve(r, ops, nops, over);
}

void lr_qstore_refund(request_rec *r, lr_qop *ops, int nops)
{
    if (!lr_qs_used) {
        return;
    }
    if (APLOGrtrace1(r)) {
        int i;

        for (i = 0; i < nops; i++) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "quota store %s: "
                          "refund %" APR_OFF_T_FMT " on %s",
                          lr_qs_conf->provider->name, ops[i].n, ops[i].key);
        }
    }
    lr_qs_conf->provider->refund(r, ops, nops);
}
