# The Redis store through Sentinel when what fails does not answer at
# all, as a host that is gone or cut off by the network does: the master
# frozen with SIGSTOP (connections are accepted, nothing is answered), so
# that every attempt on it costs the whole timeout.  Once the sentinels
# have promoted the replica, charges must reach it within 10 s although
# the old address still swallows connections, and no request waits
# longer than timeout + 1 s meanwhile.  Then the sentinel that answered
# last is frozen too: discovery must go on to the other two, not spend
# every attempt on it.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRQuota qw(:all);
use LRRedis qw(:all);

my $TIMEOUT = 0.2;

plan tests => 7,
    need { 'redis-server (package redis-server)' => have_program('redis-server'),
           'redis-cli (package redis-tools)' => have_program('redis-cli') };

clear_of_edge(3600, 60);
my $set = start_sentinels();
my ($master, $replica) = @$set{qw(master replica)};
my $store = 'redis-sentinel:'
    . join(',', map { "127.0.0.1:$_->{port}" } @{ $set->{sentinels} })
    . "/$set->{name} timeout=200ms fail=closed";
my ($srv, $dir) = quota_server("LengthRequiredQuotaStore $store",
                               'frz 1M 1h "%{HTTP:X-Tenant}"');

# Timed uploads of 10 bytes, each with a key of its own.
my @waits;
sub charge {
    my ($key, $len) = @_;
    my $t0 = time;
    my $res = eval { upload($srv, "/up/$key", $len // 10,
                            headers => ["X-Tenant: $key"], timeout => 5) };
    push @waits, time - $t0;
    return $res ? $res->{status} : 0;
}

# A fresh budget of 600K on the new master: 600K fits, 600K more does
# not, and the count is on $on.  Tried until it holds or $secs pass;
# returns the seconds it took, or undef.
sub fresh_budget_on {
    my ($on, $secs) = @_;
    my $t0 = time;
    while (time < $t0 + $secs) {
        my $key = tag('fresh');
        my @st = map { charge($key, 600 * 1024) } 1, 2;
        return time - $t0
            if "@st" eq '200 429'
            && (redis_cli($on, 'GET', store_key('frz', 3600, $key)) // '')
               eq 600 * 1024;
        sleep 0.1;
    }
    return undef;
}

my $found = fresh_budget_on($master, 5);
ok t_cmp(defined $found ? 1 : 0, 1, 'a budget is enforced on the master '
         . 'the sentinels name');

# --- the master stops answering ------------------------------------------
kill 'STOP', $master->{pid};
my $stopped = time;
@waits = ();
my $new = wait_failover($set, "127.0.0.1:$master->{port}", 20) // 'none';
my $promoted = time;
ok t_cmp($new, "127.0.0.1:$replica->{port}",
         sprintf('the sentinels promote the replica (%.2f s after the '
                 . 'master froze)', $promoted - $stopped));
charge(tag('during')) while time < $promoted + 0.5;
my $took = fresh_budget_on($replica, 10);
ok t_cmp(defined $took ? 1 : 0, 1,
         sprintf('a fresh budget is enforced on the new master %.2f s after '
                 . 'its promotion (within 10 s), the old one still frozen',
                 $took // -1));
my ($longest) = sort { $b <=> $a } @waits;
ok t_cmp($longest < $TIMEOUT + 1 ? 1 : 0, 1,
         sprintf('no request waited longer than timeout + 1 s: the longest '
                 . '%.3f s of %d', $longest, scalar @waits));

# --- the sentinel that answered last stops answering ---------------------
# The last LR00056 line names it.
my ($named) = ((grep { /LR00056/ } log_lines("$dir/error_log"))[-1] // '')
    =~ /is at 127\.0\.0\.1:\Q$replica->{port}\E \(named by sentinel 127\.0\.0\.1:(\d+), confirmed by ROLE\); it was at 127\.0\.0\.1:\Q$master->{port}\E$/;
my ($sentinel) = grep { $_->{port} == ($named // 0) } @{ $set->{sentinels} };
ok t_cmp(defined $sentinel ? 1 : 0, 1,
         'the move is logged with the sentinel that named the new master');
# Then the new master stops too, and the sentinels promote the old one
# again: the module must ask them again, and the one it asked last is
# frozen.
# The old master, thawed, is made a replica of the new one; once it has
# caught up, the new master freezes.
kill 'CONT', $master->{pid};
my $until = time + 30;
sleep 0.1 until time > $until
    || redis_cli($master, 'INFO', 'replication')
       =~ /role:slave.*master_link_status:up/s;
kill 'STOP', $sentinel->{pid} if $sentinel;
kill 'STOP', $replica->{pid};
@waits = ();
my $others = { %$set, sentinels => [grep { $_ != ($sentinel // 0) }
                                    @{ $set->{sentinels} }] };
my $back = wait_failover($others, "127.0.0.1:$replica->{port}", 30)
    // 'none';
ok t_cmp($back, "127.0.0.1:$master->{port}",
         'the two other sentinels promote the old master again');
$took = fresh_budget_on($master, 10);
ok t_cmp(defined $took ? 1 : 0, 1,
         sprintf('a fresh budget is enforced there %.2f s later, although '
                 . 'the sentinel asked last does not answer', $took // -1));
kill 'CONT', $sentinel->{pid}, $replica->{pid} if $sentinel;
