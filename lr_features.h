/*
 * lr_features.h: what each feature of mod_length_required offers the main
 * file: its directive handlers, its hooks and filters, and the calls the
 * main file's request hooks make in turn.  Features never call each other;
 * what one needs of another is the main file's to pass along.
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

#ifndef LR_FEATURES_H
#define LR_FEATURES_H

#include "lr_policy.h"
#include "lr_request.h"

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(hidden)
#endif

/*
 * lr_judge.c: the 411/413 decision
 */

/* What a scope decided about a body it let through. */
typedef enum {
    LR_BODY_PASSED = 0,         /* nothing more to do */
    LR_BODY_DECLARED,           /* Content-Length: length bytes */
    LR_BODY_STREAMED,           /* no declared length, taken as it comes */
    LR_BODY_BUFFER              /* no declared length, to be read whole,
                                 * up to length bytes, in fixups */
} lr_body_kind;

/* A scope's verdict: small enough to come back in two registers, so that
 * the path of every judged request keeps nothing on the stack.
 */
typedef struct {
    int status;                 /* of a refusal, or DECLINED */
    unsigned char kind;         /* lr_body_kind, with DECLINED */
    signed char mode;           /* lr_mode_e of the scope: On or LogOnly */
    apr_off_t length;
} lr_verdict;

/* Judges r under the policy p (lr_policy_for) from its headers alone: the
 * status of a refusal, or DECLINED and what became of the body.
 * want_length: the caller needs the declared length even where no cap
 * asks for it (the scope has budgets).
 */
lr_verdict lr_judge(request_rec *r, const lr_policy *p, int want_length);

/*
 * lr_upload.c: LengthRequiredUploadMax, the total of a resumable upload
 */

/* Judges r, whose body a scope's policy p let through, against
 * p->upload_max (> 0) if it is part of a resumable upload: DECLINED, or
 * the status to refuse with (413 past the max, 400 for a malformed
 * field).  An append of unknown length goes on the meter, cut where the
 * upload would pass the max.
 */
int lr_upload_judge(request_rec *r, const lr_policy *p);

/*
 * lr_strict.c: LengthRequiredStrict
 */
extern ap_filter_rec_t *lr_framing_filter_handle;
const char *lr_cmd_strict(cmd_parms *cmd, void *dconf, int flag);
int lr_strict_pre_connection(conn_rec *c, void *csd);
void lr_strict_pre_read_request(request_rec *r, conn_rec *c);
int lr_strict_post_read_request(request_rec *r);
apr_status_t lr_framing_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                               ap_input_mode_t mode, apr_read_type_e block,
                               apr_off_t readbytes);

/*
 * lr_errbody.c: JSON bodies for the module's error responses
 */
extern ap_filter_rec_t *lr_json_filter_handle;
void lr_insert_error_filter(request_rec *r);
apr_status_t lr_json_filter(ap_filter_t *f, apr_bucket_brigade *bb);

/*
 * lr_buffer.c: LengthRequiredChunked Buffer: a body without a declared
 * length read whole, to a bound, before the handler runs
 */
extern ap_filter_rec_t *lr_spool_filter_handle;
const char *lr_cmd_buffer_memory(cmd_parms *cmd, void *dconf,
                                 const char *arg);
const char *lr_cmd_buffer_dir(cmd_parms *cmd, void *dconf, const char *arg);
int lr_buffer_post_config(apr_pool_t *ptemp, server_rec *s);
/* header_parser: r's body is to be buffered up to bound bytes. */
void lr_buffer_want(request_rec *r, lr_mode_e mode, apr_off_t bound);
/* fixups: reads the body asked for; OK, or the status to answer with.
 * *length is then the length of a body read whole, or -1, and *mode the
 * mode it was buffered under.
 */
int lr_buffer_read(request_rec *r, lr_body *body, apr_off_t *length,
                   lr_mode_e *mode);
/* After lr_buffer_read(): hands the body on to the handler (with its
 * Content-Length if it was read whole), or drops it (refused).
 */
void lr_buffer_hand_on(request_rec *r, lr_body *body);
void lr_buffer_drop(request_rec *r, lr_body *body);
/* An internal redirect of a request whose body is buffered reads it too. */
void lr_buffer_attach(request_rec *r, lr_body *body);
apr_status_t lr_spool_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                             ap_input_mode_t mode, apr_read_type_e block,
                             apr_off_t readbytes);

/*
 * lr_quota_conf.c, lr_quota.c, lr_quota_store.c: upload quotas
 */
struct lr_quota_dir *lr_quota_merge(apr_pool_t *p,
                                    const struct lr_quota_dir *base,
                                    const struct lr_quota_dir *add);
const char *lr_cmd_quota(cmd_parms *cmd, void *dconf, const char *args);
const char *lr_cmd_quota_headers(cmd_parms *cmd, void *dconf, int flag);
/* The store's directives (lr_quota_store.c). */
const char *lr_cmd_quota_store(cmd_parms *cmd, void *dconf,
                               const char *args);
const char *lr_cmd_quota_entries(cmd_parms *cmd, void *dconf,
                                 const char *arg);
int lr_quota_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s);
int lr_quota_post_config(apr_pool_t *pconf, server_rec *s);
void lr_quota_child_init(apr_pool_t *pchild, server_rec *s);
/* Charges the budgets of the scope qd with a body of declared bytes (-1:
 * no declared length, charged as it arrives).  DECLINED, or the status to
 * refuse with.
 */
int lr_quota_charge(request_rec *r, const struct lr_quota_dir *qd,
                    lr_mode_e mode, apr_off_t declared);
/* ... with a body LengthRequiredChunked Buffer has read whole. */
int lr_quota_charge_buffered(request_rec *r, const struct lr_quota_dir *qd,
                             lr_mode_e mode, apr_off_t length);
/* fixups: the budgets keyed on the user, and from here on what arrives
 * stays charged.  DECLINED, or the status to refuse with.
 */
int lr_quota_fixups(request_rec *r, lr_body *body);

/*
 * lr_metrics.c: the counters in Prometheus' text exposition format
 */
/* The handler hook: serves "SetHandler length-required-metrics" and
 * declines everything else with one comparison.
 */
int lr_metrics_handler(request_rec *r);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#endif /* LR_FEATURES_H */
