/*
 * lr_quota.c: upload quotas per request: byte budgets per key and window,
 * charged from the declared Content-Length before the body is read (429
 * when spent), or as a streamed body arrives, and refunded for what never
 * arrived when the request ends.
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

#include "apr_sha1.h"

#include "lr_quota.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

/* One budget charged for a request. */
typedef struct {
    const lr_quota *q;
    const char *store_key;
    apr_int64_t window_end;     /* Unix seconds */
    apr_off_t charged;
} lr_quota_charge_rec;

/* What the quotas did to one request body, in the body's state that the
 * initial request and its internal redirects share.
 */
typedef struct lr_quota_req {
    request_rec *r;             /* the initial request */
    lr_body *body;
    apr_off_t declared;
    int armed;                  /* fixups has run: what arrives from now
                                 * on stays charged */
    apr_off_t base;             /* body->seen when it was armed */
    apr_off_t arrived;          /* arrived whole before (buffered) */
    lr_mode_e mode;
    const lr_quota_dir *dir;
    apr_array_header_t *charges;    /* lr_quota_charge_rec */
    int late_pending;           /* budgets keyed on the user still to go */
    int streamed;               /* no declared length: charged as it comes */
    apr_off_t reserved;         /* streamed: charged to every budget so far */
    /* For LengthRequiredQuotaHeaders: the budget with the least left. */
    const lr_quota *least;
    apr_off_t least_left;
    apr_int64_t least_reset;
} lr_quota_state;

/* A streamed body is charged ahead in steps of this much (one store
 * operation per step and budget), the unused part refunded at the end.
 */
#define LR_QUOTA_STEP       (64 * 1024)

/*
 * Request time
 */

/* Writes v in decimal so that it ends just before end; returns its start. */
static char *lr_quota_digits(char *end, apr_uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

/* A key value used as it is in a store key: short, and only characters
 * every store takes in a key (an address, a user or host name).
 */
#define LR_QUOTA_RAW_MAX    48
static int lr_quota_raw_ok(const char *v, apr_size_t *len)
{
    const char *p;

    for (p = v; *p; p++) {
        if (!apr_isalnum(*p) && !strchr(".-_:@/", *p)) {
            return 0;
        }
    }
    *len = p - v;
    return *len <= LR_QUOTA_RAW_MAX;
}

/* The store key of a budget's window for one key value:
 * "lrq:NAME:PERIOD:WINDOW:vVALUE" for a short plain value, and
 * "lrq:NAME:PERIOD:WINDOW:hSHA1HEX" for any other (spaces, control bytes,
 * long strings), so that every value gives a short key every store
 * accepts, and the two forms never meet.  Built by hand: this is on the
 * path of every charged request.
 */
static const char *lr_quota_store_key(request_rec *r, const lr_quota *q,
                                      apr_int64_t window, const char *value)
{
    char nums[48], *end = nums + sizeof(nums), *w, *p;
    char hex[2 * APR_SHA1_DIGESTSIZE + 1];
    apr_size_t vlen, nlen = strlen(q->name), numlen;
    char *key;

    w = lr_quota_digits(end, (apr_uint64_t)window);
    *--w = ':';
    w = lr_quota_digits(w, (apr_uint64_t)q->period);
    numlen = end - w;
    if (!lr_quota_raw_ok(value, &vlen)) {
        unsigned char digest[APR_SHA1_DIGESTSIZE];
        apr_sha1_ctx_t ctx;

        apr_sha1_init(&ctx);
        apr_sha1_update_binary(&ctx, (const unsigned char *)value,
                               strlen(value));
        apr_sha1_final(digest, &ctx);
        ap_bin2hex(digest, APR_SHA1_DIGESTSIZE, hex);
        value = hex;
        vlen = 2 * APR_SHA1_DIGESTSIZE;
    }
    /* "lrq:" name ":" numbers ":" form value NUL */
    key = p = apr_palloc(r->pool, 4 + nlen + 1 + numlen + 2 + vlen + 1);
    memcpy(p, "lrq:", 4);
    p += 4;
    memcpy(p, q->name, nlen);
    p += nlen;
    *p++ = ':';
    memcpy(p, w, numlen);
    p += numlen;
    *p++ = ':';
    *p++ = (value == hex) ? 'h' : 'v';
    memcpy(p, value, vlen + 1);
    return key;
}

/* Undoes this request's charges of the store (a refusal), or what of them
 * never arrived (the end of the request).
 */
static void lr_quota_undo(lr_quota_state *st, apr_off_t keep)
{
    int i;

    for (i = 0; i < st->charges->nelts; i++) {
        lr_quota_charge_rec *c = &APR_ARRAY_IDX(st->charges, i,
                                                lr_quota_charge_rec);
        apr_off_t back = c->charged - (keep < c->charged ? keep : c->charged);

        if (back > 0) {
            lr_qstore_refund(st->r, c->store_key, back, c->q->size,
                             c->window_end, c->charged);
            c->charged -= back;
        }
    }
}

/* The body bytes that have arrived for the handlers to read. */
static apr_off_t lr_quota_arrived(const lr_quota_state *st)
{
    apr_off_t n = st->armed ? st->body->seen - st->base : 0;

    return (n > st->arrived) ? n : st->arrived;
}

/* When the request's pool goes (the request has ended, internal redirects
 * included), what never arrived is given back.
 */
static apr_status_t lr_quota_end(void *data)
{
    lr_quota_state *st = data;
    apr_off_t arrived = lr_quota_arrived(st);

    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, st->r, "quota: request "
                  "ends, %" APR_OFF_T_FMT " of %" APR_OFF_T_FMT " declared "
                  "bytes arrived", arrived, st->declared);
    lr_quota_undo(st, arrived);
    return APR_SUCCESS;
}

static void lr_quota_headers(request_rec *r, const lr_quota_state *st)
{
    if (!st->least || st->dir->headers != 1) {
        return;
    }
    /* draft-ietf-httpapi-ratelimit-headers: the policy (quota q in units
     * qu per window w) and what is left of it (r) and when it resets (t).
     */
    apr_table_setn(r->err_headers_out, "RateLimit-Policy",
                   apr_psprintf(r->pool, "\"%s\";q=%" APR_OFF_T_FMT
                                ";qu=\"content-bytes\";w=%" APR_INT64_T_FMT,
                                st->least->name, st->least->size,
                                st->least->period));
    apr_table_setn(r->err_headers_out, "RateLimit",
                   apr_psprintf(r->pool, "\"%s\";r=%" APR_OFF_T_FMT
                                ";t=%" APR_INT64_T_FMT, st->least->name,
                                st->least_left, st->least_reset));
}

/* A store that failed: the request is not charged (fail=open) or is
 * answered 503 (fail=closed).  The store's own code logs, rate-limited.
 */
static int lr_quota_store_failed(request_rec *r)
{
    lr_count(r, LR_C_QUOTA_STORE);
    if (lr_qstore_fail_closed()) {
        lr_body_get(r)->status = HTTP_SERVICE_UNAVAILABLE;
        r->connection->keepalive = AP_CONN_CLOSE;
        return HTTP_SERVICE_UNAVAILABLE;
    }
    return DECLINED;
}

/* Charges the budgets of one phase: those keyed on the user (late) in
 * fixups, the others in header_parser.
 */
static int lr_quota_apply(request_rec *r, lr_quota_state *st, int late)
{
    apr_time_t now = apr_time_now();
    apr_int64_t secs = apr_time_sec(now);
    int i;

    for (i = 0; i < st->dir->quotas->nelts; i++) {
        const lr_quota *q = APR_ARRAY_IDX(st->dir->quotas, i,
                                          const lr_quota *);
        const char *err = NULL, *value;
        apr_int64_t window, window_end, reset;
        lr_quota_charge_rec *c;
        apr_off_t used = 0;
        lr_qs_result res;

        if (q->after_auth != late) {
            continue;
        }
        value = ap_expr_str_exec(r, q->key, &err);
        if (err) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LR00041: "
                          "LengthRequiredQuota %s: key '%s' failed: %s; "
                          "not charged", q->name, q->key_text, err);
            continue;
        }
        if (!value || !*value) {
            continue;           /* an empty key is not charged */
        }
        window = secs / q->period;
        window_end = (window + 1) * q->period;
        reset = window_end - secs;
        if (st->declared > q->size) {
            /* Can never fit in this budget: 413, not 429. */
            if (st->mode == LR_MODE_LOGONLY) {
                lr_would_mark(r, LR_REASON_TOO_LARGE);
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                              "LR00049: would refuse %s %s with 413, reason "
                              "too-large (declared %" APR_OFF_T_FMT " bytes, "
                              "budget %s of %" APR_OFF_T_FMT ") "
                              "(LengthRequired LogOnly)", r->method, r->uri,
                              st->declared, q->name, q->size);
                continue;
            }
            lr_quota_undo(st, 0);
            return lr_refuse(r, LR_REASON_TOO_LARGE, st->declared, q->size,
                             NULL);
        }
        c = apr_array_push(st->charges);
        c->q = q;
        c->store_key = lr_quota_store_key(r, q, window, value);
        c->window_end = window_end;
        c->charged = 0;
        if (st->streamed) {
            continue;           /* charged by lr_quota_filter */
        }
        res = lr_qstore_reserve(r, c->store_key, st->declared, q->size,
                                window_end, &used);
        if (res == LR_QS_ERROR) {
            st->charges->nelts--;
            if (lr_quota_store_failed(r) != DECLINED) {
                lr_quota_undo(st, 0);
                return HTTP_SERVICE_UNAVAILABLE;
            }
            continue;
        }
        if (res == LR_QS_OK) {
            c->charged = st->declared;
        }
        else {
            st->charges->nelts--;
        }
        if (!st->least || q->size - used < st->least_left) {
            st->least = q;
            st->least_left = (q->size > used) ? q->size - used : 0;
            st->least_reset = reset;
        }
        if (res == LR_QS_OVER) {
            lr_budget_info *qr = apr_palloc(r->pool, sizeof(*qr));

            if (st->mode == LR_MODE_LOGONLY) {
                /* Not charged, as a refusal would not be; the other
                 * budgets are charged as they would be.
                 */
                lr_would_mark(r, LR_REASON_QUOTA);
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                              "LR00042: would refuse %s %s with 429, "
                              "reason quota (budget %s of %" APR_OFF_T_FMT
                              " bytes, %" APR_OFF_T_FMT " left, declared %"
                              APR_OFF_T_FMT ") (LengthRequired LogOnly)",
                              r->method, r->uri, q->name, q->size,
                              q->size - used, st->declared);
                continue;
            }
            lr_quota_undo(st, 0);
            qr->name = q->name;
            qr->size = q->size;
            qr->remaining = (q->size > used) ? q->size - used : 0;
            qr->reset = reset;
            lr_body_get(r)->budget = qr;
            apr_table_setn(r->err_headers_out, "Retry-After",
                           apr_psprintf(r->pool, "%" APR_INT64_T_FMT, reset));
            lr_quota_headers(r, st);
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          "LR00043: budget %s spent for this key: %"
                          APR_OFF_T_FMT " of %" APR_OFF_T_FMT " bytes left, "
                          "%" APR_OFF_T_FMT " declared, resets in %"
                          APR_INT64_T_FMT " s", q->name, qr->remaining,
                          q->size, st->declared, reset);
            return lr_refuse(r, LR_REASON_QUOTA, st->declared, q->size,
                             NULL);
        }
    }
    if (!late) {
        lr_quota_headers(r, st);
    }
    return DECLINED;
}

/* The budgets of the scope qd, for a body the scope let through.  A body
 * is charged once, by the first scope on its way that has budgets,
 * however many scopes judge it (a redirect, a DirectoryIndex file).
 */
int lr_quota_charge(request_rec *r, const lr_quota_dir *qd, lr_mode_e mode,
                    apr_off_t declared)
{
    lr_body *body;
    lr_quota_state *st;
    int i, rv;

    if (!qd->quotas || !qd->quotas->nelts || declared == 0) {
        return DECLINED;
    }
    body = lr_body_get(r);
    if (body->quota) {
        return DECLINED;
    }
    st = apr_pcalloc(r->pool, sizeof(*st));
    st->r = r;
    st->body = body;
    /* -1: no declared length (chunked, or h2 without content-length). */
    st->streamed = (declared < 0);
    st->declared = st->streamed ? 0 : declared;
    st->mode = mode;
    st->dir = qd;
    st->charges = apr_array_make(r->pool, qd->quotas->nelts,
                                 sizeof(lr_quota_charge_rec));
    for (i = 0; i < qd->quotas->nelts; i++) {
        if (APR_ARRAY_IDX(qd->quotas, i, const lr_quota *)->after_auth) {
            st->late_pending = 1;
        }
    }
    body->quota = st;
    apr_pool_cleanup_register(r->pool, st, lr_quota_end,
                              apr_pool_cleanup_null);
    rv = lr_quota_apply(r, st, 0);
    if (rv != DECLINED) {
        st->late_pending = 0;
    }
    return rv;
}

/* A body LengthRequiredChunked Buffer has read whole: charged like a
 * declared one, with its length, and all of it has arrived (the handler
 * reads it from the spool).
 */
int lr_quota_charge_buffered(request_rec *r, const lr_quota_dir *qd,
                             lr_mode_e mode, apr_off_t length)
{
    int rv = lr_quota_charge(r, qd, mode, length);
    lr_quota_state *st = lr_body_get(r)->quota;

    if (st && st->declared == length && !st->streamed) {
        st->arrived = length;
    }
    return rv;
}

static apr_status_t lr_quota_stream_charge(request_rec *r, void *ctx,
                                           apr_off_t seen, apr_off_t *at);

/* The last fixup before the handler: the budgets keyed on the user (httpd
 * knows the user now), and from here on the body is counted: what arrives
 * stays charged, and a streamed body is charged as it arrives.  Bytes read
 * before (httpd discarding the body of a 401) were not the handler's.
 */
int lr_quota_fixups(request_rec *r, lr_body *body)
{
    lr_quota_state *st = body->quota;
    int rv = DECLINED;

    if (!st) {
        return DECLINED;
    }
    if (st->late_pending && !r->prev) {
        st->late_pending = 0;
        rv = lr_quota_apply(r, st, 1);
        if (rv != DECLINED) {
            return rv;
        }
        lr_quota_headers(r, st);
    }
    if (!st->armed && st->charges->nelts) {
        st->armed = 1;
        st->base = lr_meter(r)->seen;
        if (st->streamed) {
            lr_meter_watch(r, lr_quota_stream_charge, st, st->base);
        }
    }
    return rv;
}

/* Charges every budget of a streamed body for what has arrived beyond
 * what is reserved: a step ahead, or, when a budget has less than a step
 * left, exactly what is needed.  When that does not fit either, the read
 * fails as with the streamed-body cap (APR_ENOSPC: handlers answer 413);
 * under LogOnly it is reported once and the body flows on.
 */
static apr_status_t lr_quota_stream_charge(request_rec *r, void *ctx,
                                           apr_off_t seen, apr_off_t *at)
{
    lr_quota_state *st = ctx;
    apr_off_t need = (seen - st->base) - st->reserved;
    apr_off_t amount = (need > LR_QUOTA_STEP) ? need : LR_QUOTA_STEP;
    apr_int64_t secs = apr_time_sec(apr_time_now());
    int i, j;

    for (i = 0; i < st->charges->nelts; i++) {
        lr_quota_charge_rec *c = &APR_ARRAY_IDX(st->charges, i,
                                                lr_quota_charge_rec);
        apr_off_t used = 0;
        lr_qs_result res;

        res = lr_qstore_reserve(r, c->store_key, amount, c->q->size,
                                c->window_end, &used);
        if (res == LR_QS_OVER && amount > need) {
            /* Less than a step left: give back the steps of this round
             * and try again with just what arrived.
             */
            for (j = 0; j < i; j++) {
                lr_quota_charge_rec *b = &APR_ARRAY_IDX(st->charges, j,
                                                        lr_quota_charge_rec);
                lr_qstore_refund(r, b->store_key, amount, b->q->size,
                                 b->window_end, b->charged);
                b->charged -= amount;
            }
            amount = need;
            i = -1;
            continue;
        }
        if (res == LR_QS_ERROR) {
            lr_count(r, LR_C_QUOTA_STORE);
            *at = APR_INT64_MAX;
            return lr_qstore_fail_closed() ? APR_EGENERAL : APR_SUCCESS;
        }
        if (res == LR_QS_OVER) {
            lr_budget_info *qr = apr_palloc(r->pool, sizeof(*qr));

            for (j = 0; j < i; j++) {
                lr_quota_charge_rec *b = &APR_ARRAY_IDX(st->charges, j,
                                                        lr_quota_charge_rec);
                lr_qstore_refund(r, b->store_key, amount, b->q->size,
                                 b->window_end, b->charged);
                b->charged -= amount;
            }
            if (st->mode == LR_MODE_LOGONLY) {
                    *at = APR_INT64_MAX;
                lr_would_mark(r, LR_REASON_QUOTA);
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                              "LR00048: would refuse %s %s, reason quota "
                              "(streamed body passed budget %s of %"
                              APR_OFF_T_FMT " bytes) (LengthRequired "
                              "LogOnly)", r->method, r->uri, c->q->name,
                              c->q->size);
                return APR_SUCCESS;
            }
            qr->name = c->q->name;
            qr->size = c->q->size;
            qr->remaining = (c->q->size > used) ? c->q->size - used : 0;
            qr->reset = c->window_end - secs;
            st->body->budget = qr;
            apr_table_setn(r->err_headers_out, "Retry-After",
                           apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                        qr->reset));
            lr_refuse(r, LR_REASON_QUOTA, -1, c->q->size, NULL);
            return APR_ENOSPC;
        }
        c->charged += amount;
    }
    st->reserved += amount;
    *at = st->base + st->reserved;
    return APR_SUCCESS;
}
