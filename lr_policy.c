/*
 * lr_policy.c: the policy of a scope, which the features judge by: the
 * directives that set it (LengthRequired, LengthRequiredMethods,
 * LengthRequiredChunked, LengthRequiredMaxBody, LengthRequiredErrorFormat,
 * LengthRequiredUploadMax, LengthRequiredHtaccess), its merge, and the
 * policy in force for a request, tightened under LengthRequiredHtaccess
 * TightenOnly
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

#include "lr_policy.h"
#include "http_core.h"
#include "http_protocol.h"

static const char *const lr_field_directive[LR_F_COUNT] = {
    "LengthRequired", "LengthRequiredChunked", "LengthRequiredMaxBody",
    "LengthRequiredMethods", "LengthRequiredErrorFormat",
    "LengthRequiredUploadMax"
};

/*
 * Policies: one field per directive, each with an "unset" state
 */

void lr_policy_unset(lr_policy *p)
{
    p->mode = LR_MODE_UNSET;
    p->chunked = LR_CHUNKED_UNSET;
    p->max_body = -1;
    p->max_digits = 0;
    p->methods_set = 0;
    p->methods = LR_DEFAULT_METHODS;
    p->method_names = NULL;
    p->format = LR_FORMAT_UNSET;
    p->upload_max = -1;
}

static int lr_field_is_set(const lr_policy *p, lr_field_e f)
{
    switch (f) {
    case LR_F_MODE:     return p->mode != LR_MODE_UNSET;
    case LR_F_CHUNKED:  return p->chunked != LR_CHUNKED_UNSET;
    case LR_F_MAX_BODY: return p->max_body != -1;
    case LR_F_METHODS:  return p->methods_set;
    case LR_F_FORMAT:   return p->format != LR_FORMAT_UNSET;
    case LR_F_UPLOAD_MAX: return p->upload_max != -1;
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
        to->max_digits = from->max_digits;
        break;
    case LR_F_METHODS:
        to->methods_set = from->methods_set;
        to->methods = from->methods;
        to->method_names = from->method_names;
        break;
    case LR_F_FORMAT:
        to->format = from->format;
        break;
    case LR_F_UPLOAD_MAX:
        to->upload_max = from->upload_max;
        break;
    default:
        break;
    }
}

/* httpd's merge rule: what the inner scope sets wins, the rest inherits.
 * httpd merges per request wherever sections apply, so one line a field.
 */
void lr_policy_merge(lr_policy *out, const lr_policy *base,
                     const lr_policy *add)
{
    out->mode = (add->mode != LR_MODE_UNSET) ? add->mode : base->mode;
    out->chunked = (add->chunked != LR_CHUNKED_UNSET) ? add->chunked
                                                      : base->chunked;
    lr_policy_take(out, (add->max_body != -1) ? add : base, LR_F_MAX_BODY);
    lr_policy_take(out, add->methods_set ? add : base, LR_F_METHODS);
    out->format = (add->format != LR_FORMAT_UNSET) ? add->format
                                                   : base->format;
    out->upload_max = (add->upload_max != -1) ? add->upload_max
                                              : base->upload_max;
}

/* What the configuration files alone say in a scope. */
static const lr_policy *lr_trusted(const lr_dir_conf *conf)
{
    return conf->tenant ? &conf->tenant->trusted : &conf->policy;
}

/* The tenant side of a merge, where either side has one: the trusted
 * policy merged as the other, and the .htaccess file of each field that
 * the merged policy took from one.
 */
const lr_tenant *lr_tenant_merge(apr_pool_t *p, const lr_dir_conf *base,
                                 const lr_dir_conf *add)
{
    lr_tenant *out = apr_palloc(p, sizeof(*out));
    int f;

    lr_policy_merge(&out->trusted, lr_trusted(base), lr_trusted(add));
    for (f = 0; f < LR_F_COUNT; f++) {
        const lr_dir_conf *from = lr_field_is_set(&add->policy, f) ? add
                                                                   : base;
        out->htfile[f] = from->tenant ? from->tenant->htfile[f] : NULL;
    }
    return out;
}

/*
 * Directive handlers
 */

/* Stores what one per-directory directive parsed (field f of value): in
 * the policy, and, where it comes from a .htaccess file, the file's name
 * on the tenant side (for TightenOnly and the error log); a field the
 * configuration files set is trusted.
 */
static const char *lr_store(cmd_parms *cmd, lr_dir_conf *conf, lr_field_e f,
                            const lr_policy *value)
{
    lr_tenant *tenant = (lr_tenant *)conf->tenant;

    if (LR_IN_HTACCESS(cmd) && !tenant) {
        /* The first field this .htaccess sets: what the configuration
         * files said so far is the trusted side (nothing, in a .htaccess
         * file's own scope).
         */
        tenant = apr_pcalloc(cmd->pool, sizeof(*tenant));
        tenant->trusted = conf->policy;
        conf->tenant = tenant;
    }
    lr_policy_take(&conf->policy, value, f);
    if (LR_IN_HTACCESS(cmd)) {
        tenant->htfile[f] = apr_pstrdup(cmd->pool, cmd->config_file
                                                   ? cmd->config_file->name
                                                   : ".htaccess");
        return NULL;
    }
    if (tenant) {
        tenant->htfile[f] = NULL;
        lr_policy_take(&tenant->trusted, value, f);
    }
    if (f == LR_F_MODE && value->mode != LR_MODE_OFF) {
        /* For mod_status (hosts the configuration turns on are shown) and
         * for the main file (the request hooks are needed).
         */
        lr_srv_conf *sconf = ap_get_module_config(cmd->server->module_config,
                                                  &length_required_module);
        sconf->active = 1;
    }
    return NULL;
}

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
const char *lr_cmd_keyword(cmd_parms *cmd, void *dconf, const char *arg)
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
    lr_policy_unset(&value);
    value.mode = (f == LR_F_MODE) ? v : LR_MODE_UNSET;
    value.chunked = (f == LR_F_CHUNKED) ? v : LR_CHUNKED_UNSET;
    value.format = (f == LR_F_FORMAT) ? v : LR_FORMAT_UNSET;
    return lr_store(cmd, dconf, f, &value);
}

/* A cap and the number of its digits: a declared length with fewer
 * digits is under the cap without being read as a number.
 */
static void lr_set_max_body(lr_policy *p, apr_off_t max_body)
{
    apr_off_t v;

    p->max_body = max_body;
    p->max_digits = 0;
    for (v = max_body; v > 0; v /= 10) {
        p->max_digits++;
    }
}

const char *lr_cmd_max_body(cmd_parms *cmd, void *dconf, const char *arg)
{
    lr_policy value;
    apr_off_t size;

    lr_policy_unset(&value);
    if (!lr_parse_size(arg, &size)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid size; use a "
                            "whole number of bytes, optionally followed by "
                            "K, M, G or T (powers of 1024), or 0 for no "
                            "limit", cmd->cmd->name, arg);
    }
    lr_set_max_body(&value, size);
    return lr_store(cmd, dconf, LR_F_MAX_BODY, &value);
}

/* The largest total of one resumable upload: a size, or Off (0, as for
 * LimitRequestBody, is the same: no cap).
 */
const char *lr_cmd_upload_max(cmd_parms *cmd, void *dconf, const char *arg)
{
    lr_policy value;
    apr_off_t size;

    lr_policy_unset(&value);
    if (!strcasecmp(arg, "Off")) {
        size = 0;
    }
    else if (!lr_parse_size(arg, &size)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid size; use a "
                            "whole number of bytes, optionally followed by "
                            "K, M, G or T (powers of 1024), or Off for no "
                            "limit", cmd->cmd->name, arg);
    }
    value.upload_max = size;
    return lr_store(cmd, dconf, LR_F_UPLOAD_MAX, &value);
}

/* The bit of a method in a policy's mask: httpd's method number, bit 63
 * for HEAD (which httpd numbers as GET), by name for the methods httpd
 * does not number (extension methods, or ones a module registers later).
 */
static int lr_method_bit(const char *word)
{
    int number = ap_method_number_of(word);

    if (number == M_GET && !strcmp(word, "HEAD")) {
        return 63;
    }
    return (number != M_INVALID && number >= 0 && number < 63)
           ? number : LR_METHOD_BY_NAME;
}

const char *lr_cmd_methods(cmd_parms *cmd, void *dconf, const char *args)
{
    lr_policy value;
    const char *word;

    lr_policy_unset(&value);
    value.methods = 0;
    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        if (!lr_add_method(cmd->pool, word, lr_method_bit(word),
                           &value.methods, &value.method_names)) {
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

const char *lr_cmd_htaccess(cmd_parms *cmd, void *dconf, const char *arg)
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

/*
 * The decision
 */

static int lr_method_listed(const lr_policy *p, const request_rec *r)
{
    int i;

    if (p->methods & LR_METHOD_BIT(r)) {
        return 1;
    }
    if (p->method_names) {
        const char *const *names = (const char *const *)p->method_names->elts;
        for (i = 0; i < p->method_names->nelts; i++) {
            if (strcmp(names[i], r->method) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

/* 0 for Allow, 1 for Buffer, 2 for Deny. */
#define LR_CHUNKED_STRICTNESS(c) \
    ((c) == LR_CHUNKED_ALLOW ? 0 : (c) == LR_CHUNKED_BUFFER ? 1 : 2)

/* Under LengthRequiredHtaccess TightenOnly, the policy of a directory is
 * the configuration files', tightened (never loosened) by whatever
 * .htaccess files set.  A field that came from the configuration files is
 * taken as is, even if a .htaccess set it earlier in the merge.  What a
 * .htaccess asked for and did not get is reported, for the requests it
 * matters to.
 */
static const lr_policy *lr_tighten(request_rec *r, const lr_dir_conf *conf)
{
    lr_policy *out = apr_palloc(r->pool, sizeof(*out));
    const lr_policy *trusted = &conf->tenant->trusted;
    const lr_policy *ht = &conf->policy;
    const char *const *htfile = conf->tenant->htfile;
    unsigned no_effect = 0;
    int f;

    *out = conf->policy;
    if (htfile[LR_F_MODE]) {
        lr_mode_e base = (trusted->mode == LR_MODE_UNSET) ? LR_MODE_OFF
                                                          : trusted->mode;
        if (ht->mode < base) {
            out->mode = base;
            no_effect |= 1u << LR_F_MODE;
        }
    }
    if (htfile[LR_F_CHUNKED]) {
        /* Strictness: Deny (also unset), then Buffer, then Allow. */
        lr_chunked_e base = (trusted->chunked == LR_CHUNKED_UNSET)
                            ? LR_CHUNKED_DENY : trusted->chunked;
        if (LR_CHUNKED_STRICTNESS(ht->chunked)
            < LR_CHUNKED_STRICTNESS(base)) {
            out->chunked = base;
            no_effect |= 1u << LR_F_CHUNKED;
        }
    }
    if (htfile[LR_F_MAX_BODY]) {
        apr_off_t base = (trusted->max_body > 0) ? trusted->max_body : 0;
        if (base > 0 && (ht->max_body == 0 || ht->max_body > base)) {
            lr_set_max_body(out, base);
            no_effect |= 1u << LR_F_MAX_BODY;
        }
    }
    if (htfile[LR_F_UPLOAD_MAX]) {
        /* As LengthRequiredMaxBody: lower only, and never Off. */
        apr_off_t base = (trusted->upload_max > 0) ? trusted->upload_max : 0;
        if (base > 0 && (ht->upload_max <= 0 || ht->upload_max > base)) {
            out->upload_max = base;
            no_effect |= 1u << LR_F_UPLOAD_MAX;
        }
    }
    if (htfile[LR_F_METHODS]) {
        /* A .htaccess list adds to the inherited one. */
        out->methods = trusted->methods | ht->methods;
        if (trusted->methods_set && trusted->method_names) {
            out->method_names = ht->method_names
                ? apr_array_append(r->pool, trusted->method_names,
                                   ht->method_names)
                : trusted->method_names;
        }
    }
    if (no_effect && (out->mode == LR_MODE_ON
                      || out->mode == LR_MODE_LOGONLY)) {
        for (f = 0; f < LR_F_COUNT; f++) {
            if (no_effect & (1u << f)) {
                ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                              "LR00003: %s in %s has no effect: "
                              "LengthRequiredHtaccess TightenOnly lets "
                              ".htaccess files only tighten the server's "
                              "policy", lr_field_directive[f], htfile[f]);
            }
        }
    }
    return out;
}

/* The long way of lr_policy_for(): a scope where a .htaccess file set
 * something, a method listed by name, or a policy not in force.
 */
LR_COLD const lr_policy *lr_policy_slow(request_rec *r,
                                        const request_rec *m,
                                        const lr_dir_conf *conf)
{
    const lr_policy *p = &conf->policy;

    if (conf->tenant) {
        const lr_srv_conf *sconf =
            ap_get_module_config(r->server->module_config,
                                 &length_required_module);

        if (sconf->htaccess == LR_HTACCESS_TIGHTEN) {
            /* The tightened method list is the union of the two. */
            if (!lr_method_listed(&conf->policy, m)
                && !lr_method_listed(&conf->tenant->trusted, m)) {
                return NULL;
            }
            p = lr_tighten(r, conf);
            return (p->mode == LR_MODE_ON || p->mode == LR_MODE_LOGONLY)
                   ? p : NULL;
        }
    }
    if ((p->mode != LR_MODE_ON && p->mode != LR_MODE_LOGONLY)
        || !lr_method_listed(p, m)) {
        return NULL;
    }
    return p;
}
