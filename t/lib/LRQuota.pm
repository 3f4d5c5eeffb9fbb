package LRQuota;
# Helpers of the upload-quota tests (t/quota/*.t): one upload with a
# declared length over a raw socket, many at once, a field of the JSON
# error body, a private server with a budget and a status page, and what
# the store tests need of the stores: a daemon whose clock runs ahead, the
# store's own clock, where memcached holds a key (the daemons themselves
# come from LRServer.pm).
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Temp qw(tempdir);
use FindBin;
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes qw(time sleep);

use LRServer qw(free_port start_httpd start_daemon);
use LRTest qw(http_request raw_request private_conf parse_auto);

our @EXPORT_OK = qw(upload uploads_at_once json_field quota_server
                    store_errors skewed_daemon store_clock memcached_get
                    store_key clear_of_edge);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# POSTs $len bytes with Content-Length to $path on $where (a vhost name or
# a port); $opt{headers} adds headers.  Returns the response (raw_request).
sub upload {
    my ($where, $path, $len, %opt) = @_;
    return raw_request($where, http_request(POST => $path,
        headers => ["Content-Length: $len", 'Connection: close',
                    @{ $opt{headers} || [] }],
        body => 'q' x $len), timeout => $opt{timeout} || 15);
}

# Starts the uploads [where, path, len, %opt of upload] all at once (one
# process each, released together) and returns their statuses in the same
# order.  With repeat => N in %opt a process sends N uploads one after the
# other, and its status is the first that is not 200 (or 200).
sub uploads_at_once {
    my (@jobs) = @_;
    my @pids;
    my $go = time + 0.5;
    for my $i (0 .. $#jobs) {
        pipe my $r, my $w or die "pipe: $!";
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            close $r;
            my ($where, $path, $len, %opt) = @{ $jobs[$i] };
            my $n = delete $opt{repeat} || 1;
            my $status = 200;
            sleep $go - time if $go > time;
            while ($n-- > 0 && $status == 200) {
                my $res = eval { upload($where, $path, $len, %opt) };
                $status = $res ? $res->{status} : 0;
            }
            print $w $status, "\n";
            close $w;
            POSIX::_exit(0);
        }
        close $w;
        push @pids, [$pid, $r];
    }
    my @status;
    for my $p (@pids) {
        my $fh = $p->[1];
        chomp(my $s = <$fh> // '0');
        push @status, $s;
        waitpid $p->[0], 0;
    }
    return @status;
}

# A private server on a free port: LogLevel info, the server-level lines
# $server (the store, the table's size), /up served by mod_reflector with
# LengthRequired On and "LengthRequiredQuota $quota" (and the lines
# $o{location}), /status (mod_status), and an access log "access_log" in
# its directory: status, %D (microseconds) and the path of each request.
# $o{conf} adds lines at the end, $o{modules} modules.  Dies if it does not
# start.  Returns its port and its directory (its error_log is there).
sub quota_server {
    my ($server, $quota, %o) = @_;
    my $port = free_port();
    my $location = $o{location} // '';
    my $conf = $o{conf} // '';
    my ($file) = private_conf(<<"CONF", listen => ["127.0.0.1:$port"],
LogLevel info
CustomLog access_log "%>s %D %U"
$server
<Location "/up">
    SetHandler reflector
    LengthRequired On
    LengthRequiredQuota $quota
$location
</Location>
<Location "/status">
    SetHandler server-status
</Location>
$conf
CONF
        modules => [qw(authz_core_module reflector_module status_module),
                    @{ $o{modules} || [] }]);
    my $httpd = start_httpd($file, ports => [$port]);
    die "$httpd->{why}\n" unless $httpd->{up};
    return ($port, $httpd->{dir}, $httpd);
}

# LengthRequiredQuotaStoreErrors of a quota_server on $port (undef when
# its status page does not say).
sub store_errors {
    my ($port) = @_;
    my ($st) = raw_request($port, "GET /status?auto HTTP/1.0\r\n\r\n");
    return parse_auto($st->{body})->{LengthRequiredQuotaStoreErrors};
}

# The daemon $name (memcached, redis-server; start_daemon's %o) with a
# wall clock $seconds ahead of the machine's: t/lib/skew_clock.c, compiled
# here with the system's cc, preloaded.  Dies when it cannot be built.
my $skew_so;
sub skewed_daemon {
    my ($name, $seconds, %o) = @_;
    if (!$skew_so) {
        my $dir = tempdir(CLEANUP => 1);
        my $src = "$FindBin::Bin/../lib/skew_clock.c";
        my $out = `cc -shared -fPIC -O2 -o '$dir/skew_clock.so' '$src' 2>&1`;
        die "cannot build $src: $out\n" if $?;
        $skew_so = "$dir/skew_clock.so";
    }
    local $ENV{LD_PRELOAD} = $skew_so;
    local $ENV{LR_SKEW_SECONDS} = $seconds;
    return start_daemon($name, %o);
}

# The Unix time of the store on $port by its own clock: redis-cli TIME, or
# the "time" line of memcached's stats.  undef when it does not say.
sub store_clock {
    my ($kind, $port) = @_;
    if ($kind eq 'redis') {
        my ($secs) = `redis-cli -p $port TIME 2>/dev/null` =~ /^(\d+)/;
        return $secs;
    }
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 5) or return undef;
    print $s "stats\r\nquit\r\n";
    my $out = do { local $/; <$s> } // '';
    return $out =~ /^STAT time (\d+)\r?$/m ? $1 : undef;
}

# The value memcached on $port holds for $key (undef when it holds none),
# and in list context also the seconds it has left to live by the
# store's own clock (-1: no expiry), with memcached's meta get.
sub memcached_get {
    my ($port, $key) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 5) or return undef;
    print $s "mg $key v t\r\nquit\r\n";
    my $out = do { local $/; <$s> } // '';
    # A decrement that shortens the number leaves it padded with spaces.
    my ($ttl, $value) = $out =~ /^VA \d+ t(-?\d+)\r\n(\d+) *\r\n/;
    return wantarray ? ($value, $ttl) : $value;
}

# Sleeps into the next window of $period seconds when fewer than $margin
# are left of this one: for checks that must all fall in one window.
sub clear_of_edge {
    my ($period, $margin) = @_;
    my $left = $period - time % $period;
    sleep $left + 1 if $left < $margin;
}

# The store key of budget $name ($period seconds) for the plain key value
# $value in the window of now (lr_quota.c's "lrq:NAME:PERIOD:WINDOW:vVALUE").
sub store_key {
    my ($name, $period, $value) = @_;
    return sprintf 'lrq:%s:%d:%d:v%s', $name, $period, int(time / $period),
        $value;
}

# A number or string field of the flat JSON error body (the module writes
# no nested strings with escapes, so a pattern is enough).
sub json_field {
    my ($body, $name) = @_;
    return $body =~ /"\Q$name\E":(?:"([^"]*)"|(-?\d+))/ ? ($1 // $2) : undef;
}

1;
