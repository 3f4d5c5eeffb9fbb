# Bytes that follow a refused request on the same connection are never
# parsed as a new request.  Each refused request below is sent in one
# write together with a complete GET of the echo CGI (which would record
# its run); only one response may come back, and the GET must never appear
# in the CGI's log, the access log or the error log.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 4 * 4 + 4;

sub smuggled_get {
    my ($tag) = @_;
    return http_request(GET => "/on/$tag", headers => ['Connection: close']);
}

my @cases = (
    ['POST without a length (411)', 411, sub {
        http_request(POST => "/on/$_[0]") . smuggled_get($_[1]) }],
    # The "body" of a refused request is not read, so a request hidden in
    # it must not be read either.
    ['POST with Content-Length 2000 over the cap (413), the GET inside '
     . 'its declared body', 413, sub {
        my $get = smuggled_get($_[1]);
        http_request(POST => "/cap/$_[0]",
            headers => ['Content-Length: 2000'], body => $get) }],
    ['chunked POST under Deny (411), the GET after its last chunk', 411, sub {
        http_request(POST => "/on/$_[0]",
            headers => ['Transfer-Encoding: chunked'], body => chunked('abc'))
        . smuggled_get($_[1]) }],
    ['POST without a length with Expect: 100-continue (411)', 411, sub {
        http_request(POST => "/on/$_[0]",
            headers => ['Expect: 100-continue']) . smuggled_get($_[1]) }],
);

for my $c (@cases) {
    my ($what, $status, $build) = @$c;
    my $tag = tag('refused');
    my $smuggled = tag('smuggled');
    my ($res, $x) = raw_request(undef, $build->($tag, $smuggled));

    ok t_cmp(join(' ', map { $_->{status} } @{ $x->{responses} }), $status,
             "$what, then a GET in the same write: exactly one response, $status");
    # lr_log has the refused request once httpd is done with the
    # connection's only request; the GET would have been logged after it.
    request_finished($tag);
    ok t_cmp(scalar cgi_runs($smuggled), 0, 'the CGI never ran for the GET');
    ok t_cmp(scalar grep({ /\Q$smuggled\E/ } log_lines('lr_log')), 0,
             'the GET is not in the access log: it was never a request');
    ok t_cmp(scalar error_lines(qr/\Q$smuggled\E/), 0,
             'and not in the error log either');
}

# Control: after a request that passes, the same pipelined GET is served,
# so the test would see a second request if one were made.
{
    my $tag = tag('passes');
    my $second = tag('second');
    my ($res, $x) = raw_request(undef,
        http_request(POST => "/on/$tag", headers => ['Content-Length: 2'],
                     body => 'ab')
        . smuggled_get($second));
    ok t_cmp(join(' ', map { $_->{status} } @{ $x->{responses} }), '200 200',
             'control: a POST that passes, then a GET: two responses');
    request_finished($second);
    ok t_cmp(scalar cgi_runs($tag), 1, 'control: the CGI ran for the POST');
    ok t_cmp(scalar cgi_runs($second), 1, 'control: and for the GET');
    ok t_cmp(scalar grep({ /\Q$second\E/ } log_lines('lr_log')), 1,
             'control: the GET is in the access log');
}
