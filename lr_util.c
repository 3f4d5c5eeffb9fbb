/*
 * lr_util.c: the pure parsers of mod_length_required (numbers, sizes and
 * periods of directives, Content-Length values, method tokens,
 * Transfer-Encoding lists, the fields of resumable uploads, Accept
 * q-values and the request-head byte scanner), which need APR alone, so
 * fuzz/ links this file directly.
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

#include "apr_lib.h"
#include "apr_strings.h"

#include "lr_util.h"


int lr_parse_number(const char *arg, apr_int64_t max, apr_int64_t *value)
{
    const char *end;
    apr_int64_t v;

    if (!lr_digits(arg, max, &v, &end) || *end) {
        return 0;
    }
    *value = v;
    return 1;
}

/* The value of a unit letter among the given ones (either case), each
 * with its multiplier; 0 if the letter is not one of them.
 */
typedef struct {
    char unit;
    apr_int64_t mult;
} lr_unit;

static apr_int64_t lr_unit_value(const lr_unit *units, char c)
{
    for (; units->unit; units++) {
        if (apr_tolower(c) == units->unit) {
            return units->mult;
        }
    }
    return 0;
}

/* A number, then nothing or exactly one of the units; no larger than max
 * once multiplied.
 */
static int lr_parse_with_unit(const char *arg, const lr_unit *units,
                              apr_int64_t max, apr_int64_t *value)
{
    const char *end;
    apr_int64_t v, mult = 1;

    if (!lr_digits(arg, APR_INT64_MAX, &v, &end)) {
        return 0;
    }
    if (*end) {
        if (!(mult = lr_unit_value(units, *end)) || end[1]) {
            return 0;
        }
    }
    if (v > max / mult) {
        return 0;
    }
    *value = v * mult;
    return 1;
}

static const lr_unit lr_size_units[] = {
    {'k', APR_INT64_C(1) << 10}, {'m', APR_INT64_C(1) << 20},
    {'g', APR_INT64_C(1) << 30}, {'t', APR_INT64_C(1) << 40}, {0, 0}
};

int lr_parse_size(const char *arg, apr_off_t *size)
{
    apr_int64_t v;

    if (!lr_parse_with_unit(arg, lr_size_units, APR_INT64_MAX, &v)) {
        return 0;
    }
    *size = (apr_off_t)v;
    return 1;
}

static const lr_unit lr_period_units[] = {
    {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {0, 0}
};

int lr_parse_period(const char *arg, apr_int64_t max, apr_int64_t *secs)
{
    apr_int64_t v;

    if (!lr_parse_with_unit(arg, lr_period_units, max, &v) || v < 1) {
        return 0;
    }
    *secs = v;
    return 1;
}

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

int lr_parse_hostports(apr_pool_t *p, const char *s,
                       apr_array_header_t **list, const char **bad)
{
    apr_size_t len = strlen(s);
    char *copy, *last, *hp;

    *list = apr_array_make(p, 2, sizeof(lr_hostport));
    *bad = "";
    if (!len || s[0] == ',' || s[len - 1] == ',' || strstr(s, ",,")) {
        return 0;
    }
    copy = apr_pstrdup(p, s);
    for (hp = apr_strtok(copy, ",", &last); hp;
         hp = apr_strtok(NULL, ",", &last)) {
        lr_hostport *one = apr_array_push(*list);
        char *host, *scope;

        if (apr_parse_addr_port(&host, &scope, &one->port, hp, p)
            != APR_SUCCESS || !host || !one->port || scope) {
            *bad = hp;
            return 0;
        }
        one->host = host;
    }
    return 1;
}

const char *lr_hostport_name(apr_pool_t *p, const char *host,
                             apr_port_t port)
{
    return apr_psprintf(p, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
                        port);
}

/* A method is an HTTP token (RFC 9110, section 5.6.2). */
static int lr_is_token(const char *s)
{
    apr_size_t len = strlen(s);

    return len && lr_token_end(s, s + len) == s + len;
}

/* One word of a LengthRequiredMethods list, into the mask at the bit the
 * caller chose for it, or among the names.
 */
int lr_add_method(apr_pool_t *p, const char *word, int bit,
                  apr_uint64_t *mask, apr_array_header_t **names)
{
    if (!lr_is_token(word)) {
        return 0;
    }
    if (bit >= 0 && bit < 64) {
        *mask |= (apr_uint64_t)1 << bit;
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

/* The next element of a comma-separated field value at *s, as
 * [*start, *end) with the white space around it gone; *s is left on the
 * comma after it, or on the value's end.
 */
static void lr_list_next(const char **s, const char **start,
                         const char **end)
{
    const char *p = *s, *e;

    while (*p == ' ' || *p == '\t') {
        p++;
    }
    *start = p;
    while (*p && *p != ',') {
        p++;
    }
    e = p;
    while (e > *start && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    *end = e;
    *s = p;
}

/* A Transfer-Encoding value as RFC 9112 section 6.1 wants it from a
 * client: a list of codings, exactly one of them, chunked.  Returns
 * LR_TE_OK, or why not: a coding this server does not know (gzip,
 * identity, ...), chunked twice, or anything that is not a coding name at
 * all (empty list elements, parameters, control or high bytes).
 */
lr_te_result lr_te_check(const char *value)
{
    const char *s = value;
    int chunked = 0;

    for (;;) {
        const char *start, *end;

        lr_list_next(&s, &start, &end);
        if (end == start || lr_token_end(start, end) != end) {
            return LR_TE_MALFORMED;
        }
        if (end - start != 7 || strncasecmp(start, "chunked", 7)) {
            return LR_TE_UNKNOWN;
        }
        if (chunked++) {
            return LR_TE_REPEATED;
        }
        if (!*s) {
            return LR_TE_OK;
        }
        s++;
    }
}

/* One element of a resumable-upload field, from s to end (white space
 * around it already gone), in syntax.
 */
static lr_field_result lr_field_element(const char *s, const char *end,
                                        lr_field_syntax syntax,
                                        apr_int64_t *v)
{
    apr_int64_t n;
    int negative = 0;
    const char *p;

    if (syntax == LR_FIELD_SF_BOOLEAN) {
        if (end - s != 2 || s[0] != '?' || (s[1] != '0' && s[1] != '1')) {
            return LR_FIELD_MALFORMED;
        }
        *v = s[1] - '0';
        return LR_FIELD_OK;
    }
    if (syntax == LR_FIELD_SF_INTEGER && s < end && *s == '-') {
        negative = 1;
        s++;
    }
    /* At most 15 digits, leading zeros counted (RFC 8941's limit, which
     * tus's plain integers are held to too).  An element ends where no
     * digit is (a space, a tab, a comma, the end).
     */
    if (!lr_digits(s, APR_INT64_MAX, &n, &p) || p != end || p - s > 15) {
        return LR_FIELD_MALFORMED;
    }
    if (negative) {
        /* "-0" too: 0 to RFC 8941, but no offset or length is written
         * with a sign, and tus refuses one.
         */
        return LR_FIELD_NEGATIVE;
    }
    *v = n;
    return LR_FIELD_OK;
}

lr_field_result lr_upload_field(const char *value, lr_field_syntax syntax,
                                apr_int64_t *v)
{
    const char *s = value;
    apr_int64_t first = 0;
    int n = 0;

    for (;;) {
        const char *start, *end;
        apr_int64_t one = 0;
        lr_field_result res;

        lr_list_next(&s, &start, &end);
        if ((res = lr_field_element(start, end, syntax, &one))
            != LR_FIELD_OK) {
            return res;
        }
        if (n++ == 0) {
            first = one;
        }
        else if (one != first) {
            return LR_FIELD_DIFFERENT;
        }
        if (!*s) {
            *v = first;
            return LR_FIELD_OK;
        }
        s++;
    }
}

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
int lr_accept_prefers_json(const char *accept)
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

/* Feeds the bytes of request-head lines to the framing state. */
void lr_framing_scan(lr_framing *fr, const char *data, apr_size_t len)
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
