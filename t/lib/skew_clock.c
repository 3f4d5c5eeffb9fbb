/*
 * skew_clock.c: an LD_PRELOAD library for the quota tests
 * (LRQuota::skewed_daemon): the wall clock of the process runs
 * LR_SKEW_SECONDS ahead (or behind, negative), for time(), gettimeofday()
 * and clock_gettime() on the realtime clocks; the monotonic clocks are
 * left alone.  It asks the kernel directly (no dlsym, no malloc): the
 * allocator of redis-server reads the clock while it starts, before a
 * dlsym-based shim such as libfaketime could answer, which hangs it.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long skew(void)
{
    static long seconds;
    static int read;
    const char *v;

    if (!read) {
        v = getenv("LR_SKEW_SECONDS");
        seconds = v ? atol(v) : 0;
        read = 1;
    }
    return seconds;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
    long rc = syscall(SYS_clock_gettime, id, ts);

    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
        ts->tv_sec += skew();
    }
    return (int)rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    struct timespec ts;

    (void)tz;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return -1;
    }
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}

time_t time(time_t *t)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (t) {
        *t = ts.tv_sec;
    }
    return ts.tv_sec;
}
