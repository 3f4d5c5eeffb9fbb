/*
 * lr_private.h: what every file of mod_length_required shares: the
 * module, its log tag, the names operators see, and the configuration
 * (per directory and per virtual host).
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

#ifndef LR_PRIVATE_H
#define LR_PRIVATE_H

#include "apr_strings.h"
#include "apr_lib.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "util_filter.h"

#include "lr_util.h"

/* Every file logs as the module, so "LogLevel length_required:info"
 * applies to all of them.
 */
APLOG_USE_MODULE(length_required);

extern module AP_MODULE_DECLARE_DATA length_required_module;

/* Everything below is shared between the module's own files only: hidden
 * from the .so's dynamic symbols, so that calls and data between the files
 * are direct rather than through the PLT and GOT (httpd finds the module
 * by the one symbol above).
 */
#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(hidden)
#endif

/* For the rare branches of the hooks every request runs: kept out of line,
 * so that the common early return of the hook needs no stack frame.
 */
#if defined(__GNUC__)
#define LR_COLD __attribute__((noinline, cold))
#else
#define LR_COLD
#endif

/* Names operators see: the request note (for %{length-required}n), the
 * environment variable set in LogOnly mode, and the connection note that
 * asks the MPM for its short (2 s) lingering close.
 */
#define LR_NOTE             "length-required"
#define LR_ENV              "LENGTH_REQUIRED_VIOLATION"
#define LR_SHORT_LINGER     "short-lingering-close"

/*
 * The policy of a scope (LengthRequired, LengthRequiredMethods,
 * LengthRequiredChunked, LengthRequiredMaxBody, LengthRequiredErrorFormat,
 * LengthRequiredUploadMax)
 */

typedef enum {
    LR_MODE_UNSET = -1,
    LR_MODE_OFF = 0,            /* the order is the order of strictness */
    LR_MODE_LOGONLY,
    LR_MODE_ON
} lr_mode_e;

typedef enum {
    LR_CHUNKED_UNSET = -1,
    LR_CHUNKED_DENY = 0,
    LR_CHUNKED_ALLOW,
    LR_CHUNKED_BUFFER           /* strictness is Deny > Buffer > Allow,
                                 * not this order (lr_judge.c) */
} lr_chunked_e;

typedef enum {
    LR_FORMAT_UNSET = -1,
    LR_FORMAT_HTML = 0,
    LR_FORMAT_JSON,
    LR_FORMAT_AUTO
} lr_format_e;

typedef enum {
    LR_HTACCESS_UNSET = -1,
    LR_HTACCESS_ANY = 0,
    LR_HTACCESS_TIGHTEN
} lr_htaccess_e;

/* httpd gives HEAD the method number of GET; bit 63 is never a method
 * number (httpd registers methods up to 62), so it stands for HEAD here.
 */
#define LR_BIT(n)           ((apr_uint64_t)1 << (n))
#define LR_BIT_HEAD         LR_BIT(63)

/* Default LengthRequiredMethods: POST PUT PATCH. */
#define LR_DEFAULT_METHODS  (LR_BIT(M_POST) | LR_BIT(M_PUT) | LR_BIT(M_PATCH))

/* The bit of a request's method. */
#define LR_METHOD_BIT(r) \
    (((r)->header_only && (r)->method_number == M_GET) \
     ? LR_BIT_HEAD : LR_BIT((r)->method_number))

/* One complete policy.  Every field may be unset; defaults are applied
 * where a value is read.  methods is what the hot path tests: the listed
 * methods httpd numbers, or the default ones while the list is unset.
 */
typedef struct {
    lr_mode_e mode;                     /* LengthRequired */
    lr_chunked_e chunked;               /* LengthRequiredChunked */
    apr_off_t max_body;                 /* LengthRequiredMaxBody, -1 unset */
    int max_digits;                     /* digits of max_body, 0 none */
    int methods_set;                    /* LengthRequiredMethods seen */
    apr_uint64_t methods;               /* see above */
    apr_array_header_t *method_names;   /* other methods by name, or NULL */
    lr_format_e format;                 /* LengthRequiredErrorFormat */
    apr_off_t upload_max;               /* LengthRequiredUploadMax, -1
                                         * unset, 0 Off */
} lr_policy;

/* The fields of a policy, one per directive. */
typedef enum {
    LR_F_MODE = 0,
    LR_F_CHUNKED,
    LR_F_MAX_BODY,
    LR_F_METHODS,
    LR_F_FORMAT,
    LR_F_UPLOAD_MAX,
    LR_F_COUNT
} lr_field_e;

/* What .htaccess files set in a scope, for LengthRequiredHtaccess
 * TightenOnly: the policy of the configuration files alone, and the
 * .htaccess file that set each field of the merged one.  Allocated only
 * where a .htaccess file sets something.
 */
typedef struct {
    lr_policy trusted;
    const char *htfile[LR_F_COUNT];
} lr_tenant;

/* A directory's configuration. */
typedef struct {
    lr_policy policy;           /* as httpd merges it, .htaccess included */
    const lr_tenant *tenant;    /* NULL where no .htaccess set a field */
    struct lr_quota_dir *quota; /* LengthRequiredQuota*, or NULL */
} lr_dir_conf;

/* Per virtual host. */
typedef struct {
    lr_htaccess_e htaccess;     /* LengthRequiredHtaccess */
    int strict;                 /* LengthRequiredStrict, -1 unset */
    int active;                 /* the configuration files turn the policy
                                 * On or LogOnly somewhere in this host */
    int slot;                   /* counter slot, -1 none (lr_stats.c) */
    apr_uint64_t *counts;       /* that slot's counters, or NULL */
    apr_off_t buffer_memory;    /* LengthRequiredBufferMemory, -1 unset */
    const char *buffer_dir;     /* LengthRequiredBufferDir, NULL unset */
    struct lr_quota_srv *quota; /* quota store and budgets, or NULL */
} lr_srv_conf;

/* Whether a directive is being read from a .htaccess file. */
#define LR_IN_HTACCESS(cmd) ((cmd)->pool == (cmd)->temp_pool)

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#endif /* LR_PRIVATE_H */
