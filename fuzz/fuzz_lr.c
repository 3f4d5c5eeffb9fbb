/*
 * libFuzzer harnesses for the parsers of mod_length_required.
 *
 * Each binary links lr_util.c, the module's own parsers as httpd runs
 * them, which need APR alone.  The method parser is handed the method
 * number httpd would give a word; a small stand-in below knows the few
 * methods the harness needs to reach every branch.  Build and run with
 * "make fuzz" (see the Makefile).
 *
 * One binary per parser, chosen with -DLR_FUZZ_<NAME>:
 *   SIZE     lr_parse_size            (LengthRequiredMaxBody)
 *   LENGTH   lr_length_value          (a request's Content-Length)
 *   METHODS  lr_add_method            (LengthRequiredMethods words)
 *   TE       lr_te_check              (Transfer-Encoding under Strict)
 *   ACCEPT   lr_accept_prefers_json   (LengthRequiredErrorFormat Auto)
 *   FRAMING  lr_framing_scan          (request head lines under Strict)
 */

#include "../lr_private.h"

#include <stdlib.h>
#include <stdint.h>

/* httpd's ap_method_number_of() for the methods the harness cares about. */
static int lr_fuzz_method_number(const char *method)
{
    if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
        return M_GET;
    }
    if (!strcmp(method, "POST")) {
        return M_POST;
    }
    if (!strcmp(method, "PROPPATCH")) {
        return M_PROPPATCH;
    }
    return M_INVALID;
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
        const char *s = lr_fuzz_string(p, data, size);

        if (lr_parse_size(s, &v)) {
            /* Accepted sizes are whole, non-negative numbers of bytes. */
            if (v < 0 || !apr_isdigit(s[0])) {
                abort();
            }
        }
    }
#elif defined(LR_FUZZ_LENGTH)
    {
        const char *s = lr_fuzz_string(p, data, size);
        apr_off_t v = lr_length_value(s);

        /* Never negative; a lone digit is itself. */
        if (v < 0 || (size == 1 && apr_isdigit(s[0]) && v != s[0] - '0')) {
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
            int ok = lr_add_method(p, word, lr_fuzz_method_number(word),
                                   &mask, &names);
            if (ok != lr_is_token(word)) {
                abort();
            }
        }
        if (names) {
            int i;
            for (i = 0; i < names->nelts; i++) {
                if (!lr_is_token(APR_ARRAY_IDX(names, i, const char *))) {
                    abort();
                }
            }
        }
    }
#elif defined(LR_FUZZ_TE)
    {
        lr_reason_e reason = lr_te_check(lr_fuzz_string(p, data, size));

        /* A verdict on the value is one of the three a value can earn. */
        if (reason != LR_REASON_NONE && reason != LR_REASON_TE_UNKNOWN
            && reason != LR_REASON_TE_MALFORMED
            && reason != LR_REASON_TE_REPEATED) {
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
#else
#error "define one of LR_FUZZ_SIZE, _LENGTH, _METHODS, _TE, _ACCEPT, _FRAMING"
#endif

    apr_pool_destroy(p);
    return 0;
}
