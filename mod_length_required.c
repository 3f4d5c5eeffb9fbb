/*
 * mod_length_required.c: refuse request bodies that do not declare their
 * length (411 Length Required) or that declare too much (413), per
 * directory, before a single body byte is read and before any handler,
 * CGI or proxy backend is involved.
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
 *
 * This file holds the module: the creation and merge of its configuration,
 * the command table, the request hooks that drive the features in turn,
 * and the registration of every hook and filter.  Each file calls only
 * the ones below it:
 *
 *   mod_length_required.c   this file
 *   lr_judge.c              the 411/413 decision
 *   lr_upload.c             LengthRequiredUploadMax: resumable uploads
 *   lr_strict.c             LengthRequiredStrict: request-framing ambiguities
 *   lr_buffer.c             LengthRequiredChunked Buffer
 *   lr_quota_conf.c,        upload quotas: their directives, the charge per
 *   lr_quota.c,             request, the store interface and its
 *   lr_quota_store.c,       directives, and the stores that count them
 *   lr_qstore_*.c           (shm, memcached, Redis, and their breaker)
 *   lr_errbody.c            JSON error bodies (LengthRequiredErrorFormat)
 *   lr_metrics.c            the counters for Prometheus (a handler)
 *   lr_policy.c             the policy of a scope, which the features judge
 *                           by: its directives, merge and TightenOnly
 *   lr_request.c            the request core: the state of a request and of
 *                           its body, the one refusal path, the meter
 *   lr_stats.c              counters in shared memory, shown by mod_status
 *   lr_util.c               the pure parsers, which the fuzzers link alone
 *
 * Headers, by audience: lr_features.h (what the features offer this file),
 * lr_policy.h (the policy, for this file and the features),
 * lr_request.h (the core, for the features), lr_stats.h (the counters),
 * lr_quota.h (the quota files alone), lr_private.h (the configuration,
 * for all), lr_util.h (the parsers; APR only).
 */

#include "lr_features.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "mod_status.h"

#ifndef LR_VERSION
#define LR_VERSION "unknown"
#endif

/*
 * Configuration: create and merge
 */

static void *lr_create_dir_config(apr_pool_t *p, char *dir)
{
    lr_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    lr_policy_unset(&conf->policy);
    conf->tenant = NULL;
    conf->quota = NULL;
    return conf;
}

/* Where no .htaccess file set anything on either side (the common case,
 * and <Location> sections are merged on every request), only the policy
 * is merged; the tenant side is made only where one did.
 */
static void *lr_merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    const lr_dir_conf *base = basev;
    const lr_dir_conf *add = addv;
    lr_dir_conf *conf = apr_palloc(p, sizeof(*conf));

    lr_policy_merge(&conf->policy, &base->policy, &add->policy);
    conf->tenant = (base->tenant || add->tenant)
                   ? lr_tenant_merge(p, base, add) : NULL;
    conf->quota = lr_quota_merge(p, base->quota, add->quota);
    return conf;
}

static void *lr_create_srv_config(apr_pool_t *p, server_rec *s)
{
    lr_srv_conf *sconf = apr_pcalloc(p, sizeof(*sconf));

    sconf->htaccess = LR_HTACCESS_UNSET;
    sconf->strict = -1;
    sconf->active = 0;
    sconf->slot = -1;
    sconf->counts = NULL;
    sconf->buffer_memory = -1;
    sconf->buffer_dir = NULL;
    sconf->quota = NULL;
    return sconf;
}

static void *lr_merge_srv_config(apr_pool_t *p, void *basev, void *addv)
{
    const lr_srv_conf *base = basev;
    const lr_srv_conf *add = addv;
    lr_srv_conf *sconf = apr_palloc(p, sizeof(*sconf));

    sconf->htaccess = (add->htaccess != LR_HTACCESS_UNSET)
                      ? add->htaccess : base->htaccess;
    sconf->strict = (add->strict != -1) ? add->strict : base->strict;
    /* The main server's sections apply inside every virtual host. */
    sconf->active = add->active || base->active;
    sconf->slot = -1;           /* per host, assigned in post_config */
    sconf->counts = NULL;
    sconf->buffer_memory = (add->buffer_memory != -1) ? add->buffer_memory
                                                      : base->buffer_memory;
    sconf->buffer_dir = add->buffer_dir ? add->buffer_dir : base->buffer_dir;
    /* The budgets the host's own sections declare (lr_quota_conf.c); the
     * store is the main server's.
     */
    sconf->quota = add->quota;
    return sconf;
}

/*
 * The request hooks: each feature in turn, on every route to a handler
 */

/* Hands what a scope decided about the body it let through to the feature
 * that takes it from there.
 */
static LR_COLD int lr_route(request_rec *r, const lr_dir_conf *conf,
                            lr_verdict v)
{
    switch (v.kind) {
    case LR_BODY_BUFFER:
        lr_buffer_want(r, v.mode, v.length);
        return DECLINED;
    case LR_BODY_DECLARED:
    case LR_BODY_STREAMED:
        /* Upload quotas: the declared length is charged now, a streamed
         * body as it arrives (-1).
         */
        return conf->quota ? lr_quota_charge(r, conf->quota, v.mode,
                                             v.length)
                           : DECLINED;
    default:
        return DECLINED;
    }
}

/* A scope with LengthRequiredUploadMax: a body the judge let through may
 * still be an append that takes a resumable upload past its max.
 */
static LR_COLD int lr_scope_upload(request_rec *r, const lr_dir_conf *conf,
                                   const lr_policy *p, lr_verdict v)
{
    int rv = lr_upload_judge(r, p);

    if (rv != DECLINED || v.kind == LR_BODY_PASSED) {
        return rv;
    }
    return lr_route(r, conf, v);
}

/* Judges r in the scope conf.  Out of line, so that the hooks' early
 * returns need no stack frame.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int lr_scope(request_rec *r, const lr_dir_conf *conf)
{
    const lr_policy *p = lr_policy_for(r, conf);
    lr_verdict v;

    if (!p) {
        /* Nothing to judge here after all (a .htaccess's TightenOnly, a
         * method listed by name): fixups need not ask this scope again,
         * unless the request holds more than the look.
         */
        void *slot = LR_SLOT(r);

        if (!slot || LR_TAG(slot) == 2) {
            ap_set_module_config(r->request_config, &length_required_module,
                                 LR_LOOKED(r->per_dir_config));
        }
        return DECLINED;
    }
    v = lr_judge(r, p, conf->quota != NULL);
    if (v.status != DECLINED) {
        return v.status;
    }
    if (p->upload_max > 0) {
        return lr_scope_upload(r, conf, p, v);
    }
    if (v.kind == LR_BODY_PASSED) {
        return DECLINED;
    }
    return lr_route(r, conf, v);
}

/* An internal redirect (mod_rewrite, Action, ErrorDocument ...) takes over
 * the body state of the request it came from, and its own scope judges
 * the body again, by the method the client sent.  The redirect of a
 * refused request (its ErrorDocument) is not judged: its body is gone.
 */
static LR_COLD int lr_redirected(request_rec *r)
{
    const lr_dir_conf *conf;
    const lr_req *rq;

    if (lr_inherit(r)) {
        return DECLINED;
    }
    rq = lr_req_of(r);
    if (rq && rq->body->buffer) {
        lr_buffer_attach(r, rq->body);
    }
    conf = ap_get_module_config(r->per_dir_config, &length_required_module);
    if (!LR_SCOPE_MAY_JUDGE(conf, lr_first(r))) {
        return DECLINED;
    }
    return lr_scope(r, conf);
}

/* header_parser: the decision, for the initial request and for every
 * internal redirect of it.  Nothing is allocated for a request the scope
 * does not judge, nor for one it lets pass with nothing more to do.
 */
static int lr_header_parser(request_rec *r)
{
    const lr_dir_conf *conf;

    if (r->main) {
        return DECLINED;
    }
    if (r->prev) {
        return lr_redirected(r);
    }
    conf = ap_get_module_config(r->per_dir_config, &length_required_module);
    if (!LR_SCOPE_MAY_JUDGE(conf, r)) {
        /* For the fixup: this scope has nothing to judge. */
        ap_set_module_config(r->request_config, &length_required_module,
                             LR_LOOKED(r->per_dir_config));
        return DECLINED;
    }
    return lr_scope(r, conf);
}

/* LengthRequiredChunked Buffer reads the body now, after authorization
 * and after the last scope has judged; a body read whole is charged to
 * the budgets of the scope before the handler gets it.
 */
static LR_COLD int lr_fixups_buffer(request_rec *r, lr_body *body)
{
    const lr_dir_conf *conf;
    apr_off_t length;
    lr_mode_e mode;
    int rv = lr_buffer_read(r, body, &length, &mode);

    if (rv != OK || mode == LR_MODE_OFF) {
        return rv;              /* failed, or read already (a redirect) */
    }
    conf = ap_get_module_config(r->per_dir_config, &length_required_module);
    if (length >= 0 && conf->quota
        && (rv = lr_quota_charge_buffered(r, conf->quota, mode, length))
           != DECLINED) {
        lr_buffer_drop(r, body);
        return rv;
    }
    lr_buffer_hand_on(r, body);
    return OK;
}

/* What fixups does where a scope judged the request or its body has a
 * state: put the meter back if a fast redirect dropped it (even one that
 * kept the configuration, as the lookup of a file in the same directory
 * does), judge again in a scope not judged yet, then the quotas' and
 * Buffer's work before the handler.
 */
static LR_COLD int lr_fixups_state(request_rec *r)
{
    const lr_req *rq = lr_req_of(r);
    lr_body *body = rq ? rq->body : NULL;     /* a state has a body */
    int rv;

    if (body) {
        if (body->status) {
            return DECLINED;            /* refused already */
        }
        lr_meter_resume(r, body);
    }
    if (!lr_judged_here(r)) {
        const lr_dir_conf *conf =
            ap_get_module_config(r->per_dir_config, &length_required_module);

        if (LR_SCOPE_MAY_JUDGE(conf, lr_first(r))
            && (rv = lr_scope(r, conf)) != DECLINED) {
            return rv;
        }
        rq = lr_req_of(r);
        body = rq ? rq->body : NULL;
    }
    if (!body) {
        return DECLINED;
    }
    if (body->quota && (rv = lr_quota_fixups(r, body)) != DECLINED) {
        return rv;
    }
    if (body->buffer) {
        return lr_fixups_buffer(r, body);
    }
    return DECLINED;
}

/* fixups: DirectoryIndex (mod_dir, in fixups) and MultiViews
 * (mod_negotiation, in type_checker) hand the request the configuration
 * of the file they picked, <Files> and <Directory> sections included,
 * without running header_parser again: that file's scope judges the
 * request here, after authorization and before any handler runs.  A scope
 * that judged it already, or that header_parser found had nothing to
 * judge, is not asked again: where nothing is kept (the common cases), a
 * comparison says so.
 */
static int lr_fixups(request_rec *r)
{
    const lr_dir_conf *conf;
    void *v;

    if (r->main) {
        return DECLINED;
    }
    v = LR_SLOT(r);
    if (v == LR_MARK(r->per_dir_config)
        || v == LR_LOOKED(r->per_dir_config)) {
        return DECLINED;
    }
    if (!v && !r->prev) {
        conf = ap_get_module_config(r->per_dir_config,
                                    &length_required_module);
        if (!LR_SCOPE_MAY_JUDGE(conf, r)) {
            return DECLINED;
        }
    }
    return lr_fixups_state(r);
}

/*
 * The command table
 */

/* RSRC_CONF | OR_LIMIT: the policy directives work in the server config,
 * virtual hosts, <Directory>, <Location>, <Files>, <If> and, under
 * AllowOverride Limit (or an AllowOverrideList naming them), in .htaccess.
 * LengthRequiredHtaccess governs .htaccess files, so it must not be
 * settable from one, and LengthRequiredStrict is judged before any
 * per-directory configuration exists: RSRC_CONF, server and vhost only.
 */
static const command_rec lr_cmds[] = {
    AP_INIT_TAKE1("LengthRequired", lr_cmd_keyword, (void *)LR_F_MODE,
                  RSRC_CONF | OR_LIMIT,
                  "On, Off or LogOnly: refuse (or only log) request bodies "
                  "that do not declare their length"),
    AP_INIT_RAW_ARGS("LengthRequiredMethods", lr_cmd_methods, NULL,
                     RSRC_CONF | OR_LIMIT,
                     "Methods whose requests must declare their length "
                     "(default POST PUT PATCH)"),
    AP_INIT_TAKE1("LengthRequiredChunked", lr_cmd_keyword,
                  (void *)LR_F_CHUNKED,
                  RSRC_CONF | OR_LIMIT,
                  "Deny, Allow or Buffer: whether a chunked body without "
                  "Content-Length is refused, accepted as it streams, or "
                  "read whole before the handler (default Deny)"),
    AP_INIT_TAKE1("LengthRequiredMaxBody", lr_cmd_max_body, NULL,
                  RSRC_CONF | OR_LIMIT,
                  "Largest request body in bytes, K, M, G or T; 0 for no cap "
                  "(default 0)"),
    AP_INIT_TAKE1("LengthRequiredUploadMax", lr_cmd_upload_max, NULL,
                  RSRC_CONF | OR_LIMIT,
                  "Largest total of one resumable upload (IETF or tus) in "
                  "bytes, K, M, G or T; Off for no cap (default Off)"),
    AP_INIT_TAKE1("LengthRequiredErrorFormat", lr_cmd_keyword,
                  (void *)LR_F_FORMAT,
                  RSRC_CONF | OR_LIMIT,
                  "Html, Json or Auto: the body of this module's 411 and 413 "
                  "responses when no ErrorDocument applies (default Html)"),
    AP_INIT_TAKE1("LengthRequiredHtaccess", lr_cmd_htaccess, NULL, RSRC_CONF,
                  "Any or TightenOnly: whether .htaccess files may loosen "
                  "the server's policy (default Any)"),
    AP_INIT_FLAG("LengthRequiredStrict", lr_cmd_strict, NULL, RSRC_CONF,
                 "On or Off: refuse ambiguous HTTP/1.x request framing "
                 "(Transfer-Encoding tricks, Content-Length with it)"),
    AP_INIT_TAKE1("LengthRequiredBufferMemory", lr_cmd_buffer_memory, NULL,
                  RSRC_CONF,
                  "How much of one buffered body is held in memory before "
                  "the rest goes to a temporary file (default 128K)"),
    AP_INIT_TAKE1("LengthRequiredBufferDir", lr_cmd_buffer_dir, NULL,
                  RSRC_CONF,
                  "Directory for the temporary files of buffered bodies "
                  "(default APR's temporary directory)"),
    /* Upload quotas (lr_quota_conf.c, lr_quota_store.c).  Budgets are
     * the operator's: server config, vhost and sections (ACCESS_CONF),
     * never .htaccess; the store and the table size are one per server
     * (GLOBAL_ONLY checked in the handlers).
     */
    AP_INIT_RAW_ARGS("LengthRequiredQuota", lr_cmd_quota, NULL,
                     RSRC_CONF | ACCESS_CONF,
                     "name size[K|M|G|T] period[s|m|h|d] [key expression]: "
                     "an upload budget charged from the declared length; "
                     "or name Off"),
    AP_INIT_FLAG("LengthRequiredQuotaHeaders", lr_cmd_quota_headers, NULL,
                 RSRC_CONF | ACCESS_CONF,
                 "On or Off: send RateLimit-Policy and RateLimit for the "
                 "budget with the least left (default Off)"),
    AP_INIT_RAW_ARGS("LengthRequiredQuotaStore", lr_cmd_quota_store, NULL,
                     RSRC_CONF,
                     "shm | memcache:host:port[,host:port...] | "
                     "redis:host:port [timeout=N(ms|s)] [fail=open|closed]"),
    AP_INIT_TAKE1("LengthRequiredQuotaEntries", lr_cmd_quota_entries, NULL,
                  RSRC_CONF,
                  "Keys the shm quota store holds at once (default 10000)"),
    {NULL}
};

/*
 * Startup
 */

/* Whether a .htaccess file may set the policy in some directory: a
 * <Directory> section (of any host) lets it through AllowOverride Limit
 * or All, or through an AllowOverrideList that names a LengthRequired
 * directive.  Only a <Directory> without a regular expression can
 * (httpd reads .htaccess files before it applies the others).
 */
static int lr_htaccess_may_set(server_rec *s)
{
    server_rec *vs;
    int i;

    for (vs = s; vs; vs = vs->next) {
        const core_server_config *csc =
            ap_get_core_module_config(vs->module_config);
        ap_conf_vector_t *const *sec =
            (ap_conf_vector_t *const *)csc->sec_dir->elts;

        for (i = 0; i < csc->sec_dir->nelts; i++) {
            const core_dir_config *cd = ap_get_core_module_config(sec[i]);
            const apr_array_header_t *list;
            const apr_table_entry_t *e;
            int j;

            if (cd->r) {
                continue;
            }
            if (!(cd->override & OR_UNSET) && (cd->override & OR_LIMIT)) {
                return 1;
            }
            if (!cd->override_list) {
                continue;
            }
            list = apr_table_elts(cd->override_list);
            e = (const apr_table_entry_t *)list->elts;
            for (j = 0; j < list->nelts; j++) {
                if (!strncasecmp(e[j].key, "LengthRequired", 14)) {
                    return 1;
                }
            }
        }
    }
    return 0;
}

/* The request hooks are registered only where the configuration can use
 * them, so that a server that loads the module and uses it nowhere pays
 * nothing per request: the policy's hooks where a host turns the policy On
 * or LogOnly, where a .htaccess file may, or where Strict is On (a refused
 * request's error document must not read its body); Strict's own hooks
 * where a host has it On.  httpd has sorted the hooks once the directives
 * were read; these are registered afterwards, so they are sorted again
 * (as httpd itself does for hooks that directives register).
 */
static int lr_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    server_rec *vs;
    int policy = 0, strict = 0;

    for (vs = s; vs; vs = vs->next) {
        const lr_srv_conf *sconf =
            ap_get_module_config(vs->module_config, &length_required_module);

        policy |= sconf->active;
        strict |= (sconf->strict == 1);
    }
    if (!policy) {
        policy = lr_htaccess_may_set(s);
    }
    if (strict) {
        /* The framing filter goes on each connection before anything is
         * read; pre_read_request marks where each request head begins;
         * post_read_request is the first hook with the head read and the
         * virtual host known, so the verdict comes before any other module
         * acts on the request (FIRST).
         */
        ap_hook_pre_connection(lr_strict_pre_connection, NULL, NULL,
                               APR_HOOK_MIDDLE);
        ap_hook_pre_read_request(lr_strict_pre_read_request, NULL, NULL,
                                 APR_HOOK_MIDDLE);
        ap_hook_post_read_request(lr_strict_post_read_request, NULL, NULL,
                                  APR_HOOK_FIRST);
    }
    if (policy || strict) {
        /* header_parser is the first hook that sees the merged
         * per-directory and .htaccess configuration, and it runs before
         * authentication, authorization and the handler, so nothing has
         * read the body yet.  FIRST: a request we refuse should not cost
         * other modules any work.
         */
        ap_hook_header_parser(lr_header_parser, NULL, NULL, APR_HOOK_FIRST);
        /* DirectoryIndex and MultiViews change the request's configuration
         * without running header_parser again; mod_dir does it in fixups
         * (LAST), so the file's scope judges the request after that
         * (REALLY_LAST), still before any handler.  Buffer reads the body
         * there too, and quotas keyed on the user are charged: after
         * authentication and authorization (a 401 or 403 costs no body
         * read and no charge), before the handler.
         */
        ap_hook_fixups(lr_fixups, NULL, NULL, APR_HOOK_REALLY_LAST);
        /* Error responses get their filters from this hook only (httpd
         * resets the output filters first); order among modules does not
         * matter, the JSON filter is a resource filter and sits above the
         * protocol ones.
         */
        ap_hook_insert_error_filter(lr_insert_error_filter, NULL, NULL,
                                    APR_HOOK_MIDDLE);
        apr_hook_sort_all();
    }
    return OK;
}

/* The version goes into httpd's server description (mod_info's "Server
 * Version", and the Server header under ServerTokens Full), and into the
 * error log once per configuration that is put to use (not httpd's
 * preflight pass at startup).
 */
static int lr_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    ap_add_version_component(pconf, "mod_length_required/" LR_VERSION);
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     "LR00012: mod_length_required " LR_VERSION " loaded");
    }
    /* The counters and gauges come first, so that the features' own
     * post_config may show a gauge.
     */
    lr_stats_post_config(ptemp, s);
    if (lr_buffer_post_config(ptemp, s) != OK
        || lr_quota_post_config(pconf, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static void lr_register_hooks(apr_pool_t *p)
{
    /* The request hooks are registered by lr_check_config, once the
     * configuration says which are needed: REALLY_FIRST, so that they are
     * in place (and sorted) before any other module's check_config.
     */
    ap_hook_check_config(lr_check_config, NULL, NULL, APR_HOOK_REALLY_FIRST);

    /* The counters must exist before the children are forked (post_config
     * runs in the parent); pre_mpm zeroes them on every full start.
     */
    ap_hook_post_config(lr_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_pre_mpm(lr_stats_pre_mpm, NULL, NULL, APR_HOOK_MIDDLE);

    /* Upload quotas: check_config runs under "apachectl -t" too and
     * refuses budgets the store cannot count; child_init makes the
     * stores' clients (the shm table and its lock need nothing per child).
     */
    ap_hook_check_config(lr_quota_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(lr_quota_child_init, NULL, NULL, APR_HOOK_MIDDLE);

    /* mod_status calls this when it is loaded; without it we still count. */
    APR_OPTIONAL_HOOK(ap, status_hook, lr_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);

    /* The metrics handler is asked by every request that reaches the
     * handler phase.  LAST: the handlers that take most requests
     * (mod_proxy, CGI, mod_reflector, ... at MIDDLE or earlier) answer
     * before it is asked at all; it declines the rest with one comparison,
     * ahead of core's default handler (REALLY_LAST).  Registered always,
     * not only where httpd.conf names it: SetHandler in .htaccess,
     * AddHandler, mod_rewrite's H= and SetHandler expressions name
     * handlers that no reading of the configuration would find.
     */
    ap_hook_handler(lr_metrics_handler, NULL, NULL, APR_HOOK_LAST);

    /* The meter sits just under the protocol filters: httpd puts it right
     * above HTTP_IN (which removes the chunk framing), below content
     * filters such as an inflating DEFLATE, so it counts the body as the
     * client sent it.  A protocol-type filter would land below HTTP_IN
     * and count framing.
     */
    lr_meter_filter_handle =
        ap_register_input_filter("LENGTH_REQUIRED_METER", lr_meter_filter,
                                 NULL, AP_FTYPE_PROTOCOL - 1);
    /* On the redirects of a refused request, at the same place. */
    lr_gone_filter_handle =
        ap_register_input_filter("LENGTH_REQUIRED_GONE", lr_gone_filter,
                                 NULL, AP_FTYPE_PROTOCOL - 1);
    /* Above HTTP_HEADER (a protocol filter), which sends the status. */
    lr_status_filter_handle =
        ap_register_output_filter("LENGTH_REQUIRED_STATUS", lr_status_filter,
                                  NULL, AP_FTYPE_PROTOCOL - 1);
    /* The buffered body: one type above the meter, so that reads of the
     * buffered bytes are not counted a second time.
     */
    lr_spool_filter_handle =
        ap_register_input_filter("LENGTH_REQUIRED_SPOOL", lr_spool_filter,
                                 NULL, AP_FTYPE_PROTOCOL - 2);
    lr_json_filter_handle =
        ap_register_output_filter("LENGTH_REQUIRED_JSON", lr_json_filter,
                                  NULL, AP_FTYPE_RESOURCE);
    /* A connection filter, above mod_ssl's (CONNECTION + 5): it reads the
     * head as the client sent it, decrypted.
     */
    lr_framing_filter_handle =
        ap_register_input_filter("LENGTH_REQUIRED_FRAMING", lr_framing_filter,
                                 NULL, AP_FTYPE_CONNECTION);
}

/* Spelt out rather than AP_DECLARE_MODULE(), which would declare the
 * module's log index a second time: lr_private.h does that for every file
 * (as mod_ssl's ssl_private.h does).
 */
module AP_MODULE_DECLARE_DATA length_required_module = {
    STANDARD20_MODULE_STUFF,
    lr_create_dir_config,       /* create per-directory config */
    lr_merge_dir_config,        /* merge per-directory config */
    lr_create_srv_config,       /* create per-server config */
    lr_merge_srv_config,        /* merge per-server config */
    lr_cmds,                    /* command table */
    lr_register_hooks,          /* register hooks */
    AP_MODULE_FLAG_NONE         /* flags */
};
