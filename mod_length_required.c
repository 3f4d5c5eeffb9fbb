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
 * other error httpd produces.
 *
 * Chunked (and HTTP/2 content-length-less) bodies may be allowed; when they
 * are, a small protocol input filter counts the body as it streams and
 * fails the read with APR_ENOSPC (which handlers map to 413, exactly as for
 * core's LimitRequestBody) the moment it passes the cap.
 *
 * Configuration:
 *   LengthRequired          On | Off | LogOnly
 *   LengthRequiredMethods   method [method] ...
 *   LengthRequiredChunked   Deny | Allow
 *   LengthRequiredMaxBody   size[K|M|G]
 */

#include "apr_strings.h"
#include "apr_lib.h"

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

module AP_MODULE_DECLARE_DATA length_required_module;

/* Names operators see: the request note (for %{length-required}n), the
 * environment variable set in LogOnly mode, and the connection note that
 * asks the MPM for its short (2 s) lingering close.
 */
#define LR_NOTE             "length-required"
#define LR_ENV              "LENGTH_REQUIRED_VIOLATION"
#define LR_SHORT_LINGER     "short-lingering-close"
#define LR_FILTER_NAME      "LENGTH_REQUIRED_COUNT"

typedef enum {
    LR_MODE_UNSET = -1,
    LR_MODE_OFF = 0,
    LR_MODE_ON,
    LR_MODE_LOGONLY
} lr_mode_e;

typedef enum {
    LR_CHUNKED_UNSET = -1,
    LR_CHUNKED_DENY = 0,
    LR_CHUNKED_ALLOW
} lr_chunked_e;

typedef enum {
    LR_REASON_NONE = 0,
    LR_REASON_MISSING,
    LR_REASON_CHUNKED,
    LR_REASON_TOO_LARGE
} lr_reason_e;

/* The tokens of the length-required note and the environment variable,
 * indexed by lr_reason_e.
 */
static const char *const lr_reason_token[] = {
    NULL, "missing-length", "chunked", "too-large"
};

/* httpd gives HEAD the method number of GET; bit 63 is never a method
 * number (METHOD_NUMBER_LAST is 62), so it stands for HEAD in our mask.
 */
#define LR_BIT(n)           ((apr_uint64_t)1 << (n))
#define LR_BIT_HEAD         LR_BIT(63)

/* Default LengthRequiredMethods: POST PUT PATCH. */
#define LR_DEFAULT_METHODS  (LR_BIT(M_POST) | LR_BIT(M_PUT) | LR_BIT(M_PATCH))

typedef struct {
    lr_mode_e mode;             /* LengthRequired */
    lr_chunked_e chunked;       /* LengthRequiredChunked */
    apr_off_t max_body;         /* LengthRequiredMaxBody, -1 unset, 0 none */
    int methods_set;            /* LengthRequiredMethods seen */
    apr_uint64_t method_mask;   /* methods httpd knows by number */
    apr_array_header_t *method_names; /* other methods, by name (or NULL) */
} lr_dir_conf;

/* State of the streaming counter for one request body. */
typedef struct {
    apr_off_t cap;
    apr_off_t seen;
    lr_mode_e mode;
} lr_count_ctx;

static ap_filter_rec_t *lr_count_filter_handle;

/*
 * Request-time code
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

static int lr_method_matches(const lr_dir_conf *conf, request_rec *r)
{
    apr_uint64_t bit;
    int i;

    bit = (r->header_only && r->method_number == M_GET)
          ? LR_BIT_HEAD : LR_BIT(r->method_number);
    if (!conf->methods_set) {
        return (LR_DEFAULT_METHODS & bit) != 0;
    }
    if (conf->method_mask & bit) {
        return 1;
    }
    if (conf->method_names) {
        const char *const *names = (const char *const *)conf->method_names->elts;
        for (i = 0; i < conf->method_names->nelts; i++) {
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
    int status = (reason == LR_REASON_TOO_LARGE)
                 ? HTTP_REQUEST_ENTITY_TOO_LARGE : HTTP_LENGTH_REQUIRED;

    apr_table_setn(r->notes, LR_NOTE, token);
    if (reason == LR_REASON_TOO_LARGE) {
        detail = (declared >= 0)
            ? apr_psprintf(r->pool, " (declared %" APR_OFF_T_FMT
                           " bytes, limit %" APR_OFF_T_FMT ")", declared, cap)
            : apr_psprintf(r->pool, " (streamed body passed the limit of %"
                           APR_OFF_T_FMT " bytes)", cap);
    }

    if (mode == LR_MODE_LOGONLY) {
        apr_table_setn(r->subprocess_env, LR_ENV, token);
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "LR00002: would refuse %s %s with %d, reason %s%s "
                      "(LengthRequired LogOnly)", r->method, r->uri, status,
                      token, detail);
        return DECLINED;
    }

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "LR00001: refused %s %s from %s with %d, reason %s%s",
                  r->method, r->uri, r->useragent_ip, status, token, detail);
    lr_close_connection(r);
    return status;
}

/* The decision, made once per initial request in header_parser. */
static int lr_header_parser(request_rec *r)
{
    const lr_dir_conf *conf;
    const char *te, *cl;
    apr_off_t cap, declared;

    /* Internal redirects (a local-URL ErrorDocument among them) and
     * subrequests are not judged again; an internal redirect keeps the
     * note of the request it came from, so that %{length-required}n logs
     * the reason whichever request the log line describes.
     */
    if (r->prev || r->main) {
        if (r->prev) {
            const char *note = apr_table_get(r->prev->notes, LR_NOTE);
            if (note) {
                apr_table_setn(r->notes, LR_NOTE, note);
            }
        }
        return DECLINED;
    }

    conf = ap_get_module_config(r->per_dir_config, &length_required_module);
    if (conf->mode != LR_MODE_ON && conf->mode != LR_MODE_LOGONLY) {
        return DECLINED;
    }
    if (!lr_method_matches(conf, r)) {
        return DECLINED;
    }

    cap = (conf->max_body > 0) ? conf->max_body : 0;

    /* httpd core has already refused every Transfer-Encoding whose final
     * coding is not chunked, and dropped Content-Length when both came;
     * mod_http2 presents an h2 body without content-length as chunked.
     */
    te = apr_table_get(r->headers_in, "Transfer-Encoding");
    if (te) {
        lr_count_ctx *ctx;

        if (conf->chunked != LR_CHUNKED_ALLOW) {
            return lr_violation(r, conf->mode, LR_REASON_CHUNKED, -1, cap);
        }
        if (cap == 0) {
            return DECLINED;
        }
        ctx = apr_palloc(r->pool, sizeof(*ctx));
        ctx->cap = cap;
        ctx->seen = 0;
        ctx->mode = conf->mode;
        ap_add_input_filter_handle(lr_count_filter_handle, ctx, r,
                                   r->connection);
        return DECLINED;
    }

    cl = apr_table_get(r->headers_in, "Content-Length");
    if (!cl) {
        return lr_violation(r, conf->mode, LR_REASON_MISSING, -1, cap);
    }
    /* Core refused a malformed Content-Length with 400 already; should one
     * get here anyway, it is not ours to judge.
     */
    if (cap && ap_parse_strict_length(&declared, cl) && declared > cap) {
        return lr_violation(r, conf->mode, LR_REASON_TOO_LARGE, declared, cap);
    }
    return DECLINED;
}

/* Counts a streamed body (chunked, or h2 without content-length) above
 * HTTP_IN and fails the read the moment it passes the cap.  APR_ENOSPC is
 * what core's own LimitRequestBody returns, so handlers (mod_cgi,
 * mod_proxy_http, ap_discard_request_body ...) answer 413 for it.
 */
static apr_status_t lr_count_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                    ap_input_mode_t mode,
                                    apr_read_type_e block,
                                    apr_off_t readbytes)
{
    lr_count_ctx *ctx = f->ctx;
    apr_status_t rv;
    apr_off_t len = 0;

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
 * Configuration
 */

static void *lr_create_dir_config(apr_pool_t *p, char *dir)
{
    lr_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->mode = LR_MODE_UNSET;
    conf->chunked = LR_CHUNKED_UNSET;
    conf->max_body = -1;
    conf->methods_set = 0;
    conf->method_mask = 0;
    conf->method_names = NULL;
    return conf;
}

static void *lr_merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    const lr_dir_conf *base = basev;
    const lr_dir_conf *add = addv;
    lr_dir_conf *conf = apr_palloc(p, sizeof(*conf));

    conf->mode = (add->mode != LR_MODE_UNSET) ? add->mode : base->mode;
    conf->chunked = (add->chunked != LR_CHUNKED_UNSET)
                    ? add->chunked : base->chunked;
    conf->max_body = (add->max_body != -1) ? add->max_body : base->max_body;
    if (add->methods_set) {
        conf->methods_set = 1;
        conf->method_mask = add->method_mask;
        conf->method_names = add->method_names;
    }
    else {
        conf->methods_set = base->methods_set;
        conf->method_mask = base->method_mask;
        conf->method_names = base->method_names;
    }
    return conf;
}

static const char *lr_cmd_mode(cmd_parms *cmd, void *dconf, const char *arg)
{
    lr_dir_conf *conf = dconf;

    if (!strcasecmp(arg, "On")) {
        conf->mode = LR_MODE_ON;
    }
    else if (!strcasecmp(arg, "Off")) {
        conf->mode = LR_MODE_OFF;
    }
    else if (!strcasecmp(arg, "LogOnly")) {
        conf->mode = LR_MODE_LOGONLY;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not allowed; use On, "
                            "Off or LogOnly", cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *lr_cmd_chunked(cmd_parms *cmd, void *dconf,
                                  const char *arg)
{
    lr_dir_conf *conf = dconf;

    if (!strcasecmp(arg, "Deny")) {
        conf->chunked = LR_CHUNKED_DENY;
    }
    else if (!strcasecmp(arg, "Allow")) {
        conf->chunked = LR_CHUNKED_ALLOW;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not allowed; use Deny "
                            "or Allow", cmd->cmd->name, arg);
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
    apr_off_t size;

    if (!lr_parse_size(arg, &size)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid size; use a "
                            "whole number of bytes, optionally followed by "
                            "K, M or G (powers of 1024), or 0 for no limit",
                            cmd->cmd->name, arg);
    }
    conf->max_body = size;
    return NULL;
}

/* A method is an HTTP token (RFC 9110, section 5.6.2). */
static int lr_is_token(const char *s)
{
    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if (!apr_isalnum(*s) && !strchr("!#$%&'*+-.^_`|~", *s)) {
            return 0;
        }
    }
    return 1;
}

static const char *lr_cmd_methods(cmd_parms *cmd, void *dconf,
                                  const char *args)
{
    lr_dir_conf *conf = dconf;
    apr_uint64_t mask = 0;
    apr_array_header_t *names = NULL;
    const char *word;
    int count = 0;

    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        int num;

        if (!lr_is_token(word)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid HTTP "
                                "method; a method is a token such as POST, "
                                "PUT or PROPPATCH", cmd->cmd->name, word);
        }
        count++;
        num = ap_method_number_of(word);
        if (num == M_GET && strcmp(word, "HEAD") == 0) {
            mask |= LR_BIT_HEAD;
        }
        else if (num != M_INVALID) {
            mask |= LR_BIT(num);
        }
        else {
            /* Unknown to httpd now (an extension method, or one a module
             * registers later): matched by name at request time.
             */
            if (!names) {
                names = apr_array_make(cmd->pool, 2, sizeof(const char *));
            }
            APR_ARRAY_PUSH(names, const char *) = apr_pstrdup(cmd->pool, word);
        }
    }
    if (count == 0) {
        return apr_psprintf(cmd->pool, "%s: no method given; name at least "
                            "one method, such as POST PUT PATCH",
                            cmd->cmd->name);
    }
    conf->methods_set = 1;
    conf->method_mask = mask;
    conf->method_names = names;
    return NULL;
}

/* OR_LIMIT: every directive works in the server config, virtual hosts,
 * <Directory>, <Location>, <Files>, <If> and, under AllowOverride Limit
 * (or an AllowOverrideList naming it), in .htaccess files.
 */
static const command_rec lr_cmds[] = {
    AP_INIT_TAKE1("LengthRequired", lr_cmd_mode, NULL, OR_LIMIT,
                  "On, Off or LogOnly: refuse (or only log) request bodies "
                  "that do not declare their length"),
    AP_INIT_RAW_ARGS("LengthRequiredMethods", lr_cmd_methods, NULL, OR_LIMIT,
                     "Methods whose requests must declare their length "
                     "(default POST PUT PATCH)"),
    AP_INIT_TAKE1("LengthRequiredChunked", lr_cmd_chunked, NULL, OR_LIMIT,
                  "Deny or Allow: whether a chunked body without "
                  "Content-Length is accepted (default Deny)"),
    AP_INIT_TAKE1("LengthRequiredMaxBody", lr_cmd_max_body, NULL, OR_LIMIT,
                  "Largest request body in bytes, K, M or G; 0 for no cap "
                  "(default 0)"),
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

    /* A protocol filter, so it survives internal redirects (those keep
     * proto_input_filters) and sits right above HTTP_IN, which dechunks.
     */
    lr_count_filter_handle =
        ap_register_input_filter(LR_FILTER_NAME, lr_count_filter, NULL,
                                 AP_FTYPE_PROTOCOL);
}

AP_DECLARE_MODULE(length_required) = {
    STANDARD20_MODULE_STUFF,
    lr_create_dir_config,       /* create per-directory config */
    lr_merge_dir_config,        /* merge per-directory config */
    NULL,                       /* create per-server config */
    NULL,                       /* merge per-server config */
    lr_cmds,                    /* command table */
    lr_register_hooks,          /* register hooks */
    AP_MODULE_FLAG_NONE         /* flags */
};
