# A store that is down costs a few requests one timeout each, not every
# request: after three errors in a row the breaker gives it up, and from
# then on requests meet the fail mode without asking it (one request
# probes it each back-off).  With Redis, then memcached, frozen: once
# given up, 200 requests spend well under a second in the server in all
# (without the breaker: 200 timeouts, 40 s), and the error log has at
# most two lines about it (the first error, and the giving up).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRQuota qw(:all);
use LRServer qw(start_daemon stop_daemon);

my $N = 200;
my %daemon = (redis => 'redis-server', memcache => 'memcached');
my @order = qw(redis memcache);
plan tests => 6 * @order,
    need { map { ("$_ (package $_)" => have_program($_)) } values %daemon };

# The GivenUp counter of the server's status page.
sub given_up {
    my ($port) = @_;
    my ($st) = raw_request($port, "GET /status?auto HTTP/1.0\r\n\r\n");
    my ($n) = $st->{body} =~ /^LengthRequiredQuotaStoreGivenUp: (\d+)$/m;
    return $n;
}

for my $kind (@order) {
    my $d = start_daemon($daemon{$kind});
    die "$d->{why}\n" unless $d->{up};
    my ($port, $dir) = quota_server(
        "LengthRequiredQuotaStore $kind:127.0.0.1:$d->{port} timeout=200ms "
        . 'fail=open', 'brk 1000000 1h "%{HTTP:X-Tenant}"');
    my $t = tag("brk-$kind");
    my @h = (headers => ["X-Tenant: $t"], timeout => 3);
    upload($port, "/up/$t-warm", 10, @h);

    kill 'STOP', $d->{pid};
    # Three requests time out, and the store is given up.
    upload($port, "/up/$t-open-$_", 10, @h) for 1 .. 3;
    my @lines = grep { /LR000(44|50|51)/ } log_lines("$dir/error_log");
    ok t_cmp(scalar(grep { /LR00050: quota store \Q$kind\E:/ } @lines), 1,
             "$kind frozen: given up after three timeouts");

    # $N requests more, sent one after the other; the client stops after
    # 10 s, so that a server without the breaker cannot hold the test.
    my ($sent, @st) = (0);
    my $until = time + 10;
    while ($sent < $N && time < $until) {
        push @st, upload($port, "/up/$t-n-$sent", 10, @h)->{status};
        $sent++;
    }
    ok t_cmp(scalar(grep { $_ == 200 } @st), $N,
             "$kind: $N requests answered 200 (fail=open) within 10 s "
             . "($sent sent)");
    # Their time in the server, from the access log's %D.
    my $until_log = time + 5;
    my @done;
    while (1) {
        @done = grep { m{ /up/\Q$t\E-n-\d+$} } log_lines("$dir/access_log");
        last if @done >= $sent || time > $until_log;
        sleep 0.1;
    }
    my $us = 0;
    $us += (split ' ', $_)[1] for @done;
    ok t_cmp(scalar(@done), $N, "$kind: all of them in the access log");
    ok t_cmp(@done == $N && $us < 500_000 ? 1 : 0, 1,
             sprintf("$kind: %d requests took %.3f s in the server in all "
                     . "(all $N in at most 0.5 s: a probe or two, no "
                     . 'timeout each)',
                     scalar(@done), $us / 1e6));
    @lines = grep { /LR000(44|50|51)/ } log_lines("$dir/error_log");
    ok t_cmp(scalar(@lines), 2,
             "$kind: two error-log lines for the whole outage:\n"
             . join("\n", @lines));
    ok t_cmp(given_up($port), 1,
             "$kind: counted once in LengthRequiredQuotaStoreGivenUp");
    stop_daemon($d);
}
