# A judged request with neither Content-Length nor chunked framing gets 411
# (reason missing-length), over HTTP/1.0 and HTTP/1.1, whatever the rest of
# the policy says; the CGI behind it is never started.  Raw sockets: LWP
# would add a Content-Length.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

# [method, location, protocol, body bytes sent anyway, why]
my @refused = (
    [POST  => '/on', 'HTTP/1.1', '', 'POST over HTTP/1.1'],
    [POST  => '/on', 'HTTP/1.0', '', 'POST over HTTP/1.0'],
    [PUT   => '/on', 'HTTP/1.0', '', 'PUT over HTTP/1.0'],
    [PATCH => '/on', 'HTTP/1.1', '', 'PATCH over HTTP/1.1'],
    # Bytes after the headers are not a body without framing; they must
    # not change the verdict.
    [POST  => '/on', 'HTTP/1.0', 'name=value',
     'POST over HTTP/1.0 followed by unframed bytes'],
    # A cap does not turn a missing length into a 413.
    [POST  => '/cap', 'HTTP/1.1', '', 'POST where a cap is set'],
    # LengthRequiredChunked Allow is about chunked bodies, not about
    # bodies with no framing at all.
    [POST  => '/chunked-ok', 'HTTP/1.1', '',
     'POST where chunked bodies are allowed'],
);

plan tests => 5 * @refused + 4;

for my $c (@refused) {
    my ($method, $where, $proto, $extra, $why) = @$c;
    my $tag = tag('nolen');
    my ($res, $x) = raw_request(undef,
        http_request($method, "$where/$tag", proto => $proto) . $extra);

    ok t_cmp($res->{status}, 411, "$why without a length: 411");
    ok t_cmp($res->{proto}, 'HTTP/1.1',
             'answered as HTTP/1.1 by httpd, as for any request');
    ok t_cmp($x->{eof}, 1, 'the server closed the connection after the 411');

    request_finished($tag);
    ok t_cmp(scalar cgi_runs($tag), 0, 'the CGI was never started');
    ok t_cmp(lr_note($tag), 'missing-length', 'the note says missing-length');
}

# The same requests with a length pass, so it is the missing length that
# is refused, not the method or the protocol.
for my $proto ('HTTP/1.0', 'HTTP/1.1') {
    my $tag = tag('withlen');
    my $res = raw_request(undef, http_request(POST => "/on/$tag",
        proto => $proto, body => 'hello',
        headers => ['Content-Length: 5', 'Connection: close']));
    ok t_cmp($res->{status}, 200, "POST over $proto with Content-Length: 200");
    ok t_cmp($res->{body}, 'hello', 'and the CGI echoed its body');
}
