# LengthRequiredStrict: a request-smuggling corpus sent to two virtual
# hosts, lr_strict_on (Strict On) and lr_strict_off (Strict Off), that are
# otherwise the same echo CGI.  For each vector: the status (or statuses,
# if the server answered more than one request), whether the connection
# was closed, and whether the CGI ran (t/cgi-bin/echo.pl records each run).
# The vectors httpd core refuses by itself, whatever Strict says, are in
# core_behaviour.t; HTTP/2 on the Strict On host is in strict_h2.t.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use File::Spec;
use IO::Select;
use Time::HiRes qw(time);

my $t_logs = Apache::Test::vars('t_logs');
my $cgi_log = File::Spec->catfile($t_logs, 'cgi_runs.log');
my $note_log = File::Spec->catfile($t_logs, 'strict_on_log');

my $body = "5\r\nhello\r\n0\r\n\r\n";
sub post { "POST /cgi/echo.pl?c=$_[0] HTTP/1.1\r\nHost: x\r\n$_[1]\r\n$_[2]" }

# [name, request (CASE stands for the case id), Strict On: statuses and
#  reason (undef: core answers before the module, or the request is
#  legitimate), Strict Off: statuses]
my @corpus = (
    # What httpd core accepts and Strict refuses.
    ['TE on HTTP/1.0',
     "POST /cgi/echo.pl?c=CASE HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n$body",
     '400', 'te-http10', '200'],
    ['chunked, chunked', post('CASE', "Transfer-Encoding: chunked, chunked\r\n", $body),
     '400', 'te-repeated', '200'],
    ['gzip, chunked', post('CASE', "Transfer-Encoding: gzip, chunked\r\n", $body),
     '501', 'te-coding', '200'],
    ['identity, chunked', post('CASE', "Transfer-Encoding: identity, chunked\r\n", $body),
     '501', 'te-coding', '200'],
    ['empty element before chunked', post('CASE', "Transfer-Encoding: , chunked\r\n", $body),
     '400', 'te-coding', '200'],
    ['TE on two header lines',
     post('CASE', "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", $body),
     '400', 'te-repeated', '200'],
    ['TE folded onto a continuation line',
     post('CASE', "Transfer-Encoding:\r\n chunked\r\n", $body),
     '400', 'te-folded', '200'],
    ['CL.TE: Content-Length first, then chunked',
     post('CASE', "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nG"),
     '400', 'cl-te', '200'],
    ['TE.CL: chunked first, then Content-Length',
     post('CASE', "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "8\r\nSMUGGLED\r\n0\r\n\r\n"),
     '400', 'cl-te', '200'],
    ['CL and TE on HTTP/1.0',
     "POST /cgi/echo.pl?c=CASE HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n$body",
     '400', 'cl-te', '200'],
    ['smuggled request after the terminal chunk of a refused request',
     post('CASE', "Transfer-Encoding: chunked, chunked\r\n",
          "0\r\n\r\nGET /cgi/echo.pl?c=CASE-smuggled HTTP/1.1\r\nHost: x\r\n\r\n"),
     '400', 'te-repeated', '200,200'],

    # Legitimate framing: Strict must let it through.
    ['plain chunked', post('CASE', "Transfer-Encoding: chunked\r\n", $body),
     '200', undef, '200'],
    ['tab before the value (OWS)', post('CASE', "Transfer-Encoding:\tchunked\r\n", $body),
     '200', undef, '200'],
    ['coding name in capitals (case-insensitive)', post('CASE', "Transfer-Encoding: CHUNKED\r\n", $body),
     '200', undef, '200'],
    ['header name in lower case', post('CASE', "transfer-encoding: chunked\r\n", $body),
     '200', undef, '200'],
    ['a folded line in another header', post('CASE', "Transfer-Encoding: chunked\r\nX-A: a\r\n b\r\n", $body),
     '200', undef, '200'],
    ['pipelined request after a chunked one',
     post('CASE', "Transfer-Encoding: chunked\r\n",
          "0\r\n\r\nGET /cgi/echo.pl?c=CASE-second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
     '200,200', undef, '200,200'],
);

plan tests => 6 * @corpus + 3;

# Send the bytes in one write, then read until the server closes or stays
# quiet; returns the statuses of every response seen and whether it closed.
sub exchange {
    my ($vhost, $request) = @_;
    my $sock = Apache::TestRequest::vhost_socket($vhost) or die "no socket to $vhost";
    print $sock $request;
    my $sel = IO::Select->new($sock);
    my ($data, $closed, $t0) = ('', 0, time);
    while (time - $t0 < 10) {
        last unless $sel->can_read(1);
        my $n = sysread $sock, my $buf, 65536;
        if (!$n) { $closed = 1; last }
        $data .= $buf;
    }
    close $sock;
    my @codes = $data =~ m{(?:^|\n)HTTP/1\.\d (\d{3}) }g;
    return (join(',', @codes), $closed);
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<', $file or return '';
    local $/;
    return <$fh> // '';
}

my $id = 0;
for my $c (@corpus) {
    my ($name, $template, $on_want, $reason, $off_want) = @$c;
    $id++;
    for my $side (['on', 'lr_strict_on', $on_want], ['off', 'lr_strict_off', $off_want]) {
        my ($tag, $vhost, $want) = @$side;
        my $case = "s$id$tag";
        (my $request = $template) =~ s/CASE/$case/g;
        my ($got, $closed) = exchange($vhost, $request);
        ok t_cmp($got, $want, "Strict \u$tag, $name: statuses");
        next unless $tag eq 'on';

        my $refused = $want !~ /^2/;
        my $runs = () = slurp($cgi_log) =~ /\?c=\Q$case\E[ -]/g;
        if ($refused) {
            ok t_cmp($closed, 1, "Strict On, $name: the connection is closed");
            ok t_cmp($runs, 0, "Strict On, $name: the CGI never ran");
            ok t_cmp(scalar(() = $got =~ /\d{3}/g), 1,
                     "Strict On, $name: exactly one response");
        }
        else {
            my $n = () = $want =~ /\d{3}/g;
            ok t_cmp($runs, $n, "Strict On, $name: the CGI ran for each request");
            ok t_cmp($got, $want, "Strict On, $name: served as usual");
            ok t_cmp(1, 1, "Strict On, $name: (no connection check for a served request)");
        }
        my $log = slurp($note_log);
        if ($reason) {
            ok t_cmp($log, qr{"POST /cgi/echo\.pl\?c=\Q$case\E HTTP/1\.[01]" $want lr=\Q$reason\E\n},
                     "Strict On, $name: the length-required note says $reason");
        }
        else {
            ok t_cmp($log, qr/^(?!.*c=\Q$case\E .*lr=[a-z])/m,
                     "Strict On, $name: no note (not the module's verdict)");
        }
    }
}

# The smuggled request after a refused one never became a request.
my $runs = slurp($cgi_log);
ok t_cmp($runs, qr/^(?!.*on-smuggled)/s, 'Strict On: no smuggled request ever reached the CGI');
ok t_cmp($runs, qr/c=s\d+off-smuggled/, '... while Strict Off served it (the difference)');

# The refusals are logged at info with the module's tag and the reason.
my $error_log = slurp(File::Spec->catfile($t_logs, 'error_log'));
ok t_cmp($error_log,
         qr/\[length_required:info\].*LR00004: refused POST \/cgi\/echo\.pl from 127\.0\.0\.1 with 400, reason cl-te: both Content-Length and Transfer-Encoding \(LengthRequiredStrict\)/,
         'a Strict refusal is logged at info with LR00004 and its reason');
