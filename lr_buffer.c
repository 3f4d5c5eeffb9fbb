/*
 * lr_buffer.c: LengthRequiredChunked Buffer: a request body that does not
 * declare its length is read whole, to a bound, after authorization and
 * before the handler, and handed on as if the client had declared it.
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
 * The decision is the judge's, at header_parser, and the main file records
 * it here with lr_buffer_want().  The reading is lr_buffer_read()'s, in
 * fixups, when authentication, authorization and mod_dir's DirectoryIndex
 * redirect are behind us.  Up to LengthRequiredBufferMemory bytes are kept
 * in memory, the rest goes to a temporary file that is unlinked the moment
 * it is created, so that no name is ever left behind, whatever happens to
 * the request or the process.  The spool filter then serves exactly those
 * bytes, once, to whichever request_rec of the chain of internal redirects
 * reads them.
 */

#include "apr_file_io.h"

#include "lr_features.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "unixd.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

ap_filter_rec_t *lr_spool_filter_handle;

/* Default LengthRequiredBufferMemory. */
#define LR_BUFFER_MEMORY    (128 * 1024)

/* How much one read asks for, and the size of the buffer that gathers
 * small chunks before they are written to the file (a client sending
 * one-byte chunks must not cost one write each).
 */
#define LR_READ_SIZE        (64 * 1024)
#define LR_WRITE_SIZE       (64 * 1024)

typedef enum {
    LR_BUF_WANTED = 0,          /* header_parser asked for it */
    LR_BUF_FAILED,              /* refused or failed while reading */
    LR_BUF_DONE                 /* read; the spool filter serves it */
} lr_buffer_state_e;

/* One request body to buffer, shared like lr_body along the chain of
 * internal redirects.
 */
struct lr_buffer {
    lr_buffer_state_e state;
    lr_mode_e mode;             /* On refuses past the bound, LogOnly logs */
    apr_off_t bound;            /* smallest of the scopes that asked */
    int saved_keepalive;        /* c->keepalive before header_parser */
    int set_linger;             /* we added the short-linger note */
    apr_off_t length;           /* bytes read so far */
    apr_off_t in_file;          /* of which in the temporary file */
    int pass_on;                /* LogOnly past the bound: the rest of the
                                 * body streams on from the client */
    int whole;                  /* read to its end within the bound */
    apr_bucket_brigade *spool;  /* what is still to be served */
};

/* Records that r's body is to be buffered up to bound bytes, by the
 * scope that judged it in mode.
 *
 * Until fixups reads the body, the connection is marked to close: if
 * authentication or authorization refuse the request (401, 403) or
 * anything else stops it before the handler, httpd then answers at once
 * instead of reading and discarding the body first (ap_discard_request_
 * body does nothing on a closing connection), so an anonymous client
 * costs no body read.  lr_buffer_read() takes the mark back.
 */
void lr_buffer_want(request_rec *r, lr_mode_e mode, apr_off_t bound)
{
    lr_body *body = lr_body_get(r);
    struct lr_buffer *b = body->buffer;
    conn_rec *c = r->connection;

    if (b) {
        /* Another scope of the same request: the smaller bound and the
         * stricter mode hold.
         */
        if (bound < b->bound) {
            b->bound = bound;
        }
        if (mode > b->mode) {
            b->mode = mode;
        }
        return;
    }
    b = apr_pcalloc(r->pool, sizeof(*b));
    b->state = LR_BUF_WANTED;
    b->mode = mode;
    b->bound = bound;
    b->saved_keepalive = c->keepalive;
    c->keepalive = AP_CONN_CLOSE;
    if (!apr_table_get(c->notes, LR_SHORT_LINGER)) {
        apr_table_setn(c->notes, LR_SHORT_LINGER, "1");
        b->set_linger = 1;
    }
    body->buffer = b;
}

/* The directory for temporary files: LengthRequiredBufferDir or APR's. */
static const char *lr_buffer_dir(request_rec *r)
{
    const lr_srv_conf *sconf = ap_get_module_config(r->server->module_config,
                                                    &length_required_module);
    const char *dir = NULL;

    if (sconf->buffer_dir) {
        return sconf->buffer_dir;
    }
    if (apr_temp_dir_get(&dir, r->pool) != APR_SUCCESS) {
        return NULL;
    }
    return dir;
}

/* The temporary file, created 0600 (mkstemp's mode) and unlinked at once:
 * the open descriptor is all that keeps the data, so the kernel frees it
 * when the request's pool closes the file or the process dies, however.
 * Not APR_FOPEN_DELONCLOSE: that would unlink the name again at close,
 * which by then may be another process's file.
 */
static apr_status_t lr_spool_file(request_rec *r, apr_file_t **file,
                                  const char **dir)
{
    char *template;
    const char *name;
    apr_status_t rv;

    if (!(*dir = lr_buffer_dir(r))) {
        *dir = "(APR's temporary directory)";
        return APR_ENOENT;
    }
    rv = apr_filepath_merge(&template, *dir, "lr-body.XXXXXX",
                            APR_FILEPATH_NATIVE, r->pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_mktemp(file, template, APR_FOPEN_CREATE | APR_FOPEN_READ
                         | APR_FOPEN_WRITE | APR_FOPEN_EXCL, r->pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (apr_file_name_get(&name, *file) == APR_SUCCESS) {
        rv = apr_file_remove(name, r->pool);
    }
    if (rv != APR_SUCCESS) {
        apr_file_close(*file);
    }
    return rv;
}

/* What one read of the buffering loop works with. */
typedef struct {
    request_rec *r;
    struct lr_buffer *b;
    apr_off_t memory;           /* LengthRequiredBufferMemory */
    apr_bucket_brigade *mem;    /* the bytes held in memory */
    apr_file_t *file;           /* the rest, or NULL so far */
    const char *dir;
    char *wbuf;                 /* gathers bytes for the file */
    apr_size_t wlen;
} lr_spooler;

static int lr_spool_failed(lr_spooler *sp, apr_status_t rv, const char *what)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, sp->r,
                  "LR00032: cannot %s the temporary file for the body of "
                  "%s %s in %s; answering 500", what, sp->r->method,
                  sp->r->uri, sp->dir ? sp->dir : "(none)");
    return HTTP_INTERNAL_SERVER_ERROR;
}

static int lr_spool_flush(lr_spooler *sp)
{
    apr_status_t rv;

    if (!sp->wlen) {
        return OK;
    }
    rv = apr_file_write_full(sp->file, sp->wbuf, sp->wlen, NULL);
    if (rv != APR_SUCCESS) {
        return lr_spool_failed(sp, rv, "write");
    }
    sp->wlen = 0;
    return OK;
}

/* Keeps len bytes of the body: in memory while there is room, then in
 * the file.  apr_brigade_write copies into buckets of its own, so a
 * client's tiny chunks do not each pin a read buffer of their own.
 */
static int lr_spool_write(lr_spooler *sp, const char *data, apr_size_t len)
{
    struct lr_buffer *b = sp->b;
    apr_size_t n;
    apr_status_t rv;
    int status;

    if (b->length - b->in_file < sp->memory) {
        n = len;
        if ((apr_off_t)n > sp->memory - (b->length - b->in_file)) {
            n = (apr_size_t)(sp->memory - (b->length - b->in_file));
        }
        rv = apr_brigade_write(sp->mem, NULL, NULL, data, n);
        if (rv != APR_SUCCESS) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        b->length += n;
        data += n;
        len -= n;
    }
    if (!len) {
        return OK;
    }
    if (!sp->file) {
        rv = lr_spool_file(sp->r, &sp->file, &sp->dir);
        if (rv != APR_SUCCESS) {
            return lr_spool_failed(sp, rv, "create");
        }
        sp->wbuf = apr_palloc(sp->r->pool, LR_WRITE_SIZE);
    }
    while (len) {
        n = LR_WRITE_SIZE - sp->wlen;
        if (n > len) {
            n = len;
        }
        memcpy(sp->wbuf + sp->wlen, data, n);
        sp->wlen += n;
        b->length += n;
        b->in_file += n;
        data += n;
        len -= n;
        if (sp->wlen == LR_WRITE_SIZE && (status = lr_spool_flush(sp)) != OK) {
            return status;
        }
    }
    return OK;
}

/* The body could not be read whole: the status httpd gives for the
 * failure: 400 for a client that went away or sent bad framing, 408 for
 * a timeout, 413 for core's LimitRequestBody.
 */
static int lr_read_failed(request_rec *r, lr_body *body, apr_status_t rv)
{
    int status = ap_map_http_request_error(rv, HTTP_BAD_REQUEST);

    if (body->status) {
        /* Refused by the streamed-body cap of another scope. */
        return body->status;
    }
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE
        && body->buffer->mode == LR_MODE_ON) {
        return lr_refuse(r, LR_REASON_BUFFERED, -1, ap_get_limit_req_body(r),
                         NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r,
                  "LR00031: reading the body of %s %s from %s to buffer it "
                  "failed after %" APR_OFF_T_FMT " bytes; answering %d",
                  r->method, r->uri, r->useragent_ip, body->buffer->length,
                  status);
    return status;
}

/* The spool in order: memory, then the file, then (LogOnly past the
 * bound) what was read with the bucket that passed it.
 */
static int lr_spool_finish(lr_spooler *sp, apr_bucket_brigade *tail)
{
    struct lr_buffer *b = sp->b;
    apr_bucket *e;
    int status;

    b->spool = sp->mem;
    if (sp->file) {
        if ((status = lr_spool_flush(sp)) != OK) {
            return status;
        }
        e = apr_brigade_insert_file(b->spool, sp->file, 0, b->in_file,
                                    sp->r->pool);
        /* Read in small pieces, not mapped: the mapped pages of a large
         * body would count against the process as memory.
         */
        for (; e != APR_BRIGADE_SENTINEL(b->spool); e = APR_BUCKET_NEXT(e)) {
            if (APR_BUCKET_IS_FILE(e)) {
                apr_bucket_file_enable_mmap(e, 0);
            }
        }
    }
    if (tail) {
        APR_BRIGADE_CONCAT(b->spool, tail);
    }
    return OK;
}

/* Gives back the connection's keep-alive state that lr_buffer_want()
 * took: authorization has passed and the body is about to be read.
 */
static void lr_buffer_resume(request_rec *r, struct lr_buffer *b)
{
    conn_rec *c = r->connection;

    if (c->keepalive == AP_CONN_CLOSE) {
        c->keepalive = b->saved_keepalive;
    }
    if (b->set_linger) {
        apr_table_unset(c->notes, LR_SHORT_LINGER);
        b->set_linger = 0;
    }
}

/* The reading loop: the body into the spooler, to its end or past the
 * bound.  Returns OK, or the status to answer with.  *tail is set, LogOnly
 * past the bound, to what was read with the bucket that passed it.
 *
 * The first blocking read is where HTTP_IN sends 100 Continue to a client
 * that asked for it: now, with the policy and authorization passed.
 */
static int lr_spool_read(request_rec *r, lr_body *body, lr_spooler *sp,
                         apr_bucket_brigade **tail)
{
    struct lr_buffer *b = body->buffer;
    apr_bucket_brigade *bb;
    int status;

    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    for (;;) {
        apr_bucket *e;
        apr_status_t rv = ap_get_brigade(r->input_filters, bb,
                                         AP_MODE_READBYTES, APR_BLOCK_READ,
                                         LR_READ_SIZE);
        if (rv != APR_SUCCESS) {
            apr_brigade_cleanup(bb);
            return lr_read_failed(r, body, rv);
        }
        while ((e = APR_BRIGADE_FIRST(bb)) != APR_BRIGADE_SENTINEL(bb)) {
            const char *data;
            apr_size_t len;

            if (APR_BUCKET_IS_EOS(e)) {
                apr_brigade_cleanup(bb);
                return OK;
            }
            if (APR_BUCKET_IS_METADATA(e)) {
                apr_bucket_delete(e);
                continue;
            }
            rv = apr_bucket_read(e, &data, &len, APR_BLOCK_READ);
            if (rv != APR_SUCCESS) {
                apr_brigade_cleanup(bb);
                return lr_read_failed(r, body, rv);
            }
            if (b->length + (apr_off_t)len > b->bound) {
                if (b->mode == LR_MODE_ON) {
                    apr_brigade_cleanup(bb);
                    return lr_refuse(r, LR_REASON_BUFFERED, -1, b->bound,
                                     NULL);
                }
                /* LogOnly: what is read so far is handed on, and the rest
                 * of the body after it, unbuffered, as it comes.
                 */
                lr_would_refuse(r, LR_REASON_BUFFERED, -1, b->bound);
                *tail = apr_brigade_create(r->pool,
                                           r->connection->bucket_alloc);
                if (ap_save_brigade(NULL, tail, &bb, r->pool)
                    != APR_SUCCESS) {
                    return HTTP_INTERNAL_SERVER_ERROR;
                }
                /* With an EOS in it, the body is complete. */
                e = APR_BRIGADE_LAST(*tail);
                b->pass_on = (e == APR_BRIGADE_SENTINEL(*tail)
                              || !APR_BUCKET_IS_EOS(e));
                if (!b->pass_on) {
                    apr_bucket_delete(e);
                }
                return OK;
            }
            if ((status = lr_spool_write(sp, data, len)) != OK) {
                apr_brigade_cleanup(bb);
                return status;
            }
            apr_bucket_delete(e);
        }
    }
}

/* Reads the body that lr_buffer_want() asked for, from fixups: after
 * authentication and authorization, after mod_dir's DirectoryIndex
 * redirect, before the handler.  Returns OK (nothing to do, or the body is
 * buffered, *length bytes of it, -1 if not whole), or the status to answer
 * with: 413 past the bound (On), 400/408 for a client that aborts or
 * stalls, 500 for a spool error.  The handler never runs with a partial
 * body.  Safe to call for any request.
 */
int lr_buffer_read(request_rec *r, lr_body *body, apr_off_t *length,
                   lr_mode_e *mode)
{
    struct lr_buffer *b = body->buffer;
    lr_spooler sp;
    apr_bucket_brigade *tail = NULL;
    const lr_srv_conf *sconf;
    int status;

    *length = -1;
    *mode = LR_MODE_OFF;
    if (!b || b->state != LR_BUF_WANTED || body->status) {
        return OK;
    }
    *mode = b->mode;
    lr_buffer_resume(r, b);
    sconf = ap_get_module_config(r->server->module_config,
                                 &length_required_module);
    memset(&sp, 0, sizeof(sp));
    sp.r = r;
    sp.b = b;
    sp.memory = (sconf->buffer_memory >= 0) ? sconf->buffer_memory
                                            : LR_BUFFER_MEMORY;
    sp.mem = apr_brigade_create(r->pool, r->connection->bucket_alloc);

    status = lr_spool_read(r, body, &sp, &tail);
    if (status == OK) {
        status = lr_spool_finish(&sp, tail);
    }
    if (status != OK) {
        /* The rest of the body is unread: the connection cannot be kept.
         * The file's space goes back now, not at the end of the request.
         */
        b->state = LR_BUF_FAILED;
        r->connection->keepalive = AP_CONN_CLOSE;
        if (sp.file) {
            apr_file_close(sp.file);
        }
        apr_brigade_cleanup(sp.mem);
        return status;
    }
    b->state = LR_BUF_DONE;
    b->whole = !tail;
    *length = b->whole ? b->length : -1;
    return OK;
}

/* A body read whole is handed on as if the client had declared it; one
 * LogOnly let past the bound goes on as it is.
 */
void lr_buffer_hand_on(request_rec *r, lr_body *body)
{
    struct lr_buffer *b = body->buffer;

    if (!b || b->state != LR_BUF_DONE) {
        return;
    }
    if (b->whole) {
        apr_table_unset(r->headers_in, "Transfer-Encoding");
        apr_table_setn(r->headers_in, "Content-Length",
                       apr_off_t_toa(r->pool, b->length));
        apr_table_setn(r->notes, LR_NOTE, "buffered");
        lr_count(r, LR_C_BUFFERED);
        if (b->in_file) {
            lr_count(r, LR_C_BUFFERED_FILE);
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "LR00033: buffered %" APR_OFF_T_FMT " bytes of the body of "
                  "%s %s (%" APR_OFF_T_FMT " in a temporary file)%s",
                  b->length, r->method, r->uri, b->in_file,
                  b->whole ? "" : (b->pass_on ? "; the rest streams on "
                                                "unbuffered"
                                              : "; over the bound, handed "
                                                "on as is"));
    lr_buffer_attach(r, body);
}

/* A body read whole but refused after all (an upload budget is spent):
 * its memory and file go back now.
 */
void lr_buffer_drop(request_rec *r, lr_body *body)
{
    struct lr_buffer *b = body->buffer;

    if (b && b->state == LR_BUF_DONE) {
        b->state = LR_BUF_FAILED;
        apr_brigade_cleanup(b->spool);
    }
}

/* Puts the spool filter on r, for a body already buffered: on the request
 * that buffered it, and on every internal redirect of it (httpd keeps
 * only the protocol filters across a redirect).
 */
void lr_buffer_attach(request_rec *r, lr_body *body)
{
    if (body && body->buffer && body->buffer->state == LR_BUF_DONE) {
        ap_add_input_filter_handle(lr_spool_filter_handle, body->buffer, r,
                                   r->connection);
    }
}

/* Serves the buffered body, once, then end-of-body; or, LogOnly past the
 * bound, what was buffered and then the rest from below.  It sits above
 * the streamed-body counter (its type is one lower), so the bytes are
 * never counted twice.
 */
apr_status_t lr_spool_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                             ap_input_mode_t mode, apr_read_type_e block,
                             apr_off_t readbytes)
{
    struct lr_buffer *b = f->ctx;
    apr_bucket *e, *after;
    apr_status_t rv;

    if (mode == AP_MODE_INIT || mode == AP_MODE_EATCRLF
        || (APR_BRIGADE_EMPTY(b->spool) && b->pass_on)) {
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    if (APR_BRIGADE_EMPTY(b->spool)) {
        /* Served: end-of-body for every read after, as HTTP_IN does. */
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
        return APR_SUCCESS;
    }
    switch (mode) {
    case AP_MODE_GETLINE:
        rv = apr_brigade_split_line(bb, b->spool, block, HUGE_STRING_LEN);
        break;
    case AP_MODE_EXHAUSTIVE:
        APR_BRIGADE_CONCAT(bb, b->spool);
        rv = APR_SUCCESS;
        break;
    case AP_MODE_SPECULATIVE:
    case AP_MODE_READBYTES:
        rv = apr_brigade_partition(b->spool, readbytes, &after);
        if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
            return rv;
        }
        rv = APR_SUCCESS;
        for (e = APR_BRIGADE_FIRST(b->spool); e != after; ) {
            apr_bucket *next = APR_BUCKET_NEXT(e);

            if (mode == AP_MODE_SPECULATIVE) {
                apr_bucket *copy;

                if ((rv = apr_bucket_copy(e, &copy)) != APR_SUCCESS) {
                    return rv;
                }
                APR_BRIGADE_INSERT_TAIL(bb, copy);
            }
            else {
                APR_BUCKET_REMOVE(e);
                APR_BRIGADE_INSERT_TAIL(bb, e);
            }
            e = next;
        }
        break;
    default:
        return APR_ENOTIMPL;
    }
    /* The last bytes go with end-of-body, as HTTP_IN sends them. */
    if (rv == APR_SUCCESS && mode != AP_MODE_SPECULATIVE
        && APR_BRIGADE_EMPTY(b->spool) && !b->pass_on) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
    }
    return rv;
}

/*
 * Directives (server config and virtual hosts)
 */

const char *lr_cmd_buffer_memory(cmd_parms *cmd, void *dconf,
                                 const char *arg)
{
    lr_srv_conf *sconf = ap_get_module_config(cmd->server->module_config,
                                              &length_required_module);

    if (!lr_parse_size(arg, &sconf->buffer_memory)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid size; use a "
                            "whole number of bytes, optionally followed by "
                            "K, M, G or T (powers of 1024); 0 sends every "
                            "byte to the temporary file", cmd->cmd->name,
                            arg);
    }
    return NULL;
}

/* The directory must exist now, so that apachectl -t reports it; whether
 * the children's user can write it is known only at startup
 * (lr_buffer_post_config).  Relative to ServerRoot, as httpd's paths are.
 */
const char *lr_cmd_buffer_dir(cmd_parms *cmd, void *dconf, const char *arg)
{
    lr_srv_conf *sconf = ap_get_module_config(cmd->server->module_config,
                                              &length_required_module);
    const char *dir = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t fi;

    if (!dir || !*arg) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid path",
                            cmd->cmd->name, arg);
    }
    if (apr_stat(&fi, dir, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || fi.filetype != APR_DIR) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an existing "
                            "directory; name a directory the user the "
                            "children run as can write", cmd->cmd->name, dir);
    }
    sconf->buffer_dir = dir;
    return NULL;
}

/*
 * Startup
 */

/* Whether the children's user may create files in dir.  httpd's parent
 * runs post_config as root and the children as User: as root, the
 * permission bits are checked for that user, its group and its other
 * groups; as anyone else the children run as ourselves, and access()
 * answers.
 */
static int lr_dir_writable(const char *dir)
{
    struct stat st;
    uid_t uid = ap_unixd_config.user_id;
    gid_t groups[64];
    int ngroups = 64, i;

    if (geteuid() != 0) {
        return access(dir, W_OK | X_OK) == 0;
    }
    if (stat(dir, &st) != 0) {
        return 0;
    }
    if (uid == 0) {
        return 1;
    }
    if (st.st_uid == uid) {
        return (st.st_mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR);
    }
    if ((st.st_mode & (S_IWGRP | S_IXGRP)) == (S_IWGRP | S_IXGRP)) {
        if (st.st_gid == ap_unixd_config.group_id) {
            return 1;
        }
        if (ap_unixd_config.user_name
            && getgrouplist(ap_unixd_config.user_name,
                            ap_unixd_config.group_id, groups, &ngroups) >= 0) {
            for (i = 0; i < ngroups; i++) {
                if (groups[i] == st.st_gid) {
                    return 1;
                }
            }
        }
    }
    return (st.st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

/* Every LengthRequiredBufferDir must exist, be a directory and be
 * writable by the children's user; httpd does not start otherwise.
 * (The directive handler checked the first two already, for apachectl
 * -t; this is again at each start, and the only place that knows User.)
 */
int lr_buffer_post_config(apr_pool_t *ptemp, server_rec *s)
{
    server_rec *vs;

    for (vs = s; vs; vs = vs->next) {
        const lr_srv_conf *sconf =
            ap_get_module_config(vs->module_config, &length_required_module);
        apr_finfo_t fi;
        apr_status_t rv;

        if (!sconf->buffer_dir) {
            continue;
        }
        rv = apr_stat(&fi, sconf->buffer_dir, APR_FINFO_TYPE, ptemp);
        if (rv != APR_SUCCESS || fi.filetype != APR_DIR) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, vs,
                         "LR00034: LengthRequiredBufferDir %s is not a "
                         "directory", sconf->buffer_dir);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (!lr_dir_writable(sconf->buffer_dir)) {
            struct passwd *pw = getpwuid(geteuid() ? geteuid()
                                                   : ap_unixd_config.user_id);

            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, vs,
                         "LR00035: LengthRequiredBufferDir %s is not writable "
                         "by the user the children run as (%s)",
                         sconf->buffer_dir, pw ? pw->pw_name : "unknown");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}
