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

/* One budget's charge to one window; a budget's windows are a list,
 * newest first (most uploads see one).
 */
typedef struct lr_quota_window {
    apr_int64_t window;         /* now / period, when it was charged */
    const char *store_key;
    apr_off_t charged;
    struct lr_quota_window *older;
} lr_quota_window;

/* One budget charged for a request body: what it charged to each window
 * the body arrived in, and from how many arrived bytes on it counts (a
 * budget of a scope met late in a streamed body counts from there).
 */
typedef struct {
    const lr_quota *q;
    const char *value;          /* the key's value for this request */
    lr_mode_e mode;             /* of the scope that charged it */
    apr_off_t reserved;         /* charged in all */
    apr_off_t base;             /* arrived bytes when it began */
    lr_quota_window *windows;   /* newest first, or NULL */
} lr_quota_budget;

/* A budget keyed on the user, left for fixups with the mode of the scope
 * that has it.
 */
typedef struct {
    const lr_quota *q;
    lr_mode_e mode;
} lr_quota_late;

/* What the quotas did to one request body, in the body's state that the
 * initial request and its internal redirects share.
 */
typedef struct lr_quota_req {
    request_rec *r;             /* the initial request */
    lr_body *body;
    int streamed;               /* no declared length: charged as it comes */
    apr_off_t declared;         /* declared (or buffered) bytes */
    int armed;                  /* fixups has run: what arrives from now
                                 * on stays charged */
    apr_off_t base;             /* body->seen when it was armed */
    apr_off_t arrived;          /* arrived whole before (buffered) */
    apr_array_header_t *budgets;    /* lr_quota_budget */
    apr_array_header_t budgets_hdr; /* budgets' header, and room for the */
    lr_quota_budget budgets_room[2];    /* first two without an allocation */
    apr_array_header_t *late;   /* lr_quota_late: keyed on the user,
                                 * charged in fixups */
    int headers;                /* LengthRequiredQuotaHeaders in force */
    /* For LengthRequiredQuotaHeaders: the budget with the least left. */
    const lr_quota *least;
    apr_off_t least_left;
    apr_int64_t least_reset;
} lr_quota_state;

/* A streamed body is charged ahead in steps of this much (one trip to the
 * store per step, for every budget at once), the unused part refunded at
 * the end.
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
 * every store takes in a key (an address, a user or host name).  ASCII
 * by hand: the locale's classes are a call a character.
 */
#define LR_QUOTA_RAW_MAX    48
static int lr_quota_raw_ok(const char *v, apr_size_t *len)
{
    const char *p;

    for (p = v; *p; p++) {
        char c = *p;

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_'
              || c == ':' || c == '@' || c == '/')) {
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
 * accepts, and the two forms never meet.  Built by hand from the budget's
 * prefix: this is on the path of every charged request.
 */
static const char *lr_quota_store_key(request_rec *r, const lr_quota *q,
                                      apr_int64_t window, const char *value)
{
    char nums[24], *end = nums + sizeof(nums), *w, *p;
    char hex[2 * APR_SHA1_DIGESTSIZE + 1];
    apr_size_t vlen, numlen;
    char *key;

    w = lr_quota_digits(end, (apr_uint64_t)window);
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
    /* prefix, window ":" form value NUL */
    key = p = apr_palloc(r->pool, q->key_prefix_len + numlen + 2 + vlen + 1);
    memcpy(p, q->key_prefix, q->key_prefix_len);
    p += q->key_prefix_len;
    memcpy(p, w, numlen);
    p += numlen;
    *p++ = ':';
    *p++ = (value == hex) ? 'h' : 'v';
    memcpy(p, value, vlen + 1);
    return key;
}

/* The body bytes that have arrived for the handlers to read. */
static apr_off_t lr_quota_arrived(const lr_quota_state *st)
{
    apr_off_t n = st->armed ? st->body->seen - st->base : 0;

    return (n > st->arrived) ? n : st->arrived;
}

/* The seconds left in the window of q that second secs falls in. */
static apr_int64_t lr_quota_ttl(const lr_quota *q, apr_int64_t secs)
{
    return (secs / q->period + 1) * q->period - secs;
}

/* Gives back, of every budget, what it charged beyond keep bytes (keep
 * beyond what it counts from), newest window first: a refusal gives all
 * back (keep 0), the end of the request what never arrived.
 */
static void lr_quota_undo(lr_quota_state *st, apr_off_t keep)
{
    apr_int64_t secs;
    lr_quota_window *w;
    lr_qop *ops;
    int i, n = 0, count = 0;

    for (i = 0; i < st->budgets->nelts; i++) {
        lr_quota_budget *b = &APR_ARRAY_IDX(st->budgets, i, lr_quota_budget);
        apr_off_t kept = keep - b->base;

        if (b->reserved > (kept > 0 ? kept : 0)) {
            for (w = b->windows; w; w = w->older) {
                count++;
            }
        }
    }
    if (!count) {
        return;
    }
    secs = apr_time_sec(apr_time_now());
    ops = apr_palloc(st->r->pool, count * sizeof(*ops));
    for (i = 0; i < st->budgets->nelts; i++) {
        lr_quota_budget *b = &APR_ARRAY_IDX(st->budgets, i, lr_quota_budget);
        apr_off_t kept = keep - b->base;
        apr_off_t back = b->reserved - (kept > 0 ? kept : 0);

        for (w = b->windows; w && back > 0; w = w->older) {
            apr_off_t n_back = (back < w->charged) ? back : w->charged;

            if (n_back <= 0) {
                continue;
            }
            ops[n].key = w->store_key;
            ops[n].n = n_back;
            ops[n].now = secs;
            n++;
            w->charged -= n_back;
            b->reserved -= n_back;
            back -= n_back;
        }
    }
    if (n) {
        lr_qstore_refund(st->r, ops, n);
    }
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
    if (!st->least || st->headers != 1) {
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

/* The budget with the least left, for the RateLimit fields. */
static void lr_quota_least(lr_quota_state *st, const lr_quota *q,
                           apr_off_t used, apr_int64_t reset)
{
    apr_off_t left = (q->size > used) ? q->size - used : 0;

    if (!st->least || left < st->least_left) {
        st->least = q;
        st->least_left = left;
        st->least_reset = reset;
    }
}

/* A store that failed or is given up: the request is not charged
 * (fail=open), or refused with 503 through the module's error path
 * (fail=closed).  The store has logged it, rate-limited.
 */
static int lr_quota_store_failed(request_rec *r, lr_quota_state *st)
{
    if (lr_qstore_fail_closed()) {
        lr_quota_undo(st, 0);
        return lr_refuse(r, LR_REASON_QUOTA_STORE, -1, 0, NULL);
    }
    lr_count(r, LR_C_QUOTA_STORE);
    return DECLINED;
}

/* The 429 of a budget that is spent: Retry-After, the RateLimit fields,
 * the budget for the JSON body, the log line.
 */
static int lr_quota_spent(request_rec *r, lr_quota_state *st,
                          const lr_quota *q, apr_off_t used,
                          apr_int64_t reset, apr_off_t declared)
{
    lr_budget_info *qr = apr_palloc(r->pool, sizeof(*qr));

    qr->name = q->name;
    qr->size = q->size;
    qr->remaining = (q->size > used) ? q->size - used : 0;
    qr->reset = reset;
    st->body->budget = qr;
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, reset));
    lr_quota_least(st, q, used, reset);
    lr_quota_headers(r, st);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "LR00043: budget %s spent for this key: %" APR_OFF_T_FMT
                  " of %" APR_OFF_T_FMT " bytes left, %" APR_OFF_T_FMT
                  " %s, resets in %" APR_INT64_T_FMT " s", q->name,
                  qr->remaining, q->size, declared,
                  st->streamed ? "arrived" : "declared", reset);
    return lr_refuse(r, LR_REASON_QUOTA, declared, q->size, NULL);
}

/* Whether a budget of this name is charged for the request already: a
 * budget is charged once, by the first scope on the request's way that
 * has it (a budget's store key is its name, period and window).
 */
static int lr_quota_charged(const lr_quota_state *st, const lr_quota *q)
{
    int i;

    for (i = 0; i < st->budgets->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(st->budgets, i, lr_quota_budget).q->name,
                    q->name)) {
            return 1;
        }
    }
    for (i = 0; st->late && i < st->late->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(st->late, i, lr_quota_late).q->name,
                    q->name)) {
            return 1;
        }
    }
    return 0;
}

/* A new window entry of budget b for second secs. */
static lr_quota_window *lr_quota_window_for(request_rec *r,
                                            lr_quota_budget *b,
                                            apr_int64_t secs)
{
    apr_int64_t window = secs / b->q->period;
    lr_quota_window *w;

    if (b->windows && b->windows->window == window) {
        return b->windows;
    }
    w = apr_palloc(r->pool, sizeof(*w));
    w->window = window;
    w->store_key = lr_quota_store_key(r, b->q, window, b->value);
    w->charged = 0;
    w->older = b->windows;
    b->windows = w;
    return w;
}

static apr_status_t lr_quota_stream(request_rec *r, void *ctx,
                                    apr_off_t seen, apr_off_t *at);

/* A streamed body's budgets are charged from the meter, starting with
 * the next bytes that arrive.
 */
static void lr_quota_watch(request_rec *r, lr_quota_state *st)
{
    lr_meter_watch(r, lr_quota_stream, st, lr_meter(r)->seen);
}

/* Charges the budgets in qs (const lr_quota *) with the declared length,
 * in one trip to the store: those not charged for the request already;
 * in the scope's own phase (late 0) those keyed on the user are left for
 * fixups (late 1).  A budget whose key is empty or fails is not charged.
 * Under LogOnly a budget that would be passed is reported and left
 * uncharged, the others charged as they would be.  DECLINED, or the
 * status to refuse with.
 */
#define LR_QUOTA_SMALL 4
static int lr_quota_apply(request_rec *r, lr_quota_state *st,
                          const apr_array_header_t *qs, lr_mode_e mode,
                          int late)
{
    apr_int64_t secs = apr_time_sec(apr_time_now());
    lr_quota_budget pending_small[LR_QUOTA_SMALL], *pending = pending_small;
    lr_qop ops_small[LR_QUOTA_SMALL], *ops = ops_small;
    int i, n = 0, over;

    if (qs->nelts > LR_QUOTA_SMALL) {
        pending = apr_palloc(r->pool, qs->nelts * sizeof(*pending));
        ops = apr_palloc(r->pool, qs->nelts * sizeof(*ops));
    }
    for (i = 0; i < qs->nelts; i++) {
        const lr_quota *q = APR_ARRAY_IDX(qs, i, const lr_quota *);
        const char *err = NULL, *value;

        if (!late) {
            if (lr_quota_charged(st, q)) {
                continue;
            }
            if (q->after_auth && !st->armed) {
                lr_quota_late *l;

                if (!st->late) {
                    st->late = apr_array_make(r->pool, 1, sizeof(*l));
                }
                l = apr_array_push(st->late);
                l->q = q;
                l->mode = mode;
                continue;
            }
        }
        value = q->key_is_addr ? r->useragent_ip
                               : ap_expr_str_exec(r, q->key, &err);
        if (err) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LR00041: "
                          "LengthRequiredQuota %s: key '%s' failed: %s; "
                          "not charged", q->name, q->key_text, err);
            continue;
        }
        if (!value || !*value) {
            continue;           /* an empty key is not charged */
        }
        if (!st->streamed && st->declared > q->size) {
            /* Can never fit in this budget: 413, not 429. */
            if (mode == LR_MODE_LOGONLY) {
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
        pending[n].q = q;
        pending[n].value = value;
        pending[n].mode = mode;
        pending[n].reserved = 0;
        pending[n].base = lr_quota_arrived(st);
        pending[n].windows = NULL;
        n++;
    }
    if (st->streamed) {
        /* Charged as the body arrives (lr_quota_stream); a scope reached
         * once the body is counted (an internal redirect after fixups)
         * has its budgets charged from the next bytes on.
         */
        for (i = 0; i < n; i++) {
            *(lr_quota_budget *)apr_array_push(st->budgets) = pending[i];
        }
        if (n && st->armed) {
            lr_quota_watch(r, st);
        }
        return DECLINED;
    }
    for (;;) {
        for (i = 0; i < n; i++) {
            lr_quota_window *w = lr_quota_window_for(r, &pending[i], secs);

            ops[i].key = w->store_key;
            ops[i].n = st->declared;
            ops[i].size = pending[i].q->size;
            ops[i].ttl = lr_quota_ttl(pending[i].q, secs);
            ops[i].now = secs;
            ops[i].used = 0;
        }
        if (!n) {
            return DECLINED;
        }
        switch (lr_qstore_reserve(r, ops, n, &over)) {
        case LR_QS_ERROR:
            return lr_quota_store_failed(r, st);
        case LR_QS_OVER:
            if (pending[over].mode != LR_MODE_LOGONLY) {
                lr_quota_undo(st, 0);
                return lr_quota_spent(r, st, pending[over].q,
                                      ops[over].used, ops[over].ttl,
                                      st->declared);
            }
            /* Not charged, as a refusal would not be; the others are. */
            lr_would_mark(r, LR_REASON_QUOTA);
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "LR00042: would refuse %s %s with 429, reason "
                          "quota (budget %s of %" APR_OFF_T_FMT " bytes, %"
                          APR_OFF_T_FMT " left, declared %" APR_OFF_T_FMT
                          ") (LengthRequired LogOnly)", r->method, r->uri,
                          pending[over].q->name, pending[over].q->size,
                          pending[over].q->size - ops[over].used,
                          st->declared);
            lr_quota_least(st, pending[over].q, ops[over].used,
                           ops[over].ttl);
            pending[over] = pending[--n];
            continue;
        default:
            break;
        }
        break;
    }
    for (i = 0; i < n; i++) {
        lr_quota_window *w = pending[i].windows;

        w->charged = st->declared;
        pending[i].reserved = st->declared;
        lr_quota_least(st, pending[i].q, ops[i].used, ops[i].ttl);
        *(lr_quota_budget *)apr_array_push(st->budgets) = pending[i];
    }
    return DECLINED;
}

/* The state of r's body, made with the first scope that has budgets. */
static lr_quota_state *lr_quota_state_get(request_rec *r, apr_off_t declared)
{
    lr_body *body = lr_body_get(r);
    lr_quota_state *st = body->quota;

    if (st) {
        return st;
    }
    st = apr_palloc(r->pool, sizeof(*st));
    st->r = r;
    st->body = body;
    st->armed = 0;
    st->base = 0;
    st->arrived = 0;
    st->late = NULL;
    st->least = NULL;
    st->least_left = 0;
    st->least_reset = 0;
    /* -1: no declared length (chunked, or h2 without content-length). */
    st->streamed = (declared < 0);
    st->declared = st->streamed ? 0 : declared;
    /* An array apr_array_push() grows out of the state when it must. */
    st->budgets = &st->budgets_hdr;
    st->budgets->pool = r->pool;
    st->budgets->elt_size = sizeof(lr_quota_budget);
    st->budgets->nelts = 0;
    st->budgets->nalloc = 2;
    st->budgets->elts = (char *)st->budgets_room;
    st->headers = -1;
    body->quota = st;
    apr_pool_cleanup_register(r->pool, st, lr_quota_end,
                              apr_pool_cleanup_null);
    return st;
}

/* The budgets of the scope qd, for a body the scope let through: each
 * budget once per request, whichever scope on the request's way has it
 * (a redirect, a DirectoryIndex file); those keyed on the user wait for
 * fixups, when httpd knows the user.
 */
int lr_quota_charge(request_rec *r, const lr_quota_dir *qd, lr_mode_e mode,
                    apr_off_t declared)
{
    lr_quota_state *st;
    int rv;

    if (!qd->quotas || !qd->quotas->nelts || declared == 0) {
        return DECLINED;
    }
    st = lr_quota_state_get(r, declared);
    if (st->body->status) {
        return DECLINED;
    }
    if (qd->headers != -1) {
        st->headers = qd->headers;
    }
    rv = lr_quota_apply(r, st, qd->quotas, mode, 0);
    if (rv == DECLINED && !st->late) {
        lr_quota_headers(r, st);
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
    lr_quota_state *st = lr_body_get(r)->quota;
    int rv;

    if (st && st->streamed) {
        return DECLINED;        /* charged as it streamed in */
    }
    rv = lr_quota_charge(r, qd, mode, length);
    if ((st = lr_body_get(r)->quota) && !st->streamed) {
        st->arrived = st->declared;
    }
    return rv;
}

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
    if (st->late) {
        /* Each in its own scope's mode: those of On scopes first, then
         * those of LogOnly ones (which can only report).
         */
        static const lr_mode_e modes[2] = {LR_MODE_ON, LR_MODE_LOGONLY};
        apr_array_header_t *late = st->late, *qs;
        int i, m;

        st->late = NULL;
        qs = apr_array_make(r->pool, late->nelts, sizeof(const lr_quota *));
        for (m = 0; m < 2; m++) {
            qs->nelts = 0;
            for (i = 0; i < late->nelts; i++) {
                const lr_quota_late *l = &APR_ARRAY_IDX(late, i,
                                                        lr_quota_late);

                if (l->mode == modes[m]) {
                    APR_ARRAY_PUSH(qs, const lr_quota *) = l->q;
                }
            }
            if (qs->nelts
                && (rv = lr_quota_apply(r, st, qs, modes[m], 1)) != DECLINED) {
                return rv;
            }
        }
        lr_quota_headers(r, st);
    }
    if (!st->armed) {
        st->armed = 1;
        st->base = lr_meter(r)->seen;
        if (st->streamed && st->budgets->nelts) {
            lr_quota_watch(r, st);
        }
    }
    return rv;
}

/* Charges a streamed body as it arrives, every byte to the window it
 * arrives in: each budget is charged ahead for what has arrived beyond what
 * it reserved, a step at a time, all budgets in one trip; where a budget
 * has less than a step left, exactly what is needed.  When that does not
 * fit either, the read fails as with the streamed-body cap (APR_ENOSPC:
 * handlers answer 413); under LogOnly it is reported once and the body
 * flows on.  *at is where the next charge is due.
 */
static apr_status_t lr_quota_stream(request_rec *r, void *ctx,
                                    apr_off_t seen, apr_off_t *at)
{
    lr_quota_state *st = ctx;
    apr_int64_t secs = apr_time_sec(apr_time_now());
    apr_off_t arrived = seen - st->base, next = APR_INT64_MAX;
    lr_qop ops_small[LR_QUOTA_SMALL], *ops = ops_small;
    int idx_small[LR_QUOTA_SMALL], *idx = idx_small;
    int i, n = 0, over, exact;

    /* Called every step of a long body: no allocation from the request's
     * pool, which lives as long as the body, for the common few budgets.
     */
    if (st->budgets->nelts > LR_QUOTA_SMALL) {
        ops = apr_palloc(r->pool, st->budgets->nelts * sizeof(*ops));
        idx = apr_palloc(r->pool, st->budgets->nelts * sizeof(*idx));
    }
    for (exact = 0; exact < 2; exact++) {
        n = 0;
        for (i = 0; i < st->budgets->nelts; i++) {
            lr_quota_budget *b = &APR_ARRAY_IDX(st->budgets, i,
                                                lr_quota_budget);
            apr_off_t need = (arrived - b->base) - b->reserved;

            if (need <= 0) {
                continue;
            }
            idx[n] = i;
            ops[n].key = lr_quota_window_for(r, b, secs)->store_key;
            ops[n].n = (exact || need > LR_QUOTA_STEP) ? need
                                                       : LR_QUOTA_STEP;
            ops[n].size = b->q->size;
            ops[n].ttl = lr_quota_ttl(b->q, secs);
            ops[n].now = secs;
            ops[n].used = 0;
            n++;
        }
        if (!n) {
            break;
        }
        switch (lr_qstore_reserve(r, ops, n, &over)) {
        case LR_QS_OK:
            for (i = 0; i < n; i++) {
                lr_quota_budget *b = &APR_ARRAY_IDX(st->budgets, idx[i],
                                                    lr_quota_budget);

                b->windows->charged += ops[i].n;    /* the newest */
                b->reserved += ops[i].n;
            }
            exact = 2;
            break;
        case LR_QS_ERROR:
            /* Half the body is with the handler already: fail=closed
             * fails the read (the handler answers), fail=open lets the
             * rest through uncharged.
             */
            *at = APR_INT64_MAX;
            lr_count(r, LR_C_QUOTA_STORE);
            return lr_qstore_fail_closed() ? APR_EGENERAL : APR_SUCCESS;
        default:
            /* Over: with less than a step left, try again with exactly
             * what arrived; past that, the budget is spent.
             */
            if (!exact) {
                continue;
            }
            {
                lr_quota_budget *b = &APR_ARRAY_IDX(st->budgets, idx[over],
                                                    lr_quota_budget);

                *at = APR_INT64_MAX;
                if (b->mode == LR_MODE_LOGONLY) {
                    lr_would_mark(r, LR_REASON_QUOTA);
                    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                                  "LR00048: would refuse %s %s, reason quota "
                                  "(streamed body passed budget %s of %"
                                  APR_OFF_T_FMT " bytes) (LengthRequired "
                                  "LogOnly)", r->method, r->uri, b->q->name,
                                  b->q->size);
                    return APR_SUCCESS;
                }
                lr_quota_spent(r, st, b->q, ops[over].used, ops[over].ttl,
                               arrived);
                return APR_ENOSPC;
            }
        }
    }
    for (i = 0; i < st->budgets->nelts; i++) {
        lr_quota_budget *b = &APR_ARRAY_IDX(st->budgets, i, lr_quota_budget);

        if (b->base + b->reserved < next) {
            next = b->base + b->reserved;
        }
    }
    *at = st->base + next;
    return APR_SUCCESS;
}
