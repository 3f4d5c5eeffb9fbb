/*
 * mod_length_required.c: refuse request bodies that do not declare their
 * length (411 Length Required) or that declare too much (413), per
 * directory, before a single body byte is read and before any handler,
 * CGI or proxy backend is involved.
 *
 * The decision is made in the header_parser hook: the earliest point at
 * which httpd has merged <Directory>, <Location>, <Files>, <If> and
 * .htaccess configuration for the request.  A refusal is returned as a
 * status, so it goes through ap_die() and honours ErrorDocument like any
 * other error httpd produces.  Where no ErrorDocument is in scope, an
 * error filter may turn httpd's HTML page into JSON for API clients.
 *
 * Chunked (and HTTP/2 content-length-less) bodies may be allowed; when they
 * are, a small input filter right above HTTP_IN counts the body as it
 * streams and fails the read with APR_ENOSPC (which handlers map to 413,
 * exactly as for core's LimitRequestBody) the moment it passes the cap.
 *
 * On shared hosts, "LengthRequiredHtaccess TightenOnly" lets .htaccess
 * files make the policy stricter than the server configuration, never
 * looser.  To tell the two apart, every directory config keeps the policy
 * twice: as httpd merges it (.htaccess included) and as the server
 * configuration alone would have it.
 *
 * Configuration:
 *   LengthRequired              On | Off | LogOnly
 *   LengthRequiredMethods       method [method] ...
 *   LengthRequiredChunked       Deny | Allow
 *   LengthRequiredMaxBody       size[K|M|G]
 *   LengthRequiredErrorFormat   Html | Json | Auto
 *   LengthRequiredHtaccess      Any | TightenOnly      (server, vhost)
 *   LengthRequiredStrict        On | Off               (server, vhost)
 *
 * LengthRequiredStrict refuses the request-framing ambiguities that httpd
 * core lets through (request-smuggling ingredients).  Core deletes a
 * Content-Length sent together with Transfer-Encoding before any request
 * hook runs, and joins repeated and folded header lines, so a connection
 * input filter notes the framing header lines as the head is read; the
 * verdict is given in post_read_request, once the virtual host is known.
 *
 * Counters of what was judged and refused live in anonymous shared memory
 * created by the parent, so every child of every MPM adds to the same
 * numbers with atomic increments; mod_status shows them.
 */

#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_atomic.h"
#include "apr_shm.h"

#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_main.h"
#include "util_filter.h"
#include "scoreboard.h"
#include "mod_core.h"
#include "mod_status.h"

module AP_MODULE_DECLARE_DATA length_required_module;

/* Names operators see: the request note (for %{length-required}n), the
 * environment variable set in LogOnly mode, and the connection note that
 * asks the MPM for its short (2 s) lingering close.
 */
#define LR_NOTE             "length-required"
#define LR_ENV              "LENGTH_REQUIRED_VIOLATION"
#define LR_SHORT_LINGER     "short-lingering-close"
#define LR_COUNT_FILTER     "LENGTH_REQUIRED_COUNT"
#define LR_JSON_FILTER      "LENGTH_REQUIRED_JSON"
#define LR_FRAMING_FILTER   "LENGTH_REQUIRED_FRAMING"

typedef enum {
    LR_MODE_UNSET = -1,
    LR_MODE_OFF = 0,            /* the order is the order of strictness */
    LR_MODE_LOGONLY,
    LR_MODE_ON
} lr_mode_e;

typedef enum {
    LR_CHUNKED_UNSET = -1,
    LR_CHUNKED_DENY = 0,
    LR_CHUNKED_ALLOW
} lr_chunked_e;

typedef enum {
    LR_FORMAT_UNSET = -1,
    LR_FORMAT_HTML = 0,
    LR_FORMAT_JSON,
    LR_FORMAT_AUTO
} lr_format_e;

typedef enum {
    LR_HTACCESS_UNSET = -1,
    LR_HTACCESS_ANY = 0,
    LR_HTACCESS_TIGHTEN
} lr_htaccess_e;

typedef enum {
    LR_REASON_NONE = 0,
    LR_REASON_MISSING,
    LR_REASON_CHUNKED,
    LR_REASON_TOO_LARGE,
    LR_REASON_TE_HTTP10,        /* the rest are LengthRequiredStrict's */
    LR_REASON_TE_CODING,
    LR_REASON_TE_REPEATED,
    LR_REASON_TE_FOLDED,
    LR_REASON_CL_TE
} lr_reason_e;

/* The tokens of the length-required note and the environment variable,
 * indexed by lr_reason_e.
 */
static const char *const lr_reason_token[] = {
    NULL, "missing-length", "chunked", "too-large",
    "te-http10", "te-coding", "te-repeated", "te-folded", "cl-te"
};

/* httpd gives HEAD the method number of GET; bit 63 is never a method
 * number (httpd registers methods up to 62), so it stands for HEAD here.
 */
#define LR_BIT(n)           ((apr_uint64_t)1 << (n))
#define LR_BIT_HEAD         LR_BIT(63)

/* Default LengthRequiredMethods: POST PUT PATCH. */
#define LR_DEFAULT_METHODS  (LR_BIT(M_POST) | LR_BIT(M_PUT) | LR_BIT(M_PATCH))

/* One complete policy.  Every field may be unset; defaults are applied
 * where a value is read.
 */
typedef struct {
    lr_mode_e mode;                     /* LengthRequired */
    lr_chunked_e chunked;               /* LengthRequiredChunked */
    apr_off_t max_body;                 /* LengthRequiredMaxBody, -1 unset */
    int methods_set;                    /* LengthRequiredMethods seen */
    apr_uint64_t method_mask;           /* methods httpd knows by number */
    apr_array_header_t *method_names;   /* other methods by name, or NULL */
    lr_format_e format;                 /* LengthRequiredErrorFormat */
} lr_policy;

/* The fields of a policy, to say which of them a .htaccess file set. */
typedef enum {
    LR_F_MODE = 0,
    LR_F_CHUNKED,
    LR_F_MAX_BODY,
    LR_F_METHODS,
    LR_F_FORMAT,
    LR_F_COUNT
} lr_field_e;

typedef struct {
    lr_policy eff;              /* as merged, .htaccess files included */
    lr_policy srv;              /* the server configuration alone */
    const char *ht[LR_F_COUNT]; /* .htaccess that set eff's field, or NULL */
    int any_ht;                 /* some ht[] is set */
} lr_dir_conf;

typedef struct {
    lr_htaccess_e htaccess;     /* LengthRequiredHtaccess */
    int strict;                 /* LengthRequiredStrict, -1 unset */
    int slot;                   /* index in lr_stats->slot, -1 none */
    int active;                 /* policy On/LogOnly somewhere in config */
} lr_srv_conf;

/* State of the streaming counter for one request body. */
typedef struct {
    apr_off_t cap;
    apr_off_t seen;
    lr_mode_e mode;
    int done;                   /* passed the cap: refused, or reported */
} lr_count_ctx;

/* What the module leaves on a request (its request_config): the refusal
 * it made, for the error filter (never set in LogOnly mode), and the
 * counter of a streamed body, which an internal redirect carries on.
 */
typedef struct {
    int status;                 /* 411 or 413 refused with, or 0 */
    lr_reason_e reason;
    apr_off_t cap;
    lr_count_ctx *count;        /* NULL unless a streamed body is counted */
} lr_req;

/* The framing header lines of the request head being read on a connection
 * (LengthRequiredStrict).  Only the start of each line is looked at: up to
 * its colon, enough to recognise the two header names.
 */
#define LR_NAME_LEN 20
typedef struct {
    int in_head;                /* from pre_read_request to the empty line */
    int request_line_seen;
    int line_len;               /* bytes of the current line, CR excluded */
    int name_len;
    int name_done;              /* colon seen, or not a header we know */
    int continuation;           /* the current line starts with SP or HT */
    int line_is_te;             /* the current line is Transfer-Encoding */
    int last_is_te;             /* the previous header line was */
    int te_lines;
    int cl_lines;
    int te_folded;
    char name[LR_NAME_LEN];
} lr_framing;

/* The counters, in the order of their mod_status keys. */
typedef enum {
    LR_C_JUDGED = 0,
    LR_C_MISSING,
    LR_C_CHUNKED,
    LR_C_TOO_LARGE,
    LR_C_STREAM,
    LR_C_WOULD,
    LR_C_STRICT,
    LR_C_COUNT
} lr_counter_e;

static const char *const lr_counter_key[LR_C_COUNT] = {
    "LengthRequiredJudged",
    "LengthRequiredRefusedMissingLength",
    "LengthRequiredRefusedChunked",
    "LengthRequiredRefusedTooLarge",
    "LengthRequiredStreamTooLarge",
    "LengthRequiredWouldRefuse",
    "LengthRequiredRefusedStrict"
};

static const char *const lr_counter_label[LR_C_COUNT] = {
    "Judged", "411 missing length", "411 chunked", "413 declared",
    "413 streamed", "Would refuse (LogOnly)", "Strict framing"
};

/* One virtual host's counters, found again by its key after a graceful
 * restart.  A slot whose host left the configuration keeps its numbers
 * until a new host needs the room.
 */
#define LR_SLOT_KEY_LEN     256
typedef struct {
    char key[LR_SLOT_KEY_LEN];          /* "ServerName:port", "" if free */
    apr_uint32_t generation;            /* last configuration using it */
    apr_uint64_t count[LR_C_COUNT];
} lr_slot;

typedef struct {
    apr_uint64_t total[LR_C_COUNT];
    apr_uint32_t generation;
    int nslots;
    lr_slot slot[1];                    /* nslots of them */
} lr_shared;

/* Set by the parent in post_config, before the children are forked, and
 * only read after that; the memory it points to is shared.
 */
static lr_shared *lr_stats;

/* Whether any server has LengthRequiredStrict On; set in post_config.
 * Where none has, connections get no framing filter at all.
 */
static int lr_strict_anywhere;

static ap_filter_rec_t *lr_count_filter_handle;
static ap_filter_rec_t *lr_json_filter_handle;
static ap_filter_rec_t *lr_framing_filter_handle;

/*
 * Helpers shared by configuration and request time
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

/* httpd's merge rule: what the inner scope sets wins, the rest inherits. */
static void lr_merge_policy(lr_policy *out, const lr_policy *base,
                            const lr_policy *add)
{
    out->mode = (add->mode != LR_MODE_UNSET) ? add->mode : base->mode;
    out->chunked = (add->chunked != LR_CHUNKED_UNSET)
                   ? add->chunked : base->chunked;
    out->max_body = (add->max_body != -1) ? add->max_body : base->max_body;
    out->format = (add->format != LR_FORMAT_UNSET) ? add->format : base->format;
    if (add->methods_set) {
        out->methods_set = 1;
        out->method_mask = add->method_mask;
        out->method_names = add->method_names;
    }
    else {
        out->methods_set = base->methods_set;
        out->method_mask = base->method_mask;
        out->method_names = base->method_names;
    }
}

/*
 * Request-time code
 */

static const char *const lr_field_directive[] = {
    "LengthRequired", "LengthRequiredChunked", "LengthRequiredMaxBody",
    "LengthRequiredMethods", "LengthRequiredErrorFormat"
};

static void lr_log_no_effect(request_rec *r, const lr_dir_conf *conf,
                             lr_field_e f)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "LR00003: %s in %s has no effect: LengthRequiredHtaccess "
                  "TightenOnly lets .htaccess files only tighten the "
                  "server's policy", lr_field_directive[f], conf->ht[f]);
}

/* TightenOnly's policy for one request, and the fields whose .htaccess
 * value had no effect (bits of lr_field_e).  It comes from the pool, not
 * the stack: a local whose address is taken would give lr_header_parser a
 * stack-protector frame that every request pays for.
 */
typedef struct {
    lr_policy policy;
    unsigned no_effect;
} lr_tightened;

/* Under LengthRequiredHtaccess TightenOnly, the policy of a directory is
 * the server configuration's, tightened (never loosened) by whatever
 * .htaccess files set.  A field that came from the server configuration
 * is taken as is, even if a .htaccess set it earlier in the merge.
 */
static const lr_tightened *lr_tighten(request_rec *r,
                                      const lr_dir_conf *conf)
{
    lr_tightened *t = apr_palloc(r->pool, sizeof(*t));
    lr_policy *out = &t->policy;
    unsigned no_effect = 0;
    const lr_policy *srv = &conf->srv;
    const lr_policy *ht = &conf->eff;

    *out = conf->eff;

    if (conf->ht[LR_F_MODE]) {
        lr_mode_e base = (srv->mode == LR_MODE_UNSET) ? LR_MODE_OFF : srv->mode;
        if (ht->mode < base) {
            out->mode = base;
            no_effect |= 1u << LR_F_MODE;
        }
    }
    if (conf->ht[LR_F_CHUNKED]) {
        if (ht->chunked == LR_CHUNKED_ALLOW
            && srv->chunked != LR_CHUNKED_ALLOW) {
            out->chunked = LR_CHUNKED_DENY;
            no_effect |= 1u << LR_F_CHUNKED;
        }
    }
    if (conf->ht[LR_F_MAX_BODY]) {
        apr_off_t base = (srv->max_body > 0) ? srv->max_body : 0;
        if (base > 0 && (ht->max_body == 0 || ht->max_body > base)) {
            out->max_body = base;
            no_effect |= 1u << LR_F_MAX_BODY;
        }
    }
    if (conf->ht[LR_F_METHODS]) {
        /* A .htaccess list adds to the inherited one. */
        apr_uint64_t base = srv->methods_set ? srv->method_mask
                                             : LR_DEFAULT_METHODS;
        out->method_mask = base | ht->method_mask;
        if (srv->methods_set && srv->method_names) {
            out->method_names = ht->method_names
                ? apr_array_append(r->pool, srv->method_names,
                                   ht->method_names)
                : srv->method_names;
        }
    }
    t->no_effect = no_effect;
    return t;
}

/* Lock-free: an atomic add on the total and on the host's slot. */
static void lr_count(const request_rec *r, lr_counter_e c)
{
    const lr_srv_conf *sconf;

    if (!lr_stats) {
        return;
    }
    apr_atomic_inc64(&lr_stats->total[c]);
    sconf = ap_get_module_config(r->server->module_config,
                                 &length_required_module);
    if (sconf->slot >= 0) {
        apr_atomic_inc64(&lr_stats->slot[sconf->slot].count[c]);
    }
}

static lr_req *lr_req_get(request_rec *r)
{
    lr_req *rq = ap_get_module_config(r->request_config,
                                      &length_required_module);

    if (!rq) {
        rq = apr_pcalloc(r->pool, sizeof(*rq));
        ap_set_module_config(r->request_config, &length_required_module, rq);
    }
    return rq;
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

/* Record a violation for the operator: the note in every mode, and in
 * LogOnly the environment variable and a warning.  Returns the status to
 * refuse with, or DECLINED when the request is to go through.
 */
static int lr_violation(request_rec *r, lr_mode_e mode, lr_reason_e reason,
                        apr_off_t declared, apr_off_t cap)
{
    const char *token = lr_reason_token[reason];
    const char *detail = "";
    lr_req *rq;
    int status = (reason == LR_REASON_TOO_LARGE)
                 ? HTTP_REQUEST_ENTITY_TOO_LARGE : HTTP_LENGTH_REQUIRED;

    apr_table_setn(r->notes, LR_NOTE, token);
    /* The detail is for the log line alone: not formatted (the dearest
     * part of a refusal) when that line would not be written.
     */
    if (reason == LR_REASON_TOO_LARGE
        && APLOG_R_IS_LEVEL(r, mode == LR_MODE_LOGONLY ? APLOG_WARNING
                                                       : APLOG_INFO)) {
        detail = (declared >= 0)
            ? apr_psprintf(r->pool, " (declared %" APR_OFF_T_FMT
                           " bytes, limit %" APR_OFF_T_FMT ")", declared, cap)
            : apr_psprintf(r->pool, " (streamed body passed the limit of %"
                           APR_OFF_T_FMT " bytes)", cap);
    }

    if (mode == LR_MODE_LOGONLY) {
        lr_count(r, LR_C_WOULD);
        apr_table_setn(r->subprocess_env, LR_ENV, token);
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "LR00002: would refuse %s %s with %d, reason %s%s "
                      "(LengthRequired LogOnly)", r->method, r->uri, status,
                      token, detail);
        return DECLINED;
    }

    lr_count(r, reason == LR_REASON_MISSING ? LR_C_MISSING
                : reason == LR_REASON_CHUNKED ? LR_C_CHUNKED
                : declared >= 0 ? LR_C_TOO_LARGE : LR_C_STREAM);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "LR00001: refused %s %s from %s with %d, reason %s%s",
                  r->method, r->uri, r->useragent_ip, status, token, detail);
    rq = lr_req_get(r);
    rq->status = status;
    rq->reason = reason;
    rq->cap = cap;
    lr_close_connection(r);
    return status;
}

/* The value of a Content-Length header.  httpd core has already refused
 * with 400 every value that is not plain digits or does not fit an
 * apr_off_t, so a digit loop is all the decision needs
 * (ap_parse_strict_length goes through strtol and cost half of a judged
 * request's instructions); it saturates rather than overflow all the same.
 */
static apr_off_t lr_length_value(const char *s)
{
    apr_off_t v = 0;

    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (APR_INT64_MAX - 9) / 10) {
            return APR_INT64_MAX;
        }
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* The decision, made once per initial request in header_parser. */
static int lr_header_parser(request_rec *r)
{
    const lr_dir_conf *conf;
    const lr_policy *p;
    unsigned no_effect = 0;
    const char *te, *cl;
    apr_off_t cap, declared;

    /* Internal redirects (a local-URL ErrorDocument among them) and
     * subrequests are not judged again.  An internal redirect keeps the
     * note of the request it came from, so that %{length-required}n logs
     * the reason whichever request the log line describes, and the counter
     * of a body still to be read: httpd keeps only the protocol input
     * filters across the redirect.
     */
    if (r->prev || r->main) {
        if (r->prev) {
            const char *note = apr_table_get(r->prev->notes, LR_NOTE);
            const lr_req *prev = ap_get_module_config(r->prev->request_config,
                                                      &length_required_module);
            if (note) {
                apr_table_setn(r->notes, LR_NOTE, note);
            }
            if (prev && prev->count && !prev->count->done) {
                lr_req_get(r)->count = prev->count;
                ap_add_input_filter_handle(lr_count_filter_handle,
                                           prev->count, r, r->connection);
            }
        }
        return DECLINED;
    }

    conf = ap_get_module_config(r->per_dir_config, &length_required_module);
    p = &conf->eff;
    if (conf->any_ht) {
        const lr_srv_conf *sconf =
            ap_get_module_config(r->server->module_config,
                                 &length_required_module);
        if (sconf->htaccess == LR_HTACCESS_TIGHTEN) {
            const lr_tightened *t = lr_tighten(r, conf);

            p = &t->policy;
            no_effect = t->no_effect;
        }
    }
    if (p->mode != LR_MODE_ON && p->mode != LR_MODE_LOGONLY) {
        return DECLINED;
    }
    if (!lr_method_matches(p, r)) {
        return DECLINED;
    }
    lr_count(r, LR_C_JUDGED);
    if (no_effect) {
        /* Reported for the requests it matters to, not every GET. */
        int f;
        for (f = 0; f < LR_F_COUNT; f++) {
            if (no_effect & (1u << f)) {
                lr_log_no_effect(r, conf, f);
            }
        }
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
        if (cap && (declared = lr_length_value(cl)) > cap) {
            return lr_violation(r, p->mode, LR_REASON_TOO_LARGE, declared,
                                cap);
        }
        return DECLINED;
    }

    te = apr_table_get(r->headers_in, "Transfer-Encoding");
    if (te) {
        lr_count_ctx *ctx;

        if (p->chunked != LR_CHUNKED_ALLOW) {
            return lr_violation(r, p->mode, LR_REASON_CHUNKED, -1, cap);
        }
        if (cap == 0) {
            return DECLINED;
        }
        ctx = apr_palloc(r->pool, sizeof(*ctx));
        ctx->cap = cap;
        ctx->seen = 0;
        ctx->mode = p->mode;
        ctx->done = 0;
        lr_req_get(r)->count = ctx;
        ap_add_input_filter_handle(lr_count_filter_handle, ctx, r,
                                   r->connection);
        return DECLINED;
    }

    return lr_violation(r, p->mode, LR_REASON_MISSING, -1, cap);
}

/* Counts a streamed body (chunked, or h2 without content-length) right
 * above HTTP_IN, which has removed the chunk framing, and fails the read
 * the moment the body passes the cap.  APR_ENOSPC is what core's own
 * LimitRequestBody returns, so handlers (mod_cgi, mod_proxy_http,
 * ap_discard_request_body ...) answer 413 for it.
 */
static apr_status_t lr_count_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                    ap_input_mode_t mode,
                                    apr_read_type_e block,
                                    apr_off_t readbytes)
{
    lr_count_ctx *ctx = f->ctx;
    apr_status_t rv;
    apr_off_t len = 0;

    if (ctx->done) {
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
    ctx->seen += len;
    if (ctx->seen <= ctx->cap) {
        return APR_SUCCESS;
    }

    ctx->done = 1;
    if (lr_violation(f->r, ctx->mode, LR_REASON_TOO_LARGE, -1, ctx->cap)
        == DECLINED) {
        /* LogOnly: reported once; the rest of the body flows untouched. */
        ap_remove_input_filter(f);
        return APR_SUCCESS;
    }
    apr_brigade_cleanup(bb);
    return APR_ENOSPC;
}

/*
 * Strict framing (LengthRequiredStrict)
 */

/* The end of the run of token characters (RFC 9110, section 5.6.2) that
 * starts at s and stops at end at the latest.
 */
static const char *lr_token_end(const char *s, const char *end)
{
    while (s < end && *s && (apr_isalnum(*s)
                             || strchr("!#$%&'*+-.^_`|~", *s))) {
        s++;
    }
    return s;
}

/* Feeds the bytes of request-head lines to the framing state. */
static void lr_framing_scan(lr_framing *fr, const char *data, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len && fr->in_head; i++) {
        char ch = data[i];

        if (ch == '\n') {
            if (fr->line_len == 0) {
                /* Empty lines before the request line are skipped (as
                 * core does); after it, one ends the head.
                 */
                if (fr->request_line_seen) {
                    fr->in_head = 0;
                }
            }
            else if (!fr->request_line_seen) {
                fr->request_line_seen = 1;
            }
            else if (!fr->continuation) {
                fr->last_is_te = fr->line_is_te;
            }
            fr->line_len = 0;
            fr->name_len = 0;
            fr->name_done = 0;
            fr->continuation = 0;
            fr->line_is_te = 0;
            continue;
        }
        if (ch == '\r') {
            continue;
        }
        if (fr->line_len++ == 0 && (ch == ' ' || ch == '\t')) {
            /* obs-fold: this line continues the previous header line */
            fr->continuation = 1;
            fr->name_done = 1;
            if (fr->request_line_seen && fr->last_is_te) {
                fr->te_folded = 1;
            }
            continue;
        }
        if (fr->name_done || !fr->request_line_seen) {
            continue;
        }
        if (ch == ':') {
            fr->name_done = 1;
            if (fr->name_len == 17
                && !memcmp(fr->name, "transfer-encoding", 17)) {
                fr->te_lines++;
                fr->line_is_te = 1;
            }
            else if (fr->name_len == 14
                     && !memcmp(fr->name, "content-length", 14)) {
                fr->cl_lines++;
            }
        }
        else if (fr->name_len < LR_NAME_LEN) {
            fr->name[fr->name_len++] = apr_tolower(ch);
        }
        else {
            fr->name_done = 1;          /* longer than the names we want */
        }
    }
}

/* Connection input filter: while a request head is being read (GETLINE
 * reads between pre_read_request and the empty line), note the framing
 * header lines.  Everything else, the body included, passes untouched.
 */
static apr_status_t lr_framing_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                      ap_input_mode_t mode,
                                      apr_read_type_e block,
                                      apr_off_t readbytes)
{
    lr_framing *fr = f->ctx;
    apr_bucket *e;
    apr_status_t rv;

    rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    if (rv != APR_SUCCESS || !fr->in_head || mode != AP_MODE_GETLINE) {
        return rv;
    }
    for (e = APR_BRIGADE_FIRST(bb);
         e != APR_BRIGADE_SENTINEL(bb) && fr->in_head;
         e = APR_BUCKET_NEXT(e)) {
        const char *data;
        apr_size_t len;

        if (APR_BUCKET_IS_METADATA(e)) {
            continue;
        }
        if (apr_bucket_read(e, &data, &len, APR_BLOCK_READ) == APR_SUCCESS) {
            lr_framing_scan(fr, data, len);
        }
    }
    return APR_SUCCESS;
}

/* A Transfer-Encoding value as RFC 9112 section 6.1 wants it from a
 * client: a list of codings, exactly one of them, chunked.  Returns OK, or
 * the status to refuse with and the reason: 501 for a coding this server
 * does not know (gzip, identity, ...), 400 for chunked twice (te-repeated)
 * and for anything that is not a coding name at all (empty list elements,
 * parameters, control or high bytes).
 */
static int lr_te_check(const char *value, lr_reason_e *reason)
{
    const char *s = value;
    int chunked = 0;

    for (;;) {
        const char *start, *end;

        while (*s == ' ' || *s == '\t') {
            s++;
        }
        start = s;
        while (*s && *s != ',') {
            s++;
        }
        end = s;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }
        if (end == start || lr_token_end(start, end) != end) {
            *reason = LR_REASON_TE_CODING;
            return HTTP_BAD_REQUEST;
        }
        if (end - start != 7 || strncasecmp(start, "chunked", 7)) {
            *reason = LR_REASON_TE_CODING;
            return HTTP_NOT_IMPLEMENTED;
        }
        if (chunked++) {
            *reason = LR_REASON_TE_REPEATED;
            return HTTP_BAD_REQUEST;
        }
        if (!*s) {
            return OK;
        }
        s++;
    }
}

/* Every request head starts here (ap_read_request), so this is where the
 * framing notes of the previous request on the connection are forgotten.
 */
static void lr_pre_read_request(request_rec *r, conn_rec *c)
{
    lr_framing *fr = ap_get_module_config(c->conn_config,
                                          &length_required_module);

    if (fr) {
        memset(fr, 0, sizeof(*fr));
        fr->in_head = 1;
    }
}

static int lr_strict_refuse(request_rec *r, int status, lr_reason_e reason,
                            const char *what)
{
    apr_table_setn(r->notes, LR_NOTE, lr_reason_token[reason]);
    lr_count(r, LR_C_STRICT);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "LR00004: refused %s %s from %s with %d, reason %s: %s "
                  "(LengthRequiredStrict)", r->method, r->uri,
                  r->useragent_ip, status, lr_reason_token[reason], what);
    lr_close_connection(r);
    return status;
}

/* The verdict on the framing of an HTTP/1.x request, in post_read_request:
 * the first hook after the head is read, and the virtual host is known.
 * HTTP/2 requests never get here with notes: their connections carry no
 * framing filter, and the chunked coding mod_http2 adds is its own.
 */
static int lr_post_read_request(request_rec *r)
{
    lr_framing *fr;
    const lr_srv_conf *sconf;
    const char *te;
    lr_reason_e reason;
    int status;

    if (!lr_strict_anywhere || r->prev || r->main) {
        return DECLINED;
    }
    fr = ap_get_module_config(r->connection->conn_config,
                              &length_required_module);
    if (!fr || r->proto_num >= HTTP_VERSION(2, 0)) {
        return DECLINED;
    }
    fr->in_head = 0;
    sconf = ap_get_module_config(r->server->module_config,
                                 &length_required_module);
    if (sconf->strict != 1 || (fr->te_lines == 0 && !fr->te_folded)) {
        return DECLINED;
    }

    if (fr->cl_lines) {
        return lr_strict_refuse(r, HTTP_BAD_REQUEST, LR_REASON_CL_TE,
                                "both Content-Length and Transfer-Encoding");
    }
    if (r->proto_num < HTTP_VERSION(1, 1)) {
        return lr_strict_refuse(r, HTTP_BAD_REQUEST, LR_REASON_TE_HTTP10,
                                "Transfer-Encoding on an HTTP/1.0 request");
    }
    if (fr->te_lines > 1) {
        return lr_strict_refuse(r, HTTP_BAD_REQUEST, LR_REASON_TE_REPEATED,
                                "Transfer-Encoding on more than one line");
    }
    if (fr->te_folded) {
        return lr_strict_refuse(r, HTTP_BAD_REQUEST, LR_REASON_TE_FOLDED,
                                "Transfer-Encoding folded over lines");
    }
    te = apr_table_get(r->headers_in, "Transfer-Encoding");
    if (te && (status = lr_te_check(te, &reason)) != OK) {
        return lr_strict_refuse(r, status, reason,
                                apr_pstrcat(r->pool, "Transfer-Encoding '",
                                            te, "'", NULL));
    }
    return DECLINED;
}

/* A framing filter on every HTTP/1.x connection, but only where some
 * server has LengthRequiredStrict On: the name-based virtual host is not
 * known until the head has been read.  Never on HTTP/2 streams (their
 * connections have a master).
 */
static int lr_pre_connection(conn_rec *c, void *csd)
{
    lr_framing *fr;

    if (!lr_strict_anywhere || c->master) {
        return OK;
    }
    fr = apr_pcalloc(c->pool, sizeof(*fr));
    ap_set_module_config(c->conn_config, &length_required_module, fr);
    ap_add_input_filter_handle(lr_framing_filter_handle, fr, NULL, c);
    return OK;
}

/*
 * Error bodies
 */

/* The q-value of one media range's parameters ("; q=0.5; level=1"), in
 * thousandths; -1 if the q parameter is malformed.
 */
static int lr_accept_q(const char *s, const char *end)
{
    while (s < end) {
        const char *semi = memchr(s, ';', end - s);
        const char *param = semi ? semi + 1 : end;
        const char *pend;

        if (!semi) {
            break;
        }
        while (param < end && (*param == ' ' || *param == '\t')) {
            param++;
        }
        pend = memchr(param, ';', end - param);
        if (!pend) {
            pend = end;
        }
        if (pend - param >= 2 && apr_tolower(param[0]) == 'q'
            && param[1] == '=') {
            const char *v = param + 2;
            int q = 0, scale = 1000, digits = 0;

            while (pend > v && (pend[-1] == ' ' || pend[-1] == '\t')) {
                pend--;
            }
            if (v < pend && (*v == '0' || *v == '1')) {
                q = (*v - '0') * 1000;
                v++;
                if (v < pend && *v == '.') {
                    v++;
                    while (v < pend && apr_isdigit(*v) && digits < 3) {
                        scale /= 10;
                        q += (*v - '0') * scale;
                        v++;
                        digits++;
                    }
                }
                if (v == pend && q <= 1000) {
                    return q;
                }
            }
            return -1;
        }
        s = pend;
    }
    return 1000;
}

/* Whether an Accept header prefers JSON (application/json or any +json
 * type) over text/html.  For each side the most specific matching range
 * gives the q-value (type/subtype over type/ over * / *); JSON wins only
 * with a higher q, or an equal one that names JSON explicitly while HTML
 * is reached only through a wildcard.  So "* / *" alone means HTML.
 */
static int lr_accept_prefers_json(const char *accept)
{
    int json_q = 0, json_spec = 0;      /* 3 named, 2 type wildcard, 1 any */
    int html_q = 0, html_spec = 0;
    const char *s = accept;

    while (*s) {
        const char *end = strchr(s, ',');
        const char *type, *tend, *slash;
        int q;

        if (!end) {
            end = s + strlen(s);
        }
        type = s;
        while (type < end && (*type == ' ' || *type == '\t')) {
            type++;
        }
        tend = type;
        while (tend < end && *tend != ';' && *tend != ' ' && *tend != '\t') {
            tend++;
        }
        slash = memchr(type, '/', tend - type);
        q = lr_accept_q(tend, end);
        if (slash && q >= 0) {
            apr_size_t tlen = slash - type, slen = tend - slash - 1;
            const char *sub = slash + 1;
            int json = 0, html = 0;

            if (tlen == 1 && *type == '*' && slen == 1 && *sub == '*') {
                json = html = 1;
            }
            else if (slen == 1 && *sub == '*') {
                if (tlen == 11 && !strncasecmp(type, "application", 11)) {
                    json = 2;
                }
                else if (tlen == 4 && !strncasecmp(type, "text", 4)) {
                    html = 2;
                }
            }
            else if ((tlen == 11 && !strncasecmp(type, "application", 11)
                      && slen == 4 && !strncasecmp(sub, "json", 4))
                     || (slen > 5
                         && !strncasecmp(sub + slen - 5, "+json", 5))) {
                json = 3;
            }
            else if (tlen == 4 && !strncasecmp(type, "text", 4)
                     && slen == 4 && !strncasecmp(sub, "html", 4)) {
                html = 3;
            }
            if (json > json_spec || (json && json == json_spec && q > json_q)) {
                json_spec = json;
                json_q = q;
            }
            if (html > html_spec || (html && html == html_spec && q > html_q)) {
                html_spec = html;
                html_q = q;
            }
        }
        s = *end ? end + 1 : end;
    }

    if (json_q == 0) {
        return 0;
    }
    if (json_q != html_q) {
        return json_q > html_q;
    }
    return json_spec == 3 && html_spec < 3;
}

static const char *lr_json_message(const lr_req *refusal, apr_pool_t *p)
{
    switch (refusal->reason) {
    case LR_REASON_MISSING:
        return "This request must declare the length of its body: send it "
               "with a Content-Length header.";
    case LR_REASON_CHUNKED:
        return "Chunked request bodies are not accepted here: send the body "
               "with a Content-Length header instead.";
    default:
        return apr_psprintf(p, "The request body is too large: send at most "
                            "%" APR_OFF_T_FMT " bytes.", refusal->cap);
    }
}

/* Replaces the body of httpd's error page with one JSON object.  Installed
 * only by lr_insert_error_filter, for a 411/413 this module produced.
 */
static apr_status_t lr_json_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    const lr_req *refusal = f->ctx;
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
    if (eos) {
        if (!r->header_only) {
            const char *body;

            body = apr_psprintf(r->pool,
                                "{\"status\":%d,\"error\":\"%s\","
                                "\"reason\":\"%s\",\"message\":\"%s\"",
                                refusal->status,
                                refusal->status == HTTP_LENGTH_REQUIRED
                                ? "content_length_required"
                                : "payload_too_large",
                                lr_reason_token[refusal->reason],
                                lr_json_message(refusal, r->pool));
            if (refusal->reason == LR_REASON_TOO_LARGE) {
                body = apr_psprintf(r->pool, "%s,\"limit\":%" APR_OFF_T_FMT,
                                    body, refusal->cap);
            }
            body = apr_pstrcat(r->pool, body, "}\n", NULL);
            APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(body,
                                    strlen(body), r->pool,
                                    f->c->bucket_alloc));
        }
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
        ap_remove_output_filter(f);
        return ap_pass_brigade(f->next, bb);
    }
    return APR_SUCCESS;
}

/* Runs when httpd starts an error response.  For a 411/413 this module
 * produced, with no ErrorDocument in scope (those always win), choose the
 * body format: httpd's own HTML page, or JSON.
 */
static void lr_insert_error_filter(request_rec *r)
{
    const lr_req *refusal;
    const lr_dir_conf *conf;
    lr_format_e format;
    int json;

    refusal = ap_get_module_config(r->request_config, &length_required_module);
    if (!refusal || !refusal->status || r->status != refusal->status) {
        return;
    }
    if (ap_response_code_string(r, ap_index_of_response(r->status))) {
        return;
    }
    conf = ap_get_module_config(r->per_dir_config, &length_required_module);
    format = conf->eff.format;
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
        ap_add_output_filter_handle(lr_json_filter_handle, (void *)refusal,
                                    r, r->connection);
    }
}

/*
 * Counters: shared memory and mod_status
 */

static const char *lr_server_key(apr_pool_t *p, const server_rec *s)
{
    apr_port_t port = s->port;

    if (!port && s->addrs) {
        port = s->addrs->host_port;
    }
    return apr_psprintf(p, "%s:%u", s->server_hostname ? s->server_hostname
                                                       : "(none)", port);
}

static int lr_vector_active(ap_conf_vector_t *v)
{
    const lr_dir_conf *conf = ap_get_module_config(v, &length_required_module);

    return conf && (conf->eff.mode == LR_MODE_ON
                    || conf->eff.mode == LR_MODE_LOGONLY);
}

static int lr_sections_active(apr_array_header_t *secs)
{
    int i;

    for (i = 0; secs && i < secs->nelts; i++) {
        ap_conf_vector_t *v = APR_ARRAY_IDX(secs, i, ap_conf_vector_t *);
        core_dir_config *core = ap_get_core_module_config(v);

        if (lr_vector_active(v) || (core && lr_sections_active(core->sec_if))) {
            return 1;
        }
    }
    return 0;
}

/* Whether the server configuration turns the module on anywhere in this
 * host: its defaults, <Directory>, <Location> and <If> sections.  A host
 * that only .htaccess files turn on shows once it has counted something.
 */
static int lr_server_active(server_rec *s)
{
    core_server_config *core = ap_get_core_module_config(s->module_config);
    core_dir_config *dcore = ap_get_core_module_config(s->lookup_defaults);

    return lr_vector_active(s->lookup_defaults)
           || (dcore && lr_sections_active(dcore->sec_if))
           || lr_sections_active(core->sec_dir)
           || lr_sections_active(core->sec_url);
}

/* The counters are created once per httpd process, in the process pool, so
 * that a graceful restart finds them again; pre_mpm zeroes them on a full
 * (re)start.  Each host gets a slot by its key.
 */
static int lr_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    static const char *const userdata_key = "length_required_shm";
    apr_pool_t *proc = s->process->pool;
    apr_shm_t *shm = NULL;
    server_rec *vs;
    apr_uint32_t gen;

    int nservers = 0;

    lr_strict_anywhere = 0;
    for (vs = s; vs; vs = vs->next) {
        const lr_srv_conf *sconf =
            ap_get_module_config(vs->module_config, &length_required_module);
        if (sconf->strict == 1) {
            lr_strict_anywhere = 1;
        }
        nservers++;
    }

    apr_pool_userdata_get((void **)&shm, userdata_key, proc);
    if (!shm) {
        apr_size_t size;
        apr_status_t rv;

        /* Room for the hosts there are and as many again added later. */
        nservers = 2 * nservers + 16;
        size = APR_OFFSETOF(lr_shared, slot) + nservers * sizeof(lr_slot);
        rv = apr_shm_create(&shm, size, NULL, proc);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                         "LR00010: cannot create shared memory for the "
                         "counters; the module works but does not count");
            lr_stats = NULL;
            return OK;
        }
        memset(apr_shm_baseaddr_get(shm), 0, size);
        ((lr_shared *)apr_shm_baseaddr_get(shm))->nslots = nservers;
        apr_pool_userdata_set(shm, userdata_key, apr_pool_cleanup_null, proc);
    }
    lr_stats = apr_shm_baseaddr_get(shm);
    gen = ++lr_stats->generation;

    /* First every host takes back the slot it had (a graceful restart
     * keeps its figures); then the new hosts take slots no host of this
     * configuration uses.  Hosts with the same key share a slot.
     */
    for (vs = s; vs; vs = vs->next) {
        lr_srv_conf *sconf = ap_get_module_config(vs->module_config,
                                                  &length_required_module);
        const char *key = lr_server_key(ptemp, vs);
        int i;

        sconf->slot = -1;
        sconf->active = lr_server_active(vs);
        for (i = 0; i < lr_stats->nslots; i++) {
            if (lr_stats->slot[i].key[0]
                && !strncmp(lr_stats->slot[i].key, key, LR_SLOT_KEY_LEN - 1)) {
                sconf->slot = i;
                lr_stats->slot[i].generation = gen;
                break;
            }
        }
    }
    for (vs = s; vs; vs = vs->next) {
        lr_srv_conf *sconf = ap_get_module_config(vs->module_config,
                                                  &length_required_module);
        const char *key;
        int i;

        if (sconf->slot >= 0) {
            continue;
        }
        key = lr_server_key(ptemp, vs);
        for (i = 0; i < lr_stats->nslots; i++) {
            lr_slot *sl = &lr_stats->slot[i];

            if (!strncmp(sl->key, key, LR_SLOT_KEY_LEN - 1)) {
                break;                  /* taken by a host of this pass */
            }
            if (!sl->key[0] || sl->generation != gen) {
                /* Free, or left by a host gone from the configuration. */
                memset(sl, 0, sizeof(*sl));
                apr_cpystrn(sl->key, key, LR_SLOT_KEY_LEN);
                break;
            }
        }
        if (i < lr_stats->nslots) {
            sconf->slot = i;
            lr_stats->slot[i].generation = gen;
        }
        else {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs,
                         "LR00011: no room left to count %s on its own "
                         "(stop and start httpd to make room); it is "
                         "counted in the totals only", key);
        }
    }
    return OK;
}

/* pre_mpm runs at startup and on a full restart, never on a graceful one:
 * the same rule mod_status's own figures follow.
 */
static int lr_pre_mpm(apr_pool_t *p, ap_scoreboard_e sb_type)
{
    int i;

    if (lr_stats) {
        memset(lr_stats->total, 0, sizeof(lr_stats->total));
        for (i = 0; i < lr_stats->nslots; i++) {
            memset(lr_stats->slot[i].count, 0, sizeof(lr_stats->slot[i].count));
        }
    }
    return OK;
}

/* The hosts to show, each slot once: those the configuration turns the
 * module on in, and those that counted something anyway.
 */
static int lr_slot_shown(const lr_srv_conf *sconf, char *seen)
{
    int c;

    if (sconf->slot < 0 || seen[sconf->slot]) {
        return 0;
    }
    seen[sconf->slot] = 1;
    if (sconf->active) {
        return 1;
    }
    for (c = 0; c < LR_C_COUNT; c++) {
        if (apr_atomic_read64(&lr_stats->slot[sconf->slot].count[c])) {
            return 1;
        }
    }
    return 0;
}

/* One row of figures: the totals (key NULL) or one host's.  In the
 * ?auto form a line per counter, "Key: n" or "Key[host:port]: n".
 */
static void lr_status_row(request_rec *r, int flags, const char *key,
                          apr_uint64_t *count)
{
    int c;

    if (flags & AP_STATUS_SHORT) {
        for (c = 0; c < LR_C_COUNT; c++) {
            ap_rprintf(r, "%s%s%s%s: %" APR_UINT64_T_FMT "\n",
                       lr_counter_key[c], key ? "[" : "", key ? key : "",
                       key ? "]" : "", apr_atomic_read64(&count[c]));
        }
        return;
    }
    ap_rprintf(r, "<tr><td>%s</td>",
               key ? ap_escape_html(r->pool, key) : "<b>All hosts</b>");
    for (c = 0; c < LR_C_COUNT; c++) {
        ap_rprintf(r, "<td>%" APR_UINT64_T_FMT "</td>",
                   apr_atomic_read64(&count[c]));
    }
    ap_rputs("</tr>\n", r);
}

static int lr_status_hook(request_rec *r, int flags)
{
    char *seen;
    server_rec *vs;
    int c;

    if (!lr_stats) {
        return OK;
    }
    seen = apr_pcalloc(r->pool, lr_stats->nslots);

    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("<hr />\n<h2>mod_length_required</h2>\n"
                 "<table border=\"1\"><tr><th>Virtual host</th>", r);
        for (c = 0; c < LR_C_COUNT; c++) {
            ap_rprintf(r, "<th>%s</th>", lr_counter_label[c]);
        }
        ap_rputs("</tr>\n", r);
    }
    lr_status_row(r, flags, NULL, lr_stats->total);
    for (vs = ap_server_conf; vs; vs = vs->next) {
        const lr_srv_conf *sconf =
            ap_get_module_config(vs->module_config, &length_required_module);

        if (lr_slot_shown(sconf, seen)) {
            lr_slot *sl = &lr_stats->slot[sconf->slot];
            lr_status_row(r, flags, sl->key, sl->count);
        }
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("</table>\n", r);
    }
    return OK;
}

/*
 * Configuration
 */

static void *lr_create_dir_config(apr_pool_t *p, char *dir)
{
    lr_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    lr_unset_policy(&conf->eff);
    lr_unset_policy(&conf->srv);
    return conf;
}

static void *lr_merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    const lr_dir_conf *base = basev;
    const lr_dir_conf *add = addv;
    lr_dir_conf *conf = apr_palloc(p, sizeof(*conf));
    int f;

    lr_merge_policy(&conf->eff, &base->eff, &add->eff);
    lr_merge_policy(&conf->srv, &base->srv, &add->srv);
    conf->any_ht = 0;
    for (f = 0; f < LR_F_COUNT; f++) {
        conf->ht[f] = lr_field_is_set(&add->eff, f) ? add->ht[f] : base->ht[f];
        if (conf->ht[f]) {
            conf->any_ht = 1;
        }
    }
    return conf;
}

static void *lr_create_srv_config(apr_pool_t *p, server_rec *s)
{
    lr_srv_conf *sconf = apr_pcalloc(p, sizeof(*sconf));

    sconf->htaccess = LR_HTACCESS_UNSET;
    sconf->strict = -1;
    sconf->slot = -1;
    sconf->active = 0;
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
    /* Per host, assigned in post_config. */
    sconf->slot = -1;
    sconf->active = 0;
    return sconf;
}

/* Every per-directory directive stores its value in the merged policy,
 * and also in the server-configuration policy unless it comes from a
 * .htaccess file, whose name is then kept for the error log.  httpd parses
 * .htaccess files with cmd->pool and cmd->temp_pool both the request pool,
 * which is how ap_check_cmd_context() recognises them too.
 */
static lr_policy *lr_srv_target(cmd_parms *cmd, lr_dir_conf *conf,
                                lr_field_e f)
{
    if (cmd->pool == cmd->temp_pool) {
        conf->ht[f] = apr_pstrdup(cmd->pool, cmd->config_file
                                             ? cmd->config_file->name
                                             : ".htaccess");
        conf->any_ht = 1;
        return NULL;
    }
    conf->ht[f] = NULL;
    return &conf->srv;
}

/* Sets one of the keyword fields of a policy. */
static void lr_policy_set(lr_policy *p, lr_field_e f, int value)
{
    switch (f) {
    case LR_F_MODE:
        p->mode = value;
        break;
    case LR_F_CHUNKED:
        p->chunked = value;
        break;
    case LR_F_FORMAT:
        p->format = value;
        break;
    default:
        break;
    }
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
    {"Deny", LR_CHUNKED_DENY}, {"Allow", LR_CHUNKED_ALLOW}, {NULL, 0}
};
static const lr_keyword lr_format_words[] = {
    {"Html", LR_FORMAT_HTML}, {"Json", LR_FORMAT_JSON},
    {"Auto", LR_FORMAT_AUTO}, {NULL, 0}
};
static const lr_keyword lr_htaccess_words[] = {
    {"Any", LR_HTACCESS_ANY}, {"TightenOnly", LR_HTACCESS_TIGHTEN},
    {NULL, 0}
};
static const lr_keyword lr_onoff_words[] = {
    {"On", 1}, {"Off", 0}, {NULL, 0}
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
    lr_dir_conf *conf = dconf;
    lr_field_e f = (lr_field_e)(apr_uintptr_t)cmd->info;
    const lr_keyword *words = (f == LR_F_MODE) ? lr_mode_words
                              : (f == LR_F_CHUNKED) ? lr_chunked_words
                              : lr_format_words;
    lr_policy *srv;
    int value;
    const char *err = lr_keyword_value(cmd, arg, words, &value);

    if (err) {
        return err;
    }
    lr_policy_set(&conf->eff, f, value);
    if ((srv = lr_srv_target(cmd, conf, f))) {
        lr_policy_set(srv, f, value);
    }
    return NULL;
}

/* A whole number of bytes with an optional K, M or G (powers of 1024).
 * Everything else is refused: signs, fractions, junk, overflow.
 */
static int lr_parse_size(const char *arg, apr_off_t *size)
{
    apr_off_t value = 0, mult = 1;
    const char *p = arg;

    if (!apr_isdigit(*p)) {
        return 0;
    }
    while (apr_isdigit(*p)) {
        int digit = *p - '0';
        if (value > (APR_INT64_MAX - digit) / 10) {
            return 0;
        }
        value = value * 10 + digit;
        p++;
    }
    switch (*p) {
    case '\0':
        break;
    case 'K': case 'k':
        mult = APR_INT64_C(1024);
        p++;
        break;
    case 'M': case 'm':
        mult = APR_INT64_C(1024) * 1024;
        p++;
        break;
    case 'G': case 'g':
        mult = APR_INT64_C(1024) * 1024 * 1024;
        p++;
        break;
    default:
        return 0;
    }
    if (*p != '\0' || value > APR_INT64_MAX / mult) {
        return 0;
    }
    *size = value * mult;
    return 1;
}

static const char *lr_cmd_max_body(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    lr_dir_conf *conf = dconf;
    lr_policy *srv;
    apr_off_t size;

    if (!lr_parse_size(arg, &size)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid size; use a "
                            "whole number of bytes, optionally followed by "
                            "K, M or G (powers of 1024), or 0 for no limit",
                            cmd->cmd->name, arg);
    }
    conf->eff.max_body = size;
    if ((srv = lr_srv_target(cmd, conf, LR_F_MAX_BODY))) {
        srv->max_body = size;
    }
    return NULL;
}

/* A method is an HTTP token. */
static int lr_is_token(const char *s)
{
    return *s && lr_token_end(s, s + strlen(s)) == s + strlen(s);
}

/* Adds one word of a LengthRequiredMethods list to the mask (methods
 * httpd numbers) or to the names (the rest).  Returns 0 if the word is
 * not a method token.
 */
static int lr_add_method(apr_pool_t *p, const char *word, apr_uint64_t *mask,
                         apr_array_header_t **names)
{
    int num;

    if (!lr_is_token(word)) {
        return 0;
    }
    num = ap_method_number_of(word);
    if (num == M_GET && strcmp(word, "HEAD") == 0) {
        *mask |= LR_BIT_HEAD;
    }
    else if (num != M_INVALID && num >= 0 && num < 63) {
        *mask |= LR_BIT(num);
    }
    else {
        /* Unknown to httpd now (an extension method, or one a module
         * registers later): matched by name at request time.
         */
        if (!*names) {
            *names = apr_array_make(p, 2, sizeof(const char *));
        }
        APR_ARRAY_PUSH(*names, const char *) = apr_pstrdup(p, word);
    }
    return 1;
}

static const char *lr_cmd_methods(cmd_parms *cmd, void *dconf,
                                  const char *args)
{
    lr_dir_conf *conf = dconf;
    lr_policy *srv;
    apr_uint64_t mask = 0;
    apr_array_header_t *names = NULL;
    const char *word;
    int count = 0;

    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        if (!lr_add_method(cmd->pool, word, &mask, &names)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid HTTP "
                                "method; a method is a token such as POST, "
                                "PUT or PROPPATCH", cmd->cmd->name, word);
        }
        count++;
    }
    if (count == 0) {
        return apr_psprintf(cmd->pool, "%s: no method given; name at least "
                            "one method, such as POST PUT PATCH",
                            cmd->cmd->name);
    }
    conf->eff.methods_set = 1;
    conf->eff.method_mask = mask;
    conf->eff.method_names = names;
    if ((srv = lr_srv_target(cmd, conf, LR_F_METHODS))) {
        srv->methods_set = 1;
        srv->method_mask = mask;
        srv->method_names = names;
    }
    return NULL;
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

static const char *lr_cmd_strict(cmd_parms *cmd, void *dconf, const char *arg)
{
    lr_srv_conf *sconf = ap_get_module_config(cmd->server->module_config,
                                              &length_required_module);
    int value;
    const char *err = lr_keyword_value(cmd, arg, lr_onoff_words, &value);

    if (!err) {
        sconf->strict = value;
    }
    return err;
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
                  "Deny or Allow: whether a chunked body without "
                  "Content-Length is accepted (default Deny)"),
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
    AP_INIT_TAKE1("LengthRequiredStrict", lr_cmd_strict, NULL, RSRC_CONF,
                  "On or Off: refuse ambiguous HTTP/1.x request framing "
                  "(Transfer-Encoding tricks, Content-Length with it)"),
    {NULL}
};

static void lr_register_hooks(apr_pool_t *p)
{
    /* header_parser is the first hook that sees the merged per-directory
     * and .htaccess configuration, and it runs before authentication,
     * authorization and the handler, so nothing has read the body yet.
     * FIRST: a request we refuse should not cost other modules any work.
     */
    ap_hook_header_parser(lr_header_parser, NULL, NULL, APR_HOOK_FIRST);

    /* Strict framing: the filter goes on each connection before anything
     * is read; pre_read_request marks where each request head begins;
     * post_read_request is the first hook with the head read and the
     * virtual host known, so the verdict comes before any other module
     * acts on the request (FIRST).
     */
    ap_hook_pre_connection(lr_pre_connection, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_pre_read_request(lr_pre_read_request, NULL, NULL,
                             APR_HOOK_MIDDLE);
    ap_hook_post_read_request(lr_post_read_request, NULL, NULL,
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
    ap_hook_pre_mpm(lr_pre_mpm, NULL, NULL, APR_HOOK_MIDDLE);

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

AP_DECLARE_MODULE(length_required) = {
    STANDARD20_MODULE_STUFF,
    lr_create_dir_config,       /* create per-directory config */
    lr_merge_dir_config,        /* merge per-directory config */
    lr_create_srv_config,       /* create per-server config */
    lr_merge_srv_config,        /* merge per-server config */
    lr_cmds,                    /* command table */
    lr_register_hooks,          /* register hooks */
    AP_MODULE_FLAG_NONE         /* flags */
};
