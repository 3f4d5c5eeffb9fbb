# A refused request carrying "Expect: 100-continue" never gets a
# "100 Continue": the first thing the client reads is the final 411/413,
# so a compliant client never sends the body.  The client here does what a
# compliant client does: it sends the headers only and waits.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 4 * 3 + 3;


for my $case (['Content-Length 2000 over a 1K cap', '/cap',
               ['Content-Length: 2000'], 413],
              ['chunked under Deny', '/on',
               ['Transfer-Encoding: chunked'], 411],
              ['no length at all', '/on', [], 411],
              ['Content-Length 2000 over a 1K cap, with a local ErrorDocument',
               '/ed-local', ['Content-Length: 2000'], 413]) {
    my ($what, $where, $headers, $status) = @$case;
    my $tag = tag('expect');
    my ($line, $sock) = first_line(undef, http_request(POST => "$where/$tag",
        headers => [@$headers, 'Expect: 100-continue']));
    ok t_cmp($line, qr{^HTTP/1\.1 $status },
             "$what, Expect: 100-continue: the first line is the final $status");
    my $rest = read_rest($sock, 15);
    ok t_cmp(scalar(() = "$line\r\n$rest" =~ m{^HTTP/1\.1 100 }mg), 0,
             'no 100 Continue anywhere in what the server sent');
    request_finished($tag);
    ok t_cmp(scalar cgi_runs($tag), 0, 'and the CGI was never started');
}

# Control: when the body is wanted, httpd does send 100 Continue before
# reading it, so the test above could see one.
{
    my $tag = tag('expect-ok');
    my ($line, $sock) = first_line(undef, http_request(POST => "/cap/$tag",
        headers => ['Content-Length: 5', 'Expect: 100-continue',
                    'Connection: close']));
    ok t_cmp($line, qr{^HTTP/1\.1 100 Continue},
             'control: a POST that passes, with Expect: 100-continue, gets '
             . '100 Continue first');
    syswrite $sock, 'hello';
    my ($res) = grep { $_->{status} >= 200 }
                parse_responses(read_rest($sock, 15) =~ s/\A\r\n//r);
    ok t_cmp($res && $res->{status}, 200, 'control: then, once the body is sent, 200');
    ok t_cmp($res && $res->{body}, 'hello', 'control: with the body echoed');
}
