/*
 * lr_qstore_shm.c: the quota store of one machine: a table in shared
 * memory that every child of every generation charges under one lock kept
 * in the table itself, with keys placed by a keyed hash.
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

#include "apr_shm.h"

#include <errno.h>
#include <pthread.h>

#include "lr_qstore.h"

#define LR_SHM_PROBE        16      /* slots a key may live in */
#define LR_SHM_DEFAULT      10000   /* LengthRequiredQuotaEntries */

/* One budget's window for one key.  Store keys are at most 4 + 64 + 1 +
 * 7 + 1 + 19 + 2 + 48 bytes (lr_quota.c); longer ones are refused.  An
 * entry is free when its count is 0 (nothing charged, nothing reserved)
 * or its window has ended.
 */
#define LR_SHM_KEY_MAX      144
typedef struct {
    apr_uint64_t hash;          /* of the key, compared before the key */
    apr_int64_t expires;        /* Unix seconds: now + the window's ttl */
    apr_int64_t used;           /* bytes charged, > 0 while in use */
    char key[LR_SHM_KEY_MAX];
} lr_qentry;

/* The table, whole in one segment: the lock and the hash key live with
 * the entries, so that every process that sees the table uses the same
 * lock and places keys the same way, whichever generation made it.
 */
typedef struct {
    apr_uint32_t layout;        /* LR_SHM_LAYOUT */
    apr_uint32_t last_full_log; /* second of the last LR00047 line */
    apr_uint64_t nentries;
    apr_uint64_t sipkey[2];     /* drawn when the table is first made */
    pthread_mutex_t lock;       /* process-shared and robust */
    lr_qentry entry[1];         /* nentries of them */
} lr_qtable;

#define LR_SHM_LAYOUT \
    ((apr_uint32_t)(0x4c515500u | (sizeof(lr_qentry) & 0xff)))

/* Set in post_config (the parent, before forking), read afterwards; the
 * table is shared memory.
 */
static lr_qtable *lr_shm;
static const lr_quota_srv *lr_shm_store;
static apr_uint32_t lr_shm_last_log;    /* of this process's own lines */

/*
 * The keyed placement: SipHash-1-3 (Aumasson and Bernstein, "SipHash: a
 * fast short-input PRF", 2012, with one compression and three
 * finalization rounds, the variant hash tables use where 2-4's margin is
 * more than flooding needs), written from the paper.  Without the key a
 * client cannot choose key values that land on another key's slots.  (The
 * layout number above names the hash too: a table made with another one
 * is not taken over at a graceful restart.)  APR-util's apr_siphash(...,
 * 1, 3) gives the same values, but with its rounds counted at run time,
 * behind a call into libaprutil, it cost a charge 45 instructions more
 * (bench/callgrind, the same tree otherwise: +1,515 against this one's
 * +1,470), past the +1,500 a charge may cost.
 */

#define LR_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

#define LR_SIPROUND(v0, v1, v2, v3) do {                            \
    v0 += v1; v1 = LR_ROTL(v1, 13); v1 ^= v0; v0 = LR_ROTL(v0, 32); \
    v2 += v3; v3 = LR_ROTL(v3, 16); v3 ^= v2;                       \
    v0 += v3; v3 = LR_ROTL(v3, 21); v3 ^= v0;                       \
    v2 += v1; v1 = LR_ROTL(v1, 17); v1 ^= v2; v2 = LR_ROTL(v2, 32); \
} while (0)

/* The 64-bit little-endian word at p. */
static APR_INLINE apr_uint64_t lr_le64(const unsigned char *p)
{
    return (apr_uint64_t)p[0] | (apr_uint64_t)p[1] << 8
           | (apr_uint64_t)p[2] << 16 | (apr_uint64_t)p[3] << 24
           | (apr_uint64_t)p[4] << 32 | (apr_uint64_t)p[5] << 40
           | (apr_uint64_t)p[6] << 48 | (apr_uint64_t)p[7] << 56;
}

static apr_uint64_t lr_siphash(const apr_uint64_t k[2], const void *data,
                               apr_size_t len)
{
    const unsigned char *in = data, *end = in + (len & ~(apr_size_t)7);
    apr_uint64_t v0 = k[0] ^ APR_UINT64_C(0x736f6d6570736575);
    apr_uint64_t v1 = k[1] ^ APR_UINT64_C(0x646f72616e646f6d);
    apr_uint64_t v2 = k[0] ^ APR_UINT64_C(0x6c7967656e657261);
    apr_uint64_t v3 = k[1] ^ APR_UINT64_C(0x7465646279746573);
    apr_uint64_t m;
    int left = (int)(len & 7);

    for (; in < end; in += 8) {
        m = lr_le64(in);
        v3 ^= m;
        LR_SIPROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    /* The last 0 to 7 bytes, with the length's low byte on top. */
    m = (apr_uint64_t)(len & 0xff) << 56;
    while (left--) {
        m |= (apr_uint64_t)in[left] << (8 * left);
    }
    v3 ^= m;
    LR_SIPROUND(v0, v1, v2, v3);
    v0 ^= m;
    v2 ^= 0xff;
    LR_SIPROUND(v0, v1, v2, v3);
    LR_SIPROUND(v0, v1, v2, v3);
    LR_SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * The lock
 */

/* A process-shared mutex in the segment, robust: a child that dies
 * holding it (killed in the middle of a charge) does not leave it locked
 * for ever.  What such a child was doing is safe to carry on from: an
 * entry's fields are written so that any prefix of the writes leaves it
 * either as it was or free (lr_shm_claim).
 */
static apr_status_t lr_shm_lock_init(pthread_mutex_t *lock)
{
    pthread_mutexattr_t attr;
    int rc;

    if ((rc = pthread_mutexattr_init(&attr)) != 0) {
        return rc;
    }
    if ((rc = pthread_mutexattr_setpshared(&attr,
                                           PTHREAD_PROCESS_SHARED)) == 0
        && (rc = pthread_mutexattr_setrobust(&attr,
                                             PTHREAD_MUTEX_ROBUST)) == 0) {
        rc = pthread_mutex_init(lock, &attr);
    }
    pthread_mutexattr_destroy(&attr);
    return rc;
}

static apr_status_t lr_shm_lock(lr_qtable *t)
{
    int rc = pthread_mutex_lock(&t->lock);

    if (rc == EOWNERDEAD) {
        rc = pthread_mutex_consistent(&t->lock);
    }
    return rc;
}

/*
 * The table
 */

/* The live entry of key (len bytes, hash h), or NULL; *room is the first
 * free slot among the key's, or NULL when they are all taken.
 */
static lr_qentry *lr_shm_find(lr_qtable *t, const char *key, apr_size_t len,
                              apr_uint64_t h, apr_int64_t now,
                              lr_qentry **room)
{
    apr_uint64_t n = t->nentries, i = h % n;
    int j, probe = (n < LR_SHM_PROBE) ? (int)n : LR_SHM_PROBE;

    *room = NULL;
    for (j = 0; j < probe; j++, i = (i + 1 < n) ? i + 1 : 0) {
        lr_qentry *e = &t->entry[i];

        if (e->used > 0 && e->expires > now) {
            if (e->hash == h && !memcmp(e->key, key, len + 1)) {
                return e;
            }
        }
        else if (!*room) {
            *room = e;
        }
    }
    return NULL;
}

/* A free slot made the key's, with nothing charged yet (so still free
 * until the charge lands, the last write).
 */
static void lr_shm_claim(lr_qentry *e, const char *key, apr_size_t len,
                         apr_uint64_t h, apr_int64_t expires)
{
    e->used = 0;
    e->hash = h;
    e->expires = expires;
    memcpy(e->key, key, len + 1);
}

/* Takes n back from e, never below 0; at 0 the slot is free again. */
static void lr_shm_give_back(lr_qentry *e, apr_off_t n)
{
    e->used -= (n < e->used) ? n : e->used;
}

static void lr_shm_full(request_rec *r, lr_qtable *t)
{
    if (lr_qstore_may_log(&t->last_full_log)) {
        /* Only live windows left where this key may go. */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "LR00047: the quota table is full (%" APR_UINT64_T_FMT
                      " entries, LengthRequiredQuotaEntries): a new key is "
                      "treated as a store error (fail=%s); at most one such "
                      "line per %d s", t->nentries,
                      lr_shm_store->fail_closed ? "closed" : "open",
                      LR_QS_LOG_EVERY);
    }
}

/* All or nothing under the one lock: each op is charged in turn, and
 * when one would pass its size (or finds no room) the ones before it are
 * given back.
 */
static lr_qs_result lr_shm_reserve(request_rec *r, lr_qop *ops, int nops,
                                   int *over)
{
    lr_qtable *t = lr_shm;
    apr_int64_t now = ops[0].now;
    lr_qentry *stack[8], **done = stack, *e, *room;
    lr_qs_result res = LR_QS_OK;
    apr_status_t rv;
    int i;

    if (!t) {
        if (lr_qstore_may_log(&lr_shm_last_log)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LR00045: the quota "
                          "table is missing (see the startup errors)");
        }
        return LR_QS_ERROR;
    }
    if (nops > 8) {
        done = apr_palloc(r->pool, nops * sizeof(*done));
    }
    if ((rv = lr_shm_lock(t)) != APR_SUCCESS) {
        if (lr_qstore_may_log(&lr_shm_last_log)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "LR00046: cannot "
                          "lock the quota table");
        }
        return LR_QS_ERROR;
    }
    for (i = 0; i < nops; i++) {
        apr_size_t len = strlen(ops[i].key);
        apr_uint64_t h = lr_siphash(t->sipkey, ops[i].key, len);

        if (len >= LR_SHM_KEY_MAX) {
            res = LR_QS_ERROR;  /* cannot happen: lr_quota.c builds them */
            break;
        }
        e = lr_shm_find(t, ops[i].key, len, h, now, &room);
        if (!e) {
            if (!room) {
                res = LR_QS_ERROR;
                break;
            }
            e = room;
            lr_shm_claim(e, ops[i].key, len, h, now + ops[i].ttl);
        }
        if (e->used + ops[i].n > ops[i].size) {
            ops[i].used = e->used;
            res = LR_QS_OVER;
            break;
        }
        e->used += ops[i].n;
        ops[i].used = e->used;
        done[i] = e;
    }
    if (res != LR_QS_OK) {
        int j;

        for (j = 0; j < i; j++) {
            lr_shm_give_back(done[j], ops[j].n);
        }
        *over = i;
    }
    pthread_mutex_unlock(&t->lock);
    if (res == LR_QS_ERROR) {
        lr_shm_full(r, t);
    }
    return res;
}

static void lr_shm_refund(request_rec *r, lr_qop *ops, int nops)
{
    lr_qtable *t = lr_shm;
    apr_int64_t now = ops[0].now;
    lr_qentry *e, *room;
    int i;

    if (!t || lr_shm_lock(t) != APR_SUCCESS) {
        return;
    }
    for (i = 0; i < nops; i++) {
        apr_size_t len = strlen(ops[i].key);

        if (len < LR_SHM_KEY_MAX
            && (e = lr_shm_find(t, ops[i].key, len,
                                lr_siphash(t->sipkey, ops[i].key, len), now,
                                &room))) {
            lr_shm_give_back(e, ops[i].n);
        }
    }
    pthread_mutex_unlock(&t->lock);
}

/*
 * Startup
 */

#define LR_SHM_USERDATA     "length_required_quota_table"

/* The live windows of an older table, placed again in a new one of
 * another size (a graceful restart that changed LengthRequiredQuotaEntries).
 * Returns how many found no room.
 */
static apr_uint64_t lr_shm_copy(lr_qtable *to, lr_qtable *from)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_uint64_t i, lost = 0;
    lr_qentry *e, *room;

    for (i = 0; i < from->nentries; i++) {
        const lr_qentry *old = &from->entry[i];
        apr_size_t len;

        if (old->used <= 0 || old->expires <= now) {
            continue;
        }
        len = strlen(old->key);
        e = lr_shm_find(to, old->key, len, old->hash, now, &room);
        if (!e && !room) {
            lost++;
            continue;
        }
        *(e ? e : room) = *old;
    }
    return lost;
}

/* In the process pool, so that budgets survive a graceful restart.  One
 * table at a time: a resize makes the new one, moves the live windows over
 * and lets the old one go (old children keep their mapping of it until
 * they exit); a store other than shm lets it go too.
 */
static apr_status_t lr_shm_init(apr_pool_t *pconf, server_rec *s,
                                const lr_quota_srv *store)
{
    apr_pool_t *proc = s->process->pool;
    apr_uint64_t n = (store && store->entries > 0) ? store->entries
                                                    : LR_SHM_DEFAULT;
    apr_shm_t *shm = NULL, *old_shm = NULL;
    lr_qtable *old = NULL, *t;
    apr_size_t size;
    apr_status_t rv;

    lr_shm = NULL;
    lr_shm_store = store;
    apr_pool_userdata_get((void **)&old_shm, LR_SHM_USERDATA, proc);
    if (old_shm) {
        old = apr_shm_baseaddr_get(old_shm);
        if (store && old->layout == LR_SHM_LAYOUT && old->nentries == n) {
            lr_shm = old;
            return APR_SUCCESS;
        }
        if (old->layout != LR_SHM_LAYOUT) {
            /* Made by another build of the module. */
            old = NULL;
        }
    }
    if (store) {
        size = APR_OFFSETOF(lr_qtable, entry) + n * sizeof(lr_qentry);
        rv = apr_shm_create(&shm, size, NULL, proc);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         "LR00045: cannot create shared memory for %"
                         APR_UINT64_T_FMT " quota entries", n);
            return rv;
        }
        t = apr_shm_baseaddr_get(shm);
        memset(t, 0, size);
        t->layout = LR_SHM_LAYOUT;
        t->nentries = n;
        if ((rv = lr_shm_lock_init(&t->lock)) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         "LR00046: cannot create the quota table's lock");
            apr_shm_destroy(shm);
            return rv;
        }
        if (old) {
            /* The same placement, so that the windows moved over are
             * found where the children will look for them.
             */
            apr_uint64_t lost;

            memcpy(t->sipkey, old->sipkey, sizeof(t->sipkey));
            if (lr_shm_lock(old) == APR_SUCCESS) {
                lost = lr_shm_copy(t, old);
                pthread_mutex_unlock(&old->lock);
                ap_log_error(APLOG_MARK, lost ? APLOG_WARNING : APLOG_INFO,
                             0, s, "LR00053: the quota table now has %"
                             APR_UINT64_T_FMT " entries (it had %"
                             APR_UINT64_T_FMT "); %" APR_UINT64_T_FMT
                             " windows found no room and start again",
                             n, old->nentries, lost);
            }
        }
        else if ((rv = apr_generate_random_bytes(
                      (unsigned char *)t->sipkey, sizeof(t->sipkey)))
                 != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         "LR00045: no random key for the quota table");
            apr_shm_destroy(shm);
            return rv;
        }
        lr_shm = t;
    }
    if (old_shm) {
        apr_shm_destroy(old_shm);
    }
    apr_pool_userdata_set(shm, LR_SHM_USERDATA, apr_pool_cleanup_null, proc);
    return APR_SUCCESS;
}

const lr_qstore_provider lr_qstore_shm = {
    "shm", "shm", 0,
    NULL,                       /* no address */
    NULL, "",                   /* no options of its own */
    NULL,
    NULL,                       /* counts any budget (64 bits) */
    lr_shm_init,
    NULL,                       /* nothing per child: the table is mapped */
    lr_shm_reserve,
    lr_shm_refund
};
