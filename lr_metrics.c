/*
 * lr_metrics.c: the module's counters for Prometheus, in its text
 * exposition format, from "SetHandler length-required-metrics".
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
 *
 * The figures are mod_status's (lr_stats.c): the same hosts, walked the
 * same way, each counter read once with no lock.  Every counter is a
 * series of a counter family, labelled with the host's "name:port" (the
 * key ?auto shows in brackets); there is no all-hosts series, since
 * summing is the query's job.  Every listed host has a series in every
 * family, zeros included: a series that appears only with its first event
 * is no use to rate() or to an alert on absence.
 */

#include "lr_features.h"
#include "http_protocol.h"
#include "http_request.h"

/* The name SetHandler gives. */
#define LR_METRICS_HANDLER "length-required-metrics"

/* A family of series: its name and help text.  Families are written in
 * the order of their first counter.
 */
typedef struct {
    const char *name;
    const char *help;
} lr_family;

static const lr_family lr_fam_judged = {
    "length_required_judged_total",
    "Client requests a LengthRequired On or LogOnly scope judged"
};
static const lr_family lr_fam_refused = {
    "length_required_refused_total",
    "Requests the module refused, by reason"
};
static const lr_family lr_fam_would = {
    "length_required_would_refuse_total",
    "Requests LengthRequired LogOnly would have refused"
};
static const lr_family lr_fam_stream_cut = {
    "length_required_stream_cut_total",
    "Streamed bodies cut at the cap while the handler answered other than "
    "413"
};
static const lr_family lr_fam_buffered = {
    "length_required_buffered_total",
    "Bodies without a length that LengthRequiredChunked Buffer read whole "
    "and handed on"
};
static const lr_family lr_fam_buffered_file = {
    "length_required_buffered_to_file_total",
    "Buffered bodies that went past LengthRequiredBufferMemory into a file"
};
static const lr_family lr_fam_store_errors = {
    "length_required_quota_store_errors_total",
    "Quota store errors and timeouts"
};
static const lr_family lr_fam_given_up = {
    "length_required_quota_store_given_up_total",
    "Times the breaker gave the quota store (or one memcached server) up"
};

/* One counter as Prometheus sees it: its family, and the value of the
 * family's "reason" label (NULL where the family has none).
 */
typedef struct {
    const lr_family *family;
    const char *reason;
} lr_series;

static const lr_series lr_series_of[] = {
    [LR_C_JUDGED] = {&lr_fam_judged, NULL},
    [LR_C_MISSING] = {&lr_fam_refused, "missing_length"},
    [LR_C_CHUNKED] = {&lr_fam_refused, "chunked"},
    [LR_C_TOO_LARGE] = {&lr_fam_refused, "too_large"},
    [LR_C_STREAM] = {&lr_fam_refused, "stream_too_large"},
    [LR_C_WOULD] = {&lr_fam_would, NULL},
    [LR_C_STRICT] = {&lr_fam_refused, "strict"},
    [LR_C_STREAM_CUT] = {&lr_fam_stream_cut, NULL},
    [LR_C_BUFFERED] = {&lr_fam_buffered, NULL},
    [LR_C_BUFFERED_FILE] = {&lr_fam_buffered_file, NULL},
    [LR_C_QUOTA] = {&lr_fam_refused, "quota"},
    [LR_C_QUOTA_STORE] = {&lr_fam_store_errors, NULL},
    [LR_C_UPLOAD_MAX] = {&lr_fam_refused, "upload_max"},
    [LR_C_QUOTA_GIVEN_UP] = {&lr_fam_given_up, NULL},
};

/* A counter added to lr_stats.h without its line above stops the build
 * here (a size of -1), rather than going missing from the output.  One
 * added before the last would leave a hole the compiler cannot see: the
 * handler skips it rather than crash, and t/metrics/values.t fails on the
 * ?auto key with no series.
 */
typedef char lr_series_complete[(sizeof(lr_series_of)
                                 / sizeof(lr_series_of[0]) == LR_C_COUNT)
                                ? 1 : -1];

/* The gauges, each one series with no label: what they say belongs to
 * the server, not to a host.  Shown where lr_stats_gauge_get says so.
 */
static const struct {
    lr_gauge_e gauge;
    const char *name;
    const char *help;
} lr_gauges[] = {
    {LR_G_QUOTA_STORE_UP, "length_required_quota_store_up",
     "1 while the quota store answers, 0 while it is given up"},
};

/* One listed host: its label value, written as the format wants it, and
 * its counters as they were read.
 */
typedef struct {
    const char *vhost;
    apr_uint64_t count[LR_C_COUNT];
} lr_host_row;

/* The bytes of a valid UTF-8 character starting at s (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or 0.
 */
static int lr_utf8_len(const unsigned char *s)
{
    unsigned char lo = 0x80, hi = 0xbf;
    int n, i;

    if (s[0] < 0x80) {
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
    }
    else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        lo = (s[0] == 0xe0) ? 0xa0 : 0x80;
        hi = (s[0] == 0xed) ? 0x9f : 0xbf;
    }
    else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        lo = (s[0] == 0xf0) ? 0x90 : 0x80;
        hi = (s[0] == 0xf4) ? 0x8f : 0xbf;
    }
    else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }
    return n;
}

/* A label value as the exposition format writes it between its double
 * quotes: backslash, double quote and line feed escaped.  A label value
 * must be UTF-8, and Prometheus refuses a whole scrape for one that is
 * not: a byte that does not start a valid character (a ServerName written
 * in Latin-1, a key cut short in the middle of a character) becomes
 * U+FFFD.  Host names are plain ASCII nearly always: then s itself.
 */
static const char *lr_label_value(apr_pool_t *p, const char *s)
{
    const unsigned char *in;
    char *out, *o;

    for (in = (const unsigned char *)s; *in; in++) {
        if (*in == '\\' || *in == '"' || *in == '\n' || *in >= 0x80) {
            break;
        }
    }
    if (!*in) {
        return s;
    }
    /* At most three bytes out for each byte in: U+FFFD. */
    o = out = apr_palloc(p, 3 * strlen(s) + 1);
    for (in = (const unsigned char *)s; *in; ) {
        int n = lr_utf8_len(in);

        if (*in == '\\' || *in == '"') {
            *o++ = '\\';
            *o++ = (char)*in++;
        }
        else if (*in == '\n') {
            *o++ = '\\';
            *o++ = 'n';
            in++;
        }
        else if (n) {
            memcpy(o, in, n);
            o += n;
            in += n;
        }
        else {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            in++;
        }
    }
    *o = '\0';
    return out;
}

/* Counter c is the first of its family (a hole in lr_series_of, which
 * has no family, is none).
 */
static int lr_family_first(int c)
{
    int k;

    for (k = 0; k < c; k++) {
        if (lr_series_of[k].family == lr_series_of[c].family) {
            return 0;
        }
    }
    return lr_series_of[c].family != NULL;
}

/* The whole answer to a GET or HEAD, for a request whose handler's name
 * begins as ours.  The counters are read first, once each, into rows (one
 * pass over the shared memory, no lock, as the status page reads them);
 * the families are written from those rows.
 */
static LR_COLD int lr_metrics_serve(request_rec *r)
{
    apr_array_header_t *rows;
    lr_stats_hosts it;
    lr_host_row *row;
    const char *key;
    apr_int64_t v;
    int c, k, h;
    size_t g;

    if (strcmp(r->handler, LR_METRICS_HANDLER)) {
        return DECLINED;
    }
    if (r->method_number != M_GET) {
        /* HEAD has M_GET's number.  httpd writes Allow from this list as
         * it sends the 405, adding TRACE where TraceEnable lets core
         * answer it.
         */
        ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!lr_stats_hosts_start(&it, r->pool)) {
        /* No shared memory for the counters (LR00010 at startup): a
         * failed scrape says so, where empty families would not.
         */
        return HTTP_SERVICE_UNAVAILABLE;
    }
    rows = apr_array_make(r->pool, 8, sizeof(lr_host_row));
    for (;;) {
        row = apr_array_push(rows);
        if (!(key = lr_stats_hosts_next(&it, row->count))) {
            rows->nelts--;
            break;
        }
        row->vhost = lr_label_value(r->pool, key);
    }

    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    for (c = 0; c < LR_C_COUNT; c++) {
        const lr_family *f = lr_series_of[c].family;

        if (!lr_family_first(c)) {
            continue;
        }
        ap_rprintf(r, "# HELP %s %s\n# TYPE %s counter\n", f->name,
                   f->help, f->name);
        for (h = 0; h < rows->nelts; h++) {
            row = &APR_ARRAY_IDX(rows, h, lr_host_row);
            for (k = c; k < LR_C_COUNT; k++) {
                const lr_series *s = &lr_series_of[k];

                if (s->family != f) {
                    continue;
                }
                ap_rprintf(r, "%s{vhost=\"%s\"%s%s%s} %" APR_UINT64_T_FMT
                           "\n", f->name, row->vhost,
                           s->reason ? ",reason=\"" : "",
                           s->reason ? s->reason : "",
                           s->reason ? "\"" : "", row->count[k]);
            }
        }
    }
    for (g = 0; g < sizeof(lr_gauges) / sizeof(lr_gauges[0]); g++) {
        if (lr_stats_gauge_get(lr_gauges[g].gauge, &v)) {
            ap_rprintf(r, "# HELP %s %s\n# TYPE %s gauge\n%s %"
                       APR_INT64_T_FMT "\n", lr_gauges[g].name,
                       lr_gauges[g].help, lr_gauges[g].name,
                       lr_gauges[g].name, v);
        }
    }
    return OK;
}

/* The handler hook runs for every request that reaches the handler phase
 * and that no handler before it took: one comparison declines them.
 * httpd has set r->handler by now (to the content type where nothing else
 * named a handler, "text/html" and the like).  The first byte is compared
 * here, the rest out of line: a call to strcmp() for every static file
 * would cost more than the rest of the hook.
 */
int lr_metrics_handler(request_rec *r)
{
    if (!r->handler || r->handler[0] != LR_METRICS_HANDLER[0]) {
        return DECLINED;
    }
    return lr_metrics_serve(r);
}
