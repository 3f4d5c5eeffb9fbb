# A store whose clock runs two hours ahead of the web server's still
# enforces a one-hour budget, on Redis and on memcached: a window's entry
# expires by a time relative to the store's own clock (a TTL), so no skew
# between the two clocks deletes it as it is made (an absolute expiry, the
# web server's window end, is already past by the store's clock) or keeps
# it longer than its window.  The stores run under t/lib/skew_clock.c,
# preloaded, and the test first checks that their clocks really are ahead.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRQuota qw(:all);
use LRServer qw(stop_daemon);

my $SKEW = 7200;
my %daemon = (redis => 'redis-server', memcache => 'memcached');
my @order = qw(redis memcache);
plan tests => 7 * @order + 1,
    need { 'cc (package gcc)' => have_program('cc'),
           map { ("$_ (package $_)" => have_program($_)) } values %daemon };

for my $kind (@order) {
    # The checks below need one window: not the last seconds of an hour.
    clear_of_edge(3600, 10);
    my $d = skewed_daemon($daemon{$kind}, $SKEW);
    die "$d->{why}\n" unless $d->{up};
    my $ahead = (store_clock($kind, $d->{port}) // 0) - time;
    ok t_cmp(abs($ahead - $SKEW) < 5 ? 1 : 0, 1,
             "$kind: the store's clock runs $SKEW s ahead (by its own "
             . "word: $ahead s)");

    my ($port) = quota_server(
        "LengthRequiredQuotaStore $kind:127.0.0.1:$d->{port} timeout=500ms "
        . 'fail=closed', 'skew 1000 1h "%{HTTP:X-Tenant}"');
    my $t = tag($kind);
    my @h = (headers => ["X-Tenant: $t"]);
    ok t_cmp(upload($port, '/up/a', 600, @h)->{status}, 200,
             "$kind: 600 of a 1000-byte hourly budget");
    ok t_cmp(upload($port, '/up/b', 600, @h)->{status}, 429,
             "$kind: 600 more: 429, the first 600 still counted");
    ok t_cmp(upload($port, '/up/c', 400, @h)->{status}, 200,
             "$kind: the 400 left fit, to the byte");
    ok t_cmp(upload($port, '/up/d', 1, @h)->{status}, 429,
             "$kind: and one byte more does not");

    # The entry, asked of the store: the bytes charged, and the seconds it
    # has left to live by the store's clock, which are the window's.
    my $key = store_key('skew', 3600, $t);
    my ($value, $ttl);
    if ($kind eq 'redis') {
        ($value) = `redis-cli -p $d->{port} GET '$key'` =~ /^(\d+)$/m;
        ($ttl) = `redis-cli -p $d->{port} TTL '$key'` =~ /^(-?\d+)$/m;
    }
    else {
        ($value, $ttl) = memcached_get($d->{port}, $key);
    }
    my $left = 3600 - time % 3600;
    ok t_cmp($value, 1000, "$kind: the window's entry holds the 1000 bytes");
    ok t_cmp(defined $ttl && $ttl > 0 && $ttl <= $left + 1 ? 1 : 0, 1,
             "$kind: and ends with the window, by the store's clock too "
             . '(' . ($ttl // 'no') . " s to live, $left s left)");
    stop_daemon($d);
}

# The control: the shim is what moved the clock.  A store started without
# it tells the machine's time.
my $d = LRServer::start_daemon('redis-server');
die "$d->{why}\n" unless $d->{up};
my $plain = (store_clock('redis', $d->{port}) // 0) - time;
ok t_cmp(abs($plain) < 5 ? 1 : 0, 1,
         "without the shim the store's clock is the machine's ($plain s)");
stop_daemon($d);
