package LRQuota;
# Helpers of the upload-quota tests (t/quota/*.t): one upload with a
# declared length over a raw socket, many at once, a field of the JSON
# error body.  The private memcached and redis-server of quota/farm.t come
# from LRServer.pm.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use POSIX ();
use Time::HiRes qw(time sleep);

use LRTest qw(http_request raw_request);

our @EXPORT_OK = qw(upload uploads_at_once json_field);
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

# A number or string field of the flat JSON error body (the module writes
# no nested strings with escapes, so a pattern is enough).
sub json_field {
    my ($body, $name) = @_;
    return $body =~ /"\Q$name\E":(?:"([^"]*)"|(-?\d+))/ ? ($1 // $2) : undef;
}

1;
