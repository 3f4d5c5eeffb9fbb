/*
 * lr_request.h: the request core of mod_length_required (lr_request.c):
 * what the module knows of a request and its body along the way to a
 * handler, the one path of every refusal, and the one meter of a body.
 * Every feature calls down into it; it calls none of them.
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

#ifndef LR_REQUEST_H
#define LR_REQUEST_H

#include "lr_private.h"
#include "lr_stats.h"

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(hidden)
#endif

/*
 * Why a request is refused.  lr_reasons[] gives each its status, counter,
 * note token and log wording.
 */
typedef enum {
    LR_REASON_NONE = 0,
    LR_REASON_MISSING,          /* no Content-Length, no chunked body */
    LR_REASON_CHUNKED,          /* chunked while LengthRequiredChunked Deny */
    LR_REASON_TOO_LARGE,        /* declared Content-Length over the cap */
    LR_REASON_STREAMED,         /* streamed body passed the cap */
    LR_REASON_BUFFERED,         /* body being buffered passed the bound */
    LR_REASON_TE_HTTP10,        /* the rest are LengthRequiredStrict's */
    LR_REASON_TE_UNKNOWN,
    LR_REASON_TE_MALFORMED,
    LR_REASON_TE_REPEATED,
    LR_REASON_TE_FOLDED,
    LR_REASON_CL_TE,
    LR_REASON_QUOTA,            /* an upload budget is spent (429) */
    LR_REASON_QUOTA_STORE,      /* fail=closed, the quota store failed */
    LR_REASON_UPLOAD_MAX,       /* a resumable upload would pass its max */
    LR_REASON_UPLOAD_FIELD,     /* ... or its fields are malformed (400) */
    LR_REASON_COUNT
} lr_reason_e;

typedef struct {
    const char *token;          /* note and environment variable value */
    int status;                 /* refused with */
    lr_counter_e counter;
    const char *what;           /* Strict's: what the framing did, or NULL */
} lr_reason_info;

extern const lr_reason_info lr_reasons[LR_REASON_COUNT];

/* The budget a refusal names, for its JSON body (quotas). */
typedef struct {
    const char *name;
    apr_off_t size;             /* bytes per window */
    apr_off_t remaining;        /* bytes left in this window */
    apr_int64_t reset;          /* seconds until the window ends */
} lr_budget_info;

/* Called by the meter when the bytes of a body that have arrived pass
 * *at: returns APR_SUCCESS (with *at moved on), or the status that fails
 * the read (APR_ENOSPC after a refusal through lr_refuse()).
 */
typedef apr_status_t lr_meter_watch_fn(request_rec *r, void *ctx,
                                       apr_off_t seen, apr_off_t *at);

/* What the module knows of one request body.  The initial request and
 * every internal redirect of it share one: a body is read once, whichever
 * request_rec reads it.  The features keep their own state of the body
 * here too, each behind a pointer of its own type.
 */
typedef struct lr_body {
    /* A refusal: lr_refuse() */
    int status;                 /* refused with, 0 if not refused */
    lr_reason_e reason;
    apr_off_t cap;              /* the limit the refusal names */
    const lr_budget_info *budget;   /* the spent budget of a 429, or NULL */

    /* The meter: every body byte that arrives, counted once */
    int metered;                /* the meter goes on every request_rec */
    apr_off_t seen;             /* bytes counted so far */
    apr_off_t cap_on;           /* smallest streamed cap of the On scopes,
                                 * 0 none */
    apr_off_t cap_logonly;      /* ... and of the LogOnly ones */
    int reported;               /* LogOnly's would-refuse was logged */
    const char *cut_handler;    /* handler reading when the cap cut the
                                 * streamed body, or NULL */
    int cut_status;             /* the status already sent by then, or 0 */
    lr_meter_watch_fn *watch;   /* a feature counting the bytes too */
    void *watch_ctx;
    apr_off_t watch_at;

    /* The features' own */
    struct lr_buffer *buffer;   /* LengthRequiredChunked Buffer, or NULL */
    struct lr_quota_req *quota; /* the budgets charged, or NULL */
} lr_body;

/* The state of a request that a scope judged or that has a body state:
 * the configuration judged last (a fixup that finds it unchanged has
 * nothing to judge), whether a scope on the request's way judged it, and
 * the body state, shared along the chain of internal redirects.
 */
typedef struct {
    const ap_conf_vector_t *scope;
    lr_body *body;              /* never NULL: a state is made for its
                                 * body (lr_body_get), or with another's
                                 * (lr_inherit) */
    int judged;
} lr_req;

/* The module's request_config holds one of:
 *   NULL              nothing looked at, nothing kept;
 *   LR_MARK(scope)    judged, the last time in scope (NULL: in a request
 *                     before this one on its way), and nothing kept: the
 *                     common case of a body that passed, which so costs
 *                     no allocation;
 *   LR_LOOKED(scope)  looked at in scope by header_parser, which does not
 *                     judge it (the method is not one it covers, or the
 *                     policy is off), nothing kept: so that the fixup of
 *                     the same scope need not look again;
 *   an lr_req         for everything else.
 * A scope is a per_dir_config, a pool allocation whose two lowest address
 * bits are clear: the marks set one of them.
 */
#define LR_SLOT(r) \
    ap_get_module_config((r)->request_config, &length_required_module)
#define LR_MARK(scope)      ((void *)((apr_uintptr_t)(scope) | 1))
#define LR_LOOKED(scope)    ((void *)((apr_uintptr_t)(scope) | 2))
#define LR_TAG(v)           (((apr_uintptr_t)(v)) & 3)
#define LR_IS_MARK(v)       (LR_TAG(v) != 0)

/* The state of r, or NULL where there is none (nothing judged, or only a
 * mark).
 */
static APR_INLINE lr_req *lr_req_of(const request_rec *r)
{
    void *v = LR_SLOT(r);

    return LR_IS_MARK(v) ? NULL : (lr_req *)v;
}

/* Whether r's scope (its per_dir_config as it is now) has judged it. */
int lr_judged_here(const request_rec *r);

/* r's body state, made (with r's state) if there is none. */
lr_body *lr_body_get(request_rec *r);

/* A scope judges r now: counted as judged unless an earlier scope on the
 * request's way judged it already (a client request counts once), and
 * recorded, so that fixups does not judge the same scope again.  The
 * first judging of a request, in line; any later one, lr_judged_again.
 */
void lr_judged_again(request_rec *r, void *v);
static APR_INLINE void lr_judged(request_rec *r)
{
    void *v = LR_SLOT(r);

    if (v && LR_TAG(v) != 2) {
        lr_judged_again(r, v);
        return;
    }
    lr_count(r, LR_C_JUDGED);
    ap_set_module_config(r->request_config, &length_required_module,
                         LR_MARK(r->per_dir_config));
}

/* An internal redirect (r->prev) takes over the note and the body state
 * of the request it came from.  Returns whether the body was refused (the
 * redirect is then an error document, with no body to judge).
 */
int lr_inherit(request_rec *r);

/* The request as the client sent it. */
static APR_INLINE const request_rec *lr_first(const request_rec *r)
{
    while (r->prev) {
        r = r->prev;
    }
    return r;
}

/*
 * Refusals
 */

/* The one way the module refuses a request: the note, the counter, the
 * log line, the connection closed, the body gone.  Returns the status to
 * answer with, so that httpd's error machinery (ap_die, ErrorDocument)
 * takes it.  what: the wording for the log of Strict's refusals and of
 * malformed upload fields, or NULL.
 */
int lr_refuse(request_rec *r, lr_reason_e reason, apr_off_t declared,
              apr_off_t cap, const char *what);

/* LengthRequired LogOnly: the note, the environment variable and the
 * counter of a request that would have been refused (lr_would_mark), and
 * with them the warning (lr_would_refuse).
 */
void lr_would_mark(request_rec *r, lr_reason_e reason);
void lr_would_refuse(request_rec *r, lr_reason_e reason,
                     apr_off_t declared, apr_off_t cap);

/*
 * The meter: one input filter that counts a body's bytes once, right above
 * HTTP_IN, for the streamed cap, LogOnly's would-refuse and the features
 * that watch it.
 */

/* Counts r's body from now on (and on every internal redirect of r);
 * returns its state, whose seen field holds the count.
 */
lr_body *lr_meter(request_rec *r);

/* Counts r's body from now on against cap (for an On or LogOnly scope);
 * of each mode the smallest cap on the request's way holds.
 */
void lr_meter_cap(request_rec *r, lr_mode_e mode, apr_off_t cap);

/* Counts r's body from now on, calling fn once more than at bytes have
 * arrived.
 */
void lr_meter_watch(request_rec *r, lr_meter_watch_fn *fn, void *ctx,
                    apr_off_t at);

/* Puts the meter back on r where a fast redirect (DirectoryIndex,
 * MultiViews) took it off with the rest of r's input filters.
 */
void lr_meter_resume(request_rec *r, lr_body *body);

/* The filters of the request core, registered by the main file. */
extern ap_filter_rec_t *lr_meter_filter_handle;
extern ap_filter_rec_t *lr_gone_filter_handle;
extern ap_filter_rec_t *lr_status_filter_handle;
apr_status_t lr_meter_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                             ap_input_mode_t mode, apr_read_type_e block,
                             apr_off_t readbytes);
apr_status_t lr_gone_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                            ap_input_mode_t mode, apr_read_type_e block,
                            apr_off_t readbytes);
apr_status_t lr_status_filter(ap_filter_t *f, apr_bucket_brigade *bb);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#endif /* LR_REQUEST_H */
