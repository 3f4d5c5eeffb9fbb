/*
 * lr_policy.h: the policy of a scope (lr_policy.c), for the main file
 * that creates and merges it and the features that judge by it.
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

#ifndef LR_POLICY_H
#define LR_POLICY_H

#include "lr_private.h"

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(hidden)
#endif

/* Create and merge. */
void lr_policy_unset(lr_policy *p);
void lr_policy_merge(lr_policy *out, const lr_policy *base,
                     const lr_policy *add);
const lr_tenant *lr_tenant_merge(apr_pool_t *p, const lr_dir_conf *base,
                                 const lr_dir_conf *add);

/* The directives. */
const char *lr_cmd_keyword(cmd_parms *cmd, void *dconf, const char *arg);
const char *lr_cmd_max_body(cmd_parms *cmd, void *dconf, const char *arg);
const char *lr_cmd_upload_max(cmd_parms *cmd, void *dconf, const char *arg);
const char *lr_cmd_methods(cmd_parms *cmd, void *dconf, const char *args);
const char *lr_cmd_htaccess(cmd_parms *cmd, void *dconf, const char *arg);

/* The test every request pays, in line in the request hooks: whether the
 * scope can judge request r (m: the request whose method counts, the one
 * the client sent) at all.  A scope where a .htaccess file set something
 * goes the long way (TightenOnly may turn it on); the others judge when
 * their policy is in force and the method may be listed (a method listed
 * by name only is looked up by lr_policy_for).
 */
#define LR_SCOPE_MAY_JUDGE(conf, m) \
    ((conf)->tenant \
     || ((conf)->policy.mode > LR_MODE_OFF \
         && (((conf)->policy.methods & LR_METHOD_BIT(m)) \
             || (conf)->policy.method_names)))

const lr_policy *lr_policy_slow(request_rec *r, const request_rec *m,
                                const lr_dir_conf *conf);

/* The policy that judges r in the scope conf, or NULL where the scope
 * does not judge it (Off, or the method is not listed): the scope's own
 * in the common case, in line; tightened under TightenOnly.  The method
 * judged is the one the client sent (httpd turns a local ErrorDocument's
 * redirect into a GET, but the body it may still carry is the client's).
 * Nothing is allocated for a request the scope does not judge.
 */
static APR_INLINE const lr_policy *lr_policy_for(request_rec *r,
                                                 const lr_dir_conf *conf)
{
    const request_rec *m = r;
    const lr_policy *p = &conf->policy;

    while (m->prev) {
        m = m->prev;
    }
    if (conf->tenant || p->mode <= LR_MODE_OFF
        || !(p->methods & LR_METHOD_BIT(m))) {
        return lr_policy_slow(r, m, conf);
    }
    return p;
}

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#endif /* LR_POLICY_H */
