/*
 * lr_judge.c: the 411/413 decision: which request bodies must declare
 * their length and how much they may declare, judged from the headers
 * before any body byte is read
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
#include "http_core.h"
#include "http_protocol.h"

/* A verdict against the request under a policy in force (On or LogOnly). */
static lr_verdict lr_verdict_against(request_rec *r, lr_mode_e mode,
                                     lr_reason_e reason, apr_off_t declared,
                                     apr_off_t cap)
{
    lr_verdict v = {DECLINED, LR_BODY_PASSED, 0, 0};

    v.mode = (signed char)mode;
    if (mode == LR_MODE_LOGONLY) {
        lr_would_refuse(r, reason, declared, cap);
        return v;
    }
    v.status = lr_refuse(r, reason, declared, cap, NULL);
    return v;
}

/* A verdict that lets the body through, as kind. */
static APR_INLINE lr_verdict lr_passed(const lr_policy *p, lr_body_kind kind,
                                       apr_off_t length)
{
    lr_verdict v;

    v.status = DECLINED;
    v.kind = (unsigned char)kind;
    v.mode = (signed char)p->mode;
    v.length = length;
    return v;
}

/* A body without a declared length in a scope under LengthRequiredChunked
 * Buffer is read whole up to the scope's LengthRequiredMaxBody, else
 * core's LimitRequestBody; with neither, it is judged as under Deny:
 * never an unbounded spool.
 */
static apr_off_t lr_buffer_bound(request_rec *r, apr_off_t cap)
{
    apr_off_t bound = (cap > 0) ? cap : ap_get_limit_req_body(r);

    if (bound <= 0) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "LR00030: %s %s from %s: LengthRequiredChunked Buffer "
                      "needs a bound, and neither LengthRequiredMaxBody nor "
                      "LimitRequestBody sets one here; judged as under Deny",
                      r->method, r->uri, r->useragent_ip);
    }
    return bound;
}

/* Whether the digits of s are fewer than n: core has checked that a
 * Content-Length is digits only.
 */
static APR_INLINE int lr_fewer_digits(const char *s, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        if (!s[i]) {
            return 1;
        }
    }
    return 0;
}

/* The decision itself, under policy p.  httpd core has already refused
 * every Transfer-Encoding whose final coding is not chunked, and dropped
 * Content-Length when both came; mod_http2 presents an h2 body without
 * content-length as chunked and one with it as it is.  So a Content-Length
 * is a declared body, and the common case needs no other header.
 */
lr_verdict lr_judge(request_rec *r, const lr_policy *p, int want_length)
{
    const char *cl;
    apr_off_t cap = (p->max_body > 0) ? p->max_body : 0, length;

    lr_judged(r);
    cl = apr_table_get(r->headers_in, "Content-Length");
    if (cl) {
        if (!want_length && (!cap || lr_fewer_digits(cl, p->max_digits))) {
            return lr_passed(p, LR_BODY_PASSED, 0);
        }
        length = lr_length_value(cl);
        if (cap && length > cap) {
            return lr_verdict_against(r, p->mode, LR_REASON_TOO_LARGE,
                                      length, cap);
        }
        return lr_passed(p, want_length ? LR_BODY_DECLARED : LR_BODY_PASSED,
                         length);
    }
    if (!apr_table_get(r->headers_in, "Transfer-Encoding")) {
        return lr_verdict_against(r, p->mode, LR_REASON_MISSING, -1, cap);
    }
    if (p->chunked == LR_CHUNKED_BUFFER
        && (length = lr_buffer_bound(r, cap)) > 0) {
        return lr_passed(p, LR_BODY_BUFFER, length);
    }
    if (p->chunked != LR_CHUNKED_ALLOW) {
        return lr_verdict_against(r, p->mode, LR_REASON_CHUNKED, -1, cap);
    }
    if (cap) {
        lr_meter_cap(r, p->mode, cap);
    }
    return lr_passed(p, LR_BODY_STREAMED, -1);
}
