# The Redis store through Sentinel (redis-sentinel:...): a master, a
# replica and three sentinels, all with ACL users and passwords from
# files.  A budget is enforced through discovery (the sentinels name the
# master, ROLE confirms it), exactly under concurrency.  Then the master
# is killed (SIGKILL) while four clients charge a budget without pause
# on a fail=closed server and one more on a fail=open server: no request
# waits longer than timeout + 1 s during the switch, the fail mode
# applies meanwhile, and once the sentinels have promoted the replica a
# fresh budget is enforced on it within 10 s, with no restart.  What the
# asynchronous replication lost of the charges admitted before the kill
# is measured and printed (the docs quote it), and bounded by what was
# admitted in the last second before it.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use IO::Handle ();
use POSIX ();
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRQuota qw(:all);
use LRRedis qw(:all);

my $TIMEOUT = 0.2;
my $BOUND = $TIMEOUT + 1;
my $LOADERS = 4;

plan tests => 16,
    need { 'redis-server (package redis-server)' => have_program('redis-server'),
           'redis-cli (package redis-tools)' => have_program('redis-cli') };

clear_of_edge(3600, 90);
my $dir = tempdir(CLEANUP => 1);
my %pw = (data => 'data-pw-' . int(rand 1e9), sentinel => 'sent-pw-' . int(rand 1e9));
for my $k (keys %pw) {
    open my $fh, '>', "$dir/$k.pw" or die "$dir/$k.pw: $!";
    print $fh "$pw{$k}\n";
    close $fh;
}
my $set = start_sentinels(user => 'lrquota', password => $pw{data},
                          sentinel_user => 'lrsentinel',
                          sentinel_password => $pw{sentinel});
my ($master, $replica) = @$set{qw(master replica)};
my $store = 'redis-sentinel:'
    . join(',', map { "127.0.0.1:$_->{port}" } @{ $set->{sentinels} })
    . "/$set->{name} db=2 user=lrquota password-file=$dir/data.pw "
    . "sentinel-user=lrsentinel sentinel-password-file=$dir/sentinel.pw "
    . "timeout=200ms";
my $budget = 'sen 1M 1h "%{HTTP:X-Tenant}"';
my ($closed, $closed_dir) = quota_server("LengthRequiredQuotaStore $store "
                                         . 'fail=closed', $budget);
my ($open) = quota_server("LengthRequiredQuotaStore $store fail=open", $budget);
my $log = "$closed_dir/error_log";

# --- through discovery -------------------------------------------------
my $t = tag('sen');
my @st = uploads_at_once(map { [$_ % 2 ? $closed : $open, "/up/$t-$_",
                                100 * 1024, headers => ["X-Tenant: $t"]] }
                         1 .. 20);
ok t_cmp(scalar(grep { $_ == 200 } @st), 10,
         "20 concurrent 100K uploads on a 1M budget over two servers, through "
         . "the sentinels: exactly 10 admitted (@st)");
ok t_cmp(redis_cli($master, '-n', 2, 'GET', store_key('sen', 3600, $t)),
         10 * 100 * 1024, 'counted on the master, in db 2');
ok t_cmp(join('', grep { /LR00056/ } log_lines($log)),
         qr/LR00056: quota store redis-sentinel:\S+: the master 'lrmaster' is at 127\.0\.0\.1:\Q$master->{port}\E \(named by sentinel 127\.0\.0\.1:\d+, confirmed by ROLE\)$/,
         'the master found is logged');

# --- the failover ------------------------------------------------------
# Each loader charges 10 bytes at a time to one key, and writes down when
# each request began and ended and what it got.
my $stop = "$dir/stop";
sub loader {
    my ($port, $tenant, $out) = @_;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    return $pid if $pid;
    open my $fh, '>', $out or POSIX::_exit(1);
    $fh->autoflush(1);
    my $n = 0;
    until (-e $stop) {
        my $t0 = time;
        my $res = eval { upload($port, "/up/$tenant-" . $n++, 10,
                                headers => ["X-Tenant: $tenant"],
                                timeout => 3) };
        printf $fh "%.6f %.6f %d\n", $t0, time, $res ? $res->{status} : 0;
        sleep 0.02;
    }
    close $fh;
    POSIX::_exit(0);
}
my $load = "$t-load";
my @pids = ((map { loader($closed, $load, "$dir/closed.$_") } 1 .. $LOADERS),
            loader($open, "$t-open", "$dir/open.1"));
sleep 1.5;
my $killed = time;
kill 'KILL', $master->{pid};
my $promoted;
until (defined $promoted || time > $killed + 20) {
    $promoted = time if redis_cli($replica, 'ROLE') =~ /^master/;
    sleep 0.05;
}
my $new = wait_failover($set, "127.0.0.1:$master->{port}", 10) // 'none';
ok t_cmp($new, "127.0.0.1:$replica->{port}",
         sprintf('the sentinels promoted the replica (%.2f s after the kill)',
                 ($promoted // time) - $killed));

# A fresh budget on the new master: 600K fits, 600K more does not, and the
# count is on the new master.  Tried until it holds, for 10 s.
my ($fresh_at, @fresh);
while (!$fresh_at && time < ($promoted // $killed) + 10) {
    my $key = tag('fresh');
    @fresh = map { upload($closed, "/up/$key-$_", 600 * 1024,
                          headers => ["X-Tenant: $key"])->{status} } 1, 2;
    if ("@fresh" eq '200 429'
        && redis_cli($replica, '-n', 2, 'GET', store_key('sen', 3600, $key))
           == 600 * 1024) {
        $fresh_at = time;
    }
    else {
        sleep 0.1;
    }
}
ok t_cmp(defined $fresh_at ? 1 : 0, 1,
         sprintf("a fresh budget is enforced on the new master %.2f s after "
                 . "its promotion (within 10 s; last try: @fresh)",
                 ($fresh_at // time) - ($promoted // $killed)));
sleep 1;
open my $sfh, '>', $stop or die "$stop: $!";
close $sfh;
waitpid $_, 0 for @pids;

# What the loaders saw.
sub records {
    my @r;
    for my $f (@_) {
        open my $fh, '<', $f or die "$f: $!";
        push @r, map { [split] } <$fh>;
    }
    return sort { $a->[0] <=> $b->[0] } @r;
}
my @closed = records(map { "$dir/closed.$_" } 1 .. $LOADERS);
my @open = records("$dir/open.1");
my @before = grep { $_->[1] < $killed } @closed;
my @switch = grep { $_->[1] >= $killed && $_->[0] < ($fresh_at // time) } @closed, @open;
my ($longest) = sort { $b <=> $a } map { $_->[1] - $_->[0] } @closed, @open;
my $first_200 = (grep { $_->[0] > $killed && $_->[2] == 200 } @closed)[0];
ok t_cmp(scalar(@switch) > 10 ? 1 : 0, 1,
         scalar(@switch) . ' requests were sent during the switch');
ok t_cmp($longest < $BOUND ? 1 : 0, 1,
         sprintf("no request waited longer than timeout + 1 s: the longest "
                 . "%.3f s of %d", $longest, @closed + @open));
ok t_cmp(join(' ', sort { $a <=> $b } keys %{{ map { $_->[2] => 1 } grep { $_->[0] > $killed } @closed }}),
         '200 503', 'fail=closed during the switch: 503, then 200 again');
ok t_cmp(join(' ', sort keys %{{ map { $_->[2] => 1 } @open }}), '200',
         'fail=open: every request passed (' . scalar(@open) . ')');
ok t_cmp(defined $first_200 ? 1 : 0, 1,
         sprintf('the first charge on the new master: %.2f s after its '
                 . 'promotion', defined $first_200
                 ? $first_200->[1] - ($promoted // $killed) : -1));

# Charges admitted and counted.  What the old master took in its last
# moments and did not pass on to the replica is lost; a charge in flight
# at the kill may have reached the replica and be counted without being
# admitted (the client got 503).
my $admitted = 10 * grep { $_->[2] == 200 } @closed;
my $admitted_before = 10 * grep { $_->[2] == 200 } @before;
my $last_second = 10 * grep { $_->[2] == 200 && $_->[1] > $killed - 1 } @before;
my $counted = redis_cli($replica, '-n', 2, 'GET', store_key('sen', 3600, $load));
$counted = -1 unless $counted =~ /^\d+$/;
my $lost = ($admitted - $counted) / 10;
ok t_cmp($admitted_before > 0 && $counted > 0 ? 1 : 0, 1,
         "charges of 10 bytes: $admitted_before bytes admitted before the "
         . "kill, $admitted in all; the new master counts $counted");
ok t_cmp($lost * 10 <= $last_second ? 1 : 0, 1,
         sprintf('charges lost by the failover: %d (%d bytes), at most what '
                 . 'was admitted in the last second before it (%d bytes)',
                 $lost, $lost * 10, $last_second));
# The figures the directive reference quotes, on the harness's output.
print STDERR sprintf("# failover: promoted %.2f s after the kill; a fresh "
             . 'budget enforced %.2f s after the promotion; longest wait '
             . "%.3f s; charges lost %d of %d admitted before the kill\n",
             ($promoted // 0) - $killed, ($fresh_at // 0) - ($promoted // 0),
             $longest, $lost, $admitted_before / 10);

my @switched = grep { /LR00056/ } log_lines($log);
ok t_cmp($switched[-1] // '',
         qr/the master 'lrmaster' is at 127\.0\.0\.1:\Q$replica->{port}\E .*; it was at 127\.0\.0\.1:\Q$master->{port}\E$/,
         'the move to the new master is logged');
ok t_cmp(scalar(@switched), 2, 'once (and the first discovery once)');
ok t_cmp(scalar(grep { /LR00050/ } log_lines($log)) >= 1 ? 1 : 0, 1,
         'the breaker gave the old master up meanwhile');
ok t_cmp(join('', grep { /LR00051/ } log_lines($log)), qr/answers again/,
         'and says when charges go through again');
