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
 * lr_judge.c: the 411/413 decision: which request bodies must declare
 * their length and how much they may declare, judged from the headers
 * before any body byte is read, with the streamed-body cap and the one
 * path every refusal of the module takes.
 */

#include "lr_private.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

ap_filter_rec_t *lr_count_filter_handle;
ap_filter_rec_t *lr_gone_filter_handle;
ap_filter_rec_t *lr_status_filter_handle;

/* Indexed by lr_reason_e.  A reason whose counter is LR_C_STRICT is
 * LengthRequiredStrict's; "what" is its wording for the log (NULL where
 * the value itself is quoted instead).
 */
const lr_reason_info lr_reasons[LR_REASON_COUNT] = {
    {NULL, 0, LR_C_JUDGED, NULL},
    {"missing-length", HTTP_LENGTH_REQUIRED, LR_C_MISSING, NULL},
    {"chunked", HTTP_LENGTH_REQUIRED, LR_C_CHUNKED, NULL},
    {"too-large", HTTP_REQUEST_ENTITY_TOO_LARGE, LR_C_TOO_LARGE, NULL},
    {"too-large", HTTP_REQUEST_ENTITY_TOO_LARGE, LR_C_STREAM, NULL},
    {"too-large", HTTP_REQUEST_ENTITY_TOO_LARGE, LR_C_STREAM, NULL},
    {"te-http10", HTTP_BAD_REQUEST, LR_C_STRICT,
     "Transfer-Encoding on an HTTP/1.0 request"},
    {"te-coding", HTTP_NOT_IMPLEMENTED, LR_C_STRICT, NULL},
    {"te-coding", HTTP_BAD_REQUEST, LR_C_STRICT, NULL},
    {"te-repeated", HTTP_BAD_REQUEST, LR_C_STRICT,
     "Transfer-Encoding on more than one line"},
    {"te-folded", HTTP_BAD_REQUEST, LR_C_STRICT,
     "Transfer-Encoding folded over lines"},
    {"cl-te", HTTP_BAD_REQUEST, LR_C_STRICT,
     "both Content-Length and Transfer-Encoding"},
    {"quota", HTTP_TOO_MANY_REQUESTS, LR_C_QUOTA, NULL}
};

static const char *const lr_field_directive[LR_F_COUNT] = {
    "LengthRequired", "LengthRequiredChunked", "LengthRequiredMaxBody",
    "LengthRequiredMethods", "LengthRequiredErrorFormat"
};

lr_req *lr_req_get(request_rec *r)
{
    lr_req *rq = ap_get_module_config(r->request_config,
                                      &length_required_module);

    if (!rq) {
        rq = apr_palloc(r->pool, sizeof(*rq));
        rq->body = NULL;
        rq->seen = NULL;
        rq->judged = 0;
        ap_set_module_config(r->request_config, &length_required_module, rq);
    }
    return rq;
}

lr_body *lr_body_get(request_rec *r)
{
    lr_req *rq = lr_req_get(r);

    if (!rq->body) {
        rq->body = apr_pcalloc(r->pool, sizeof(*rq->body));
    }
    return rq->body;
}

/* Make httpd close the connection after this response and keep the
 * lingering close short: nothing the client sends after a refused request
 * is parsed as another request, and a client that keeps uploading is cut
 * off after about 2 s instead of 30.
 */
static void lr_close_connection(request_rec *r)
{
    r->connection->keepalive = AP_CONN_CLOSE;
    apr_table_setn(r->connection->notes, LR_SHORT_LINGER, "1");
}

/* The sizes behind a too-large verdict, for the log line alone. */
static const char *lr_detail(request_rec *r, lr_reason_e reason,
                             apr_off_t declared, apr_off_t cap)
{
    if (reason == LR_REASON_TOO_LARGE) {
        return apr_psprintf(r->pool, " (declared %" APR_OFF_T_FMT
                            " bytes, limit %" APR_OFF_T_FMT ")", declared, cap);
    }
    if (reason == LR_REASON_STREAMED) {
        return apr_psprintf(r->pool, " (streamed body passed the limit of %"
                            APR_OFF_T_FMT " bytes)", cap);
    }
    if (reason == LR_REASON_BUFFERED) {
        return apr_psprintf(r->pool, " (buffered body passed the limit of %"
                            APR_OFF_T_FMT " bytes)", cap);
    }
    return "";
}

/* What every refusal does to the request, whatever the reason: the note,
 * the connection closed, the refusal kept for the error body, and the
 * body gone for good.  Whatever httpd runs next for this request (an
 * ErrorDocument CGI, PHP or proxied URL) must see no body at all: without
 * Content-Length and Transfer-Encoding, HTTP_IN gives end-of-body at its
 * first read (the headers_in table is shared with internal redirects),
 * and lr_header_parser puts the gone filter on every redirect of a
 * refused request in case HTTP_IN had started reading.
 */
static void lr_refusal_mark(request_rec *r, lr_reason_e reason,
                            apr_off_t cap)
{
    const lr_reason_info *ri = &lr_reasons[reason];
    lr_body *body = lr_body_get(r);

    apr_table_setn(r->notes, LR_NOTE, ri->token);
    body->status = ri->status;
    body->reason = reason;
    body->cap = cap;
    apr_table_unset(r->headers_in, "Content-Length");
    apr_table_unset(r->headers_in, "Transfer-Encoding");
    lr_close_connection(r);
}

/* The counter and the log line of a refusal, at INFO (a client error). */
static void lr_refusal_report(request_rec *r, lr_reason_e reason,
                              apr_off_t declared, apr_off_t cap,
                              const char *what)
{
    const lr_reason_info *ri = &lr_reasons[reason];

    lr_count(r, ri->counter);
    if (ri->counter == LR_C_STRICT) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "LR00004: refused %s %s from %s with %d, reason %s: %s "
                      "(LengthRequiredStrict)", r->method, r->uri,
                      r->useragent_ip, ri->status, ri->token, what);
    }
    else if (APLOG_R_IS_LEVEL(r, APLOG_INFO)) {
        /* The detail is formatted (the dearest part of a refusal) only
         * when the line is written.
         */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "LR00001: refused %s %s from %s with %d, reason %s%s",
                      r->method, r->uri, r->useragent_ip, ri->status,
                      ri->token, lr_detail(r, reason, declared, cap));
    }
}

/* The one way the module refuses a request.  Returns the status to answer
 * with, so that httpd's error machinery (ap_die, ErrorDocument) takes it.
 */
int lr_refuse(request_rec *r, lr_reason_e reason, apr_off_t declared,
              apr_off_t cap, const char *what)
{
    lr_refusal_mark(r, reason, cap);
    lr_refusal_report(r, reason, declared, cap, what);
    return lr_reasons[reason].status;
}

/* What LengthRequired LogOnly does with a request it would have refused,
 * whichever feature would have refused it, before the log line: the
 * note, the environment variable, the counter.
 */
void lr_would_mark(request_rec *r, lr_reason_e reason)
{
    const char *token = lr_reasons[reason].token;

    apr_table_setn(r->notes, LR_NOTE, token);
    apr_table_setn(r->subprocess_env, LR_ENV, token);
    lr_count(r, LR_C_WOULD);
}

/* LengthRequired LogOnly: what would have been refused is noted, set in
 * the environment and logged as a warning; the request goes on.
 */
void lr_would_refuse(request_rec *r, lr_reason_e reason,
                     apr_off_t declared, apr_off_t cap)
{
    const lr_reason_info *ri = &lr_reasons[reason];

    lr_would_mark(r, reason);
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "LR00002: would refuse %s %s with %d, reason %s%s "
                  "(LengthRequired LogOnly)", r->method, r->uri, ri->status,
                  ri->token, lr_detail(r, reason, declared, cap));
}

/* A verdict against the request under a policy in force (On or LogOnly). */
static int lr_verdict(request_rec *r, lr_mode_e mode, lr_reason_e reason,
                      apr_off_t declared, apr_off_t cap)
{
    if (mode == LR_MODE_LOGONLY) {
        lr_would_refuse(r, reason, declared, cap);
        return DECLINED;
    }
    return lr_refuse(r, reason, declared, cap, NULL);
}

static int lr_method_matches(const lr_policy *p, const request_rec *r)
{
    apr_uint64_t bit;
    int i;

    bit = (r->header_only && r->method_number == M_GET)
          ? LR_BIT_HEAD : LR_BIT(r->method_number);
    if (!p->methods_set) {
        return (LR_DEFAULT_METHODS & bit) != 0;
    }
    if (p->method_mask & bit) {
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
    const lr_policy *trusted = &conf->trusted;
    const lr_policy *ht = &conf->merged;
    unsigned no_effect = 0;
    int f;

    *out = conf->merged;
    if (conf->htfile[LR_F_MODE]) {
        lr_mode_e base = (trusted->mode == LR_MODE_UNSET) ? LR_MODE_OFF
                                                          : trusted->mode;
        if (ht->mode < base) {
            out->mode = base;
            no_effect |= 1u << LR_F_MODE;
        }
    }
    if (conf->htfile[LR_F_CHUNKED]) {
        /* Strictness: Deny (also unset), then Buffer, then Allow. */
        lr_chunked_e base = (trusted->chunked == LR_CHUNKED_UNSET)
                            ? LR_CHUNKED_DENY : trusted->chunked;
        if (LR_CHUNKED_STRICTNESS(ht->chunked)
            < LR_CHUNKED_STRICTNESS(base)) {
            out->chunked = base;
            no_effect |= 1u << LR_F_CHUNKED;
        }
    }
    if (conf->htfile[LR_F_MAX_BODY]) {
        apr_off_t base = (trusted->max_body > 0) ? trusted->max_body : 0;
        if (base > 0 && (ht->max_body == 0 || ht->max_body > base)) {
            out->max_body = base;
            no_effect |= 1u << LR_F_MAX_BODY;
        }
    }
    if (conf->htfile[LR_F_METHODS]) {
        /* A .htaccess list adds to the inherited one. */
        apr_uint64_t base = trusted->methods_set ? trusted->method_mask
                                                 : LR_DEFAULT_METHODS;
        out->method_mask = base | ht->method_mask;
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
                              "policy", lr_field_directive[f],
                              conf->htfile[f]);
            }
        }
    }
    return out;
}

/* The policy that judges request r in the scope conf, or NULL when that
 * scope does not judge it (Off, or the method is not listed).  m is the
 * request whose method counts.  Nothing is allocated for a request the
 * scope does not judge.
 */
static const lr_policy *lr_policy_for(request_rec *r, const request_rec *m,
                                      const lr_dir_conf *conf)
{
    const lr_policy *p = &conf->merged;

    if (conf->from_htaccess) {
        const lr_srv_conf *sconf =
            ap_get_module_config(r->server->module_config,
                                 &length_required_module);

        if (sconf->htaccess == LR_HTACCESS_TIGHTEN) {
            /* The tightened method list is the union of the two. */
            if (!lr_method_matches(&conf->merged, m)
                && !lr_method_matches(&conf->trusted, m)) {
                return NULL;
            }
            p = lr_tighten(r, conf);
            return (p->mode == LR_MODE_ON || p->mode == LR_MODE_LOGONLY)
                   ? p : NULL;
        }
    }
    if ((p->mode != LR_MODE_ON && p->mode != LR_MODE_LOGONLY)
        || !lr_method_matches(p, m)) {
        return NULL;
    }
    return p;
}

/* Whether the count filter of body is among r's input filters: a fast
 * internal redirect (DirectoryIndex, MultiViews) replaces them with the
 * lookup subrequest's, which never had it.
 */
static int lr_counting_on(const request_rec *r, const lr_body *body)
{
    const ap_filter_t *f;

    for (f = r->input_filters; f && f != r->proto_input_filters;
         f = f->next) {
        if (f->frec == lr_count_filter_handle && f->ctx == body) {
            return 1;
        }
    }
    return 0;
}

/* Counts the streamed body of r against cap from here on, for a scope
 * whose mode is On or LogOnly; of each kind, the smallest cap of all the
 * scopes the request passed through holds.
 */
static void lr_count_body(request_rec *r, lr_mode_e mode, apr_off_t cap)
{
    lr_body *body = lr_body_get(r);
    apr_off_t *held = (mode == LR_MODE_ON) ? &body->cap_on
                                           : &body->cap_logonly;

    if (!*held || cap < *held) {
        *held = cap;
    }
    if (!lr_counting_on(r, body)) {
        ap_add_input_filter_handle(lr_count_filter_handle, body, r,
                                   r->connection);
    }
}

/* Judges request r under policy p, from its headers alone.  counted says
 * whether an earlier scope on the request's way judged it already: a
 * client request counts once as judged, however many scopes judge it.
 */
static int lr_judge(request_rec *r, const lr_policy *p, int counted)
{
    const char *cl;
    apr_off_t cap, declared;

    if (!counted) {
        lr_count(r, LR_C_JUDGED);
    }
    cap = (p->max_body > 0) ? p->max_body : 0;

    /* httpd core has already refused every Transfer-Encoding whose final
     * coding is not chunked, and dropped Content-Length when both came;
     * mod_http2 presents an h2 body without content-length as chunked and
     * one with it as it is.  So a Content-Length is a declared body, and
     * the common case needs no other header.
     */
    cl = apr_table_get(r->headers_in, "Content-Length");
    if (cl) {
        if (!cap && !lr_quota_anywhere) {
            return DECLINED;
        }
        declared = lr_length_value(cl);
        if (cap && declared > cap) {
            return lr_verdict(r, p->mode, LR_REASON_TOO_LARGE, declared, cap);
        }
        /* Upload quotas (lr_quota.c): the declared length is charged. */
        return lr_quota_anywhere ? lr_quota_charge(r, p->mode, declared)
                                 : DECLINED;
    }
    if (apr_table_get(r->headers_in, "Transfer-Encoding")) {
        /* Buffer: read whole later, in fixups (lr_buffer.c); without a
         * bound to read it to, refused as under Deny.
         */
        if (p->chunked == LR_CHUNKED_BUFFER
            && lr_buffer_want(r, p->mode, cap)) {
            return DECLINED;
        }
        if (p->chunked != LR_CHUNKED_ALLOW) {
            return lr_verdict(r, p->mode, LR_REASON_CHUNKED, -1, cap);
        }
        if (cap) {
            lr_count_body(r, p->mode, cap);
        }
        /* Upload quotas (lr_quota.c): charged as the body arrives. */
        return lr_quota_anywhere ? lr_quota_charge(r, p->mode, -1)
                                 : DECLINED;
    }
    return lr_verdict(r, p->mode, LR_REASON_MISSING, -1, cap);
}

/* The request as the client sent it: its method is the one judged in
 * every scope (httpd turns a local ErrorDocument's redirect into a GET,
 * but the body it may still carry is the client's).
 */
static const request_rec *lr_first(const request_rec *r)
{
    while (r->prev) {
        r = r->prev;
    }
    return r;
}

/* Whether r, or a request before it on its way, has been judged. */
static int lr_chain_judged(const request_rec *r)
{
    for (; r; r = r->prev) {
        const lr_req *rq = ap_get_module_config(r->request_config,
                                                &length_required_module);
        if (rq && rq->judged) {
            return 1;
        }
    }
    return 0;
}

/* An internal redirect takes over what the module knows of the body from
 * the request it came from: the note (so %{length-required}n logs the
 * reason whichever request a log line describes) and the body state.
 * httpd keeps only the protocol input filters across the redirect, so the
 * module's filter goes on again: the gone filter after a refusal, the
 * count filter while a streamed body is counted.  Returns whether the
 * body was refused.
 */
static LR_COLD int lr_inherit(request_rec *r)
{
    const char *note = apr_table_get(r->prev->notes, LR_NOTE);
    const lr_req *from = ap_get_module_config(r->prev->request_config,
                                              &length_required_module);

    if (note) {
        apr_table_setn(r->notes, LR_NOTE, note);
    }
    if (from && from->body) {
        lr_req *rq = lr_req_get(r);

        rq->body = from->body;
        if (rq->body->status) {
            ap_add_input_filter_handle(lr_gone_filter_handle, NULL, r,
                                       r->connection);
            ap_add_output_filter_handle(lr_status_filter_handle, rq->body, r,
                                        r->connection);
            return 1;
        }
        if (rq->body->cap_on || rq->body->cap_logonly) {
            ap_add_input_filter_handle(lr_count_filter_handle, rq->body, r,
                                       r->connection);
        }
        lr_buffer_attach(r, rq->body);
    }
    return 0;
}

/* The test every request pays, inlined in each hook: whether the scope
 * can judge anything at all.  Off (or unset) with no .htaccess value (a
 * .htaccess under TightenOnly can turn a scope on) judges nothing.
 */
#define LR_SCOPE_MAY_JUDGE(conf) \
    ((conf)->from_htaccess || (conf)->merged.mode > LR_MODE_OFF)

/* Judges r in the scope conf, if that scope judges it (method listed,
 * policy in force), and notes what was looked at and whether it was
 * judged.
 */
static LR_COLD int lr_judge_scope(request_rec *r, const lr_dir_conf *conf)
{
    lr_req *rq = lr_req_get(r);
    const lr_policy *p;
    int counted;

    rq->seen = r->per_dir_config;
    if (!(p = lr_policy_for(r, lr_first(r), conf))) {
        return DECLINED;
    }
    counted = rq->judged || lr_chain_judged(r->prev);
    rq->judged = 1;
    return lr_judge(r, p, counted);
}

/* The decision, in header_parser: for the initial request, and again for
 * every internal redirect (mod_rewrite, Action, ErrorDocument ...), whose
 * own scope judges the body too.  The redirect of a refused request (its
 * ErrorDocument) is not judged: its body is gone.
 */
int lr_header_parser(request_rec *r)
{
    const lr_dir_conf *conf;

    if (r->main) {
        return DECLINED;
    }
    if (r->prev && lr_inherit(r)) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &length_required_module);
    if (!LR_SCOPE_MAY_JUDGE(conf)) {
        return DECLINED;
    }
    return lr_judge_scope(r, conf);
}

/* Puts the count filter back on r if a fast redirect dropped it (even one
 * that kept the configuration, as the lookup of a file in the same
 * directory does).  Returns whether the body was refused already.
 */
static LR_COLD int lr_fixups_body(request_rec *r, const lr_req *rq)
{
    if (rq->body->status) {
        return 1;
    }
    if ((rq->body->cap_on || rq->body->cap_logonly)
        && !lr_counting_on(r, rq->body)) {
        ap_add_input_filter_handle(lr_count_filter_handle, rq->body, r,
                                   r->connection);
    }
    return 0;
}

/* The last fixup before the handler.  DirectoryIndex (mod_dir, in fixups)
 * and MultiViews (mod_negotiation, in type_checker) hand the request the
 * configuration of the file they picked, <Files> and <Directory> sections
 * included, without running header_parser again: that file's scope judges
 * the request here, after authorization and before any handler runs.  A
 * configuration header_parser has looked at already is not looked at again.
 */
int lr_fixups(request_rec *r)
{
    const lr_dir_conf *conf;
    const lr_req *rq;
    int rv;

    if (r->main) {
        return DECLINED;
    }
    /* Budgets keyed on the authenticated user: httpd knows the user now. */
    if (lr_quota_anywhere && (rv = lr_quota_fixups(r)) != DECLINED) {
        return rv;
    }
    rq = ap_get_module_config(r->request_config, &length_required_module);
    if (rq && rq->body && lr_fixups_body(r, rq)) {
        return DECLINED;
    }
    if (!rq || rq->seen != r->per_dir_config) {
        conf = ap_get_module_config(r->per_dir_config,
                                    &length_required_module);
        if (LR_SCOPE_MAY_JUDGE(conf)
            && (rv = lr_judge_scope(r, conf)) != DECLINED) {
            return rv;
        }
        rq = ap_get_module_config(r->request_config,
                                  &length_required_module);
    }
    /* Every scope has had its say: LengthRequiredChunked Buffer reads the
     * body now, if one asked for it.
     */
    if (rq && rq->body && rq->body->buffer) {
        return lr_buffer_body(r, rq->body);
    }
    return DECLINED;
}

static apr_status_t lr_report_cut(void *data);

/* Counts a streamed body (chunked, or h2 without content-length) right
 * above HTTP_IN, which has removed the chunk framing, and fails the read
 * the moment the body passes the cap.  APR_ENOSPC is what core's own
 * LimitRequestBody returns, so most handlers (mod_cgi, mod_proxy_http,
 * ap_discard_request_body ...) answer 413 for it; whether this one did is
 * known only when the request ends, so lr_report_cut reports it.
 */
apr_status_t lr_count_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                             ap_input_mode_t mode, apr_read_type_e block,
                             apr_off_t readbytes)
{
    lr_body *body = f->ctx;
    apr_status_t rv;
    apr_off_t len = 0;

    if (body->status) {
        /* Refused already: no more data, and no second report. */
        return APR_ENOSPC;
    }
    rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    if (rv != APR_SUCCESS || mode == AP_MODE_SPECULATIVE) {
        return rv;
    }
    rv = apr_brigade_length(bb, 1, &len);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    body->seen += len;
    if (body->cap_logonly && !body->reported
        && body->seen > body->cap_logonly) {
        /* LogOnly: reported once; the body flows on untouched. */
        body->reported = 1;
        lr_would_refuse(f->r, LR_REASON_STREAMED, -1, body->cap_logonly);
    }
    if (body->cap_on && body->seen > body->cap_on) {
        lr_refusal_mark(f->r, LR_REASON_STREAMED, body->cap_on);
        body->cut_handler = f->r->handler ? f->r->handler : "(none)";
        /* A handler that streams its answer (mod_reflector) has sent its
         * status line already: whatever it returns now, that is what the
         * client got.
         */
        body->cut_status = f->r->sent_bodyct ? f->r->status : 0;
        apr_pool_cleanup_register(f->r->pool, f->r, lr_report_cut,
                                  apr_pool_cleanup_null);
        apr_brigade_cleanup(bb);
        return APR_ENOSPC;
    }
    return APR_SUCCESS;
}

/* On the redirects of a refused request: its body is gone, so every read
 * ends at once.
 */
apr_status_t lr_gone_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                            ap_input_mode_t mode, apr_read_type_e block,
                            apr_off_t readbytes)
{
    if (mode != AP_MODE_READBYTES && mode != AP_MODE_GETLINE) {
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
    return APR_SUCCESS;
}

/* On the redirects of a refused request (its ErrorDocument): a handler
 * that sets a success status of its own (mod_proxy passes on its
 * backend's 200) would hide the refusal from the client.  The client gets
 * the refusal's status with the error document's body, as from a CGI or a
 * static file.
 */
apr_status_t lr_status_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    const lr_body *body = f->ctx;

    if (ap_is_HTTP_SUCCESS(f->r->status)) {
        f->r->status = body->status;
        f->r->status_line = NULL;
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

/* When the request is over (its pool goes), say what became of a streamed
 * body that the cap cut: the handler either turned the failed read into
 * the 413 the client got (a refusal like any other, also when an
 * ErrorDocument then served it), or answered anyway (mod_proxy_fcgi and
 * mod_reflector do, with the body cut short): that is logged at warn,
 * under its own counter, and never as a 413.  Registered at the cut, so no
 * other request pays for it.
 */
static apr_status_t lr_report_cut(void *data)
{
    request_rec *cut = data;
    request_rec *r = (request_rec *)lr_first(cut), *last = r;
    const lr_body *body = lr_body_get(cut);
    int status;

    while (last->next) {
        last = last->next;
    }
    status = body->cut_status ? body->cut_status : last->status;
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        lr_refusal_report(r, LR_REASON_STREAMED, -1, body->cap, NULL);
        return APR_SUCCESS;
    }
    lr_count(r, LR_C_STREAM_CUT);
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, last,
                  "LR00005: the streamed body of %s %s from %s was cut at "
                  "the limit of %" APR_OFF_T_FMT " bytes, but handler %s "
                  "answered %d, not 413: the client was not refused and the "
                  "handler saw part of the body (LengthRequiredChunked "
                  "Buffer refuses before the handler runs)", r->method, r->uri,
                  r->useragent_ip, body->cap, body->cut_handler, status);
    return APR_SUCCESS;
}
