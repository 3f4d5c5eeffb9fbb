# Bodies that do not declare their length (HTTP/1.1 chunked):
# LengthRequiredChunked Deny refuses them with 411 (reason chunked); Allow
# lets them through, and with a cap the body is counted as it streams: the
# moment it passes the cap the request fails with 413 and the handler is
# given no more of it.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 34;

sub post_chunked {
    my ($path, @pieces) = @_;
    return raw_request(undef, http_request(POST => $path,
        headers => ['Transfer-Encoding: chunked', 'Connection: close'],
        body => chunked(@pieces)));
}

# Deny (the default): refused before the handler, whatever the size.
for my $where ('/on', '/cap') {
    my $tag = tag('deny');
    my $res = post_chunked("$where/$tag", 'hello');
    ok t_cmp($res->{status}, 411,
             "chunked POST to $where (LengthRequiredChunked unset, so Deny): 411");
    request_finished($tag);
    ok t_cmp(scalar cgi_runs($tag), 0, 'the CGI was never started');
    ok t_cmp(lr_note($tag), 'chunked', 'the note says chunked');
}

# httpd accepts these spellings of chunked framing; each is still a body
# without a declared length.
for my $te ('CHUNKED', 'identity, chunked') {
    my $tag = tag('deny-te');
    my $res = raw_request(undef, http_request(POST => "/on/$tag",
        headers => ["Transfer-Encoding: $te", 'Connection: close'],
        body => chunked('hello')));
    ok t_cmp($res->{status}, 411, "Transfer-Encoding: $te under Deny: 411");
}

# Content-Length together with chunked: httpd drops the Content-Length (it
# cannot be trusted), so the request is judged as chunked, not by the
# harmless-looking length.
{
    my $tag = tag('cl-and-te');
    my $res = raw_request(undef, http_request(POST => "/cap/$tag",
        headers => ['Content-Length: 5', 'Transfer-Encoding: chunked',
                    'Connection: close'],
        body => chunked('hello')));
    ok t_cmp($res->{status}, 411,
             'Content-Length: 5 plus Transfer-Encoding: chunked under Deny: 411');
    ok t_cmp(lr_note($tag), 'chunked', 'judged as chunked');
}

# Allow without a cap: any size passes and reaches the CGI.
{
    my $tag = tag('allow');
    my $res = post_chunked("/chunked-any/$tag", 'a' x 3000, 'b' x 3000);
    ok t_cmp($res->{status}, 200, 'chunked POST of 6000 bytes under Allow, no cap: 200');
    ok t_cmp($res->{headers}{'x-body-length'}, 6000, 'the CGI read all 6000 bytes');
    ok t_cmp($res->{body}, 'a' x 3000 . 'b' x 3000, 'and echoed them in order');
    my ($run) = cgi_runs($tag);
    ok t_cmp($run, qr/ cl=- te=chunked$/,
             'the CGI saw a chunked request without Content-Length');
}

# Allow with a 1K cap: counted as it streams.
for my $case ([[1000], 200, 'under the cap'],
              [[512, 512], 200, 'exactly at the cap, in two chunks'],
              # The cap is on the body, not on its chunked framing: 100
              # chunks of 10 bytes are 1000 bytes of body.
              [[(10) x 100], 200, 'under the cap, in 100 small chunks'],
              [[1025], 413, 'one byte over the cap in one chunk'],
              [[600, 600], 413, 'over the cap in the second chunk'],
              [[3000], 413, 'far over the cap']) {
    my ($sizes, $want, $why) = @$case;
    my $total = 0;
    $total += $_ for @$sizes;
    my $tag = tag('allow-cap');
    my $res = post_chunked("/chunked-ok/$tag", map { 'c' x $_ } @$sizes);
    ok t_cmp($res->{status}, $want,
             "chunked POST of $total bytes under Allow and a 1K cap: $want, $why");
    if ($want == 200) {
        ok t_cmp($res->{headers}{'x-body-length'}, $total,
                 "the CGI read all $total bytes");
    }
    else {
        ok t_cmp(lr_note($tag), 'too-large', 'the note says too-large');
    }
}

# The handler gets an error instead of more data.  count.pl records how
# many body bytes it was given.  The first chunk (600 bytes, under the cap)
# is sent alone and the test waits until the CGI has started; only then
# come the chunks that pass the cap.  The CGI must never see more than
# 1024 bytes of the 3000 sent.
sub slow_stream {
    my ($where) = @_;
    my $tag = tag('stream');
    my $path = "$where/$tag";
    my ($res, $started) = send_in_two_parts(undef,
        http_request(POST => $path,
                     headers => ['Transfer-Encoding: chunked', 'Connection: close'])
        . sprintf("%x\r\n%s\r\n", 600, 'x' x 600),
        sub { grep { /^start \Q$path\E / } log_lines('cgi_body.log') },
        sprintf("%x\r\n%s\r\n", 600, 'y' x 600)
        . sprintf("%x\r\n%s\r\n", 1800, 'z' x 1800) . "0\r\n\r\n");
    my ($done) = wait_for_lines('cgi_body.log',
                                qr/^(?:end|term) \Q$path\E /, 20);
    my ($read) = ($done || '') =~ /read=(\d+)/;
    return ($res, $started, $read, $tag);
}

my $stream_tag;
{
    my ($res, $started, $read);
    ($res, $started, $read, $stream_tag) = slow_stream('/stream-cap');
    ok t_cmp($started, 1,
             'the CGI started once the first 600 bytes (under the cap) came');
    ok t_cmp($res->{status}, 413,
             'chunked body of 3000 bytes streamed past a 1K cap: 413');
    ok t_cmp(defined $read, 1, 'the CGI recorded how much body it was given');
    ok t_cmp(($read // 99999) <= 1024, 1,
             'the CGI was given no more than the 1024-byte cap of the 3000 '
             . 'bytes sent (it got ' . ($read // 'nothing') . ')');

    # Control: the same exchange without a cap delivers everything, so the
    # test can tell a cut-off body from a whole one.
    ($res, $started, $read) = slow_stream('/stream-open');
    ok t_cmp($started, 1, 'control: the CGI started after the first chunk');
    ok t_cmp($res->{status}, 200, 'control: without a cap the same stream gets 200');
    ok t_cmp($read, 3000, 'control: and the CGI was given all 3000 bytes');
}

# The streamed refusal is logged like the others.
{
    my ($line) = wait_for_lines('error_log', qr/LR00001: .*\Q$stream_tag\E/);
    ok t_cmp($line, qr/with 413, reason too-large/,
             'the streamed 413 is logged with reason too-large');
}
