# LengthRequiredUploadMax 1M in front of mod_proxy_http (/up-proxy/ to the
# recording CGI of lr_upload_backend): an append past the max never
# reaches the backend; one under it does, whole; one of unknown length is
# cut at the max less its offset, and the backend is handed at most that.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(tag lr_note);
use LRUpload qw(:all);

plan tests => 3 + 2 + 3 + 3;

my @TUS = ('Tus-Resumable: 1.0.0',
           'Content-Type: application/offset+octet-stream');

{
    my $tag = tag('up-proxy-over');
    my $res = upload_req('PATCH', "/up-proxy/$tag",
                         ['Upload-Offset: 1000000'], declare => 100_000);
    my ($starts) = handler_got($tag);
    ok t_cmp($res->{status}, 413, 'proxied append past the max: 413');
    ok t_cmp($res->{headers}{'upload-limit'}, 'max-size=1048576',
             'with Upload-Limit');
    ok t_cmp($starts, 0, 'the backend never ran');
}

{
    my $tag = tag('up-proxy-fits');
    my $res = upload_req('PATCH', "/up-proxy/$tag",
                         ['Upload-Offset: 900000'], body => 100_000);
    my ($starts, $read) = handler_got($tag);
    ok t_cmp($res->{status}, 200, 'control: proxied append under the max: 200');
    ok t_cmp($read, 100_000, 'the backend read all 100,000 bytes');
}

{
    my $tag = tag('up-proxy-tus');
    my $res = upload_req('PATCH', "/up-proxy/$tag",
                         [@TUS, 'Upload-Offset: 1000000'], declare => 100_000);
    my ($starts) = handler_got($tag);
    ok t_cmp($res->{status}, 413, 'proxied tus PATCH past the max: 413');
    ok t_cmp($res->{headers}{'tus-max-size'}, MAX, 'with Tus-Max-Size');
    ok t_cmp($starts, 0, 'the backend never ran');
}

# Chunked, 200,000 bytes at offset 1,000,000: cut past 48,576.
{
    my $tag = tag('up-proxy-stream');
    my $res = upload_req('PATCH', "/up-proxy/$tag",
                         ['Upload-Offset: 1000000'], chunked => 200_000);
    my ($starts, $read) = handler_got($tag);
    ok t_cmp($res->{status}, 413,
             'proxied chunked append past the max: 413 (mod_proxy_http)');
    ok t_cmp(!defined $read || $read <= MAX - 1_000_000 ? 1 : 0, 1,
             'the backend was handed at most 48,576 bytes (it read '
             . ($read // 'nothing') . ')');
    ok t_cmp(lr_note($tag), 'too-large', 'the streamed cap\'s note');
}
