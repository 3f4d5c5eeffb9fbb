/*
 * fuzz_lr.c: libFuzzer harnesses for the parsers of mod_length_required.
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
 * Each binary links lr_util.c, the module's own parsers as httpd runs
 * them, with APR alone: no httpd header is on the include path.  The
 * method parser is handed the bit the module would give a word; a small
 * stand-in below knows the few methods the harness needs to reach every
 * branch.  Build and run with "make fuzz" (see fuzz/run).
 *
 * One binary per parser, chosen with -DLR_FUZZ_<NAME>:
 *   SIZE     lr_parse_size            (sizes of every directive)
 *   NUMBER   lr_parse_number          (numbers of every directive)
 *   PERIOD   lr_parse_period          (LengthRequiredQuota periods)
 *   LENGTH   lr_length_value          (a request's Content-Length)
 *   METHODS  lr_add_method            (LengthRequiredMethods words)
 *   TE       lr_te_check              (Transfer-Encoding under Strict)
 *   ACCEPT   lr_accept_prefers_json   (LengthRequiredErrorFormat Auto)
 *   FRAMING  lr_framing_scan          (request head lines under Strict)
 *   UPLOAD   lr_upload_field          (resumable-upload fields under
 *                                      LengthRequiredUploadMax)
 */

#include "apr_general.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "../lr_util.h"

#include <stdlib.h>
#include <stdint.h>
#include <string.h>

/* The bit the module gives the methods the harness cares about. */
static int lr_fuzz_method_bit(const char *method)
{
    if (!strcmp(method, "GET")) {
        return 0;
    }
    if (!strcmp(method, "HEAD")) {
        return 63;
    }
    if (!strcmp(method, "POST")) {
        return 2;
    }
    if (!strcmp(method, "PROPPATCH")) {
        return 12;
    }
    return LR_METHOD_BY_NAME;
}

/* Whether s is an HTTP token, by RFC 9110's tchar list, spelled out here
 * apart from the module's scanner.
 */
static int lr_fuzz_is_token(const char *s)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
                                "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    return *s && strspn(s, tchar) == strlen(s);
}

/* What a number of at most 18 digits (leading zeros aside) is, counted
 * the slow way; -1 if longer.  *end is set after the digits either way.
 */
static apr_int64_t lr_fuzz_reference(const char *s, const char **end)
{
    apr_int64_t v = 0;
    int n = 0;

    while (*s == '0') {
        s++;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        if (++n <= 18) {
            v = v * 10 + (*s - '0');
        }
    }
    *end = s;
    return (n <= 18) ? v : -1;
}

/* What a resumable-upload field is, read the slow way: split at every
 * comma, white space trimmed, each element checked by what it must be.
 */
static lr_field_result lr_fuzz_field(apr_pool_t *p, const char *s,
                                     lr_field_syntax syntax, apr_int64_t *v)
{
    apr_int64_t first = -1;
    int n = 0;

    for (;;) {
        const char *comma = strchr(s, ',');
        char *el = apr_pstrndup(p, s, comma ? (apr_size_t)(comma - s)
                                            : strlen(s));
        char *d;
        apr_size_t len;
        apr_int64_t one;

        while (*el == ' ' || *el == '\t') {
            el++;
        }
        len = strlen(el);
        while (len && (el[len - 1] == ' ' || el[len - 1] == '\t')) {
            el[--len] = '\0';
        }
        if (syntax == LR_FIELD_SF_BOOLEAN) {
            if (strcmp(el, "?0") && strcmp(el, "?1")) {
                return LR_FIELD_MALFORMED;
            }
            one = el[1] - '0';
        }
        else {
            d = el + (syntax == LR_FIELD_SF_INTEGER && el[0] == '-');
            len = strlen(d);
            if (len < 1 || len > 15 || strspn(d, "0123456789") != len) {
                return LR_FIELD_MALFORMED;
            }
            if (d != el) {
                return LR_FIELD_NEGATIVE;
            }
            one = apr_atoi64(d);
        }
        if (n++ == 0) {
            first = one;
        }
        else if (one != first) {
            return LR_FIELD_DIFFERENT;
        }
        if (!comma) {
            *v = first;
            return LR_FIELD_OK;
        }
        s = comma + 1;
    }
}

static apr_pool_t *lr_fuzz_pool;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_initialize();
    apr_pool_create(&lr_fuzz_pool, NULL);
    return 0;
}

/* The parsers take NUL-terminated strings, as httpd hands them over. */
static char *lr_fuzz_string(apr_pool_t *p, const uint8_t *data, size_t size)
{
    char *s = apr_palloc(p, size + 1);

    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;

    apr_pool_create(&p, lr_fuzz_pool);

#if defined(LR_FUZZ_SIZE)
    {
        apr_off_t v = -1;
        const char *s = lr_fuzz_string(p, data, size), *end = s;
        apr_int64_t ref = lr_fuzz_reference(s, &end);
        int shift = 0;

        switch (*end) {
        case 'k': case 'K': shift = 10; end++; break;
        case 'm': case 'M': shift = 20; end++; break;
        case 'g': case 'G': shift = 30; end++; break;
        case 't': case 'T': shift = 40; end++; break;
        }
        if (lr_parse_size(s, &v)) {
            /* Accepted: digits and at most one unit, and the value they
             * say (where the slow count can tell).
             */
            if (v < 0 || !apr_isdigit(s[0]) || *end
                || (ref >= 0 && ref <= (APR_INT64_MAX >> shift)
                    && v != (ref << shift))) {
                abort();
            }
        }
        else if (apr_isdigit(s[0]) && !*end && ref >= 0
                 && ref <= (APR_INT64_MAX >> shift)) {
            abort();        /* refused a size that fits */
        }
    }
#elif defined(LR_FUZZ_NUMBER)
    {
        const char *s = lr_fuzz_string(p, data, size), *end = s;
        apr_int64_t v = -1, ref = lr_fuzz_reference(s, &end);
        apr_int64_t max = size ? (apr_int64_t)data[0] * 1000 : 0;

        if (lr_parse_number(s, max, &v)) {
            if (v < 0 || v > max || !apr_isdigit(s[0]) || *end
                || (ref >= 0 && v != ref)) {
                abort();
            }
        }
        else if (apr_isdigit(s[0]) && !*end && ref >= 0 && ref <= max) {
            abort();        /* refused a number in range */
        }
    }
#elif defined(LR_FUZZ_PERIOD)
    {
        const char *s = lr_fuzz_string(p, data, size);
        apr_int64_t v = -1, max = 31 * 86400;

        if (lr_parse_period(s, max, &v) && (v < 1 || v > max)) {
            abort();
        }
    }
#elif defined(LR_FUZZ_LENGTH)
    {
        const char *s = lr_fuzz_string(p, data, size), *end = s;
        apr_off_t v = lr_length_value(s);
        apr_int64_t ref = lr_fuzz_reference(s, &end);

        /* Never negative; digits are what they say, or saturate. */
        if (v < 0 || (apr_isdigit(s[0]) && ref >= 0 && v != ref)
            || (apr_isdigit(s[0]) && ref < 0 && v != APR_INT64_MAX
                && v < APR_INT64_C(1000000000000000000))) {
            abort();
        }
    }
#elif defined(LR_FUZZ_METHODS)
    {
        char *s = lr_fuzz_string(p, data, size);
        apr_uint64_t mask = 0;
        apr_array_header_t *names = NULL;
        char *last, *word;

        for (word = apr_strtok(s, " \t", &last); word;
             word = apr_strtok(NULL, " \t", &last)) {
            int ok = lr_add_method(p, word, lr_fuzz_method_bit(word),
                                   &mask, &names);
            if (ok != lr_fuzz_is_token(word)) {
                abort();
            }
        }
        if (names) {
            int i;
            for (i = 0; i < names->nelts; i++) {
                if (!lr_fuzz_is_token(APR_ARRAY_IDX(names, i,
                                                    const char *))) {
                    abort();
                }
            }
        }
    }
#elif defined(LR_FUZZ_TE)
    {
        const char *s = lr_fuzz_string(p, data, size);
        char *bare = apr_pstrdup(p, s);
        lr_te_result te = lr_te_check(s);

        /* One of the four verdicts; the good one only for "chunked" with
         * at most white space around it, and always for "chunked" itself.
         */
        apr_collapse_spaces(bare, s);
        if ((te != LR_TE_OK && te != LR_TE_UNKNOWN && te != LR_TE_MALFORMED
             && te != LR_TE_REPEATED)
            || (te == LR_TE_OK && strcasecmp(bare, "chunked"))
            || (te != LR_TE_OK && !strcasecmp(s, "chunked"))) {
            abort();
        }
    }
#elif defined(LR_FUZZ_ACCEPT)
    {
        int json = lr_accept_prefers_json(lr_fuzz_string(p, data, size));

        if (json != 0 && json != 1) {
            abort();
        }
    }
#elif defined(LR_FUZZ_FRAMING)
    {
        lr_framing fr;
        size_t split = size ? data[0] % (size + 1) : 0;

        /* The same bytes in two reads, as a head may arrive. */
        memset(&fr, 0, sizeof(fr));
        fr.in_head = 1;
        lr_framing_scan(&fr, (const char *)data, split);
        lr_framing_scan(&fr, (const char *)data + split, size - split);
        if (fr.name_len < 0 || fr.name_len > LR_NAME_LEN
            || fr.te_lines < 0 || fr.cl_lines < 0) {
            abort();
        }
    }
#elif defined(LR_FUZZ_UPLOAD)
    {
        /* The first byte picks the syntax, the rest is the value.  The
         * module's verdict and value must be the slow reading's: a value
         * it accepts is one a backend reads the same, in range.
         */
        lr_field_syntax syntax = (lr_field_syntax)(size ? data[0] % 3 : 0);
        const char *s = lr_fuzz_string(p, size ? data + 1 : data,
                                       size ? size - 1 : 0);
        apr_int64_t v = -1, ref = -2;
        lr_field_result res = lr_upload_field(s, syntax, &v);

        if (res != lr_fuzz_field(p, s, syntax, &ref)
            || (res == LR_FIELD_OK
                && (v != ref || v < 0 || v > LR_FIELD_MAX
                    || (syntax == LR_FIELD_SF_BOOLEAN && v > 1)))) {
            abort();
        }
    }
#else
#error "define one LR_FUZZ_<NAME> (see the top of this file)"
#endif

    apr_pool_destroy(p);
    return 0;
}
