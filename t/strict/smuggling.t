# LengthRequiredStrict: a request-smuggling corpus sent to two virtual
# hosts, lr_strict_on (Strict On) and lr_strict_off (Strict Off), that are
# otherwise the same echo CGI.  For each vector: the statuses of every
# response the server sent, whether it closed the connection, whether the
# CGI ran (t/cgi-bin/echo.pl records each run) and what it read, and the
# module's note in lr_strict_on's access log (strict_on_log).
#
# The vectors httpd core refuses by itself, whatever Strict says, are in
# httpd/core.t; HTTP/2 on the Strict On host is in strict/h2c.t.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

my $body = chunked('hello');
sub post { http_request(POST => '/cgi/echo.pl?c=CASE', headers => [@_[0 .. $#_ - 1]],
                        body => $_[-1]) }

# [name, request (CASE stands for the request's tag), Strict On: statuses
#  and the note's reason ('-': Strict lets it through), Strict Off:
#  statuses]
my @corpus = (
    # What httpd core accepts and Strict refuses.
    ['TE on HTTP/1.0',
     "POST /cgi/echo.pl?c=CASE HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n$body",
     '400', 'te-http10', '200'],
    ['chunked, chunked', post('Transfer-Encoding: chunked, chunked', $body),
     '400', 'te-repeated', '200'],
    ['gzip, chunked', post('Transfer-Encoding: gzip, chunked', $body),
     '501', 'te-coding', '200'],
    ['identity, chunked', post('Transfer-Encoding: identity, chunked', $body),
     '501', 'te-coding', '200'],
    ['empty element before chunked', post('Transfer-Encoding: , chunked', $body),
     '400', 'te-coding', '200'],
    ['TE on two header lines',
     post('Transfer-Encoding: chunked', 'Transfer-Encoding: chunked', $body),
     '400', 'te-repeated', '200'],
    ['TE folded onto a continuation line',
     post("Transfer-Encoding:\r\n chunked", $body),
     '400', 'te-folded', '200'],
    ['CL.TE: Content-Length first, then chunked',
     post('Content-Length: 6', 'Transfer-Encoding: chunked', "0\r\n\r\nG"),
     '400', 'cl-te', '200'],
    ['TE.CL: chunked first, then Content-Length',
     post('Transfer-Encoding: chunked', 'Content-Length: 3', chunked('SMUGGLED')),
     '400', 'cl-te', '200'],
    ['CL and TE on HTTP/1.0',
     "POST /cgi/echo.pl?c=CASE HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n$body",
     '400', 'cl-te', '200'],
    ['smuggled request after the terminal chunk of a refused request',
     post('Transfer-Encoding: chunked, chunked',
          "0\r\n\r\nGET /cgi/echo.pl?c=CASE-smuggled HTTP/1.1\r\nHost: x\r\n\r\n"),
     '400', 'te-repeated', '200,200'],

    # Legitimate framing: Strict must let it through.
    ['plain chunked', post('Transfer-Encoding: chunked', $body),
     '200', '-', '200'],
    ['tab before the value (OWS)', post("Transfer-Encoding:\tchunked", $body),
     '200', '-', '200'],
    ['coding name in capitals (case-insensitive)', post('Transfer-Encoding: CHUNKED', $body),
     '200', '-', '200'],
    ['header name in lower case', post('transfer-encoding: chunked', $body),
     '200', '-', '200'],
    ['a folded line in another header', post('Transfer-Encoding: chunked', "X-A: a\r\n b", $body),
     '200', '-', '200'],
    ['pipelined request after a chunked one',
     post('Transfer-Encoding: chunked',
          "0\r\n\r\nGET /cgi/echo.pl?c=CASE-second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
     '200,200', '-', '200,200'],
);

my $served = grep { $_->[2] =~ /^2/ } @corpus;
plan tests => 3 * @corpus + 2 * (@corpus - $served) + 3 * $served + 3;

# Sends the request with its own tag, in one write, and reads until the
# server closes the connection or, having answered, stays quiet for a
# second (it keeps the connection open).  Returns the statuses of all the
# responses, the responses, and whether it closed.
sub exchange {
    my ($vhost, $template, $tag) = @_;
    (my $request = $template) =~ s/CASE/$tag/g;
    my $x = raw_exchange($vhost, $request, idle => 1, timeout => 10);
    my @responses = parse_responses($x->{raw});
    return (join(',', map { $_->{status} } @responses), \@responses, $x->{eof});
}

my %smuggle;
my $error_mark = log_mark('error_log');
for my $c (@corpus) {
    my ($name, $template, $want, $reason, $off_want) = @$c;

    my $off = tag('strict-off');
    my ($off_got) = exchange('lr_strict_off', $template, $off);
    ok t_cmp($off_got, $off_want,
             "Strict Off, $name: statuses $off_want (core alone serves it)");

    my $tag = tag('strict-on');
    my ($got, $responses, $closed) = exchange('lr_strict_on', $template, $tag);
    ok t_cmp($got, $want, "Strict On, $name: statuses $want");
    # Once the request is in the access log, httpd is done with it: a CGI
    # it was going to run has been started.
    ok t_cmp(lr_note($tag, 'strict_on_log'), $reason,
             $reason eq '-' ? "Strict On, $name: no note (Strict let it through)"
                            : "Strict On, $name: the length-required note says $reason");
    my $runs = cgi_runs($tag);

    if ($want !~ /^2/) {
        ok t_cmp($closed, 1, "Strict On, $name: the connection is closed");
        ok t_cmp($runs, 0, "Strict On, $name: the CGI never ran");
    }
    else {
        my $n = () = $want =~ /\d{3}/g;
        ok t_cmp($runs, $n, "Strict On, $name: the CGI ran for each of the $n requests");
        # The first request's body is 'hello', or only the last chunk.
        my $sent = index($template, $body) >= 0 ? 'hello' : '';
        ok t_cmp($responses->[0]{body}, $sent,
                 "Strict On, $name: the CGI read the whole chunked body ("
                 . length($sent) . ' bytes) and echoed it');
        # The connection stays open after a request Strict lets through,
        # unless the client itself asked for Connection: close.
        my $asked = $template =~ /^Connection: close\r$/mi ? 1 : 0;
        ok t_cmp($closed ? 1 : 0, $asked,
                 "Strict On, $name: the connection is "
                 . ($asked ? 'closed, as the client asked' : 'kept open'));
    }
    @smuggle{qw(on off)} = ($tag, $off) if $template =~ /CASE-smuggled/;
}

# The smuggled request after a refused one never became a request.
ok t_cmp(scalar cgi_runs("$smuggle{on}-smuggled"), 0,
         'Strict On: the smuggled request never reached the CGI');
ok t_cmp(scalar cgi_runs("$smuggle{off}-smuggled"), 1,
         '... while Strict Off served it (the difference)');

# The refusals are logged at info with the module's tag and the reason.
my @logged = log_since('error_log', $error_mark)
    =~ /\[length_required:info\].*LR00004: refused POST \/cgi\/echo\.pl from 127\.0\.0\.1 with 400, reason cl-te: both Content-Length and Transfer-Encoding \(LengthRequiredStrict\)/g;
ok t_cmp(scalar @logged, 3,
         'each of the three CL+TE refusals is logged at info with LR00004 and its reason');
