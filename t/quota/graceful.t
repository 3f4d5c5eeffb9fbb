# A graceful restart with uploads in flight keeps the shm count exact.
# The table outlives the generation (it lives in the process pool), and
# so must its lock: children of the old generation finish their uploads,
# charging them as they stream in, while children of the new one charge
# new uploads to the same key at the same time.  Afterwards the budget has
# been charged exactly what arrived, to the byte (the RateLimit field of
# one more upload says what is left).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRQuota qw(:all);
use LRServer qw(restart_httpd);

my $BUDGET = 64 * 1024 ** 3;
my $STREAMS = 4;                # uploads in flight in old children, and
                                # as many in new ones
my $CHUNK = 64 * 1024;
my $CHUNKS = $ENV{LR_GRACEFUL_CHUNKS} || 64;    # ... each, after the restart
my $CLIENTS = 4;                # new uploads, in new children
my $EACH = 150;                 # ... each client sends this many
my $SIZE = 1000;

plan tests => 5 + 9;

my $budget = qq{gr $BUDGET 1h "%{HTTP:X-Key}"};
my ($port, $dir, $httpd) = quota_server('LengthRequiredQuotaStore shm', $budget,
    location => '    LengthRequiredQuotaHeaders On',
    conf => <<"CONF");
# Streamed uploads, read and thrown away by the default handler (404).
<Location "/sink">
    LengthRequired On
    LengthRequiredChunked Allow
    LengthRequiredQuota $budget
</Location>
CONF
my $key = "g-$$-" . int(time);
clear_of_edge(3600, 30);
my $sync = tempdir(CLEANUP => 1);

# A stream: the head and a first chunk now, the rest once $sync/go
# exists, then the end; its status goes to $sync/stream.N.
sub stream {
    my ($n) = @_;
    my $pid = fork // die "fork: $!";
    return $pid if $pid;
    my $status = 0;
    eval {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port) or die;
        my $chunk = sprintf("%x\r\n", $CHUNK) . ('s' x $CHUNK) . "\r\n";
        print $s "POST /sink/$key-$n HTTP/1.1\r\nHost: x\r\n"
            . "X-Key: $key\r\nTransfer-Encoding: chunked\r\n\r\n$chunk";
        open my $fh, '>', "$sync/in.$n"; close $fh;
        my $until = time + 30;
        sleep 0.01 until -e "$sync/go" || time > $until;
        print $s $chunk for 1 .. $CHUNKS;
        print $s "0\r\n\r\n";
        local $/ = "\r\n";
        my $line = <$s> // '';
        $status = $line =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0;
    };
    open my $fh, '>', "$sync/stream.$n";
    print $fh $status;
    close $fh;
    POSIX::_exit(0);
}

my @pids = map { stream($_) } 1 .. $STREAMS;
my $until = time + 20;
sleep 0.05 until $STREAMS == grep({ -e "$sync/in.$_" } 1 .. $STREAMS)
                 || time > $until;
sleep 0.5;      # the first chunks charged

ok t_cmp(restart_httpd($httpd, 'USR1', "$dir/error_log"), 1,
         'graceful restart with the streams in flight');
# New streams and new uploads, on new connections (so in new children),
# while the old children take in the rest of the old streams.
push @pids, map { stream($_) } $STREAMS + 1 .. 2 * $STREAMS;
$until = time + 20;
sleep 0.05 until 2 * $STREAMS == grep({ -e "$sync/in.$_" } 1 .. 2 * $STREAMS)
                 || time > $until;
open my $fh, '>', "$sync/go"; close $fh;
my @st = uploads_at_once(map { [$port, "/up/$key", $SIZE,
                                 headers => ["X-Key: $key"],
                                 repeat => $EACH] } 1 .. $CLIENTS);
waitpid $_, 0 for @pids;
my @streams = map { open my $f, '<', "$sync/stream.$_"; scalar <$f> // 0 }
              1 .. 2 * $STREAMS;
ok t_cmp("@streams", join(' ', ('404') x (2 * $STREAMS)),
         'every stream arrived whole (the default handler read it and '
         . 'answered 404)');
ok t_cmp(scalar(grep { $_ == 200 } @st), $CLIENTS,
         "every new upload was admitted (@st)");
my $pids = () = grep { /resuming normal operations/ } log_lines("$dir/error_log");
ok t_cmp($pids, 2, 'one restart (two "resuming" lines)');

# What is left is the budget less every byte that arrived (and 1 more).
my $charged = 2 * $STREAMS * $CHUNK * ($CHUNKS + 1)
              + $CLIENTS * $EACH * $SIZE;
my $res = upload($port, "/up/$key-last", 1, headers => ["X-Key: $key"]);
my ($left) = ($res->{headers}{ratelimit} // '') =~ /;r=(\d+)/;
ok t_cmp($left, $BUDGET - $charged - 1,
         "the budget was charged exactly the $charged bytes that arrived");

# A resize of the table at a graceful restart: the live windows move to
# the new table, and the old one is let go (the parent maps one table, not
# one per size it ever had).
sub tables {
    my ($pid) = @_;
    no warnings 'portable';     # 64-bit addresses
    open my $fh, '<', "/proc/$pid/maps" or return 'unreadable';
    my @big = grep {
        my ($lo, $hi) = /^([0-9a-f]+)-([0-9a-f]+) \S+s /;
        m{/dev/zero|SYSV} && defined $hi && hex($hi) - hex($lo) >= 1024 ** 2;
    } <$fh>;
    return scalar @big;
}
my ($rport, $rdir, $rhttpd) = quota_server(
    "LengthRequiredQuotaStore shm\nLengthRequiredQuotaEntries 20000",
    'resize 1000 1h "%{HTTP:X-Key}"');
my $rt = tag('resize');
ok t_cmp(upload($rport, '/up/a', 600, headers => ["X-Key: $rt"])->{status},
         200, '600 charged in a table of 20000 entries');
ok t_cmp(tables($rhttpd->{pid}), 1, 'the parent maps one table');
my %after = (
    30000 => sub {
        ok t_cmp(upload($rport, '/up/b', 400, headers => ["X-Key: $rt"])
                 ->{status}, 200, 'in the new table the 400 left fit');
        ok t_cmp(upload($rport, '/up/c', 1, headers => ["X-Key: $rt"])
                 ->{status}, 429, 'and 1 more does not: the 600 came along');
    },
    20000 => sub {
        ok t_cmp(upload($rport, '/up/d', 1, headers => ["X-Key: $rt"])
                 ->{status}, 429, 'back at 20000 entries, still spent');
    },
);
for my $n (30000, 20000) {
    my $conf = "$rdir/httpd.conf";
    open my $in, '<', $conf or die "$conf: $!";
    my $text = do { local $/; <$in> };
    close $in;
    $text =~ s/^LengthRequiredQuotaEntries \d+$/LengthRequiredQuotaEntries $n/m;
    open my $out, '>', $conf or die "$conf: $!";
    print $out $text;
    close $out;
    ok t_cmp(restart_httpd($rhttpd, 'USR1', "$rdir/error_log"), 1,
             "graceful restart with LengthRequiredQuotaEntries $n");
    ok t_cmp(tables($rhttpd->{pid}), 1,
             'the parent still maps one table: the old one is gone');
    $after{$n}->();
}
