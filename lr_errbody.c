/*
 * lr_errbody.c: the body of the module's own refusals, when no
 * ErrorDocument applies: httpd's HTML page, or one JSON object for API
 * clients (LengthRequiredErrorFormat).
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

#include "lr_features.h"
#include "http_protocol.h"
#include "mod_core.h"

ap_filter_rec_t *lr_json_filter_handle;

static const char *lr_json_message(const lr_body *refusal, apr_pool_t *p)
{
    switch (refusal->reason) {
    case LR_REASON_MISSING:
        return "This request must declare the length of its body: send it "
               "with a Content-Length header.";
    case LR_REASON_CHUNKED:
        return "Chunked request bodies are not accepted here: send the body "
               "with a Content-Length header instead.";
    case LR_REASON_QUOTA_STORE:
        return "The upload budgets cannot be checked just now: try again "
               "later.";
    case LR_REASON_QUOTA:
        return apr_psprintf(p, "The upload budget %s is spent: %"
                            APR_OFF_T_FMT " of %" APR_OFF_T_FMT " bytes "
                            "left; it resets in %" APR_INT64_T_FMT " s.",
                            refusal->budget->name, refusal->budget->remaining,
                            refusal->budget->size, refusal->budget->reset);
    case LR_REASON_UPLOAD_MAX:
        return apr_psprintf(p, "This resumable upload would pass its limit: "
                            "an upload may hold at most %" APR_OFF_T_FMT
                            " bytes in all.", refusal->cap);
    case LR_REASON_UPLOAD_FIELD:
        return "A resumable-upload field is malformed: Upload-Offset and "
               "Upload-Length must each be one whole number of at most 15 "
               "digits, without a sign.";
    default:
        return apr_psprintf(p, "The request body is too large: send at most "
                            "%" APR_OFF_T_FMT " bytes.", refusal->cap);
    }
}

/* Replaces the body of httpd's error page with one JSON object.  Installed
 * only by lr_insert_error_filter, for a 411/413 this module produced.
 */
apr_status_t lr_json_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    const lr_body *refusal = f->ctx;
    apr_bucket *e;
    int eos = 0;

    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
         e = APR_BUCKET_NEXT(e)) {
        if (APR_BUCKET_IS_EOS(e)) {
            eos = 1;
            break;
        }
    }
    /* httpd set text/html after this filter was inserted; the headers
     * have not gone out yet, so the type can still change.
     */
    ap_set_content_type(r, "application/json; charset=utf-8");
    apr_brigade_cleanup(bb);
    if (!eos) {
        return APR_SUCCESS;
    }
    if (!r->header_only) {
        const char *body;
        int too_large = (refusal->status == HTTP_REQUEST_ENTITY_TOO_LARGE);
        int quota = (refusal->reason == LR_REASON_QUOTA && refusal->budget);

        body = apr_psprintf(r->pool,
                            "{\"status\":%d,\"error\":\"%s\","
                            "\"reason\":\"%s\",\"message\":\"%s\"",
                            refusal->status,
                            too_large ? "payload_too_large"
                            : quota ? "quota_exceeded"
                            : refusal->status == HTTP_SERVICE_UNAVAILABLE
                                    ? "service_unavailable"
                            : (refusal->status == HTTP_BAD_REQUEST)
                              ? "bad_request" : "content_length_required",
                            lr_reasons[refusal->reason].token,
                            lr_json_message(refusal, r->pool));
        if (too_large) {
            body = apr_psprintf(r->pool, "%s,\"limit\":%" APR_OFF_T_FMT,
                                body, refusal->cap);
        }
        if (quota) {
            body = apr_psprintf(r->pool, "%s,\"quota\":{\"name\":\"%s\","
                                "\"size\":%" APR_OFF_T_FMT ",\"remaining\":%"
                                APR_OFF_T_FMT ",\"reset\":%" APR_INT64_T_FMT
                                "}", body, refusal->budget->name,
                                refusal->budget->size,
                                refusal->budget->remaining,
                                refusal->budget->reset);
        }
        body = apr_pstrcat(r->pool, body, "}\n", NULL);
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(body,
                                strlen(body), r->pool, f->c->bucket_alloc));
    }
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

/* Runs when httpd starts an error response.  For a 411/413/429 this
 * module produced, or the 400 of a malformed upload field (Strict's 400s
 * come before any per-directory format is known), with no ErrorDocument
 * in scope (those always win), choose the body format: httpd's own HTML
 * page, or JSON.
 *
 * ap_response_code_string() is how ap_die() itself finds the ErrorDocument
 * (with its expressions and ap_custom_response()); mod_core.h declares it
 * without AP_DECLARE, which matters only on Windows, where a module links
 * against the symbols libhttpd exports by name.  On Unix the httpd binary
 * exports every global symbol, and Debian's apache2 lists it (nm -D).
 */
void lr_insert_error_filter(request_rec *r)
{
    const lr_req *rq;
    const lr_dir_conf *conf;
    lr_format_e format;
    int json;

    rq = lr_req_of(r);
    if (!rq || r->status != rq->body->status
        || (r->status != HTTP_LENGTH_REQUIRED
            && r->status != HTTP_REQUEST_ENTITY_TOO_LARGE
            && r->status != HTTP_TOO_MANY_REQUESTS
            && r->status != HTTP_SERVICE_UNAVAILABLE
            && rq->body->reason != LR_REASON_UPLOAD_FIELD)) {
        return;
    }
    if (ap_response_code_string(r, ap_index_of_response(r->status))) {
        return;
    }
    conf = ap_get_module_config(r->per_dir_config, &length_required_module);
    format = conf->policy.format;
    if (format == LR_FORMAT_AUTO) {
        const char *accept = apr_table_get(r->headers_in, "Accept");

        /* err_headers_out become the headers of the error response. */
        apr_table_mergen(r->err_headers_out, "Vary", "Accept");
        json = accept && lr_accept_prefers_json(accept);
    }
    else {
        json = (format == LR_FORMAT_JSON);
    }
    if (json) {
        ap_add_output_filter_handle(lr_json_filter_handle, rq->body, r,
                                    r->connection);
    }
}
