/*
 * lr_util.h: the pure parsers of mod_length_required, which need APR alone:
 * no httpd header and no symbol of the module, so that fuzz/ links
 * lr_util.c by itself.
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

#ifndef LR_UTIL_H
#define LR_UTIL_H

#include "apr.h"
#include "apr_network_io.h"
#include "apr_pools.h"
#include "apr_tables.h"

/* Inside the module these are calls between its own files: hidden from
 * the .so's dynamic symbols (see lr_private.h).
 */
#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(hidden)
#endif

/*
 * Numbers and sizes in directives: one grammar for each, refusing signs,
 * spaces, fractions, junk and overflow.
 */

/* The digits at the start of s as a number no larger than max: *end is
 * set after them.  Returns 0 if there is no digit or the number is larger.
 * Every number the module reads goes through here, a request's
 * Content-Length included, so it is in line and kept to a multiply-add a
 * digit: leading zeros aside, 19 digits cannot wrap an apr_uint64_t, and
 * more are too many for any apr_int64_t.
 */
static APR_INLINE int lr_digits(const char *s, apr_int64_t max,
                                apr_int64_t *value, const char **end)
{
    const char *p = s, *first;
    apr_uint64_t v = 0;
    unsigned int d;

    while (*p == '0') {
        p++;
    }
    first = p;
    while ((d = (unsigned int)(unsigned char)*p - '0') <= 9) {
        v = v * 10 + d;
        p++;
    }
    if (p == s || p - first > 19 || v > (apr_uint64_t)max) {
        return 0;
    }
    *value = (apr_int64_t)v;
    *end = p;
    return 1;
}

/* A whole decimal number from 0 to max: digits only. */
int lr_parse_number(const char *arg, apr_int64_t max, apr_int64_t *value);

/* A whole number of bytes, optionally followed by K, M, G or T (powers of
 * 1024, either case).
 */
int lr_parse_size(const char *arg, apr_off_t *size);

/* A whole number of seconds from 1 up to max, optionally followed by s, m,
 * h or d (a bare number is seconds).
 */
int lr_parse_period(const char *arg, apr_int64_t max, apr_int64_t *secs);

/* The value of a Content-Length header.  httpd core has already refused
 * with 400 every value that is not plain digits or does not fit an
 * apr_off_t; should one come through all the same, it saturates rather
 * than overflow.
 */
static APR_INLINE apr_off_t lr_length_value(const char *s)
{
    apr_int64_t v;
    const char *end;

    return lr_digits(s, APR_INT64_MAX, &v, &end) ? (apr_off_t)v
                                                  : APR_INT64_MAX;
}

/*
 * Servers of a store
 */

/* One server: its host (an IPv6 address without its brackets) and port. */
typedef struct {
    const char *host;
    apr_port_t port;
} lr_hostport;

/* "host:port[,host:port...]" ("[host]:port" for IPv6) into *list, a new
 * array of lr_hostport in p.  0 when it is not one, with *bad the element
 * that is not a host and a port ("" where the list or an element is
 * empty).
 */
int lr_parse_hostports(apr_pool_t *p, const char *s,
                       apr_array_header_t **list, const char **bad);

/* "host:port", or "[host]:port" for IPv6: a server's name in messages. */
const char *lr_hostport_name(apr_pool_t *p, const char *host,
                             apr_port_t port);

/*
 * Methods
 */

/* Adds one word of a LengthRequiredMethods list to a set of methods: to
 * the mask, at bit (0 to 63), or, with bit LR_METHOD_BY_NAME, to the names
 * matched as strings.  Returns 0 if the word is not a method token.
 */
#define LR_METHOD_BY_NAME   (-1)
int lr_add_method(apr_pool_t *p, const char *word, int bit,
                  apr_uint64_t *mask, apr_array_header_t **names);

/*
 * Request framing (LengthRequiredStrict)
 */

/* What a Transfer-Encoding value sent by a client is, by RFC 9112
 * section 6.1: acceptable only as exactly one coding, chunked.
 */
typedef enum {
    LR_TE_OK = 0,
    LR_TE_UNKNOWN,              /* a coding this server does not know */
    LR_TE_MALFORMED,            /* not a list of coding names at all */
    LR_TE_REPEATED              /* chunked more than once */
} lr_te_result;

lr_te_result lr_te_check(const char *value);

/* The framing header lines of one request head, as its bytes go by.
 * Only the start of each line is looked at: up to its colon, enough to
 * recognise the two header names.
 */
#define LR_NAME_LEN 20
typedef struct {
    int in_head;                /* from the head's start to the empty line */
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

void lr_framing_scan(lr_framing *fr, const char *data, apr_size_t len);

/*
 * The fields of resumable uploads (LengthRequiredUploadMax)
 */

/* The syntax a field is read in: the IETF draft's Structured Field
 * Integer (RFC 8941: an optional '-', then 1 to 15 digits) and Boolean
 * (?0 or ?1), or tus 1.0's plain integer (digits only; held to 15 digits
 * here as well).  No parameters: neither protocol defines any.
 */
typedef enum {
    LR_FIELD_SF_INTEGER = 0,
    LR_FIELD_SF_BOOLEAN,
    LR_FIELD_TUS_INTEGER
} lr_field_syntax;

/* What a field value is.  httpd joins repeated header lines with ", ",
 * so a value may be a list: it stands only if every element is valid and
 * all say the same.
 */
typedef enum {
    LR_FIELD_OK = 0,
    LR_FIELD_MALFORMED,         /* not the syntax at all */
    LR_FIELD_NEGATIVE,          /* an SF Integer below 0 */
    LR_FIELD_DIFFERENT          /* repeated with different values */
} lr_field_result;

/* The largest value of 15 digits. */
#define LR_FIELD_MAX        APR_INT64_C(999999999999999)

/* Reads value in syntax; on LR_FIELD_OK, *v is the number (0 to
 * LR_FIELD_MAX), or 0 or 1 for a Boolean.
 */
lr_field_result lr_upload_field(const char *value, lr_field_syntax syntax,
                                apr_int64_t *v);

/*
 * Content negotiation (LengthRequiredErrorFormat Auto)
 */

/* Whether an Accept header prefers JSON over HTML. */
int lr_accept_prefers_json(const char *accept);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#endif /* LR_UTIL_H */
