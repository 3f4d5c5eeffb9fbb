/*
 * lr_strict.c: LengthRequiredStrict, which refuses the request-framing
 * ambiguities httpd core lets through (request-smuggling ingredients).
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
 * Core deletes a Content-Length sent together with Transfer-Encoding
 * before any request hook runs, and joins repeated and folded header
 * lines, so a connection input filter notes the framing header lines as
 * the head is read; the verdict is given in post_read_request, once the
 * virtual host is known.
 */

#include "lr_features.h"
#include "http_connection.h"
#include "http_protocol.h"

ap_filter_rec_t *lr_framing_filter_handle;

/* LengthRequiredStrict On|Off, per virtual host.  Where no host has it
 * On, the main file does not register this file's hooks at all.
 */
const char *lr_cmd_strict(cmd_parms *cmd, void *dconf, int flag)
{
    lr_srv_conf *sconf = ap_get_module_config(cmd->server->module_config,
                                              &length_required_module);

    sconf->strict = flag;
    return NULL;
}

/* Connection input filter: while a request head is being read (GETLINE
 * reads between pre_read_request and the empty line), note the framing
 * header lines.  Everything else, the body included, passes untouched.
 */
apr_status_t lr_framing_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                               ap_input_mode_t mode, apr_read_type_e block,
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

/* A framing filter on the client connections (this hook is registered
 * only where some server has LengthRequiredStrict On): the name-based
 * virtual host is not known until the head has been read.  Never on
 * HTTP/2 streams (their connections have a master) and never on
 * mod_proxy's connections to its backends (proxy_util.c runs this hook on
 * them too; they carry responses, not requests).
 */
int lr_strict_pre_connection(conn_rec *c, void *csd)
{
    lr_framing *fr;

    if (c->master || c->outgoing) {
        return OK;
    }
    fr = apr_pcalloc(c->pool, sizeof(*fr));
    ap_set_module_config(c->conn_config, &length_required_module, fr);
    ap_add_input_filter_handle(lr_framing_filter_handle, fr, NULL, c);
    return OK;
}

/* Every request head starts here (ap_read_request), so this is where the
 * framing notes of the previous request on the connection are forgotten.
 */
void lr_strict_pre_read_request(request_rec *r, conn_rec *c)
{
    lr_framing *fr = ap_get_module_config(c->conn_config,
                                          &length_required_module);

    if (fr) {
        memset(fr, 0, sizeof(*fr));
        fr->in_head = 1;
    }
}

/* The refusal for each verdict of lr_te_check(). */
static const lr_reason_e lr_te_reason[] = {
    LR_REASON_NONE, LR_REASON_TE_UNKNOWN, LR_REASON_TE_MALFORMED,
    LR_REASON_TE_REPEATED
};

/* What the head's framing lines say is wrong with it, if anything, and
 * in what words for the log.
 */
static lr_reason_e lr_framing_verdict(const lr_framing *fr, request_rec *r,
                                      const char **what)
{
    lr_reason_e reason = LR_REASON_NONE;
    const char *te;

    if (fr->te_lines == 0 && !fr->te_folded) {
        return LR_REASON_NONE;
    }
    if (fr->cl_lines) {
        reason = LR_REASON_CL_TE;
    }
    else if (r->proto_num < HTTP_VERSION(1, 1)) {
        reason = LR_REASON_TE_HTTP10;
    }
    else if (fr->te_lines > 1) {
        reason = LR_REASON_TE_REPEATED;
    }
    else if (fr->te_folded) {
        reason = LR_REASON_TE_FOLDED;
    }
    else if ((te = apr_table_get(r->headers_in, "Transfer-Encoding"))
             && (reason = lr_te_reason[lr_te_check(te)]) != LR_REASON_NONE) {
        *what = apr_pstrcat(r->pool, "Transfer-Encoding '", te, "'", NULL);
        return reason;
    }
    *what = lr_reasons[reason].what;
    return reason;
}

/* The verdict on the framing of an HTTP/1.x request, in post_read_request:
 * the first hook after the head is read, and the virtual host is known.
 * HTTP/2 requests never get here with notes: their connections carry no
 * framing filter, and the chunked coding mod_http2 adds is its own.
 */
int lr_strict_post_read_request(request_rec *r)
{
    lr_framing *fr;
    const lr_srv_conf *sconf;
    const char *what = NULL;
    lr_reason_e reason;

    if (r->prev || r->main) {
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
    if (sconf->strict != 1
        || (reason = lr_framing_verdict(fr, r, &what)) == LR_REASON_NONE) {
        return DECLINED;
    }
    return lr_refuse(r, reason, -1, 0, what);
}
