/*
 * lr_quota_conf.c: the configuration of upload quotas: the
 * LengthRequiredQuota and LengthRequiredQuotaHeaders directives, the merge
 * of budgets across scopes, and their checks and set-up at startup
 * (lr_quota.c charges them per request, lr_quota_store.c has them counted
 * and holds the store's directives).
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

#include "lr_quota.h"
#include "http_core.h"

#define LR_QUOTA_NAME_MAX   64
#define LR_QUOTA_PERIOD_MAX (31 * 86400)

/*
 * Configuration
 */

struct lr_quota_dir *lr_quota_merge(apr_pool_t *p,
                                    const struct lr_quota_dir *base,
                                    const struct lr_quota_dir *add)
{
    lr_quota_dir *out;
    int i, j;

    if (!add) {
        return (struct lr_quota_dir *)base;
    }
    if (!base || ((!base->quotas || !base->quotas->nelts)
                  && (add->headers != -1 || base->headers == -1))) {
        /* Nothing to inherit (the common case, and <Location> sections
         * are merged on every request): add's list as it is, once it has
         * no "Off" entry left to apply.
         */
        int offs = 0;

        for (i = 0; add->quotas && i < add->quotas->nelts; i++) {
            offs += APR_ARRAY_IDX(add->quotas, i, lr_quota *)->off;
        }
        if (!offs) {
            return (struct lr_quota_dir *)add;
        }
        if (!base) {
            base = add;
            add = NULL;
        }
    }
    out = apr_palloc(p, sizeof(*out));
    out->headers = (add && add->headers != -1) ? add->headers : base->headers;
    out->quotas = apr_array_make(p, 4, sizeof(lr_quota *));
    /* Replace by name, "Off" removes: what base has that add does not
     * name, then add's own (an "Off" entry is dropped here, so a merged
     * list holds only budgets in force).
     */
    if (base->quotas) {
        for (i = 0; i < base->quotas->nelts; i++) {
            lr_quota *bq = APR_ARRAY_IDX(base->quotas, i, lr_quota *);
            int named = 0;

            if (add && add->quotas) {
                for (j = 0; j < add->quotas->nelts; j++) {
                    if (!strcmp(APR_ARRAY_IDX(add->quotas, j,
                                              lr_quota *)->name, bq->name)) {
                        named = 1;
                        break;
                    }
                }
            }
            if (!named && !bq->off) {
                APR_ARRAY_PUSH(out->quotas, lr_quota *) = bq;
            }
        }
    }
    if (add && add->quotas) {
        for (j = 0; j < add->quotas->nelts; j++) {
            lr_quota *aq = APR_ARRAY_IDX(add->quotas, j, lr_quota *);
            if (!aq->off) {
                APR_ARRAY_PUSH(out->quotas, lr_quota *) = aq;
            }
        }
    }
    return out;
}

static lr_quota_dir *lr_quota_dir_get(cmd_parms *cmd, lr_dir_conf *conf)
{
    if (!conf->quota) {
        conf->quota = apr_pcalloc(cmd->pool, sizeof(*conf->quota));
        conf->quota->headers = -1;
    }
    return conf->quota;
}

/* A budget's name: a word that also reads well in a store key. */
static int lr_quota_name_ok(const char *s)
{
    const char *p;

    for (p = s; *p; p++) {
        if (!apr_isalnum(*p) && *p != '_' && *p != '-' && *p != '.') {
            return 0;
        }
    }
    return p > s && p - s <= LR_QUOTA_NAME_MAX;
}

/* LengthRequiredQuota name size period [key] | name Off */
const char *lr_cmd_quota(cmd_parms *cmd, void *dconf, const char *args)
{
    const char *name = ap_getword_conf(cmd->temp_pool, &args);
    const char *size = ap_getword_conf(cmd->temp_pool, &args);
    const char *period = ap_getword_conf(cmd->temp_pool, &args);
    const char *key = ap_getword_conf(cmd->temp_pool, &args);
    const char *extra = ap_getword_conf(cmd->temp_pool, &args);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_HTACCESS);
    lr_quota_dir *qd;
    lr_quota *q;

    if (err) {
        return err;
    }
    if (!*name || !*size) {
        return apr_psprintf(cmd->pool, "%s: takes a name, a size, a period "
                            "and an optional key (or a name and Off)",
                            cmd->cmd->name);
    }
    if (!lr_quota_name_ok(name)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid budget "
                            "name; use 1 to %d letters, digits, '_', '-' "
                            "or '.'", cmd->cmd->name, name,
                            LR_QUOTA_NAME_MAX);
    }
    q = apr_pcalloc(cmd->pool, sizeof(*q));
    q->name = apr_pstrdup(cmd->pool, name);
    if (!strcasecmp(size, "Off")) {
        if (*period) {
            return apr_psprintf(cmd->pool, "%s: '%s Off' takes nothing "
                                "more, not '%s'", cmd->cmd->name, name,
                                period);
        }
        q->off = 1;
    }
    else {
        if (!lr_parse_size(size, &q->size) || q->size < 1) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid size; "
                                "use a whole number of bytes above 0, "
                                "optionally followed by K, M, G or T "
                                "(powers of 1024)", cmd->cmd->name, size);
        }
        if (!*period) {
            return apr_psprintf(cmd->pool, "%s: budget '%s' has no period; "
                                "give one such as 3600, 60m, 1h or 1d",
                                cmd->cmd->name, name);
        }
        if (!lr_parse_period(period, LR_QUOTA_PERIOD_MAX, &q->period)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid period; "
                                "use a whole number followed by s, m, h or "
                                "d (a bare number is seconds), from 1s to "
                                "31d", cmd->cmd->name, period);
        }
        if (*extra) {
            return apr_psprintf(cmd->pool, "%s: '%s' is one argument too "
                                "many; quote the key expression if it has "
                                "spaces", cmd->cmd->name, extra);
        }
        q->key_text = apr_pstrdup(cmd->pool, *key ? key : "%{REMOTE_ADDR}");
        q->key = ap_expr_parse_cmd(cmd, q->key_text,
                                   AP_EXPR_FLAG_STRING_RESULT
                                   | AP_EXPR_FLAG_DONT_VARY, &err, NULL);
        if (err) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid key "
                                "expression: %s", cmd->cmd->name,
                                q->key_text, err);
        }
        /* httpd knows the user only after its auth phases, which run
         * after header_parser: such budgets are charged in fixups.
         */
        q->after_auth = ap_strstr_c(q->key_text, "REMOTE_USER") != NULL
                        || ap_strstr_c(q->key_text, "AUTH_TYPE") != NULL;
        q->key_is_addr = !strcmp(q->key_text, "%{REMOTE_ADDR}");
        q->key_prefix = apr_psprintf(cmd->pool, "lrq:%s:%" APR_INT64_T_FMT
                                     ":", q->name, q->period);
        q->key_prefix_len = strlen(q->key_prefix);
        APR_ARRAY_PUSH(lr_qstore_srv_conf(cmd->server, cmd->pool)->budgets,
                       lr_quota *) = q;
    }
    qd = lr_quota_dir_get(cmd, dconf);
    if (!qd->quotas) {
        qd->quotas = apr_array_make(cmd->pool, 2, sizeof(lr_quota *));
    }
    APR_ARRAY_PUSH(qd->quotas, lr_quota *) = q;
    return NULL;
}

const char *lr_cmd_quota_headers(cmd_parms *cmd, void *dconf, int flag)
{
    lr_quota_dir_get(cmd, dconf)->headers = flag;
    return NULL;
}

/*
 * Startup
 */

/* check_config runs under "apachectl -t" too: every budget must fit what
 * the store can count.
 */
int lr_quota_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    const lr_quota_srv *store = lr_qstore_main(s);
    server_rec *vs;
    int i;

    for (vs = s; vs; vs = vs->next) {
        const lr_srv_conf *sconf =
            ap_get_module_config(vs->module_config, &length_required_module);

        if (!sconf->quota) {
            continue;
        }
        for (i = 0; i < sconf->quota->budgets->nelts; i++) {
            const lr_quota *q = APR_ARRAY_IDX(sconf->quota->budgets, i,
                                              const lr_quota *);
            const char *why = lr_qstore_check(store, q, ptemp);

            if (why) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, vs,
                             "LR00040: LengthRequiredQuota %s: %s",
                             q->name, why);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }
    return OK;
}

/* The store, set up for this generation; and where the configuration
 * speaks of quotas anywhere (a budget, the store or its size give a host
 * its quota part), the store's gauge, shown once the store is set up:
 * its breakers may have come through a graceful restart given up.
 */
int lr_quota_post_config(apr_pool_t *pconf, server_rec *s)
{
    server_rec *vs;
    int declared = 0, used = 0;

    for (vs = s; vs; vs = vs->next) {
        const lr_srv_conf *sconf =
            ap_get_module_config(vs->module_config, &length_required_module);
        if (sconf->quota) {
            declared = 1;
            used |= sconf->quota->budgets->nelts > 0;
        }
    }
    if (lr_qstore_init(pconf, s, lr_qstore_main(s), used) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (declared) {
        lr_stats_gauge_show(LR_G_QUOTA_STORE_UP, lr_qstore_up());
    }
    return OK;
}

void lr_quota_child_init(apr_pool_t *pchild, server_rec *s)
{
    lr_qstore_child_init(pchild, s);
}
