/*
 * lr_upload.c: LengthRequiredUploadMax, the cap on the whole of one
 * resumable upload (the IETF draft's and tus 1.0's), judged from the
 * fields every request of the upload carries
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
 * A resumable upload is a creation request and appends, each capped by
 * the per-request limits on its own.  The total needs no state: the
 * creation may declare it (Upload-Length), and every append says where
 * it starts (Upload-Offset), which the backend holds it to (409 for a
 * wrong offset); so the offset plus the append's own length is where the
 * upload will stand once the append is in.
 */

#include "lr_features.h"

/* The longest part of a malformed value quoted in the log. */
#define LR_QUOTE_MAX    64

/* What the log says of each result of lr_upload_field() but LR_FIELD_OK. */
static const char *const lr_field_problem[] = {
    NULL, "is not in the protocol's syntax", "is negative",
    "is repeated with different values"
};

/* A field that is not what the protocol says it is: the backend would not
 * read it as this module does, so the request goes no further (400).
 */
static int lr_upload_malformed(request_rec *r, const lr_policy *p,
                               const char *name, const char *value,
                               lr_field_result res)
{
    const char *what;

    if (p->mode == LR_MODE_LOGONLY) {
        lr_would_refuse(r, LR_REASON_UPLOAD_FIELD, -1, p->upload_max);
        return DECLINED;
    }
    what = apr_psprintf(r->pool, "%s '%s%s' %s", name,
                        ap_escape_logitem(r->pool,
                                          apr_pstrndup(r->pool, value,
                                                       LR_QUOTE_MAX)),
                        strlen(value) > LR_QUOTE_MAX ? "..." : "",
                        lr_field_problem[res]);
    return lr_refuse(r, LR_REASON_UPLOAD_FIELD, -1, p->upload_max, what);
}

/* The upload would pass the max (total: where it would stand, or -1 where
 * an append of unknown length starts at the max).  The 413 says the limit
 * in the protocol's own fields, as both require of it; the rest is the
 * module's usual refusal.
 */
static int lr_upload_over(request_rec *r, const lr_policy *p, int tus,
                          apr_off_t total)
{
    apr_off_t max = p->upload_max;

    if (p->mode == LR_MODE_LOGONLY) {
        lr_would_refuse(r, LR_REASON_UPLOAD_MAX, total, max);
        return DECLINED;
    }
    /* err_headers_out: the headers of the error response, ErrorDocument
     * or not.
     */
    if (tus) {
        apr_table_setn(r->err_headers_out, "Tus-Resumable", "1.0.0");
        apr_table_setn(r->err_headers_out, "Tus-Max-Size",
                       apr_off_t_toa(r->pool, max));
    }
    else {
        /* A Structured Field Dictionary with the one key this knows. */
        apr_table_setn(r->err_headers_out, "Upload-Limit",
                       apr_psprintf(r->pool, "max-size=%" APR_OFF_T_FMT,
                                    max));
    }
    return lr_refuse(r, LR_REASON_UPLOAD_MAX, total, max, NULL);
}

/* Reads field name of r in syntax into *v, if r has it.  Returns
 * LR_FIELD_OK (also when absent), or the result that refuses it, with
 * *value the field's value.
 */
static lr_field_result lr_upload_read(request_rec *r, const char *name,
                                      lr_field_syntax syntax,
                                      const char **value, apr_int64_t *v)
{
    *value = apr_table_get(r->headers_in, name);
    return *value ? lr_upload_field(*value, syntax, v) : LR_FIELD_OK;
}

/* The fields that make a request part of a resumable upload.  tus:
 * Tus-Resumable on every request, with plain integers.  The IETF draft:
 * Structured Fields, and any one of its fields; Upload-Incomplete is
 * Upload-Complete's name in the draft's first versions, which the first
 * clients shipped with.
 */
typedef struct {
    const char *name;
    lr_field_syntax syntax;
    int tus;                    /* read in tus requests (1), IETF ones (0) */
} lr_upload_field_def;

static const lr_upload_field_def lr_upload_fields[] = {
    {"Upload-Offset", LR_FIELD_TUS_INTEGER, 1},
    {"Upload-Length", LR_FIELD_TUS_INTEGER, 1},
    {"Upload-Defer-Length", LR_FIELD_TUS_INTEGER, 1},
    {"Upload-Offset", LR_FIELD_SF_INTEGER, 0},
    {"Upload-Length", LR_FIELD_SF_INTEGER, 0},
    {"Upload-Complete", LR_FIELD_SF_BOOLEAN, 0},
    {"Upload-Incomplete", LR_FIELD_SF_BOOLEAN, 0},
    {NULL, 0, 0}
};

int lr_upload_judge(request_rec *r, const lr_policy *p)
{
    const lr_upload_field_def *fd;
    const char *cl, *value;
    apr_int64_t v, offset = 0, length = -1;
    apr_off_t max = p->upload_max, body;
    lr_field_result res;
    int tus = (apr_table_get(r->headers_in, "Tus-Resumable") != NULL);
    int resumable = tus;

    for (fd = lr_upload_fields; fd->name; fd++) {
        if (fd->tus != tus) {
            continue;
        }
        if ((res = lr_upload_read(r, fd->name, fd->syntax, &value, &v))
            != LR_FIELD_OK) {
            return lr_upload_malformed(r, p, fd->name, value, res);
        }
        if (!value) {
            continue;
        }
        resumable = 1;
        if (!strcmp(fd->name, "Upload-Offset")) {
            offset = v;
        }
        else if (!strcmp(fd->name, "Upload-Length")) {
            length = v;
        }
        else if (fd->tus && v != 1) {
            /* tus: "Upload-Defer-Length: 1" is its only value. */
            return lr_upload_malformed(r, p, fd->name, value,
                                       LR_FIELD_MALFORMED);
        }
    }
    if (!resumable) {
        return DECLINED;
    }

    /* The total the upload declares, on creation or any later request. */
    if (length > max) {
        return lr_upload_over(r, p, tus, length);
    }

    /* Where this request leaves the upload: its offset (0 for a
     * creation) and its body, as the judge read the framing.
     */
    if ((cl = apr_table_get(r->headers_in, "Content-Length"))) {
        body = lr_length_value(cl);
    }
    else if (apr_table_get(r->headers_in, "Transfer-Encoding")) {
        body = -1;
    }
    else {
        body = 0;
    }
    if (body >= 0) {
        if (offset > max || body > max - offset) {
            return lr_upload_over(r, p, tus, (body > APR_INT64_MAX - offset)
                                             ? APR_INT64_MAX
                                             : offset + body);
        }
        return DECLINED;
    }

    /* An append of unknown length (chunked, or HTTP/2 without
     * content-length): the streamed cap cuts it where the upload would
     * pass the max.  One that starts at the max or past it could carry
     * nothing, and the meter has no cap of 0 bytes: refused now.
     */
    if (offset >= max) {
        return lr_upload_over(r, p, tus, (offset > max) ? offset : -1);
    }
    lr_meter_cap(r, p->mode, max - offset);
    return DECLINED;
}
