/*
 * lr_request.c: the request core: what the module knows of a request and
 * its body on every route to a handler (internal redirects included), the
 * one path every refusal takes, the filters of a refused request, and the
 * one meter that counts a body's bytes as they arrive.
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

#include "lr_request.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

ap_filter_rec_t *lr_meter_filter_handle;
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
    {"quota", HTTP_TOO_MANY_REQUESTS, LR_C_QUOTA, NULL},
    {"quota-store", HTTP_SERVICE_UNAVAILABLE, LR_C_QUOTA_STORE, NULL},
    {"upload-max", HTTP_REQUEST_ENTITY_TOO_LARGE, LR_C_UPLOAD_MAX, NULL},
    {"upload-field", HTTP_BAD_REQUEST, LR_C_UPLOAD_MAX, NULL}
};

/*
 * The state of a request and of its body
 */

/* r's state, made if there is none, with body as its body state. */
static lr_req *lr_req_get(request_rec *r, lr_body *body)
{
    void *v = LR_SLOT(r);
    lr_req *rq;

    if (v && !LR_IS_MARK(v)) {
        return v;
    }
    rq = apr_palloc(r->pool, sizeof(*rq));
    rq->body = body;
    rq->judged = (LR_TAG(v) == 1);
    rq->scope = rq->judged
                ? (const ap_conf_vector_t *)((apr_uintptr_t)v - 1) : NULL;
    ap_set_module_config(r->request_config, &length_required_module, rq);
    return rq;
}

lr_body *lr_body_get(request_rec *r)
{
    void *v = LR_SLOT(r);

    if (v && !LR_IS_MARK(v)) {
        return ((lr_req *)v)->body;
    }
    return lr_req_get(r, apr_pcalloc(r->pool, sizeof(lr_body)))->body;
}

int lr_judged_here(const request_rec *r)
{
    void *v = LR_SLOT(r);

    if (LR_IS_MARK(v)) {
        return v == LR_MARK(r->per_dir_config);
    }
    return v && ((const lr_req *)v)->scope == r->per_dir_config;
}

void lr_judged_again(request_rec *r, void *v)
{
    lr_req *rq;

    if (LR_IS_MARK(v)) {
        ap_set_module_config(r->request_config, &length_required_module,
                             LR_MARK(r->per_dir_config));
        return;
    }
    rq = v;
    if (!rq->judged) {
        lr_count(r, LR_C_JUDGED);
        rq->judged = 1;
    }
    rq->scope = r->per_dir_config;
}

/* Whether the meter of body is among r's input filters: a fast internal
 * redirect (DirectoryIndex, MultiViews) replaces them with the lookup
 * subrequest's, which never had it.
 */
static int lr_metering(const request_rec *r, const lr_body *body)
{
    const ap_filter_t *f;

    for (f = r->input_filters; f && f != r->proto_input_filters;
         f = f->next) {
        if (f->frec == lr_meter_filter_handle && f->ctx == body) {
            return 1;
        }
    }
    return 0;
}

/* httpd keeps only the protocol input filters across an internal
 * redirect, so the module's filters go on again: the gone and status
 * filters after a refusal, the meter while the body is counted.  The
 * note goes along too, so %{length-required}n logs the reason whichever
 * request a log line describes.
 */
int lr_inherit(request_rec *r)
{
    const char *note = apr_table_get(r->prev->notes, LR_NOTE);
    const void *v = LR_SLOT(r->prev);
    const lr_req *from;
    lr_req *rq;

    if (note) {
        apr_table_setn(r->notes, LR_NOTE, note);
    }
    if (!v || LR_TAG(v) == 2) {
        return 0;
    }
    if (LR_IS_MARK(v)) {
        /* Judged on the way here, nothing kept; this scope has yet to. */
        ap_set_module_config(r->request_config, &length_required_module,
                             LR_MARK(NULL));
        return 0;
    }
    from = v;
    rq = lr_req_get(r, from->body);
    rq->judged = from->judged;
    rq->body = from->body;
    if (rq->body->status) {
        ap_add_input_filter_handle(lr_gone_filter_handle, NULL, r,
                                   r->connection);
        ap_add_output_filter_handle(lr_status_filter_handle, rq->body, r,
                                    r->connection);
        return 1;
    }
    if (rq->body->metered) {
        ap_add_input_filter_handle(lr_meter_filter_handle, rq->body, r,
                                   r->connection);
    }
    return 0;
}

/*
 * Refusals
 */

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
    if (reason == LR_REASON_UPLOAD_MAX && declared >= 0) {
        return apr_psprintf(r->pool, " (the upload would reach %"
                            APR_OFF_T_FMT " bytes, limit %" APR_OFF_T_FMT ")",
                            declared, cap);
    }
    if (reason == LR_REASON_UPLOAD_MAX) {
        return apr_psprintf(r->pool, " (the upload is at its limit of %"
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
 * and lr_inherit() puts the gone filter on every redirect of a refused
 * request in case HTTP_IN had started reading.
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
    else if (reason == LR_REASON_UPLOAD_FIELD) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "LR00006: refused %s %s from %s with %d, reason %s: %s "
                      "(LengthRequiredUploadMax)", r->method, r->uri,
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

int lr_refuse(request_rec *r, lr_reason_e reason, apr_off_t declared,
              apr_off_t cap, const char *what)
{
    lr_refusal_mark(r, reason, cap);
    lr_refusal_report(r, reason, declared, cap, what);
    return lr_reasons[reason].status;
}

void lr_would_mark(request_rec *r, lr_reason_e reason)
{
    const char *token = lr_reasons[reason].token;

    apr_table_setn(r->notes, LR_NOTE, token);
    apr_table_setn(r->subprocess_env, LR_ENV, token);
    lr_count(r, LR_C_WOULD);
}

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

/*
 * The meter
 */

lr_body *lr_meter(request_rec *r)
{
    lr_body *body = lr_body_get(r);

    if (!body->metered || !lr_metering(r, body)) {
        body->metered = 1;
        ap_add_input_filter_handle(lr_meter_filter_handle, body, r,
                                   r->connection);
    }
    return body;
}

void lr_meter_cap(request_rec *r, lr_mode_e mode, apr_off_t cap)
{
    lr_body *body = lr_meter(r);
    apr_off_t *held = (mode == LR_MODE_ON) ? &body->cap_on
                                           : &body->cap_logonly;

    if (!*held || cap < *held) {
        *held = cap;
    }
}

void lr_meter_watch(request_rec *r, lr_meter_watch_fn *fn, void *ctx,
                    apr_off_t at)
{
    lr_body *body = lr_meter(r);

    body->watch = fn;
    body->watch_ctx = ctx;
    body->watch_at = at;
}

void lr_meter_resume(request_rec *r, lr_body *body)
{
    if (body->metered && !lr_metering(r, body)) {
        ap_add_input_filter_handle(lr_meter_filter_handle, body, r,
                                   r->connection);
    }
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

/* The cap of an On scope cut the body: the read fails as core's own
 * LimitRequestBody fails it (APR_ENOSPC), so most handlers (mod_cgi,
 * mod_proxy_http, ap_discard_request_body ...) answer 413; whether this
 * one did is known only when the request ends, so lr_report_cut says.
 */
static apr_status_t lr_meter_cut(request_rec *r, lr_body *body)
{
    lr_refusal_mark(r, LR_REASON_STREAMED, body->cap_on);
    body->cut_handler = r->handler ? r->handler : "(none)";
    /* A handler that streams its answer (mod_reflector) has sent its
     * status line already: whatever it returns now, that is what the
     * client got.
     */
    body->cut_status = r->sent_bodyct ? r->status : 0;
    apr_pool_cleanup_register(r->pool, r, lr_report_cut,
                              apr_pool_cleanup_null);
    return APR_ENOSPC;
}

/* Right above HTTP_IN, which has removed any chunk framing: every byte of
 * the body, counted once, whichever request_rec of the chain reads it.
 */
apr_status_t lr_meter_filter(ap_filter_t *f, apr_bucket_brigade *bb,
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
        rv = lr_meter_cut(f->r, body);
    }
    else if (body->watch && body->seen > body->watch_at) {
        rv = body->watch(f->r, body->watch_ctx, body->seen, &body->watch_at);
    }
    if (rv != APR_SUCCESS) {
        apr_brigade_cleanup(bb);
    }
    return rv;
}

/*
 * The filters of a refused request's redirects (its ErrorDocument)
 */

/* Its body is gone, so every read ends at once. */
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

/* A handler that sets a success status of its own (mod_proxy passes on
 * its backend's 200) would hide the refusal from the client.  The client
 * gets the refusal's status with the error document's body, as from a CGI
 * or a static file.
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
