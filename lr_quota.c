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
 * lr_quota.c: upload quotas: byte budgets per key and window, charged
 * from the declared Content-Length before the body is read (429 when
 * spent), and refunded for what never arrived when the request ends.
 */

#include "apr_sha1.h"

#include "lr_private.h"
#include "ap_expr.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_mutex.h"

ap_filter_rec_t *lr_quota_filter_handle;

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

/* One budget charged for a request. */
typedef struct {
    const lr_quota *q;
    const char *store_key;
    apr_int64_t window_end;     /* Unix seconds */
    apr_off_t charged;
} lr_quota_charge_rec;

/* What the quotas did to one request; kept as userdata of r->pool, which
 * an internal redirect shares with the request it came from.
 */
typedef struct {
    request_rec *r;             /* the initial request */
    apr_off_t declared;
    apr_off_t arrived;          /* body bytes read, counted by the filter */
    lr_mode_e mode;
    const lr_quota_dir *dir;
    apr_array_header_t *charges;    /* lr_quota_charge_rec */
    int late_pending;           /* budgets keyed on the user still to go */
    int streamed;               /* no declared length: charged as it comes */
    int stream_done;            /* streamed: refused, reported or failed */
    apr_off_t reserved;         /* streamed: charged to every budget so far */
    int filtered;               /* the counting filter was added */
    /* For LengthRequiredQuotaHeaders: the budget with the least left. */
    const lr_quota *least;
    apr_off_t least_left;
    apr_int64_t least_reset;
} lr_quota_state;

#define LR_QUOTA_STATE      "length-required-quota"
#define LR_QUOTA_NAME_MAX   64
#define LR_QUOTA_PERIOD_MAX (31 * 86400)
/* A streamed body is charged ahead in steps of this much (one store
 * operation per step and budget), the unused part refunded at the end.
 */
#define LR_QUOTA_STEP       (64 * 1024)

/*
 * Configuration
 */

struct lr_quota_dir *lr_quota_merge(apr_pool_t *p,
                                    const struct lr_quota_dir *base,
                                    const struct lr_quota_dir *add)
{
    lr_quota_dir *out;
    int i, j;

    if (!add) {
        return (struct lr_quota_dir *)base;
    }
    if (!base || ((!base->quotas || !base->quotas->nelts)
                  && (add->headers != -1 || base->headers == -1))) {
        /* Nothing to inherit (the common case, and <Location> sections
         * are merged on every request): add's list as it is, once it has
         * no "Off" entry left to apply.
         */
        int offs = 0;

        for (i = 0; add->quotas && i < add->quotas->nelts; i++) {
            offs += APR_ARRAY_IDX(add->quotas, i, lr_quota *)->off;
        }
        if (!offs) {
            return (struct lr_quota_dir *)add;
        }
        if (!base) {
            base = add;
            add = NULL;
        }
    }
    out = apr_palloc(p, sizeof(*out));
    out->headers = (add && add->headers != -1) ? add->headers : base->headers;
    out->quotas = apr_array_make(p, 4, sizeof(lr_quota *));
    /* Replace by name, "Off" removes: what base has that add does not
     * name, then add's own (an "Off" entry is dropped here, so a merged
     * list holds only budgets in force).
     */
    if (base->quotas) {
        for (i = 0; i < base->quotas->nelts; i++) {
            lr_quota *bq = APR_ARRAY_IDX(base->quotas, i, lr_quota *);
            int named = 0;

            if (add && add->quotas) {
                for (j = 0; j < add->quotas->nelts; j++) {
                    if (!strcmp(APR_ARRAY_IDX(add->quotas, j,
                                              lr_quota *)->name, bq->name)) {
                        named = 1;
                        break;
                    }
                }
            }
            if (!named && !bq->off) {
                APR_ARRAY_PUSH(out->quotas, lr_quota *) = bq;
            }
        }
    }
    if (add && add->quotas) {
        for (j = 0; j < add->quotas->nelts; j++) {
            lr_quota *aq = APR_ARRAY_IDX(add->quotas, j, lr_quota *);
            if (!aq->off) {
                APR_ARRAY_PUSH(out->quotas, lr_quota *) = aq;
            }
        }
    }
    return out;
}

static lr_quota_dir *lr_quota_dir_get(cmd_parms *cmd, lr_dir_conf *conf)
{
    if (!conf->quota) {
        conf->quota = apr_pcalloc(cmd->pool, sizeof(*conf->quota));
        conf->quota->headers = -1;
    }
    return conf->quota;
}

static lr_quota_srv *lr_quota_srv_get(server_rec *s, apr_pool_t *p)
{
    lr_srv_conf *sconf = ap_get_module_config(s->module_config,
                                              &length_required_module);

    if (!sconf->quota) {
        sconf->quota = apr_pcalloc(p, sizeof(*sconf->quota));
        sconf->quota->entries = -1;
        sconf->quota->timeout = -1;
        sconf->quota->budgets = apr_array_make(p, 4, sizeof(lr_quota *));
    }
    return sconf->quota;
}

/* A budget's name: a word that also reads well in a store key. */
static int lr_quota_name_ok(const char *s)
{
    const char *p;

    for (p = s; *p; p++) {
        if (!apr_isalnum(*p) && *p != '_' && *p != '-' && *p != '.') {
            return 0;
        }
    }
    return p > s && p - s <= LR_QUOTA_NAME_MAX;
}

/* A size as LengthRequiredMaxBody takes it, plus T; at least one byte. */
static int lr_quota_size(apr_pool_t *p, const char *arg, apr_off_t *size)
{
    apr_size_t len = strlen(arg);

    if (len > 1 && (arg[len - 1] == 'T' || arg[len - 1] == 't')) {
        const char *digits = apr_pstrmemdup(p, arg, len - 1);
        apr_off_t v;

        if (!apr_isdigit(digits[len - 2]) || !lr_parse_size(digits, &v)
            || v > APR_INT64_MAX / (APR_INT64_C(1) << 40)) {
            return 0;
        }
        *size = v << 40;
    }
    else if (!lr_parse_size(arg, size)) {
        return 0;
    }
    return *size > 0;
}

/* A whole number with s, m, h or d (a bare number is seconds). */
static int lr_quota_period(const char *arg, apr_int64_t *secs)
{
    apr_int64_t v = 0, mult = 1;
    const char *p = arg;

    if (!apr_isdigit(*p)) {
        return 0;
    }
    for (; apr_isdigit(*p); p++) {
        if (v > LR_QUOTA_PERIOD_MAX) {
            return 0;
        }
        v = v * 10 + (*p - '0');
    }
    switch (*p) {
    case '\0':          break;
    case 's':           p++; break;
    case 'm':           mult = 60; p++; break;
    case 'h':           mult = 3600; p++; break;
    case 'd':           mult = 86400; p++; break;
    default:            return 0;
    }
    if (*p || v < 1 || v > LR_QUOTA_PERIOD_MAX / mult) {
        return 0;
    }
    *secs = v * mult;
    return 1;
}

/* LengthRequiredQuota name size period [key] | name Off */
const char *lr_cmd_quota(cmd_parms *cmd, void *dconf, const char *args)
{
    const char *name = ap_getword_conf(cmd->temp_pool, &args);
    const char *size = ap_getword_conf(cmd->temp_pool, &args);
    const char *period = ap_getword_conf(cmd->temp_pool, &args);
    const char *key = ap_getword_conf(cmd->temp_pool, &args);
    const char *extra = ap_getword_conf(cmd->temp_pool, &args);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_HTACCESS);
    lr_quota_dir *qd;
    lr_quota *q;

    if (err) {
        return err;
    }
    lr_quota_anywhere = 1;
    if (!*name || !*size) {
        return apr_psprintf(cmd->pool, "%s: takes a name, a size, a period "
                            "and an optional key (or a name and Off)",
                            cmd->cmd->name);
    }
    if (!lr_quota_name_ok(name)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid budget "
                            "name; use 1 to %d letters, digits, '_', '-' "
                            "or '.'", cmd->cmd->name, name,
                            LR_QUOTA_NAME_MAX);
    }
    q = apr_pcalloc(cmd->pool, sizeof(*q));
    q->name = apr_pstrdup(cmd->pool, name);
    if (!strcasecmp(size, "Off")) {
        if (*period) {
            return apr_psprintf(cmd->pool, "%s: '%s Off' takes nothing "
                                "more, not '%s'", cmd->cmd->name, name,
                                period);
        }
        q->off = 1;
    }
    else {
        if (!lr_quota_size(cmd->temp_pool, size, &q->size)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid size; "
                                "use a whole number of bytes above 0, "
                                "optionally followed by K, M, G or T "
                                "(powers of 1024)", cmd->cmd->name, size);
        }
        if (!*period) {
            return apr_psprintf(cmd->pool, "%s: budget '%s' has no period; "
                                "give one such as 3600, 60m, 1h or 1d",
                                cmd->cmd->name, name);
        }
        if (!lr_quota_period(period, &q->period)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid period; "
                                "use a whole number followed by s, m, h or "
                                "d (a bare number is seconds), from 1s to "
                                "31d", cmd->cmd->name, period);
        }
        if (*extra) {
            return apr_psprintf(cmd->pool, "%s: '%s' is one argument too "
                                "many; quote the key expression if it has "
                                "spaces", cmd->cmd->name, extra);
        }
        q->key_text = apr_pstrdup(cmd->pool, *key ? key : "%{REMOTE_ADDR}");
        q->key = ap_expr_parse_cmd(cmd, q->key_text,
                                   AP_EXPR_FLAG_STRING_RESULT
                                   | AP_EXPR_FLAG_DONT_VARY, &err, NULL);
        if (err) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid key "
                                "expression: %s", cmd->cmd->name,
                                q->key_text, err);
        }
        /* httpd knows the user only after its auth phases, which run
         * after header_parser: such budgets are charged in fixups.
         */
        q->after_auth = ap_strstr_c(q->key_text, "REMOTE_USER") != NULL
                        || ap_strstr_c(q->key_text, "AUTH_TYPE") != NULL;
        APR_ARRAY_PUSH(lr_quota_srv_get(cmd->server, cmd->pool)->budgets,
                       lr_quota *) = q;
    }
    qd = lr_quota_dir_get(cmd, dconf);
    if (!qd->quotas) {
        qd->quotas = apr_array_make(cmd->pool, 2, sizeof(lr_quota *));
    }
    APR_ARRAY_PUSH(qd->quotas, lr_quota *) = q;
    return NULL;
}

const char *lr_cmd_quota_headers(cmd_parms *cmd, void *dconf, int flag)
{
    lr_quota_dir_get(cmd, dconf)->headers = flag;
    return NULL;
}

const char *lr_cmd_quota_entries(cmd_parms *cmd, void *dconf,
                                 const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    lr_quota_srv *qs;
    char *end;
    apr_int64_t n;

    if (err) {
        return err;
    }
    qs = lr_quota_srv_get(cmd->server, cmd->pool);
    n = apr_strtoi64(arg, &end, 10);
    if (!apr_isdigit(*arg) || *end || n < 1 || n > 10000000) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid number of "
                            "entries; use a whole number from 1 to 10000000",
                            cmd->cmd->name, arg);
    }
    qs->entries = (int)n;
    return NULL;
}

/* LengthRequiredQuotaStore shm | memcache:host:port[,host:port...] |
 * redis:host:port [timeout=duration] [fail=open|closed]
 */
const char *lr_cmd_quota_store(cmd_parms *cmd, void *dconf,
                               const char *args)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *store, *word;
    lr_quota_srv *qs;

    if (err) {
        return err;
    }
    qs = lr_quota_srv_get(cmd->server, cmd->pool);
    store = ap_getword_conf(cmd->pool, &args);
    qs->spec = store;
    qs->hosts = apr_array_make(cmd->pool, 2, sizeof(const char *));
    if (!strcasecmp(store, "shm")) {
        qs->kind = LR_STORE_SHM;
    }
    else if (!strncasecmp(store, "memcache:", 9)
             || !strncasecmp(store, "redis:", 6)) {
        int redis = (store[0] == 'r' || store[0] == 'R');
        char *list = apr_pstrdup(cmd->temp_pool, store + (redis ? 6 : 9));
        char *last, *hp;

        qs->kind = redis ? LR_STORE_REDIS : LR_STORE_MEMCACHE;
        for (hp = apr_strtok(list, ",", &last); hp;
             hp = apr_strtok(NULL, ",", &last)) {
            char *host, *scope;
            apr_port_t port = 0;

            if (apr_parse_addr_port(&host, &scope, &port, hp, cmd->temp_pool)
                != APR_SUCCESS || !host || !port || scope) {
                return apr_psprintf(cmd->pool, "%s: '%s' in '%s' is not a "
                                    "valid host:port", cmd->cmd->name, hp,
                                    store);
            }
            APR_ARRAY_PUSH(qs->hosts, const char *) =
                apr_psprintf(cmd->pool, "%s:%u", host, port);
        }
        if (qs->hosts->nelts == 0 || (redis && qs->hosts->nelts > 1)
            || store[strlen(store) - 1] == ','
            || ap_strstr_c(store, ",,") || ap_strchr_c(store, ':')[1] == ',') {
            return apr_psprintf(cmd->pool, "%s: '%s' does not name %s",
                                cmd->cmd->name, store,
                                redis ? "one redis:host:port"
                                      : "memcache:host:port[,host:port...]");
        }
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid store; use "
                            "shm, memcache:host:port[,host:port...] or "
                            "redis:host:port", cmd->cmd->name, store);
    }
    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        if (!strncasecmp(word, "timeout=", 8)) {
            apr_interval_time_t t;

            if (ap_timeout_parameter_parse(word + 8, &t, "ms") != APR_SUCCESS
                || !apr_isdigit(word[8]) || t < 1000
                || t > apr_time_from_sec(10)) {
                return apr_psprintf(cmd->pool, "%s: '%s' is not a valid "
                                    "timeout; use e.g. timeout=100ms or "
                                    "timeout=1s, from 1ms to 10s",
                                    cmd->cmd->name, word);
            }
            qs->timeout = t;
        }
        else if (!strcasecmp(word, "fail=open")) {
            qs->fail_closed = 0;
        }
        else if (!strcasecmp(word, "fail=closed")) {
            qs->fail_closed = 1;
        }
        else {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid option; "
                                "use timeout=duration, fail=open or "
                                "fail=closed", cmd->cmd->name, word);
        }
    }
    qs->store_set = 1;
    return NULL;
}

/*
 * Startup
 */

/* Whether the configuration being read (or in use) declares any budget:
 * where none does, the per-request hooks of quotas return at once.  Reset
 * before each reading of the configuration, set by the directive.
 */
int lr_quota_anywhere;

int lr_quota_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp)
{
    lr_quota_anywhere = 0;
    /* The shm store's lock; operators may choose its mechanism with
     * "Mutex ... length-required-quota".
     */
    return ap_mutex_register(pconf, "length-required-quota", NULL,
                             APR_LOCK_DEFAULT, 0) == APR_SUCCESS
           ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

static const lr_quota_srv *lr_quota_main_store(server_rec *s)
{
    const lr_srv_conf *sconf = ap_get_module_config(s->module_config,
                                                    &length_required_module);
    static const lr_quota_srv dflt = {0, LR_STORE_SHM, "shm", NULL, -1, 0,
                                      -1, NULL};

    return (sconf->quota && sconf->quota->store_set) ? sconf->quota : &dflt;
}

/* check_config runs under "apachectl -t" too: every budget must fit what
 * the store can count.
 */
int lr_quota_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    const lr_quota_srv *store = lr_quota_main_store(s);
    server_rec *vs;
    int i;

    for (vs = s; vs; vs = vs->next) {
        const lr_srv_conf *sconf =
            ap_get_module_config(vs->module_config, &length_required_module);

        if (!sconf->quota) {
            continue;
        }
        for (i = 0; i < sconf->quota->budgets->nelts; i++) {
            const lr_quota *q = APR_ARRAY_IDX(sconf->quota->budgets, i,
                                              const lr_quota *);
            const char *why = lr_qstore_check(store, q->size);

            if (why) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, vs,
                             "LR00040: LengthRequiredQuota %s: size %"
                             APR_OFF_T_FMT " is more than %s",
                             q->name, q->size, why);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }
    return OK;
}

int lr_quota_post_config(apr_pool_t *pconf, server_rec *s)
{
    server_rec *vs;
    int used = 0;

    for (vs = s; vs; vs = vs->next) {
        const lr_srv_conf *sconf =
            ap_get_module_config(vs->module_config, &length_required_module);
        if (sconf->quota && sconf->quota->budgets->nelts) {
            used = 1;
        }
    }
    return lr_qstore_init(pconf, s, lr_quota_main_store(s), used)
           == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

void lr_quota_child_init(apr_pool_t *pchild, server_rec *s)
{
    lr_qstore_child_init(pchild, s);
}

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

/* When the request's pool goes (the request has ended, internal redirects
 * included), what never arrived is given back.
 */
static apr_status_t lr_quota_end(void *data)
{
    lr_quota_state *st = data;

    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, st->r, "quota: request "
                  "ends, %" APR_OFF_T_FMT " of %" APR_OFF_T_FMT " declared "
                  "bytes arrived", st->arrived, st->declared);
    lr_quota_undo(st, st->arrived);
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
            lr_quota_refusal *qr = apr_palloc(r->pool, sizeof(*qr));

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
            lr_body_get(r)->quota = qr;
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

/* Called by lr_judge() for a judged request whose declared length passed
 * the 411/413 rules.  Returns DECLINED to go on, or the status to refuse
 * with.
 */
int lr_quota_charge(request_rec *r, lr_mode_e mode, apr_off_t declared)
{
    const lr_dir_conf *conf = ap_get_module_config(r->per_dir_config,
                                                   &length_required_module);
    lr_quota_state *st = NULL;
    int i, rv;

    if (!conf->quota || !conf->quota->quotas
        || !conf->quota->quotas->nelts || declared == 0) {
        return DECLINED;
    }
    /* A body is charged once, by the first scope on its way that has
     * budgets, however many scopes judge it (a redirect, a DirectoryIndex
     * file): r->pool is shared along the way.
     */
    apr_pool_userdata_get((void **)&st, LR_QUOTA_STATE, r->pool);
    if (st) {
        return DECLINED;
    }
    st = apr_pcalloc(r->pool, sizeof(*st));
    st->r = r;
    /* -1: no declared length (chunked, or h2 without content-length). */
    st->streamed = (declared < 0);
    st->declared = st->streamed ? 0 : declared;
    st->mode = mode;
    st->dir = conf->quota;
    st->charges = apr_array_make(r->pool, conf->quota->quotas->nelts,
                                 sizeof(lr_quota_charge_rec));
    for (i = 0; i < st->dir->quotas->nelts; i++) {
        if (APR_ARRAY_IDX(st->dir->quotas, i, const lr_quota *)->after_auth) {
            st->late_pending = 1;
        }
    }
    apr_pool_userdata_setn(st, LR_QUOTA_STATE, NULL, r->pool);
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
 * reads it from the spool, above the counting filter).
 */
int lr_quota_charge_buffered(request_rec *r, lr_mode_e mode,
                             apr_off_t length)
{
    lr_quota_state *st = NULL;
    int rv = lr_quota_charge(r, mode, length);

    apr_pool_userdata_get((void **)&st, LR_QUOTA_STATE, r->pool);
    if (st && st->declared == length && !st->streamed) {
        st->arrived = length;
    }
    return rv;
}

/* The budgets keyed on the authenticated user, once httpd knows it. */
int lr_quota_fixups(request_rec *r)
{
    lr_quota_state *st = NULL;
    int rv;

    if (!lr_quota_anywhere || r->main || r->prev) {
        return DECLINED;
    }
    apr_pool_userdata_get((void **)&st, LR_QUOTA_STATE, r->pool);
    if (!st || !st->late_pending) {
        return DECLINED;
    }
    st->late_pending = 0;
    rv = lr_quota_apply(r, st, 1);
    if (rv == DECLINED) {
        lr_quota_headers(r, st);
    }
    return rv;
}

/* Just before a handler runs (the initial request's, or that of an
 * internal redirect of it), the body it reads is counted: what arrives
 * stays charged.
 */
void lr_quota_insert_filter(request_rec *r)
{
    lr_quota_state *st = NULL;

    if (!lr_quota_anywhere || r->main) {
        return;
    }
    apr_pool_userdata_get((void **)&st, LR_QUOTA_STATE, r->pool);
    if (st && st->charges->nelts) {
        ap_add_input_filter_handle(lr_quota_filter_handle, st, r,
                                   r->connection);
    }
}

/* Charges every budget of a streamed body for what has arrived beyond
 * what is reserved: a step ahead, or, when a budget has less than a step
 * left, exactly what is needed.  When that does not fit either, the read
 * fails as with the streamed-body cap (APR_ENOSPC: handlers answer 413);
 * under LogOnly it is reported once and the body flows on.
 */
static apr_status_t lr_quota_stream_charge(request_rec *r,
                                           lr_quota_state *st)
{
    apr_off_t need = st->arrived - st->reserved;
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
            st->stream_done = 1;
            return lr_qstore_fail_closed() ? APR_EGENERAL : APR_SUCCESS;
        }
        if (res == LR_QS_OVER) {
            lr_quota_refusal *qr = apr_palloc(r->pool, sizeof(*qr));

            for (j = 0; j < i; j++) {
                lr_quota_charge_rec *b = &APR_ARRAY_IDX(st->charges, j,
                                                        lr_quota_charge_rec);
                lr_qstore_refund(r, b->store_key, amount, b->q->size,
                                 b->window_end, b->charged);
                b->charged -= amount;
            }
            if (st->mode == LR_MODE_LOGONLY) {
                st->stream_done = 1;
                lr_would_mark(r, LR_REASON_QUOTA);
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                              "LR00048: would refuse %s %s, reason quota "
                              "(streamed body passed budget %s of %"
                              APR_OFF_T_FMT " bytes) (LengthRequired "
                              "LogOnly)", r->method, r->uri, c->q->name,
                              c->q->size);
                return APR_SUCCESS;
            }
            st->stream_done = 2;
            qr->name = c->q->name;
            qr->size = c->q->size;
            qr->remaining = (c->q->size > used) ? c->q->size - used : 0;
            qr->reset = c->window_end - secs;
            lr_body_get(r)->quota = qr;
            apr_table_setn(r->err_headers_out, "Retry-After",
                           apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                        qr->reset));
            lr_refuse(r, LR_REASON_QUOTA, -1, c->q->size, NULL);
            return APR_ENOSPC;
        }
        c->charged += amount;
    }
    st->reserved += amount;
    return APR_SUCCESS;
}

apr_status_t lr_quota_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                             ap_input_mode_t mode, apr_read_type_e block,
                             apr_off_t readbytes)
{
    lr_quota_state *st = f->ctx;
    apr_status_t rv;
    apr_off_t len = 0;

    if (st->streamed && st->stream_done == 2) {
        return APR_ENOSPC;      /* refused already */
    }
    rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    if (rv != APR_SUCCESS || mode == AP_MODE_SPECULATIVE) {
        return rv;
    }
    if (apr_brigade_length(bb, 1, &len) == APR_SUCCESS) {
        st->arrived += len;
    }
    if (st->streamed && !st->stream_done && st->arrived > st->reserved) {
        rv = lr_quota_stream_charge(f->r, st);
        if (rv != APR_SUCCESS) {
            apr_brigade_cleanup(bb);
        }
    }
    return rv;
}
