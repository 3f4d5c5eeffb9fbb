# LengthRequiredUploadMax judges resumable uploads only: a request without
# their fields is left to the rest of the policy (here On, chunked Allow,
# no per-request cap), whatever its size; a method the policy does not
# judge is not looked at; a scope with LengthRequiredUploadMax Off has no
# cap; and LengthRequiredMaxBody still caps each append by itself (the
# draft's max-append-size), with its own reason.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(tag lr_note);
use LRUpload qw(:all);

plan tests => 4 * 3 + 3;

my $BIG = 1_500_000;

# [what, method, path, headers, body option, bytes the CGI must read]
my @cases = (
    ['plain POST of 1,500,000 bytes', 'POST', '/up-cgi', [],
     body => $BIG],
    ['plain chunked POST of 1,500,000 bytes', 'POST', '/up-cgi', [],
     chunked => $BIG],
    ['GET declaring Upload-Length 2,000,000 (GET is not judged)', 'GET',
     '/up-cgi', ['Upload-Length: 2000000'], body => 0],
    ['upload over 1M where LengthRequiredUploadMax is Off', 'POST',
     '/up-off', ['Upload-Complete: ?1'], body => $BIG],
);
for my $c (@cases) {
    my ($what, $method, $where, $headers, $kind, $len) = @$c;
    my $tag = tag('up-untouched');
    my $res = upload_req($method, "$where/$tag", $headers, $kind => $len);
    ok t_cmp($res->{status}, 200, "$what: 200");
    my ($starts, $read) = handler_got($tag);
    ok t_cmp([$starts, $read], [1, $len], "the CGI read all $len bytes");
    ok t_cmp(lr_note($tag), '-', 'no note');
}

# LengthRequiredMaxBody 64K: an append of 100,000 bytes well under the
# upload max is refused as one request too large.
{
    my $tag = tag('up-untouched-cap');
    my $res = upload_req('PATCH', "/up-cap/$tag", ['Upload-Offset: 0'],
                         declare => 100_000);
    my ($starts) = handler_got($tag);
    ok t_cmp($res->{status}, 413,
             'append of 100,000 bytes under a 64K LengthRequiredMaxBody: 413');
    ok t_cmp(lr_note($tag), 'too-large', 'reason too-large, not upload-max');
    ok t_cmp($starts, 0, 'the CGI never ran');
}
