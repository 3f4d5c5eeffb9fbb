# A declared Content-Length against LengthRequiredMaxBody: under, at and
# over the cap, Content-Length: 0, no cap at all, K and M suffixes, and the
# refusal made on the declared length before any body byte is read.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 26;

# Ordinary requests go through LWP, which always declares the length.
sub lwp_post {
    my ($path, $len, $method) = @_;
    $method ||= 'POST';
    my $body = 'b' x $len;
    return $method eq 'PUT'
        ? PUT($path, content => $body)
        : POST($path, content => $body);
}

# /cap: LengthRequiredMaxBody 1K, i.e. 1024 bytes.
for my $case ([1023, 200, 'under the cap'],
              [1024, 200, 'exactly at the cap (only more than the cap is refused)'],
              [1025, 413, 'one byte over the cap']) {
    my ($len, $want, $why) = @$case;
    my $tag = tag("cl$len");
    my $res = lwp_post("/cap/$tag", $len);
    ok t_cmp($res->code, $want,
             "POST with Content-Length $len to a 1K cap: $want, $why");
    if ($want == 200) {
        ok t_cmp($res->header('X-Body-Length'), $len,
                 "the CGI read all $len bytes");
        ok t_cmp(lr_note($tag), '-', 'no length-required note for it');
    }
    else {
        request_finished($tag);
        ok t_cmp(scalar cgi_runs($tag), 0,
                 'refused before the CGI was started');
        ok t_cmp(lr_note($tag), 'too-large', 'the note says too-large');
    }
}

# PUT and PATCH are held to the cap like POST.
{
    my $tag = tag('put-over');
    my $res = lwp_post("/cap/$tag", 2000, 'PUT');
    ok t_cmp($res->code, 413, 'PUT with Content-Length 2000 to a 1K cap: 413');

    $tag = tag('patch-over');
    $res = raw_request(undef, http_request(PATCH => "/cap/$tag",
        headers => ['Content-Length: 2000'], body => 'p' x 2000));
    ok t_cmp($res->{status}, 413,
             'PATCH with Content-Length 2000 to a 1K cap: 413');
}

# Content-Length: 0 always passes, with or without a cap.
for my $where ('/cap', '/on') {
    my $tag = tag('cl0');
    my $res = raw_request(undef, http_request(POST => "$where/$tag",
        headers => ['Content-Length: 0', 'Connection: close']));
    ok t_cmp($res->{status}, 200, "POST with Content-Length: 0 to $where: 200");
    ok t_cmp($res->{headers}{'x-body-length'}, 0,
             'and the CGI ran, reading an empty body');
}

# No cap of the module's own (LengthRequiredMaxBody unset means 0): any
# declared length passes.
{
    my $tag = tag('nocap');
    my $res = lwp_post("/on/$tag", 200_000);
    ok t_cmp($res->code, 200,
             'POST of 200000 bytes where LengthRequired is On without a cap: 200');
    ok t_cmp($res->header('X-Body-Length'), 200_000,
             'and the CGI read all of it');
}

# 1M is 1024 * 1024 bytes, not 1000000.
{
    my $tag = tag('1m-at');
    my $res = lwp_post("/cap-m/$tag", 1_048_576);
    ok t_cmp($res->code, 200, 'Content-Length 1048576 with a 1M cap: 200 (at the cap)');
    ok t_cmp($res->header('X-Body-Length'), 1_048_576,
             'and the CGI read all of it');

    $tag = tag('1m-over');
    $res = raw_request(undef, http_request(POST => "/cap-m/$tag",
        headers => ['Content-Length: 1048577']));
    ok t_cmp($res->{status}, 413,
             'Content-Length 1048577 with a 1M cap: 413 (1M is 1048576 bytes)');

    $tag = tag('1m-decimal');
    $res = raw_request(undef, http_request(POST => "/cap-m/$tag",
        headers => ['Content-Length: 1000001', 'Connection: close'],
        body => 'd' x 1_000_001));
    ok t_cmp($res->{status}, 200,
             'Content-Length 1000001 with a 1M cap: 200 (M is not 10^6)');
}

# The refusal is made on the declared length alone, before the body is
# read: with the headers sent and not a single body byte, the 413 arrives
# and the connection is closed.
{
    my $tag = tag('declared-only');
    my ($res, $x) = raw_request(undef, http_request(POST => "/cap/$tag",
        headers => ['Content-Length: 5000']), timeout => 20);
    ok t_cmp($res->{status}, 413,
             'Content-Length 5000 declared, no body sent: 413 without waiting '
             . 'for the body');
    ok t_cmp($x->{eof}, 1, 'and the server closed the connection');
    ok t_cmp($x->{elapsed} < 10, 1,
             'well before any body timeout (took ' . sprintf('%.1f', $x->{elapsed})
             . ' s)');
}

# LengthRequired Off (the default, /off) judges nothing, not even a
# length; /off has no policy at all.
{
    my $tag = tag('off');
    my $res = lwp_post("/off/$tag", 5000);
    ok t_cmp($res->code, 200, 'POST of 5000 bytes where the module is off: 200');

    $tag = tag('off-nolen');
    $res = raw_request(undef, http_request(POST => "/off/$tag",
        headers => ['Connection: close']));
    ok t_cmp($res->{status}, 200,
             'POST without a length where the module is off: 200');
}
