# A client that ignores the refusal and keeps uploading is cut off within
# a few seconds.  After an error httpd reads and throws away what the
# client still sends (lingering close) for up to 30 s; on a refusal the
# module asks for the short lingering close (about 2 s).  The client here
# keeps writing after it has read the refusal, and measures how long the
# server goes on accepting its bytes.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use IO::Select;
use Time::HiRes qw(time sleep);
use LRTest qw(:all);

plan tests => 2 * 4;

# How long the test keeps writing at most: longer than httpd's normal
# 30 s lingering close, so a missing short linger shows as >= 30 s.
my $GIVE_UP = 40;

sub keep_sending {
    my ($head) = @_;
    my $sock = Apache::TestRequest::vhost_socket() or die "connect: $!";
    local $SIG{PIPE} = 'IGNORE';
    syswrite $sock, $head . ('x' x 4096);

    # Wait for the refusal's status line.
    my $sel = IO::Select->new($sock);
    my $raw = '';
    while ($raw !~ /\r\n/ && $sel->can_read(15)) {
        last unless sysread $sock, my $buf, 4096;
        $raw .= $buf;
    }
    my ($status) = $raw =~ m{^HTTP/1\.\d (\d{3})};
    my $t0 = time;

    # Keep uploading, as a client that ignores the response would.  Reading
    # end-of-file is not the end (httpd shuts down its sending side first);
    # the connection is cut when a write fails or a read reports a reset.
    $sock->blocking(0);
    my ($sent, $cut) = (0, undef);
    while (time - $t0 < $GIVE_UP) {
        my $n = sysread $sock, my $buf, 65536;
        if (!defined $n && !$!{EAGAIN} && !$!{EWOULDBLOCK}) {
            $cut = "read failed: $!";
            last;
        }
        $n = syswrite $sock, 'x' x 8192;
        if (!defined $n && !$!{EAGAIN} && !$!{EWOULDBLOCK}) {
            $cut = "write failed: $!";
            last;
        }
        $sent += $n if $n;
        sleep 0.02;
    }
    close $sock;
    return ($status, time - $t0, $cut, $sent);
}

for my $case (['Content-Length of 100 MB over a 1K cap', 413,
               http_request(POST => '/cap/' . tag('linger'),
                            headers => ['Content-Length: 104857600'])],
              ['a chunked body under Deny', 411,
               http_request(POST => '/on/' . tag('linger'),
                            headers => ['Transfer-Encoding: chunked'])]) {
    my ($what, $want, $head) = @$case;
    my ($status, $took, $cut, $sent) = keep_sending($head);
    ok t_cmp($status, $want, "$what: refused with $want");
    ok t_cmp(defined $cut, 1,
             'the server cut the connection while the client kept sending ('
             . ($cut // "still open after $GIVE_UP s") . ')');
    ok t_cmp($sent > 0, 1,
             "the client did keep sending after the refusal ($sent bytes)");
    ok t_cmp($took < 10, 1,
             sprintf('cut off within a few seconds, not after the 30 s of a '
                     . 'normal lingering close (took %.1f s)', $took));
}
