package LRQuota;
# Helpers of the upload-quota tests (t/quota/*.t): one upload with a
# declared length over a raw socket, many at once, a field of the JSON
# error body, and a private server with a budget and a status page (the
# memcached and redis-server of quota/farm.t come from LRServer.pm).
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use POSIX ();
use Time::HiRes qw(time sleep);

use LRServer qw(free_port start_httpd);
use LRTest qw(http_request raw_request private_conf);

our @EXPORT_OK = qw(upload uploads_at_once json_field quota_server
                    store_errors);
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

# Starts the uploads [where, path, len] all at once (one process each,
# released together) and returns their statuses in the same order.
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
            sleep $go - time if $go > time;
            my $res = eval { upload(@{ $jobs[$i] }) };
            print $w ($res ? $res->{status} : 0), "\n";
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
# LengthRequired On and "LengthRequiredQuota $quota", and /status
# (mod_status).  Dies if it does not start.  Returns its port and its
# directory (its error_log is there).
sub quota_server {
    my ($server, $quota) = @_;
    my $port = free_port();
    my ($file) = private_conf(<<"CONF", listen => ["127.0.0.1:$port"],
LogLevel info
$server
<Location "/up">
    SetHandler reflector
    LengthRequired On
    LengthRequiredQuota $quota
</Location>
<Location "/status">
    SetHandler server-status
</Location>
CONF
        modules => [qw(authz_core_module reflector_module status_module)]);
    my $httpd = start_httpd($file, ports => [$port]);
    die "$httpd->{why}\n" unless $httpd->{up};
    return ($port, $httpd->{dir});
}

# LengthRequiredQuotaStoreErrors of a quota_server on $port (undef when
# its status page does not say).
sub store_errors {
    my ($port) = @_;
    my ($st) = raw_request($port, "GET /status?auto HTTP/1.0\r\n\r\n");
    my ($n) = $st->{body} =~ /^LengthRequiredQuotaStoreErrors: (\d+)$/m;
    return $n;
}

# A number or string field of the flat JSON error body (the module writes
# no nested strings with escapes, so a pattern is enough).
sub json_field {
    my ($body, $name) = @_;
    return $body =~ /"\Q$name\E":(?:"([^"]*)"|(-?\d+))/ ? ($1 // $2) : undef;
}

1;
