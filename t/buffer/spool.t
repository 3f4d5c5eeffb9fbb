# Where a buffered body lives: past LengthRequiredBufferMemory in a
# temporary file of LengthRequiredBufferDir that has no name from the
# moment it is created (so nothing is left behind whatever happens), and
# whose space is given back when the request ends: after success, a 413, a
# client that aborts mid-body, a client that stalls (mod_reqtimeout: 408),
# a child killed with SIGKILL mid-body and a graceful restart mid-body.
# Also the mod_status counters.
#
# A private server of its own (one child), so that killing its child
# disturbs no other test.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use IO::Select ();
use IO::Socket::INET ();
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRBuffer qw(:all);
use LRServer qw(free_port start_httpd);

plan tests => 2 + 4 + 3 + 3 + 6 + 6 + 3 + 4 + 3 + 2;

my $port = free_port();
my $dir = tempdir(CLEANUP => 1);
my $spool = "$dir/spool";
make_path($spool);

my ($conf) = private_conf(<<"EOC", dir => $dir,
@{[ module_line('reqtimeout_module') ]}
LogLevel info
RequestReadTimeout header=10 body=4
LengthRequiredBufferDir "$spool"
LengthRequiredBufferMemory 16K
<Location "/">
    SetHandler reflector
    Require all granted
    LengthRequired On
    LengthRequiredChunked Buffer
    LengthRequiredMaxBody 1M
</Location>
<Location "/server-status">
    SetHandler server-status
    LengthRequired Off
</Location>
EOC
    modules => ['authz_core_module', 'reflector_module', 'status_module'],
    listen => ["127.0.0.1:$port"], one_child => 1);

my $httpd = start_httpd($conf, ports => [$port]);
ok t_cmp($httpd->{up}, 1, 'the private server starts'
         . ($httpd->{up} ? '' : ": $httpd->{why}"));
ok t_cmp(join(' ', spool_names($spool)), '', 'its spool directory is empty');

sub post {
    my ($body, $piece) = @_;
    return raw_request($port, http_request(POST => '/x',
        headers => ['Transfer-Encoding: chunked', 'Connection: close'],
        body => chunked_by($body, $piece)), timeout => 30);
}

# Sends the head and part of a chunked body (never its last chunk), and
# waits until a process holds a temporary file of the spool open.
# Returns the socket, the holder's pid and the file it holds.
sub upload_halfway {
    my ($len) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
        or die "connect: $!";
    my $part = chunked_by(body_of($len, 2), 4093);
    $part =~ s/0\r\n\r\n\z//;
    print $sock http_request(POST => '/x',
        headers => ['Transfer-Encoding: chunked'], body => $part);
    my $until = time + 5;
    while (time < $until) {
        my $held = spool_holders($spool);
        if (my ($pid) = keys %$held) {
            return ($sock, $pid, $held->{$pid}[0]);
        }
        sleep 0.05;
    }
    return ($sock, 0, '');
}

sub no_holders {
    my ($what) = @_;
    my $held = wait_no_holders($spool, 10);
    ok t_cmp(join(' ', map { @$_ } values %$held), '',
             "$what: no process holds a temporary file open any more");
}

# Success: the body spilled to the file, and came back whole.
{
    my $body = body_of(200_000, 1);
    my $res = post($body, 4093);
    ok t_cmp($res->{status}, 200, '200,000 bytes, past 16K of memory: 200');
    ok t_cmp(md5_hex($res->{body}), md5_hex($body), '... echoed whole by the handler');
    ok t_cmp(join(' ', spool_names($spool)), '', '... no name left in the spool');
    no_holders('after success');
}

# Past the bound: 413.
{
    my $res = post(body_of(1_100_000, 1), 65_521);
    ok t_cmp($res->{status}, 413, '1,100,000 bytes over the 1M bound: 413');
    ok t_cmp(join(' ', spool_names($spool)), '', '... no name left in the spool');
    no_holders('after the 413');
}

# Past the bound, a client that keeps sending is cut off by the short
# lingering close, within a few seconds (a normal one lasts 30 s).  One
# chunk of 4 GB declared; the bytes keep coming.
{
    my $x = send_until_cut($port, http_request(POST => '/x',
        headers => ['Transfer-Encoding: chunked'], body => "100000000\r\n")
        . ('x' x 1_100_000));
    ok t_cmp($x->{status}, 413, 'a body that keeps coming past the bound: 413');
    ok t_cmp(defined $x->{cut} ? 1 : 0, 1, 'the server cut the connection '
             . 'while the client kept sending (' . ($x->{cut} // 'still open')
             . ')');
    ok t_cmp(defined $x->{after_status} && $x->{after_status} < 10 ? 1 : 0, 1,
             sprintf('... within a few seconds, not the 30 s of a normal '
                     . 'lingering close (%s)', defined $x->{after_status}
                     ? sprintf('%.1f s', $x->{after_status}) : 'never'));
}

# A client that goes away mid-body.
{
    my ($sock, $pid, $file) = upload_halfway(100_000);
    ok t_cmp($pid ? 1 : 0, 1, 'mid-body, a child holds a temporary file of '
             . 'the spool open (it spilled past the memory)');
    ok t_cmp($file, qr{^\Q$spool\E/lr-body\.\w+ \(deleted\)$},
             '... one that has no name any more');
    ok t_cmp(join(' ', spool_names($spool)), '', '... and the directory is '
             . 'empty meanwhile');
    my ($fd) = grep { (readlink($_) // '') eq $file } glob "/proc/$pid/fd/*";
    my $mode = $fd ? (stat $fd)[2] & 07777 : -1;
    ok t_cmp(sprintf('%04o', $mode), '0600', '... and its mode is 0600');
    close $sock;
    no_holders('after the client went away');
    ok t_cmp(join(' ', spool_names($spool)), '', '... no name left in the spool');
}

# SIGKILL of the child mid-body.
{
    my ($sock, $pid, $file) = upload_halfway(100_000);
    ok t_cmp($pid ? 1 : 0, 1, 'mid-body again, a child holds the file');
    ok t_cmp(kill('KILL', $pid), 1, "SIGKILL sent to that child ($pid)");
    close $sock;
    no_holders('after the child was killed');
    ok t_cmp(join(' ', spool_names($spool)), '', '... no name left in the spool');
    # The parent starts a new child; it buffers as before.
    my $res;
    my $until = time + 30;
    while (time < $until) {
        $res = eval { post('n' x 100, 7) };
        last if $res && $res->{status};
        sleep 0.3;
    }
    ok t_cmp($res ? $res->{status} : 0, 200, 'a new child serves a buffered '
             . 'request after that');
    ok t_cmp($res ? $res->{body} : '', 'n' x 100, '... with its body');
}

# A client that stalls mid-body: mod_reqtimeout's body timeout (4 s) ends
# it with 408.
{
    my ($sock, $pid) = upload_halfway(50_000);
    my ($raw, $sel) = ('', IO::Select->new($sock));
    my $until = time + 15;
    while ((my $left = $until - time) > 0) {
        last unless $sel->can_read($left);
        my $n = sysread $sock, my $buf, 65536;
        last unless $n;
        $raw .= $buf;
    }
    close $sock;
    ok t_cmp($raw, qr{^HTTP/1\.1 408 }, 'a client that stalls mid-body: 408 '
             . '(mod_reqtimeout)');
    no_holders('after the timeout');
    ok t_cmp(join(' ', spool_names($spool)), '', '... no name left in the spool');
}

# A graceful restart mid-body: the old child finishes the request (the
# body comes out whole), then the file is gone with it.
{
    my $len = 100_000;
    my ($sock, $pid) = upload_halfway($len);
    ok t_cmp($pid ? 1 : 0, 1, 'mid-body, before a graceful restart, a child '
             . 'holds the file');
    kill 'USR1', $httpd->{pid};
    sleep 1;
    print $sock "0\r\n\r\n";
    my ($raw, $sel) = ('', IO::Select->new($sock));
    while ($sel->can_read(15)) {
        my $n = sysread $sock, my $buf, 65536;
        last unless $n;
        $raw .= $buf;
        last if length $raw >= $len && $raw =~ /\r\n\r\n/;
    }
    close $sock;
    my ($res) = parse_responses($raw);
    ok t_cmp($res ? $res->{status} : 0, 200, '... the request completes: 200');
    ok t_cmp($res ? md5_hex($res->{body}) : '', md5_hex(body_of($len, 2)),
             '... with the whole body');
    no_holders('after the graceful restart');
}

# A spool error (the directory gone): 500, the file-system error in the
# log, and the handler (which would echo the body) never answers.
{
    rmdir $spool or die "rmdir $spool: $!";
    my $res = post(body_of(50_000, 3), 4093);
    make_path($spool);
    ok t_cmp($res->{status}, 500, 'the spool directory gone: 500');
    ok t_cmp(length $res->{body} < 50_000 ? 1 : 0, 1,
             '... and not the echoed body');
    ok t_cmp(slurp("$dir/error_log"), qr/\[length_required:error\].*No such file or directory.*LR00032: cannot create the temporary file for the body of POST \/x in \Q$spool\E/,
             '... and the error log has the file-system error and the '
             . 'directory');
}

# The counters: three bodies buffered (the 200,000 bytes, the 100 after
# the kill and the one across the graceful restart), two of them in a
# file; the refused and broken ones are not.  A graceful restart keeps
# the counters.
{
    my $res = raw_request($port, http_request(GET => '/server-status?auto',
                                              headers => ['Connection: close']));
    my ($buffered) = $res->{body} =~ /^LengthRequiredBuffered: (\d+)$/m;
    my ($to_file) = $res->{body} =~ /^LengthRequiredBufferedToFile: (\d+)$/m;
    ok t_cmp($buffered // 'none', 3, 'mod_status: LengthRequiredBuffered 3');
    ok t_cmp($to_file // 'none', 2, 'mod_status: LengthRequiredBufferedToFile 2');
}
