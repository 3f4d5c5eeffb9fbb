/* Copyright 2026 The mod_length_required authors
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

/*
 * mod_length_required.c: refuse request bodies that do not declare their
 * length (411 Length Required) or that declare too much (413), per
 * directory, before a single body byte is read and before any handler,
 * CGI or proxy backend is involved.
 *
 * This file holds the module: its configuration (create, merge and the
 * directive handlers), the command table and the hook registration.  The
 * features live in files of their own:
 *   lr_judge.c    the 411/413 decision, TightenOnly, the streamed-body cap
 *                 and the refusal path every feature uses
 *   lr_strict.c   LengthRequiredStrict: request-framing ambiguities
 *   lr_errbody.c  JSON error bodies (LengthRequiredErrorFormat)
 *   lr_buffer.c   LengthRequiredChunked Buffer: bodies without a length
 *                 read whole, to a bound, before the handler
 *   lr_stats.c    counters in shared memory, shown by mod_status
 *   lr_quota.c    upload quotas charged per request, with their
 *                 configuration in lr_quota_conf.c and their stores in
 *                 lr_quota_store.c
 *   lr_util.c     the pure parsers, which the fuzzers link alone
 *   lr_private.h  what they share
 *
 * Configuration:
 *   LengthRequired              On | Off | LogOnly
 *   LengthRequiredMethods       method [method] ...
 *   LengthRequiredChunked       Deny | Allow | Buffer
 *   LengthRequiredMaxBody       size[K|M|G]
 *   LengthRequiredErrorFormat   Html | Json | Auto
 *   LengthRequiredHtaccess      Any | TightenOnly      (server, vhost)
 *   LengthRequiredStrict        On | Off               (server, vhost)
 *   LengthRequiredBufferMemory  size[K|M|G]            (server, vhost)
 *   LengthRequiredBufferDir     directory              (server, vhost)
 *   LengthRequiredQuota         name size period [key] | name Off
 *   LengthRequiredQuotaHeaders  On | Off
 *   LengthRequiredQuotaStore    shm | memcache:... | redis:...  (server)
 *   LengthRequiredQuotaEntries  n                      (server)
 */

#include "lr_private.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_request.h"
#include "http_protocol.h"
#include "ap_mpm.h"
#include "mod_status.h"

#ifndef LR_VERSION
#define LR_VERSION "unknown"
#endif

#define LR_COUNT_FILTER     "LENGTH_REQUIRED_COUNT"
#define LR_GONE_FILTER      "LENGTH_REQUIRED_GONE"
#define LR_STATUS_FILTER    "LENGTH_REQUIRED_STATUS"
#define LR_JSON_FILTER      "LENGTH_REQUIRED_JSON"
#define LR_FRAMING_FILTER   "LENGTH_REQUIRED_FRAMING"
#define LR_SPOOL_FILTER     "LENGTH_REQUIRED_SPOOL"

/*
 * Policies: one field per directive, each with an "unset" state
 */

static int lr_field_is_set(const lr_policy *p, lr_field_e f)
{
    switch (f) {
    case LR_F_MODE:     return p->mode != LR_MODE_UNSET;
    case LR_F_CHUNKED:  return p->chunked != LR_CHUNKED_UNSET;
    case LR_F_MAX_BODY: return p->max_body != -1;
    case LR_F_METHODS:  return p->methods_set;
    case LR_F_FORMAT:   return p->format != LR_FORMAT_UNSET;
    default:            return 0;
    }
}

/* Copies field f (all that one directive sets) from one policy to another. */
static void lr_policy_take(lr_policy *to, const lr_policy *from, lr_field_e f)
{
    switch (f) {
    case LR_F_MODE:
        to->mode = from->mode;
        break;
    case LR_F_CHUNKED:
        to->chunked = from->chunked;
        break;
    case LR_F_MAX_BODY:
        to->max_body = from->max_body;
        break;
    case LR_F_METHODS:
        to->methods_set = from->methods_set;
        to->method_mask = from->method_mask;
        to->method_names = from->method_names;
        break;
    case LR_F_FORMAT:
        to->format = from->format;
        break;
    default:
        break;
    }
}

static void lr_unset_policy(lr_policy *p)
{
    p->mode = LR_MODE_UNSET;
    p->chunked = LR_CHUNKED_UNSET;
    p->max_body = -1;
    p->methods_set = 0;
    p->method_mask = 0;
    p->method_names = NULL;
    p->format = LR_FORMAT_UNSET;
}

/* httpd's merge rule: what the inner scope sets wins, the rest inherits.
 * httpd merges per request wherever sections apply, so one line a field.
 */
static void lr_merge_policy(lr_policy *out, const lr_policy *base,
                            const lr_policy *add)
{
    out->mode = (add->mode != LR_MODE_UNSET) ? add->mode : base->mode;
    out->chunked = (add->chunked != LR_CHUNKED_UNSET) ? add->chunked
                                                      : base->chunked;
    out->max_body = (add->max_body != -1) ? add->max_body : base->max_body;
    lr_policy_take(out, add->methods_set ? add : base, LR_F_METHODS);
    out->format = (add->format != LR_FORMAT_UNSET) ? add->format
                                                   : base->format;
}

/*
 * Configuration: create and merge
 */

static void *lr_create_dir_config(apr_pool_t *p, char *dir)
{
    lr_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    lr_unset_policy(&conf->merged);
    lr_unset_policy(&conf->trusted);
    return conf;
}

static void *lr_merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    const lr_dir_conf *base = basev;
    const lr_dir_conf *add = addv;
    lr_dir_conf *conf = apr_palloc(p, sizeof(*conf));
    int f;

    lr_merge_policy(&conf->merged, &base->merged, &add->merged);
    lr_merge_policy(&conf->trusted, &base->trusted, &add->trusted);
    conf->quota = lr_quota_merge(p, base->quota, add->quota);
    conf->from_htaccess = 0;
    if (!base->from_htaccess && !add->from_htaccess) {
        /* The common case: no .htaccess value on either side. */
        memset(conf->htfile, 0, sizeof(conf->htfile));
        return conf;
    }
    for (f = 0; f < LR_F_COUNT; f++) {
        conf->htfile[f] = lr_field_is_set(&add->merged, f) ? add->htfile[f]
                                                           : base->htfile[f];
        if (conf->htfile[f]) {
            conf->from_htaccess = 1;
        }
    }
    return conf;
}

static void *lr_create_srv_config(apr_pool_t *p, server_rec *s)
{
    lr_srv_conf *sconf = apr_pcalloc(p, sizeof(*sconf));

    sconf->htaccess = LR_HTACCESS_UNSET;
    sconf->strict = -1;
    sconf->active = 0;
    sconf->slot = -1;
    sconf->buffer_memory = -1;
    sconf->buffer_dir = NULL;
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
    sconf->buffer_memory = (add->buffer_memory != -1) ? add->buffer_memory
                                                      : base->buffer_memory;
    sconf->buffer_dir = add->buffer_dir ? add->buffer_dir : base->buffer_dir;
    /* The budgets the host's own sections declare (lr_quota.c); the
     * store is the main server's.
     */
    sconf->quota = add->quota;
    return sconf;
}

/*
 * Directive handlers
 */

/* httpd parses .htaccess files with cmd->pool and cmd->temp_pool both the
 * request pool, which is how ap_check_cmd_context() recognises them too.
 */
static int lr_in_htaccess(const cmd_parms *cmd)
{
    return cmd->pool == cmd->temp_pool;
}

/* Stores what one per-directory directive parsed (field f of value): in
 * the merged policy, and, unless it comes from a .htaccess file, in the
 * trusted one too; a .htaccess file's name is kept for the error log.
 */
static const char *lr_store(cmd_parms *cmd, lr_dir_conf *conf, lr_field_e f,
                            const lr_policy *value)
{
    lr_policy_take(&conf->merged, value, f);
    if (lr_in_htaccess(cmd)) {
        conf->htfile[f] = apr_pstrdup(cmd->pool, cmd->config_file
                                                 ? cmd->config_file->name
                                                 : ".htaccess");
        conf->from_htaccess = 1;
        return NULL;
    }
    conf->htfile[f] = NULL;
    lr_policy_take(&conf->trusted, value, f);
    if (f == LR_F_MODE && value->mode != LR_MODE_OFF) {
        /* For mod_status: hosts the configuration turns on are shown. */
        lr_srv_conf *sconf = ap_get_module_config(cmd->server->module_config,
                                                  &length_required_module);
        sconf->active = 1;
    }
    return NULL;
}

/* The keywords of a directive and the values they stand for. */
typedef struct {
    const char *name;
    int value;
} lr_keyword;

static const lr_keyword lr_mode_words[] = {
    {"On", LR_MODE_ON}, {"Off", LR_MODE_OFF}, {"LogOnly", LR_MODE_LOGONLY},
    {NULL, 0}
};
static const lr_keyword lr_chunked_words[] = {
    {"Deny", LR_CHUNKED_DENY}, {"Allow", LR_CHUNKED_ALLOW},
    {"Buffer", LR_CHUNKED_BUFFER}, {NULL, 0}
};
static const lr_keyword lr_format_words[] = {
    {"Html", LR_FORMAT_HTML}, {"Json", LR_FORMAT_JSON},
    {"Auto", LR_FORMAT_AUTO}, {NULL, 0}
};
static const lr_keyword lr_htaccess_words[] = {
    {"Any", LR_HTACCESS_ANY}, {"TightenOnly", LR_HTACCESS_TIGHTEN},
    {NULL, 0}
};

/* Looks a directive's argument up among its keywords, case-insensitively
 * as httpd's own directives do.  Returns NULL, or the error that names
 * the directive, the value and the keywords allowed ("use A, B or C").
 */
static const char *lr_keyword_value(cmd_parms *cmd, const char *arg,
                                    const lr_keyword *words, int *value)
{
    const char *allowed = words[0].name;
    int i;

    for (i = 0; words[i].name; i++) {
        if (!strcasecmp(arg, words[i].name)) {
            *value = words[i].value;
            return NULL;
        }
        if (i > 0) {
            allowed = apr_pstrcat(cmd->temp_pool, allowed,
                                  words[i + 1].name ? ", " : " or ",
                                  words[i].name, NULL);
        }
    }
    return apr_psprintf(cmd->pool, "%s: '%s' is not allowed; use %s",
                        cmd->cmd->name, arg, allowed);
}

/* LengthRequired, LengthRequiredChunked and LengthRequiredErrorFormat:
 * cmd->info says which field of the policy the keyword sets.
 */
static const char *lr_cmd_keyword(cmd_parms *cmd, void *dconf,
                                  const char *arg)
{
    lr_field_e f = (lr_field_e)(apr_uintptr_t)cmd->info;
    const lr_keyword *words;
    lr_policy value;
    int v;
    const char *err;

    switch (f) {
    case LR_F_MODE:
        words = lr_mode_words;
        break;
    case LR_F_CHUNKED:
        words = lr_chunked_words;
        break;
    default:
        f = LR_F_FORMAT;
        words = lr_format_words;
        break;
    }
    if ((err = lr_keyword_value(cmd, arg, words, &v))) {
        return err;
    }
    lr_unset_policy(&value);
    value.mode = (f == LR_F_MODE) ? v : LR_MODE_UNSET;
    value.chunked = (f == LR_F_CHUNKED) ? v : LR_CHUNKED_UNSET;
    value.format = (f == LR_F_FORMAT) ? v : LR_FORMAT_UNSET;
    return lr_store(cmd, dconf, f, &value);
}

static const char *lr_cmd_max_body(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    lr_policy value;

    lr_unset_policy(&value);
    if (!lr_parse_size(arg, &value.max_body)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid size; use a "
                            "whole number of bytes, optionally followed by "
                            "K, M or G (powers of 1024), or 0 for no limit",
                            cmd->cmd->name, arg);
    }
    return lr_store(cmd, dconf, LR_F_MAX_BODY, &value);
}

static const char *lr_cmd_methods(cmd_parms *cmd, void *dconf,
                                  const char *args)
{
    lr_policy value;
    const char *word;

    lr_unset_policy(&value);
    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        if (!lr_add_method(cmd->pool, word, ap_method_number_of(word),
                           &value.method_mask, &value.method_names)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid HTTP "
                                "method; a method is a token such as POST, "
                                "PUT or PROPPATCH", cmd->cmd->name, word);
        }
        value.methods_set = 1;
    }
    if (!value.methods_set) {
        return apr_psprintf(cmd->pool, "%s: no method given; name at least "
                            "one method, such as POST PUT PATCH",
                            cmd->cmd->name);
    }
    return lr_store(cmd, dconf, LR_F_METHODS, &value);
}

static const char *lr_cmd_htaccess(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    lr_srv_conf *sconf = ap_get_module_config(cmd->server->module_config,
                                              &length_required_module);
    int value;
    const char *err = lr_keyword_value(cmd, arg, lr_htaccess_words, &value);

    if (!err) {
        sconf->htaccess = value;
    }
    return err;
}

static const char *lr_cmd_strict(cmd_parms *cmd, void *dconf, int flag)
{
    lr_srv_conf *sconf = ap_get_module_config(cmd->server->module_config,
                                              &length_required_module);

    sconf->strict = flag;
    return NULL;
}

static const char *lr_cmd_buffer_memory(cmd_parms *cmd, void *dconf,
                                        const char *arg)
{
    lr_srv_conf *sconf = ap_get_module_config(cmd->server->module_config,
                                              &length_required_module);

    if (!lr_parse_size(arg, &sconf->buffer_memory)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid size; use a "
                            "whole number of bytes, optionally followed by "
                            "K, M or G (powers of 1024); 0 sends every byte "
                            "to the temporary file", cmd->cmd->name, arg);
    }
    return NULL;
}

/* The directory must exist now, so that apachectl -t reports it; whether
 * the children's user can write it is known only at startup
 * (lr_buffer_post_config).  Relative to ServerRoot, as httpd's paths are.
 */
static const char *lr_cmd_buffer_dir(cmd_parms *cmd, void *dconf,
                                     const char *arg)
{
    lr_srv_conf *sconf = ap_get_module_config(cmd->server->module_config,
                                              &length_required_module);
    const char *dir = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t fi;

    if (!dir || !*arg) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid path",
                            cmd->cmd->name, arg);
    }
    if (apr_stat(&fi, dir, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || fi.filetype != APR_DIR) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an existing "
                            "directory; name a directory the user the "
                            "children run as can write", cmd->cmd->name, dir);
    }
    sconf->buffer_dir = dir;
    return NULL;
}

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
                  "Largest request body in bytes, K, M or G; 0 for no cap "
                  "(default 0)"),
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
    /* Upload quotas (lr_quota.c).  Budgets are the operator's: server
     * config, vhost and sections (ACCESS_CONF), never .htaccess; the
     * store and the table size are one per server (GLOBAL_ONLY checked
     * in the handlers).
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
                     "redis:host:port [timeout=duration] [fail=open|closed]"),
    AP_INIT_TAKE1("LengthRequiredQuotaEntries", lr_cmd_quota_entries, NULL,
                  RSRC_CONF,
                  "Keys the shm quota store holds at once (default 10000)"),
    {NULL}
};

/*
 * Startup
 */

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
    lr_strict_post_config(s);
    if (lr_buffer_post_config(ptemp, s) != OK
        || lr_quota_post_config(pconf, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return lr_stats_post_config(ptemp, s);
}

static void lr_register_hooks(apr_pool_t *p)
{
    /* header_parser is the first hook that sees the merged per-directory
     * and .htaccess configuration, and it runs before authentication,
     * authorization and the handler, so nothing has read the body yet.
     * FIRST: a request we refuse should not cost other modules any work.
     */
    ap_hook_header_parser(lr_header_parser, NULL, NULL, APR_HOOK_FIRST);

    /* DirectoryIndex and MultiViews change the request's configuration
     * without running header_parser again; mod_dir does it in fixups
     * (LAST), so the file's scope judges the request after that
     * (REALLY_LAST), still before any handler.  LengthRequiredChunked
     * Buffer reads the body there too: after authentication and
     * authorization (a 401 or 403 costs no body read), after the last
     * scope has judged, before the handler.
     */
    ap_hook_fixups(lr_fixups, NULL, NULL, APR_HOOK_REALLY_LAST);

    /* Strict framing: the filter goes on each connection before anything
     * is read; pre_read_request marks where each request head begins;
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

    /* Error responses get their filters from this hook only (httpd resets
     * the output filters first); order among modules does not matter, the
     * JSON filter is a resource filter and sits above the protocol ones.
     */
    ap_hook_insert_error_filter(lr_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);

    /* The counters must exist before the children are forked (post_config
     * runs in the parent); pre_mpm zeroes them on every full start.
     */
    ap_hook_post_config(lr_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_pre_mpm(lr_stats_pre_mpm, NULL, NULL, APR_HOOK_MIDDLE);

    /* Upload quotas: the shm store's mutex is registered before the
     * configuration is read (so "Mutex" can name it); check_config runs
     * under "apachectl -t" too and refuses budgets the store cannot
     * count; child_init reopens the mutex and connects the stores.
     * Budgets keyed on the user are charged by lr_fixups, after httpd's
     * auth phases and before the body is read; the body is counted from
     * just before the handler (insert_filter), for the refund of what
     * never arrived.
     */
    ap_hook_pre_config(lr_quota_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(lr_quota_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(lr_quota_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_filter(lr_quota_insert_filter, NULL, NULL,
                          APR_HOOK_MIDDLE);

    /* mod_status calls this when it is loaded; without it we still count. */
    APR_OPTIONAL_HOOK(ap, status_hook, lr_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);

    /* Just under the protocol filters: httpd puts it right above HTTP_IN
     * (which removes the chunk framing), below content filters such as
     * an inflating DEFLATE, so it counts the body as the client sent it.
     * A protocol-type filter would land below HTTP_IN and count framing.
     */
    lr_count_filter_handle =
        ap_register_input_filter(LR_COUNT_FILTER, lr_count_filter, NULL,
                                 AP_FTYPE_PROTOCOL - 1);
    /* On the redirects of a refused request, at the same place. */
    lr_gone_filter_handle =
        ap_register_input_filter(LR_GONE_FILTER, lr_gone_filter, NULL,
                                 AP_FTYPE_PROTOCOL - 1);
    /* Above HTTP_HEADER (a protocol filter), which sends the status. */
    lr_status_filter_handle =
        ap_register_output_filter(LR_STATUS_FILTER, lr_status_filter, NULL,
                                  AP_FTYPE_PROTOCOL - 1);
    /* The buffered body: one type above the counter, so that reads of the
     * buffered bytes are not counted a second time.
     */
    lr_spool_filter_handle =
        ap_register_input_filter(LR_SPOOL_FILTER, lr_spool_filter, NULL,
                                 AP_FTYPE_PROTOCOL - 2);
    /* The quota's count of what arrived: placed as the count filter is. */
    lr_quota_filter_handle =
        ap_register_input_filter("LENGTH_REQUIRED_QUOTA", lr_quota_filter,
                                 NULL, AP_FTYPE_PROTOCOL - 1);
    lr_json_filter_handle =
        ap_register_output_filter(LR_JSON_FILTER, lr_json_filter, NULL,
                                  AP_FTYPE_RESOURCE);
    /* A connection filter, above mod_ssl's (CONNECTION + 5): it reads the
     * head as the client sent it, decrypted.
     */
    lr_framing_filter_handle =
        ap_register_input_filter(LR_FRAMING_FILTER, lr_framing_filter, NULL,
                                 AP_FTYPE_CONNECTION);
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
