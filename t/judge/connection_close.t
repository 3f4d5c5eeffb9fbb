# The connection is closed after a refusal: the response says
# "Connection: close" and the server closes its end, even though the
# client asked for keep-alive.  A request that passes keeps the connection
# open, so the test can tell the two apart.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use IO::Select;
use LRTest qw(:all);

plan tests => 12;

# Sends one request with keep-alive, reads exactly one response (by its
# Content-Length), then reports whether the server closed the connection
# within $wait seconds, and returns the socket for more.
sub one_request {
    my ($bytes, $wait) = @_;
    my $sock = Apache::TestRequest::vhost_socket() or die "connect: $!";
    syswrite $sock, $bytes;
    my $raw = '';
    my $sel = IO::Select->new($sock);
    my $res;
    while ($sel->can_read(15)) {
        last unless sysread $sock, my $buf, 65536;
        $raw .= $buf;
        my ($r) = parse_responses($raw);
        if ($r && $raw =~ /\r\n\r\n/
            && length($r->{body}) >= ($r->{headers}{'content-length'} // 0)) {
            $res = $r;
            last;
        }
    }
    my $closed = 0;
    if ($sel->can_read($wait)) {
        $closed = 1 unless sysread $sock, my $buf, 65536;
    }
    return ($res || { status => 0, headers => {} }, $closed, $sock);
}

for my $case (['POST /on without a length', 'POST', '/on', [], '', 411],
              ['POST /cap with Content-Length 2000', 'POST', '/cap',
               ['Content-Length: 2000'], 'z' x 2000, 413],
              ['chunked POST /on', 'POST', '/on',
               ['Transfer-Encoding: chunked'], chunked('z'), 411]) {
    my ($what, $method, $where, $headers, $body, $status) = @$case;
    my $tag = tag('close');
    my ($res, $closed) = one_request(http_request($method, "$where/$tag",
        headers => ['Connection: keep-alive', @$headers], body => $body), 5);
    ok t_cmp($res->{status}, $status, "$what, asking for keep-alive: $status");
    ok t_cmp($res->{headers}{connection}, qr/^close$/i,
             'the response says Connection: close');
    ok t_cmp($closed, 1, 'and the server closed the connection');
}

# Control: a request that passes, with keep-alive, is answered and the
# connection stays open for the next request.
{
    my $tag = tag('keepalive');
    my ($res, $closed, $sock) = one_request(http_request(POST => "/cap/$tag",
        headers => ['Content-Length: 5'], body => 'hello'), 1);
    ok t_cmp($res->{status}, 200, 'control: POST /cap with Content-Length 5: 200');
    ok t_cmp($closed, 0, 'control: the connection stays open after it');
    syswrite $sock, http_request(GET => "/on/$tag-2",
                                 headers => ['Connection: close']);
    my $raw = '';
    while (IO::Select->new($sock)->can_read(15)) {
        last unless sysread $sock, my $buf, 65536;
        $raw .= $buf;
    }
    my ($second) = parse_responses($raw);
    ok t_cmp($second && $second->{status}, 200,
             'control: a second request on it is answered');
}
