# A budget over 4G is enforced to the byte, on memcached above all (its
# counters reached the module as 32-bit values before, so such budgets
# were counted in KiB), and on Redis and shm alike.  An upload that
# declares 5G is charged as it starts (a reservation, held while the body
# has not come); then 7 more bytes fit a budget of 5G + 7 and 1 more does
# not; dropping the 5G upload gives its 5G back.  No 5G is ever sent.
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

my $BIG = 5 * 1024 ** 3;            # 5368709120
my $SIZE = $BIG + 7;
my %daemon = (memcache => 'memcached', redis => 'redis-server');
my @order = qw(memcache redis shm);
plan tests => 5 * @order + 4 * 2,
    need { map { ("$_ (package $_)" => have_program($_)) } values %daemon };

# What the store holds for $key (memcached and Redis), undef if nothing.
sub held {
    my ($kind, $port, $key) = @_;
    return memcached_get($port, $key) if $kind eq 'memcache';
    my ($v) = `redis-cli -p $port GET '$key'` =~ /^(\d+)$/m;
    return $v;
}

# Waits up to 5 s for the store to hold $want for $key; what it holds.
sub wait_held {
    my ($kind, $port, $key, $want) = @_;
    my $until = time + 5;
    my $v;
    while (1) {
        $v = held($kind, $port, $key);
        return $v if (defined $v && $v == $want) || time > $until;
        sleep 0.05;
    }
}

# An upload to $port declaring $len bytes, its head sent and no byte of
# its body: the socket, to close when the test is done with it.
sub hold {
    my ($port, $tenant, $len) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
        or die "connect: $!";
    print $s "POST /up/held HTTP/1.1\r\nHost: x\r\nX-Tenant: $tenant\r\n"
        . "Content-Length: $len\r\n\r\n";
    return $s;
}

for my $kind (@order) {
    clear_of_edge(3600, 10);
    my ($d, $spec) = (undef, 'shm');
    if ($daemon{$kind}) {
        $d = start_daemon($daemon{$kind});
        die "$d->{why}\n" unless $d->{up};
        $spec = "$kind:127.0.0.1:$d->{port} timeout=500ms";
    }
    # Core's LimitRequestBody (1 GiB in Debian) would refuse the 5G upload
    # as its handler starts to read, and so end its reservation.
    my ($port, $dir) = quota_server("LengthRequiredQuotaStore $spec fail=closed",
        qq{big $SIZE 1h "%{HTTP:X-Tenant}"},
        location => '    LimitRequestBody 0');
    my $t = tag("big-$kind");
    my $key = store_key('big', 3600, $t);
    my @h = (headers => ["X-Tenant: $t"]);

    my $s = hold($port, $t, $BIG);
    if ($d) {
        ok t_cmp(wait_held($kind, $d->{port}, $key, $BIG), $BIG,
                 "$kind: an upload that declares 5G holds 5G of the budget, "
                 . 'counted in bytes');
    }
    else {
        sleep 0.5;
    }
    ok t_cmp(upload($port, '/up/a', 8, @h)->{status}, 429,
             "$kind: 8 bytes more would pass 5G + 7: 429");
    ok t_cmp(upload($port, '/up/b', 7, @h)->{status}, 200,
             "$kind: 7 bytes fit, to the byte");
    ok t_cmp(upload($port, '/up/c', 1, @h)->{status}, 429,
             "$kind: and 1 more does not");
    if ($d) {
        ok t_cmp(held($kind, $d->{port}, $key), $SIZE,
                 "$kind: the store holds 5G + 7");
    }
    close $s;
    if ($d) {
        ok t_cmp(wait_held($kind, $d->{port}, $key, 7), 7,
                 "$kind: the dropped upload gave its 5G back");
    }
    else {
        my $until = time + 10;
        sleep 0.1 until time > $until
            || grep { m{ /up/held$} } log_lines("$dir/access_log");
    }
    # The 5G fits again: a new upload of 5G is not answered (a 429 would
    # come at once), it waits for its body, holding 5G.
    $s = hold($port, $t, $BIG);
    my $answered = '';
    vec(my $rin = '', fileno($s), 1) = 1;
    sysread $s, $answered, 100 if select($rin, undef, undef, 1);
    ok t_cmp($answered, '', "$kind: a new 5G upload fits again (no answer "
             . 'while it waits for its body)');
    if ($d) {
        ok t_cmp(wait_held($kind, $d->{port}, $key, $SIZE), $SIZE,
                 "$kind: a new 5G upload fits again: 5G + 7 held");
    }
    else {
        sleep 0.5;
    }
    ok t_cmp(upload($port, '/up/e', 1, @h)->{status}, 429,
             "$kind: and 1 byte more is refused again");
    close $s;
    stop_daemon($d) if $d;
}
