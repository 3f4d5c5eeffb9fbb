# A store that stops answering (SIGSTOP: it accepts connections and never
# replies) costs each request at most the timeout, and the server goes on
# answering: one of two memcached servers frozen, then a frozen Redis.
# Every request is answered within timeout + 1 s, alone or ten at once;
# the keys on the memcached server that still answers are still enforced
# (each server has its breaker, and a frozen server's keys do not move to
# the other); once the frozen one is thawed its keys are charged again.
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

my $TIMEOUT = 0.2;
my $BOUND = $TIMEOUT + 1;

plan tests => 15,
    need { map { ("$_ (package $_)" => have_program($_)) }
           qw(memcached redis-server) };

sub daemon {
    my $d = start_daemon(@_);
    die "$d->{why}\n" unless $d->{up};
    return $d;
}

# One upload of $len for $tenant: [status, seconds].  The client gives up
# after 3 s, so a request the server holds cannot hold the test.
sub timed {
    my ($port, $tenant, $len) = @_;
    my $t0 = time;
    my $st = upload($port, "/up/$tenant", $len,
                    headers => ["X-Tenant: $tenant"], timeout => 3)->{status};
    return [$st, time - $t0];
}

# Ten uploads at once, each in a process of its own: [statuses], and the
# seconds until the last answer.
sub ten_at_once {
    my ($port, @tenants) = @_;
    my $t0 = time;
    my @st = uploads_at_once(map { [$port, "/up/$_", 10,
                                    headers => ["X-Tenant: $_"],
                                    timeout => 3] } @tenants);
    return (\@st, time - $t0 - 0.5);     # uploads_at_once starts at +0.5 s
}

sub slowest { my $m = 0; $_->[1] > $m and $m = $_->[1] for @_; sprintf '%.3f', $m }

# --- memcached: two servers, one frozen --------------------------------
clear_of_edge(3600, 30);
my @mc = (daemon('memcached'), daemon('memcached'));
my $spec = join ',', map { "127.0.0.1:$_->{port}" } @mc;
my ($port, $dir) = quota_server(
    "LengthRequiredQuotaStore memcache:$spec timeout=200ms fail=open",
    'frz 1000 1h "%{HTTP:X-Tenant}"');

# Forty tenants charged 1 byte each, and which server holds each one.
my $t = tag('frz');
my @tenants = map { "$t-$_" } 1 .. 40;
upload($port, '/up/prime', 1, headers => ["X-Tenant: $_"]) for @tenants;
my (%on, @where);
for my $tn (@tenants) {
    my @has = grep { defined memcached_get($mc[$_]{port}, store_key('frz', 3600, $tn)) } 0, 1;
    push @where, "@has";
    push @{ $on{$has[0]} }, $tn if @has == 1;
}
ok t_cmp(@{ $on{0} || [] } >= 5 && @{ $on{1} || [] } >= 8 ? 1 : 0, 1,
         'the keys are spread over both servers, each on one (' . join(' ', @where) . ')');
my @frozen = @{ $on{0} || [] };
my @live = @{ $on{1} || [] };

kill 'STOP', $mc[0]{pid};
# Ten at once, five keys on each server, while nothing is given up yet:
# those on the frozen server each wait the timeout, in parallel.
my ($st, $took) = ten_at_once($port, @frozen[0 .. 4], @live[3 .. 7]);
ok t_cmp(scalar(grep { $_ == 200 } @$st), 10,
         "ten at once over both servers are all answered (@$st)");
ok t_cmp($took < $BOUND ? 1 : 0, 1,
         sprintf('within timeout + 1 s (%.3f s)', $took));
# The keys of the frozen server: fail=open passes them uncharged, at once
# now that the server is given up.
my @r = map { timed($port, $_, 10) } @frozen[0 .. 4];
ok t_cmp(join(' ', map { $_->[0] } @r), '200 200 200 200 200',
         'keys on the frozen memcached pass (fail=open)');
ok t_cmp(slowest(@r) < $BOUND ? 1 : 0, 1,
         "each within timeout + 1 s (slowest " . slowest(@r) . ' s)');
# The keys of the live server are charged as ever: 1 (+ 10) + 989 fits,
# 11 more do not.
my @l = map { (timed($port, $_, 989), timed($port, $_, 11)) } @live[3 .. 5];
ok t_cmp(join(' ', map { $_->[0] } @l), '200 429 200 429 200 429',
         'keys on the live memcached are still enforced');
ok t_cmp(slowest(@l) < $BOUND ? 1 : 0, 1,
         'and answered within timeout + 1 s (slowest ' . slowest(@l) . ' s)');
ok t_cmp(scalar(grep { /LR00050: quota store memcache:127\.0\.0\.1:\Q$mc[0]{port}\E given up/ }
                log_lines("$dir/error_log")), 1,
         'the frozen server is given up, one line naming it');

# Thawed: after the back-off a probe finds it, and its keys count again.
# (A charge that timed out had reached it and runs now: counted late,
# which errs on the side of the budget; so the key holds 1 or 11.)
kill 'CONT', $mc[0]{pid};
sleep 1.2;
upload($port, '/up/probe', 1, headers => ["X-Tenant: $frozen[-1]"]);
my @th = map { timed($port, $frozen[0], $_) } 989, 11;
ok t_cmp(join(' ', map { $_->[0] } @th), '200 429',
         'thawed, its keys are charged again (989 fit, then 11 more do not)');
ok t_cmp(scalar(grep { /LR00051: quota store memcache:127\.0\.0\.1:\Q$mc[0]{port}\E answers again/ }
                log_lines("$dir/error_log")), 1,
         'one line says it is back');
stop_daemon($_) for @mc;

# --- Redis, frozen -----------------------------------------------------
my $rd = daemon('redis-server');
my ($rport, $rdir) = quota_server(
    "LengthRequiredQuotaStore redis:127.0.0.1:$rd->{port} timeout=200ms "
    . 'fail=closed', 'frz 1000 1h "%{HTTP:X-Tenant}"');
my $rt = tag('frz-redis');
ok t_cmp(timed($rport, $rt, 600)->[0], 200, 'redis: 600 charged');
kill 'STOP', $rd->{pid};
($st, $took) = ten_at_once($rport, map { "$rt-x$_" } 1 .. 10);
ok t_cmp($took < $BOUND && !grep({ $_ != 503 } @$st) ? 1 : 0, 1,
         sprintf("redis frozen: ten at once, all 503 (fail=closed) within "
                 . "timeout + 1 s (%.3f s: @$st)", $took));
@r = map { timed($rport, "$rt-$_", 10) } 1 .. 6;
ok t_cmp(join(' ', map { $_->[0] } @r), '503 503 503 503 503 503',
         'then one by one: 503');
ok t_cmp(slowest(@r) < $BOUND ? 1 : 0, 1,
         'each within timeout + 1 s (slowest ' . slowest(@r) . ' s)');
kill 'CONT', $rd->{pid};
sleep 1.2;
upload($rport, '/up/probe', 1, headers => ["X-Tenant: $rt-probe"]);
ok t_cmp(timed($rport, $rt, 600)->[0], 429,
         'redis thawed: the 600 charged before are still counted');
stop_daemon($rd);
