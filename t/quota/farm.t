# One budget across a farm: two private Apache servers share a memcached,
# then a Redis, started here on free loopback ports as the test user.
# Concurrent uploads spread over both servers admit exactly the budget;
# with the store gone, the fail=open server passes and the fail=closed one
# answers 503, at once, with one error-log line and a counter that moves,
# and after three errors in a row the store is given up (one more line);
# with the store back, the next probe finds it and budgets are enforced
# again without a restart.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use IO::Socket::INET ();
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRQuota qw(:all);
use LRServer qw(start_daemon stop_daemon);

# The store of each kind, the daemon that serves it.
my %daemon = (memcache => 'memcached', redis => 'redis-server');
my @order = qw(memcache redis);
my $per_store = 24;
plan tests => $per_store * @order + 3,    # + redis's expiry and hung-store checks
    need { map { ("$_ (package $_)" => have_program($_)) } values %daemon };

# The daemon $name, on $port when given; dies if it does not start.
sub store {
    my ($name, $port) = @_;
    my $d = start_daemon($name, port => $port);
    die "$d->{why}\n" unless $d->{up};
    return $d;
}

# How much it moved since $before (a string saying why when either read
# failed, so that no comparison can pass on two failed reads).
sub errors_since {
    my ($port, $before) = @_;
    my $now = store_errors($port);
    return defined $before && defined $now ? $now - $before : 'unreadable';
}

sub lines_in {
    my ($file, $re) = @_;
    open my $fh, '<', $file or return 0;
    return scalar grep { $_ =~ $re } <$fh>;
}

for my $kind (@order) {
    my $daemon = store($daemon{$kind});
    my $spec = "$kind:127.0.0.1:$daemon->{port}";
    my $budget = 'farm 10000 1h "%{HTTP:X-Tenant}"';
    my ($open, $dir_open) = quota_server(
        "LengthRequiredQuotaStore $spec timeout=200ms fail=open", $budget);
    my ($closed, $dir_closed) = quota_server(
        "LengthRequiredQuotaStore $spec timeout=200ms fail=closed", $budget);
    my $t = tag($kind);

    # 20 uploads of 1000 bytes at once, alternating between the servers,
    # against one tenant's 10000-byte budget.
    my @st = uploads_at_once(map {
        [$_ % 2 ? $open : $closed, "/up/$t-$_", 1000,
         headers => ["X-Tenant: $t"]]
    } 1 .. 20);
    ok t_cmp(scalar(grep { $_ == 200 } @st), 10,
             "$kind: 20 concurrent uploads of 1000 over two servers, budget "
             . "10000: exactly 10 admitted (@st)");
    ok t_cmp(scalar(grep { $_ == 429 } @st), 10, "$kind: and 10 refused");
    ok t_cmp(upload($open, '/up/x', 1, headers => ["X-Tenant: $t"])->{status},
             429, "$kind: the first server sees the budget spent");
    if ($kind eq 'redis') {
        # Every entry has an expiry: the end of its window (1 h windows).
        my $p = $daemon->{port};
        my @keys = split /\n/, `redis-cli -p $p --scan --pattern 'lrq:*'`;
        my @ttl = map { scalar `redis-cli -p $p TTL '$_'` + 0 } @keys;
        ok t_cmp(scalar(@keys), 1, "redis: one entry for the tenant's window (@keys)");
        ok t_cmp(scalar(grep { $_ > 0 && $_ <= 3601 } @ttl), scalar(@keys),
                 "redis: with an expiry at the window's end (TTL @ttl)");
    }
    ok t_cmp(upload($closed, '/up/x', 1, headers => ["X-Tenant: $t"])->{status},
             429, "$kind: so does the second");

    # A charge on one server counts on the other; a refund too.
    my $t2 = "$t-2";
    ok t_cmp(upload($open, '/up/a', 6000, headers => ["X-Tenant: $t2"])->{status},
             200, "$kind: 6000 on the first server");
    ok t_cmp(upload($closed, '/up/b', 6000, headers => ["X-Tenant: $t2"])->{status},
             429, "$kind: 6000 more on the second: 429");
    {
        my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                         PeerPort => $closed) or die $!;
        print $sock "POST /up/abort HTTP/1.1\r\nHost: x\r\nX-Tenant: $t2\r\n"
            . "Content-Length: 4000\r\n\r\n" . ('a' x 1000);
        sleep 0.3;
        close $sock;
        sleep 0.5;
    }
    ok t_cmp(upload($open, '/up/c', 3000, headers => ["X-Tenant: $t2"])->{status},
             200, "$kind: an upload aborted on the second server after 1000 "
             . "of 4000 was refunded 3000, seen by the first");
    ok t_cmp(upload($open, '/up/d', 1, headers => ["X-Tenant: $t2"])->{status},
             429, "$kind: and the 1000 that arrived stay charged");

    # The store goes away.
    stop_daemon($daemon);
    my $before_open = store_errors($open);
    my $before_closed = store_errors($closed);
    my (@open_st, @closed_st, $slowest);
    $slowest = 0;
    for my $i (1 .. 5) {
        my $t0 = time;
        push @open_st, upload($open, "/up/down-$i", 100,
                              headers => ["X-Tenant: $t-down"])->{status};
        push @closed_st, upload($closed, "/up/down-$i", 100,
                                headers => ["X-Tenant: $t-down"])->{status};
        $slowest = time - $t0 if time - $t0 > $slowest;
    }
    ok t_cmp("@open_st", '200 200 200 200 200',
             "$kind: store down: fail=open passes");
    ok t_cmp("@closed_st", '503 503 503 503 503',
             "$kind: store down: fail=closed answers 503");
    ok t_cmp($slowest < 1 ? 1 : 0, 1,
             sprintf("$kind: each pair answered within the timeout "
                     . "(slowest %.3f s)", $slowest));
    my %moved = (open => errors_since($open, $before_open),
                 closed => errors_since($closed, $before_closed));
    ok t_cmp($moved{open} =~ /^\d+$/ && $moved{open} >= 5 ? 1 : 0, 1,
             "$kind: LengthRequiredQuotaStoreErrors moves on the first server "
             . "($moved{open})");
    ok t_cmp($moved{closed} =~ /^\d+$/ && $moved{closed} >= 5 ? 1 : 0, 1,
             "$kind: and on the second ($moved{closed})");
    ok t_cmp(lines_in("$dir_open/error_log", qr/LR00044: quota store/), 1,
             "$kind: one error-log line on the first server for 5 failures");
    ok t_cmp(lines_in("$dir_closed/error_log", qr/LR00044: quota store/), 1,
             "$kind: and one on the second");
    ok t_cmp(lines_in("$dir_closed/error_log", qr/LR00044: .*\Q$spec\E.*fail=closed/), 1,
             "$kind: naming the store and what requests get");
    ok t_cmp(lines_in("$dir_closed/error_log",
                      qr/LR00050: quota store \Q$spec\E given up after 3 errors/), 1,
             "$kind: after three errors in a row the store is given up, one "
             . "line");
    my $down_at = time;

    # It comes back, empty, on the same port: once the breaker's back-off
    # (1 s) has passed, the next request asks it, and budgets are enforced
    # again, no restart.
    $daemon = store($daemon{$kind}, $daemon->{port});
    sleep 1.2 - (time - $down_at) if time - $down_at < 1.2;
    # Stale pooled connections are dropped and tried again on a new one,
    # so the very first request after the restart is charged.
    my $t3 = "$t-3";
    ok t_cmp(upload($open, '/up/e', 6000, headers => ["X-Tenant: $t3"])->{status},
             200, "$kind: store back: 6000 on the first server");
    ok t_cmp(upload($closed, '/up/f', 6000, headers => ["X-Tenant: $t3"])->{status},
             429, "$kind: 6000 more on the second: 429 again");
    ok t_cmp(upload($closed, '/up/g', 4000, headers => ["X-Tenant: $t3"])->{status},
             200, "$kind: the 4000 left fit");
    my $e_open = store_errors($open);
    upload($open, '/up/h', 1, headers => ["X-Tenant: $t3"]);
    ok t_cmp(errors_since($open, $e_open), 0,
             "$kind: no more store errors once it is back");
    ok t_cmp(upload($open, '/up/i', 1, headers => ["X-Tenant: $t3"])->{status},
             429, "$kind: and the budget is spent");
    ok t_cmp(lines_in("$dir_open/error_log",
                      qr/LR00051: quota store \Q$spec\E answers again/), 1,
             "$kind: one line says the store is back (first server)");
    ok t_cmp(lines_in("$dir_closed/error_log",
                      qr/LR00051: quota store \Q$spec\E answers again/), 1,
             "$kind: and on the second");

    if ($kind eq 'redis') {
        # A store that hangs (stopped, not gone): the 200 ms timeout holds.
        kill 'STOP', $daemon->{pid};
        my $t0 = time;
        my $res = upload($open, '/up/hung', 1, headers => ["X-Tenant: $t-h"]);
        my $took = time - $t0;
        kill 'CONT', $daemon->{pid};
        ok t_cmp($res->{status} == 200 && $took < 1 ? 1 : 0, 1,
                 sprintf('redis: a hung store: fail=open passes after the '
                         . 'timeout (%.3f s, status %d)', $took,
                         $res->{status}));
    }
}
