# Resumable uploads over HTTP/2 in cleartext (h2c, prior knowledge) to
# LengthRequiredUploadMax 1M: a creation over the max gets 413 with
# Upload-Limit and the CGI never runs, with nghttp and with curl; one
# under it reaches the CGI; an append without content-length (an h2
# stream of unknown length) is cut at the max less its offset.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(tag lr_note have_program);
use LRRoutes qw(h2);
use LRUpload qw(:all);

my $http2 = LRTest::module_so('http2_module');
plan tests => 5 + 3 + 3 + 4,
    need { 'nghttp (package nghttp2-client)' => have_program('nghttp'),
           'curl' => have_program('curl'),
           "mod_http2 ($http2)" => -e $http2 };

# nghttp: a creation of 2000 bytes declaring 1,048,577 in all.
{
    my $tag = tag('up-h2-over');
    my $res = h2('lr_upload', 'POST', "/up-cgi/$tag", body => 'h' x 2000,
                 headers => ['upload-complete: ?0', 'upload-length: 1048577']);
    my ($starts) = handler_got($tag);
    ok t_cmp($res->{status}, 413, 'h2c creation over the max (nghttp): 413');
    ok t_cmp($res->{http2}, 1, 'over HTTP/2');
    ok t_cmp($res->{out}, qr/recv \(stream_id=\d+\) upload-limit: max-size=1048576/,
             'with upload-limit: max-size=1048576');
    ok t_cmp($starts, 0, 'the CGI never ran');
    ok t_cmp(lr_note($tag), 'upload-max', 'the note is upload-max');
}

# Control: a creation of 2000 bytes declaring 1,048,576.
{
    my $tag = tag('up-h2-fits');
    my $res = h2('lr_upload', 'POST', "/up-cgi/$tag", body => 'h' x 2000,
                 headers => ['upload-complete: ?0', 'upload-length: 1048576']);
    my ($starts, $read) = handler_got($tag);
    ok t_cmp($res->{status}, 200, 'control: h2c creation at the max: 200');
    ok t_cmp($read, 2000, 'the CGI read its 2000 bytes');
    ok t_cmp(lr_note($tag), '-', 'no note');
}

# An h2 append without content-length, 5000 bytes at offset 1,046,576:
# cut past 2000.
{
    my $tag = tag('up-h2-stream');
    my $res = h2('lr_upload', 'PATCH', "/up-cgi/$tag", body => 's' x 5000,
                 stream => 1, headers => ['upload-offset: 1046576']);
    my ($starts, $read) = handler_got($tag);
    ok t_cmp($res->{status}, 413,
             'h2c append of unknown length past the max: 413');
    ok t_cmp(!defined $read || $read <= 2000 ? 1 : 0, 1,
             'the CGI was given at most 2000 bytes (the max less the offset; '
             . 'it read ' . ($read // 'nothing') . ')');
    ok t_cmp(lr_note($tag), 'too-large', 'the streamed cap\'s note');
}

# curl, HTTP/2 with prior knowledge: a creation with no body that declares
# 2,000,000 bytes in all.
{
    my $tag = tag('up-h2-curl');
    my $port = Apache::Test::vars('lr_upload_port');
    my $out = `curl -s -i --http2-prior-knowledge -X POST -H 'Upload-Complete: ?0' -H 'Upload-Length: 2000000' -H 'Content-Length: 0' 'http://127.0.0.1:$port/up-cgi/$tag' 2>&1`;
    my ($starts) = handler_got($tag);
    ok t_cmp($out, qr{^HTTP/2 413\b}m, 'curl --http2-prior-knowledge: 413');
    ok t_cmp($out, qr{^upload-limit: max-size=1048576\r?$}mi,
             'with upload-limit: max-size=1048576');
    ok t_cmp($starts, 0, 'the CGI never ran');
    ok t_cmp(lr_note($tag), 'upload-max', 'the note is upload-max');
}
