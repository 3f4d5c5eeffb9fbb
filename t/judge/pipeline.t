# Bytes that follow a refused request on the same connection are never
# parsed as a new request.  Each refused request below is sent in one
# write together with two requests that would leave a trace if they were
# served: a GET of the echo CGI (which records its run, and is in the
# access log) and a POST without a length (which would be refused and
# logged in the error log).  Only one response may come back, and neither
# may appear in the CGI's log, the access log or the error log; a control
# shows all three traces when the first request passes.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 4 * 4 + 5;

# The requests hidden after the first: a GET of the echo CGI, then a POST
# without a length (a refusal, which closes the connection).
sub smuggled {
    my ($tag) = @_;
    return http_request(GET => "/on/$tag")
        . http_request(POST => "/on/$tag-post");
}

# Refusals logged for the smuggled POST.
sub refusals { scalar error_lines(qr/LR00001: refused POST \/on\/\Q$_[0]\E-post /) }

my @cases = (
    ['POST without a length (411)', 411, sub {
        http_request(POST => "/on/$_[0]") . smuggled($_[1]) }],
    # The "body" of a refused request is not read, so a request hidden in
    # it must not be read either.
    ['POST with Content-Length 2000 over the cap (413), the requests inside '
     . 'its declared body', 413, sub {
        http_request(POST => "/cap/$_[0]",
            headers => ['Content-Length: 2000'], body => smuggled($_[1])) }],
    ['chunked POST under Deny (411), the requests after its last chunk', 411, sub {
        http_request(POST => "/on/$_[0]",
            headers => ['Transfer-Encoding: chunked'], body => chunked('abc'))
        . smuggled($_[1]) }],
    ['POST without a length with Expect: 100-continue (411)', 411, sub {
        http_request(POST => "/on/$_[0]",
            headers => ['Expect: 100-continue']) . smuggled($_[1]) }],
);

for my $c (@cases) {
    my ($what, $status, $build) = @$c;
    my $tag = tag('refused');
    my $smuggled = tag('smuggled');
    my ($res, $x) = raw_request(undef, $build->($tag, $smuggled));

    ok t_cmp(join(' ', map { $_->{status} } @{ $x->{responses} }), $status,
             "$what, then a GET and a POST in the same write: exactly one "
             . "response, $status");
    # The server has closed the connection: it is done with all it read.
    request_finished($tag);
    ok t_cmp(scalar cgi_runs($smuggled), 0, 'the CGI never ran for the GET');
    ok t_cmp(scalar grep({ /\Q$smuggled\E/ } log_lines('lr_log')), 0,
             'neither the GET nor the POST is in the access log: they were '
             . 'never requests');
    ok t_cmp(refusals($smuggled), 0,
             'and no refusal of the POST is in the error log');
}

# Control: after a request that passes, the same pipelined requests are
# served, so the test would see them if they were made.
{
    my $tag = tag('passes');
    my $second = tag('second');
    my ($res, $x) = raw_request(undef,
        http_request(POST => "/on/$tag", headers => ['Content-Length: 2'],
                     body => 'ab')
        . smuggled($second));
    ok t_cmp(join(' ', map { $_->{status} } @{ $x->{responses} }),
             '200 200 411',
             'control: a POST that passes, then the GET and the POST: three '
             . 'responses');
    request_finished("$second-post");
    ok t_cmp(scalar cgi_runs($tag), 1, 'control: the CGI ran for the POST');
    ok t_cmp(scalar cgi_runs($second), 1, 'control: and for the GET');
    ok t_cmp(scalar grep({ /\Q$second\E/ } log_lines('lr_log')), 2,
             'control: the GET and the POST are in the access log');
    ok t_cmp(refusals($second), 1,
             'control: the refusal of the POST is in the error log');
}
