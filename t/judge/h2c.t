# HTTP/2 (h2c, prior knowledge) with a real client, nghttp.  An h2 request
# body without content-length is presented by mod_http2 as chunked, so it
# is held to LengthRequiredChunked; with content-length it is held to the
# cap; an h2 POST with no body and no content-length is a missing length.
# The lr_h2c virtual host speaks h2c and shares the main server's /on,
# /cap, /chunked-ok, /chunked-any and /stream-cap.
#
# Why nghttp and not curl: on a refusal httpd answers before the upload is
# finished, then resets the stream with NO_ERROR (RFC 9113, 8.1); curl
# 7.88 (Debian bookworm) then fails with "(92) Stream error in the HTTP/2
# framing layer" and drops the response it was sent, in about one run in
# ten.  nghttp handles it.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

my $http2 = module_so('http2_module');
plan tests => 55 + 4,
    need { 'nghttp (package nghttp2-client)' => have_program('nghttp'),
           "mod_http2 ($http2)" => -e $http2 };

my $port = Apache::Test::vars('lr_h2c_port');
sub h2 { h2_request($port, @_) }

# [what, how, method, location, length, status, note, CGI must have run]
my @cases = (
    ['streamed PUT (no content-length), Deny', 'stream', 'PUT', '/on', 100,
     411, 'chunked', 0],
    ['streamed POST (no content-length), Deny', 'stream', 'POST', '/on', 100,
     411, 'chunked', 0],
    ['streamed POST, Deny, with a cap', 'stream', 'POST', '/cap', 100,
     411, 'chunked', 0],
    ['streamed POST, Allow, no cap', 'stream', 'POST', '/chunked-any', 5000,
     200, '-', 1],
    ['streamed POST of 1000 bytes, Allow, 1K cap', 'stream', 'POST',
     '/chunked-ok', 1000, 200, '-', 1],
    ['streamed POST of 1024 bytes, Allow, 1K cap', 'stream', 'POST',
     '/chunked-ok', 1024, 200, '-', 1],
    ['streamed POST of 1025 bytes, Allow, 1K cap', 'stream', 'POST',
     '/stream-cap', 1025, 413, 'too-large', undef],
    ['streamed POST of 3000 bytes, Allow, 1K cap', 'stream', 'POST',
     '/stream-cap', 3000, 413, 'too-large', undef],
    ['POST of 100 bytes with content-length, no cap', 'length', 'POST', '/on',
     100, 200, '-', 1],
    ['POST of 1000 bytes with content-length, 1K cap', 'length', 'POST',
     '/cap', 1000, 200, '-', 1],
    ['POST of 2000 bytes with content-length, 1K cap', 'length', 'POST',
     '/cap', 2000, 413, 'too-large', 0],
    ['POST with no body and no content-length', 'empty', 'POST', '/on', 0,
     411, 'missing-length', 0],
    ['GET', 'get', 'GET', '/on', 0, 200, '-', 1],
);

for my $c (@cases) {
    my ($what, $how, $method, $where, $len, $status, $note, $ran) = @$c;
    my $tag = tag('h2');
    my $path = "$where/$tag";
    my $res = h2($how, $method, $path, $len);
    ok t_cmp($res->{status}, $status, "h2c $what: $status");
    ok t_cmp($res->{version}, '2', 'the exchange was HTTP/2');
    ok t_cmp(lr_note($tag), $note, "the note is $note");
    if (defined $ran) {
        my @runs = cgi_runs($tag);
        ok t_cmp(scalar @runs, $ran,
                 $ran ? 'the CGI ran' : 'the CGI was never started');
    }
    else {
        # Refused mid-stream: the handler may have started before the
        # body passed the cap; it must not have been given more than the
        # cap.  count.pl (/stream-cap) records how much it was given.  It
        # may also never have run a line (the read fails before it has
        # started, and httpd stops it): the control below shows that a
        # run of it over h2c is recorded, so no line means no run.
        my ($given, $how) = (0, 'it never started');
        if (grep { /^start \Q$path\E / } log_lines('cgi_body.log')) {
            my ($done) = wait_for_lines('cgi_body.log',
                                        qr/^(?:end|term) \Q$path\E /, 20);
            ($given) = ($done // 'read=99999') =~ /read=(\d+)/;
            $how = "it read $given";
        }
        ok t_cmp($given <= 1024 ? 1 : 0, 1,
                 "the handler was given at most the 1024-byte cap ($how)");
    }
}

# Control: count.pl at /stream-cap records its run over h2c, start and
# end, with the bytes it read.
{
    my $tag = tag('h2-counted');
    my $path = "/stream-cap/$tag";
    my $res = h2('stream', 'POST', $path, 1000);
    ok t_cmp($res->{status}, 200,
             'control: h2c streamed POST of 1000 bytes to count.pl: 200');
    ok t_cmp($res->{version}, '2', 'the exchange was HTTP/2');
    request_finished($tag);
    my @lines = grep { / \Q$path\E / } log_lines('cgi_body.log');
    ok t_cmp(scalar(grep { /^start / } @lines), 1,
             'count.pl recorded that it started');
    ok t_cmp(join(' ', grep { /^(?:end|term) / } @lines), "end $path read=1000",
             'and that it read all 1000 bytes');
}

# What the CGI saw proves what the client sent: no length for a stream,
# the length otherwise.
{
    my $tag = tag('h2-stream-seen');
    my $res = h2('stream', 'POST', "/chunked-any/$tag", 4321);
    ok t_cmp($res->{headers}{'x-body-length'}, 4321,
             'h2c streamed body under Allow: the CGI read all 4321 bytes');
    my ($run) = cgi_runs($tag);
    ok t_cmp($run, qr/ cl=- /,
             'and it came without a Content-Length (so the module judged it '
             . 'as a body of undeclared length)');

    $tag = tag('h2-length-seen');
    $res = h2('length', 'POST', "/on/$tag", 1234);
    ($run) = cgi_runs($tag);
    ok t_cmp($run, qr/ cl=1234 /,
             'h2c with content-length: the CGI saw Content-Length 1234');
}
