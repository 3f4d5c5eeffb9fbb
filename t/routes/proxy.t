# A reverse proxy (mod_proxy_http) in front of a backend virtual host
# (lr_backend) whose handler, the echo CGI, records every run.  A refused
# request never reaches the backend: no CGI run and no request in the
# backend's access log lines.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 4 + 4 * 4;

# Log lines of the backend for $tag: the proxy maps /proxy/X to /backend/X.
sub backend_seen {
    my ($tag) = @_;
    return (scalar(grep { m{/backend/\Q$tag\E} } log_lines('cgi_runs.log')),
            scalar(grep { m{"\S+ /backend/\Q$tag\E } } log_lines('lr_log')));
}

# Control: a request that passes goes through the proxy to the backend,
# which records it, so the test can see a backend request when there is
# one.
{
    my $tag = tag('proxy-pass');
    my $res = POST "/proxy/$tag", content => 'via the proxy';
    ok t_cmp($res->code, 200, 'control: POST /proxy/... with a length: 200');
    ok t_cmp($res->content, 'via the proxy', 'control: echoed by the backend');
    wait_for_lines('lr_log', qr{"POST /proxy/\Q$tag\E });
    my ($runs, $logged) = backend_seen($tag);
    ok t_cmp($runs, 1, 'control: the backend CGI recorded the run');
    ok t_cmp($logged, 1, 'control: the backend logged the request');
}

for my $case (['POST without a length', 411, 'missing-length', [], ''],
              ['POST with Content-Length 2000 over the 1K cap', 413,
               'too-large', ['Content-Length: 2000'], 'p' x 2000],
              ['chunked POST under Deny', 411, 'chunked',
               ['Transfer-Encoding: chunked'], chunked('p' x 10)],
              ['chunked POST under Deny, Expect: 100-continue', 411, 'chunked',
               ['Transfer-Encoding: chunked', 'Expect: 100-continue'], '']) {
    my ($what, $status, $note, $headers, $body) = @$case;
    my $tag = tag('proxy');
    my $res = raw_request(undef, http_request(POST => "/proxy/$tag",
        headers => $headers, body => $body));
    ok t_cmp($res->{status}, $status, "$what through the proxy: $status");
    # Once the front request is logged, the proxy is done with it.
    my ($front) = wait_for_lines('lr_log', qr{"POST /proxy/\Q$tag\E });
    ok t_cmp($front, qr/ lr=\Q$note\E$/, "refused by the module ($note)");
    my ($runs, $logged) = backend_seen($tag);
    ok t_cmp($runs, 0, 'the backend CGI never ran');
    ok t_cmp($logged, 0, 'the backend never received the request');
}
