/*
 * lr_stats.c: the counters of mod_length_required, in shared memory that
 * every child of every MPM adds to, and their rows in mod_status.
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

#include "apr_atomic.h"
#include "apr_shm.h"

#include "lr_stats.h"
#include "http_main.h"
#include "http_protocol.h"
#include "mod_status.h"

/* Each counter's ?auto key and its column on the status page. */
static const struct {
    const char *key;
    const char *label;
} lr_counter_names[] = {
    [LR_C_JUDGED] = {"LengthRequiredJudged", "Judged"},
    [LR_C_MISSING] = {"LengthRequiredRefusedMissingLength",
                      "411 missing length"},
    [LR_C_CHUNKED] = {"LengthRequiredRefusedChunked", "411 chunked"},
    [LR_C_TOO_LARGE] = {"LengthRequiredRefusedTooLarge", "413 declared"},
    [LR_C_STREAM] = {"LengthRequiredStreamTooLarge", "413 streamed"},
    [LR_C_WOULD] = {"LengthRequiredWouldRefuse", "Would refuse (LogOnly)"},
    [LR_C_STRICT] = {"LengthRequiredRefusedStrict", "Strict framing"},
    [LR_C_STREAM_CUT] = {"LengthRequiredStreamCut",
                         "Streamed body cut, handler answered"},
    [LR_C_BUFFERED] = {"LengthRequiredBuffered", "Buffered"},
    [LR_C_BUFFERED_FILE] = {"LengthRequiredBufferedToFile",
                            "Buffered to a file"},
    [LR_C_QUOTA] = {"LengthRequiredRefusedQuota", "429 quota"},
    [LR_C_QUOTA_STORE] = {"LengthRequiredQuotaStoreErrors",
                          "Quota store errors"},
    [LR_C_UPLOAD_MAX] = {"LengthRequiredRefusedUploadMax",
                         "Upload max (413, 400)"},
    [LR_C_QUOTA_GIVEN_UP] = {"LengthRequiredQuotaStoreGivenUp",
                             "Quota store given up"},
};

/* A counter added to lr_stats.h without its line above stops the build
 * here, as lr_metrics.c's table does.
 */
typedef char lr_counter_names_complete[(sizeof(lr_counter_names)
                                        / sizeof(lr_counter_names[0])
                                        == LR_C_COUNT) ? 1 : -1];

/* One virtual host's counters, found again by its key after a graceful
 * restart.  A slot whose host left the configuration keeps its numbers
 * until a new host needs the room.
 */
#define LR_SLOT_KEY_LEN     256
typedef struct {
    char key[LR_SLOT_KEY_LEN];          /* "ServerName:port", "" if free */
    apr_uint32_t generation;            /* last configuration using it */
    apr_uint64_t count[LR_C_COUNT];
} lr_slot;

typedef struct {
    apr_uint32_t layout;                /* LR_STATS_LAYOUT */
    apr_uint32_t generation;
    apr_uint64_t total[LR_C_COUNT];
    apr_uint64_t gauge[LR_G_COUNT];     /* apr_int64_t values */
    int nslots;
    lr_slot slot[1];                    /* nslots of them */
} lr_shared;

/* The shape of lr_shared.  A graceful restart after an upgrade of the
 * module finds the counters the old build made; a build with other
 * counters or gauges must not read them as its own.
 */
#define LR_STATS_LAYOUT \
    ((apr_uint32_t)(0x4c520000u | (LR_C_COUNT << 8) \
                    | (APR_OFFSETOF(lr_shared, slot) + sizeof(lr_slot)) % 256))

/* Set by the parent in post_config, before the children are forked, and
 * only read after that; the memory it points to is shared.
 */
static lr_shared *lr_stats;

/* The gauges this generation shows (bit g), set the same way. */
static unsigned int lr_gauges_shown;

apr_uint64_t *lr_stats_total;

static const char *lr_server_key(apr_pool_t *p, const server_rec *s)
{
    apr_port_t port = s->port;

    if (!port && s->addrs) {
        port = s->addrs->host_port;
    }
    return apr_psprintf(p, "%s:%u", s->server_hostname ? s->server_hostname
                                                       : "(none)", port);
}

/* The counters are created once per httpd process, in the process pool,
 * so that a graceful restart finds them again; pre_mpm zeroes them on a
 * full (re)start.  Room for the hosts there are and as many again added
 * by later restarts.
 */
static lr_shared *lr_stats_attach(server_rec *s, int nservers)
{
    static const char *const userdata_key = "length_required_shm";
    apr_pool_t *proc = s->process->pool;
    apr_shm_t *shm = NULL;
    apr_size_t size;
    apr_status_t rv;
    lr_shared *stats;

    apr_pool_userdata_get((void **)&shm, userdata_key, proc);
    if (shm) {
        stats = apr_shm_baseaddr_get(shm);
        if (stats->layout == LR_STATS_LAYOUT) {
            return stats;
        }
        /* Made by a build with other counters: start afresh.  Children of
         * the old generation keep their own mapping of it until they go.
         */
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "LR00013: the counters were made by another build of "
                     "the module; counting starts again from zero");
        apr_shm_destroy(shm);
    }
    nservers = 2 * nservers + 16;
    size = APR_OFFSETOF(lr_shared, slot) + nservers * sizeof(lr_slot);
    rv = apr_shm_create(&shm, size, NULL, proc);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "LR00010: cannot create shared memory for the "
                     "counters; the module works but does not count");
        return NULL;
    }
    stats = apr_shm_baseaddr_get(shm);
    memset(stats, 0, size);
    stats->layout = LR_STATS_LAYOUT;
    stats->nslots = nservers;
    apr_pool_userdata_set(shm, userdata_key, apr_pool_cleanup_null, proc);
    return stats;
}

/* The slot of the host with this key, claimed for this generation. */
static int lr_slot_find(const char *key, apr_uint32_t gen)
{
    int i;

    for (i = 0; i < lr_stats->nslots; i++) {
        lr_slot *sl = &lr_stats->slot[i];

        if (sl->key[0] && !strncmp(sl->key, key, LR_SLOT_KEY_LEN - 1)) {
            sl->generation = gen;
            return i;
        }
    }
    return -1;
}

/* A slot no host of this generation uses (free, or left by a host gone
 * from the configuration), given to the key.
 */
static int lr_slot_claim(const char *key, apr_uint32_t gen)
{
    int i;

    for (i = 0; i < lr_stats->nslots; i++) {
        lr_slot *sl = &lr_stats->slot[i];

        if (!sl->key[0] || sl->generation != gen) {
            memset(sl, 0, sizeof(*sl));
            apr_cpystrn(sl->key, key, LR_SLOT_KEY_LEN);
            sl->generation = gen;
            return i;
        }
    }
    return -1;
}

/* Every host first takes back the slot it had, so a graceful restart keeps
 * its figures; only then do new hosts claim slots, so that none takes a
 * slot an existing host is about to take back.  Hosts with the same key
 * share a slot.
 */
int lr_stats_post_config(apr_pool_t *ptemp, server_rec *s)
{
    server_rec *vs;
    apr_uint32_t gen;
    int nservers = 0;

    for (vs = s; vs; vs = vs->next) {
        nservers++;
    }
    lr_stats = lr_stats_attach(s, nservers);
    lr_stats_total = lr_stats ? lr_stats->total : NULL;
    lr_gauges_shown = 0;
    if (!lr_stats) {
        return OK;
    }
    gen = ++lr_stats->generation;

    for (vs = s; vs; vs = vs->next) {
        lr_srv_conf *sconf = ap_get_module_config(vs->module_config,
                                                  &length_required_module);
        sconf->slot = lr_slot_find(lr_server_key(ptemp, vs), gen);
    }
    for (vs = s; vs; vs = vs->next) {
        lr_srv_conf *sconf = ap_get_module_config(vs->module_config,
                                                  &length_required_module);
        const char *key;

        if (sconf->slot >= 0) {
            continue;
        }
        key = lr_server_key(ptemp, vs);
        /* A host earlier in this pass may have claimed the key already. */
        if ((sconf->slot = lr_slot_find(key, gen)) < 0
            && (sconf->slot = lr_slot_claim(key, gen)) < 0) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs,
                         "LR00011: no room left to count %s on its own "
                         "(stop and start httpd to make room); it is "
                         "counted in the totals only", key);
        }
    }
    for (vs = s; vs; vs = vs->next) {
        lr_srv_conf *sconf = ap_get_module_config(vs->module_config,
                                                  &length_required_module);

        sconf->counts = (sconf->slot >= 0) ? lr_stats->slot[sconf->slot].count
                                           : NULL;
    }
    return OK;
}

/* pre_mpm runs at startup and on a full restart, never on a graceful one:
 * the same rule mod_status's own figures follow.
 */
int lr_stats_pre_mpm(apr_pool_t *p, ap_scoreboard_e sb_type)
{
    int i;

    if (lr_stats) {
        memset(lr_stats->total, 0, sizeof(lr_stats->total));
        for (i = 0; i < lr_stats->nslots; i++) {
            memset(lr_stats->slot[i].count, 0,
                   sizeof(lr_stats->slot[i].count));
        }
    }
    return OK;
}

int lr_stats_hosts_start(lr_stats_hosts *it, apr_pool_t *p)
{
    if (!lr_stats) {
        return 0;
    }
    it->pool = p;
    it->next = ap_server_conf;
    it->seen = apr_pcalloc(p, lr_stats->nslots);
    return 1;
}

/* Each slot once: a host whose configuration files turn the policy on is
 * listed even with nothing counted yet (a series that appears only with
 * its first event is no use to a rate or an alert); any other once it has
 * counted something (a policy from .htaccess files, a Strict refusal),
 * judged on the very figures the caller is given.  Hosts with the same
 * key share a slot: it is listed if any of them would be.
 */
const char *lr_stats_hosts_next(lr_stats_hosts *it, apr_uint64_t *count)
{
    while (it->next) {
        const lr_srv_conf *sconf = ap_get_module_config(
            it->next->module_config, &length_required_module);
        lr_slot *sl;
        apr_uint64_t any = 0;
        int c;

        it->next = it->next->next;
        if (sconf->slot < 0 || it->seen[sconf->slot]) {
            continue;
        }
        sl = &lr_stats->slot[sconf->slot];
        for (c = 0; c < LR_C_COUNT; c++) {
            count[c] = apr_atomic_read64(&sl->count[c]);
            any |= count[c];
        }
        if (sconf->active || any) {
            it->seen[sconf->slot] = 1;
            /* A copy: a restart may give the slot to another host. */
            return apr_pstrndup(it->pool, sl->key, LR_SLOT_KEY_LEN - 1);
        }
    }
    return NULL;
}

int lr_stats_totals(apr_uint64_t *count)
{
    int c;

    if (!lr_stats) {
        return 0;
    }
    for (c = 0; c < LR_C_COUNT; c++) {
        count[c] = apr_atomic_read64(&lr_stats->total[c]);
    }
    return 1;
}

/*
 * Gauges
 */

void lr_stats_gauge_show(lr_gauge_e g, apr_int64_t v)
{
    if (lr_stats) {
        lr_gauges_shown |= 1u << g;
        lr_stats_gauge_set(g, v);
    }
}

void lr_stats_gauge_set(lr_gauge_e g, apr_int64_t v)
{
    if (lr_stats) {
        apr_atomic_set64(&lr_stats->gauge[g], (apr_uint64_t)v);
    }
}

int lr_stats_gauge_get(lr_gauge_e g, apr_int64_t *v)
{
    if (!lr_stats || !(lr_gauges_shown & (1u << g))) {
        return 0;
    }
    *v = (apr_int64_t)apr_atomic_read64(&lr_stats->gauge[g]);
    return 1;
}

/*
 * mod_status
 */

/* One row of figures: the totals (key NULL) or one host's.  In the
 * ?auto form a line per counter, "Key: n" or "Key[host:port]: n".
 */
static void lr_status_row(request_rec *r, int flags, const char *key,
                          const apr_uint64_t *count)
{
    int c;

    if (flags & AP_STATUS_SHORT) {
        for (c = 0; c < LR_C_COUNT; c++) {
            ap_rprintf(r, "%s%s%s%s: %" APR_UINT64_T_FMT "\n",
                       lr_counter_names[c].key, key ? "[" : "", key ? key : "",
                       key ? "]" : "", count[c]);
        }
        return;
    }
    ap_rprintf(r, "<tr><td>%s</td>",
               key ? ap_escape_html(r->pool, key) : "<b>All hosts</b>");
    for (c = 0; c < LR_C_COUNT; c++) {
        ap_rprintf(r, "<td>%" APR_UINT64_T_FMT "</td>", count[c]);
    }
    ap_rputs("</tr>\n", r);
}

int lr_status_hook(request_rec *r, int flags)
{
    apr_uint64_t count[LR_C_COUNT];
    lr_stats_hosts it;
    const char *key;
    int c;

    if (!lr_stats_totals(count) || !lr_stats_hosts_start(&it, r->pool)) {
        return OK;
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("<hr />\n<h2>mod_length_required</h2>\n"
                 "<table border=\"1\"><tr><th>Virtual host</th>", r);
        for (c = 0; c < LR_C_COUNT; c++) {
            ap_rprintf(r, "<th>%s</th>", lr_counter_names[c].label);
        }
        ap_rputs("</tr>\n", r);
    }
    lr_status_row(r, flags, NULL, count);
    while ((key = lr_stats_hosts_next(&it, count))) {
        lr_status_row(r, flags, key, count);
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("</table>\n", r);
    }
    return OK;
}
