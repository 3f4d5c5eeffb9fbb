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
 * lr_private.h: the types and functions the files of mod_length_required
 * share, and nothing else.
 */

#ifndef LR_PRIVATE_H
#define LR_PRIVATE_H

#include "apr_strings.h"
#include "apr_lib.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "util_filter.h"
#include "scoreboard.h"
#include "ap_expr.h"

/* Every file logs as the module, so "LogLevel length_required:info"
 * applies to all of them.
 */
APLOG_USE_MODULE(length_required);

extern module AP_MODULE_DECLARE_DATA length_required_module;

/* Everything below is shared between the module's own files only: hidden
 * from the .so's dynamic symbols, so that calls and data between the files
 * are direct rather than through the PLT and GOT (httpd finds the module
 * by the one symbol above).
 */
#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(hidden)
#endif

/* For the rare branches of the hooks every request runs: kept out of line,
 * so that the common early return of the hook needs no stack frame.
 */
#if defined(__GNUC__)
#define LR_COLD __attribute__((noinline, cold))
#else
#define LR_COLD
#endif

/* Names operators see: the request note (for %{length-required}n), the
 * environment variable set in LogOnly mode, and the connection note that
 * asks the MPM for its short (2 s) lingering close.
 */
#define LR_NOTE             "length-required"
#define LR_ENV              "LENGTH_REQUIRED_VIOLATION"
#define LR_SHORT_LINGER     "short-lingering-close"

/*
 * Configuration
 */

typedef enum {
    LR_MODE_UNSET = -1,
    LR_MODE_OFF = 0,            /* the order is the order of strictness */
    LR_MODE_LOGONLY,
    LR_MODE_ON
} lr_mode_e;

typedef enum {
    LR_CHUNKED_UNSET = -1,
    LR_CHUNKED_DENY = 0,
    LR_CHUNKED_ALLOW,
    LR_CHUNKED_BUFFER           /* strictness is Deny > Buffer > Allow,
                                 * not this order: see lr_tighten() */
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

/* The fields of a policy, one per directive. */
typedef enum {
    LR_F_MODE = 0,
    LR_F_CHUNKED,
    LR_F_MAX_BODY,
    LR_F_METHODS,
    LR_F_FORMAT,
    LR_F_COUNT
} lr_field_e;

/* A directory's configuration keeps the policy twice, because
 * LengthRequiredHtaccess TightenOnly must tell what the server's own
 * configuration files say from what tenants' .htaccess files say.
 */
typedef struct {
    lr_policy merged;           /* as httpd merges it, .htaccess included */
    lr_policy trusted;          /* the configuration files alone */
    const char *htfile[LR_F_COUNT]; /* .htaccess that set merged's field */
    int from_htaccess;          /* some htfile[] is set */
    struct lr_quota_dir *quota; /* LengthRequiredQuota*, or NULL (issue 12) */
} lr_dir_conf;

/* Per virtual host. */
typedef struct {
    lr_htaccess_e htaccess;     /* LengthRequiredHtaccess */
    int strict;                 /* LengthRequiredStrict, -1 unset */
    int active;                 /* the configuration files turn the policy
                                 * On or LogOnly somewhere in this host */
    int slot;                   /* counter slot, -1 none; post_config */
    apr_off_t buffer_memory;    /* LengthRequiredBufferMemory, -1 unset */
    const char *buffer_dir;     /* LengthRequiredBufferDir, NULL unset */
    struct lr_quota_srv *quota; /* quota store and budgets, or NULL */
} lr_srv_conf;

/*
 * Refusals
 */

/* Why a request is refused.  lr_reasons[] (lr_judge.c) gives each its
 * status, counter, note token and log wording.
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
    LR_REASON_COUNT
} lr_reason_e;

/* The counters, in the order of their mod_status keys (lr_stats.c). */
typedef enum {
    LR_C_JUDGED = 0,
    LR_C_MISSING,
    LR_C_CHUNKED,
    LR_C_TOO_LARGE,
    LR_C_STREAM,
    LR_C_WOULD,
    LR_C_STRICT,
    LR_C_STREAM_CUT,
    LR_C_BUFFERED,              /* bodies buffered (Chunked Buffer) */
    LR_C_BUFFERED_FILE,         /* ... of which spilled to a file */
    LR_C_QUOTA,                 /* 429: an upload budget was spent */
    LR_C_QUOTA_STORE,           /* the quota store failed or timed out */
    LR_C_COUNT
} lr_counter_e;

typedef struct {
    const char *token;          /* note and environment variable value */
    int status;                 /* refused with */
    lr_counter_e counter;
    const char *what;           /* Strict's: what the framing did, or NULL */
} lr_reason_info;

extern const lr_reason_info lr_reasons[LR_REASON_COUNT];

/* What the module knows of one request body.  The initial request and
 * every internal redirect of it share one: a body is read once, whichever
 * request_rec reads it.
 */
typedef struct {
    int status;                 /* refused with, 0 if not refused */
    lr_reason_e reason;
    apr_off_t cap;              /* the limit the refusal names */
    apr_off_t seen;             /* streamed bytes counted so far */
    apr_off_t cap_on;           /* smallest cap of the On scopes, 0 none */
    apr_off_t cap_logonly;      /* smallest cap of the LogOnly ones */
    int reported;               /* LogOnly's would-refuse was logged */
    const char *cut_handler;    /* handler reading when the cap cut the
                                 * streamed body, or NULL */
    int cut_status;             /* the status already sent by then, or 0 */
    struct lr_buffer *buffer;   /* LengthRequiredChunked Buffer: the body
                                 * to buffer or buffered (lr_buffer.c),
                                 * NULL if none */
    const struct lr_quota_refusal *quota; /* the spent budget of a 429 */
} lr_body;

/* The module's request_config, on a request some scope that may judge
 * has looked at: which configuration was looked at last (a fixup finding
 * it unchanged has nothing to do), whether a scope judged the request, and
 * the body state once there is one, shared along the chain of internal
 * redirects.
 */
typedef struct {
    lr_body *body;              /* NULL until a refusal or a count needs it */
    const ap_conf_vector_t *seen;
    int judged;
} lr_req;

/*
 * Strict framing: the framing header lines of the request head being read
 * on a connection.  Only the start of each line is looked at: up to its
 * colon, enough to recognise the two header names.
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

/*
 * lr_util.c: pure parsers, APR only (the fuzzers link this file alone)
 */
int lr_parse_size(const char *arg, apr_off_t *size);
apr_off_t lr_length_value(const char *s);
int lr_is_token(const char *s);
int lr_add_method(apr_pool_t *p, const char *word, int number,
                  apr_uint64_t *mask, apr_array_header_t **names);
lr_reason_e lr_te_check(const char *value);
int lr_accept_prefers_json(const char *accept);
void lr_framing_scan(lr_framing *fr, const char *data, apr_size_t len);

/*
 * lr_judge.c: the 411/413 decision, on every route to a handler
 */
extern ap_filter_rec_t *lr_count_filter_handle;
extern ap_filter_rec_t *lr_gone_filter_handle;
extern ap_filter_rec_t *lr_status_filter_handle;
int lr_header_parser(request_rec *r);
int lr_fixups(request_rec *r);
apr_status_t lr_count_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                             ap_input_mode_t mode, apr_read_type_e block,
                             apr_off_t readbytes);
apr_status_t lr_gone_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                            ap_input_mode_t mode, apr_read_type_e block,
                            apr_off_t readbytes);
apr_status_t lr_status_filter(ap_filter_t *f, apr_bucket_brigade *bb);
lr_req *lr_req_get(request_rec *r);
lr_body *lr_body_get(request_rec *r);
int lr_refuse(request_rec *r, lr_reason_e reason, apr_off_t declared,
              apr_off_t cap, const char *what);
void lr_would_mark(request_rec *r, lr_reason_e reason);
void lr_would_refuse(request_rec *r, lr_reason_e reason,
                     apr_off_t declared, apr_off_t cap);

/*
 * lr_strict.c: LengthRequiredStrict
 */
extern ap_filter_rec_t *lr_framing_filter_handle;
void lr_strict_post_config(server_rec *s);
int lr_strict_pre_connection(conn_rec *c, void *csd);
void lr_strict_pre_read_request(request_rec *r, conn_rec *c);
int lr_strict_post_read_request(request_rec *r);
apr_status_t lr_framing_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                               ap_input_mode_t mode, apr_read_type_e block,
                               apr_off_t readbytes);

/*
 * lr_errbody.c: JSON bodies for the module's error responses
 */
extern ap_filter_rec_t *lr_json_filter_handle;
void lr_insert_error_filter(request_rec *r);
apr_status_t lr_json_filter(ap_filter_t *f, apr_bucket_brigade *bb);

/*
 * lr_buffer.c: LengthRequiredChunked Buffer: a body without a declared
 * length read whole before the handler runs, and handed on with one
 */
extern ap_filter_rec_t *lr_spool_filter_handle;
int lr_buffer_want(request_rec *r, lr_mode_e mode, apr_off_t cap);
int lr_buffer_body(request_rec *r, lr_body *body);
void lr_buffer_attach(request_rec *r, lr_body *body);
apr_status_t lr_spool_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                             ap_input_mode_t mode, apr_read_type_e block,
                             apr_off_t readbytes);
int lr_buffer_post_config(apr_pool_t *ptemp, server_rec *s);

/*
 * lr_stats.c: counters in shared memory, shown by mod_status
 */
void lr_count(const request_rec *r, lr_counter_e c);
int lr_stats_post_config(apr_pool_t *ptemp, server_rec *s);
int lr_stats_pre_mpm(apr_pool_t *p, ap_scoreboard_e sb_type);
int lr_status_hook(request_rec *r, int flags);

/*
 * lr_quota.c: upload quotas (LengthRequiredQuota*, issue 12)
 */

/* One LengthRequiredQuota line. */
typedef struct lr_quota {
    const char *name;
    apr_off_t size;             /* bytes per window */
    apr_int64_t period;         /* seconds */
    const ap_expr_info_t *key;  /* NULL with off */
    const char *key_text;
    int off;                    /* "name Off": removes the inherited one */
    int after_auth;             /* the key names the authenticated user:
                                 * charged in fixups, after httpd's auth */
} lr_quota;

/* The quotas of a scope: every budget in force (after a merge), or what
 * the scope's own lines add, replace and remove (before it).
 */
typedef struct lr_quota_dir {
    apr_array_header_t *quotas; /* lr_quota *, or NULL */
    int headers;                /* LengthRequiredQuotaHeaders, -1 unset */
} lr_quota_dir;

/* The budget a 429 names, for the JSON error body. */
typedef struct lr_quota_refusal {
    const char *name;
    apr_off_t size;             /* bytes per window */
    apr_off_t remaining;        /* bytes left in this window */
    apr_int64_t reset;          /* seconds until the window ends */
} lr_quota_refusal;

struct lr_quota_dir *lr_quota_merge(apr_pool_t *p,
                                    const struct lr_quota_dir *base,
                                    const struct lr_quota_dir *add);
const char *lr_cmd_quota(cmd_parms *cmd, void *dconf, const char *args);
const char *lr_cmd_quota_store(cmd_parms *cmd, void *dconf,
                               const char *args);
const char *lr_cmd_quota_entries(cmd_parms *cmd, void *dconf,
                                 const char *arg);
const char *lr_cmd_quota_headers(cmd_parms *cmd, void *dconf, int flag);
extern int lr_quota_anywhere;
int lr_quota_charge(request_rec *r, lr_mode_e mode, apr_off_t declared);
int lr_quota_charge_buffered(request_rec *r, lr_mode_e mode,
                             apr_off_t length);
int lr_quota_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp);
int lr_quota_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s);
int lr_quota_post_config(apr_pool_t *pconf, server_rec *s);
void lr_quota_child_init(apr_pool_t *pchild, server_rec *s);
int lr_quota_fixups(request_rec *r);
void lr_quota_insert_filter(request_rec *r);
extern ap_filter_rec_t *lr_quota_filter_handle;
apr_status_t lr_quota_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                             ap_input_mode_t mode, apr_read_type_e block,
                             apr_off_t readbytes);

/* lr_quota_store.c: where the budgets are counted (shm, memcached,
 * Redis), behind one interface.  Each reserve and refund is one atomic
 * operation on the store.
 */
typedef enum {
    LR_QS_OK = 0,               /* charged */
    LR_QS_OVER,                 /* would pass the size: nothing charged */
    LR_QS_ERROR                 /* the store failed or timed out */
} lr_qs_result;

typedef enum {
    LR_STORE_SHM = 0,
    LR_STORE_MEMCACHE,
    LR_STORE_REDIS
} lr_store_kind;

typedef struct lr_quota_srv {
    /* LengthRequiredQuotaStore and LengthRequiredQuotaEntries: read from
     * the main server's only.
     */
    int store_set;
    lr_store_kind kind;
    const char *spec;           /* as written, for the log */
    apr_array_header_t *hosts;  /* "host:port" strings */
    apr_interval_time_t timeout;
    int fail_closed;
    int entries;                /* -1 unset */
    /* Every budget declared in this virtual host's sections, for the
     * startup checks against what the store can hold.
     */
    apr_array_header_t *budgets;    /* const struct lr_quota * */
} lr_quota_srv;

const char *lr_qstore_check(const lr_quota_srv *store, apr_off_t size);
apr_status_t lr_qstore_init(apr_pool_t *pconf, server_rec *s,
                            const lr_quota_srv *store, int used);
void lr_qstore_child_init(apr_pool_t *pchild, server_rec *s);
lr_qs_result lr_qstore_reserve(request_rec *r, const char *key,
                               apr_off_t n, apr_off_t size,
                               apr_int64_t window_end, apr_off_t *used);
lr_qs_result lr_qstore_refund(request_rec *r, const char *key, apr_off_t n,
                              apr_off_t size, apr_int64_t window_end,
                              apr_off_t charged);
int lr_qstore_fail_closed(void);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#endif /* LR_PRIVATE_H */
