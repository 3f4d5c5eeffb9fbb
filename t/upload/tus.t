# tus 1.0 uploads against LengthRequiredUploadMax 1M (1,048,576 bytes),
# in front of the recording CGI: every request carries Tus-Resumable, the
# creation declares Upload-Length (or defers it with Upload-Defer-Length:
# 1), every PATCH says where it starts (Upload-Offset).  Past the max: 413
# from the head alone with Tus-Resumable: 1.0.0 and Tus-Max-Size: 1048576
# (and no IETF Upload-Limit), the CGI never run.  At the max and under it:
# the CGI gets the body.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(tag lr_note);
use LRUpload qw(:all);

plan tests => 4 * 6 + 4 * 3;

my @TUS = ('Tus-Resumable: 1.0.0');
my @PATCH = (@TUS, 'Content-Type: application/offset+octet-stream');

# [what, method, headers, body option]: refused from the head.
my @over = (
    ['creation declaring Upload-Length 1,048,577', 'POST',
     [@TUS, 'Upload-Length: 1048577'], declare => 0],
    ['creation with upload, 1,048,577 bytes of data', 'POST',
     [@PATCH, 'Upload-Length: 1048577'], declare => MAX + 1],
    ['PATCH at offset 1,000,000 of 100,000 bytes', 'PATCH',
     [@PATCH, 'Upload-Offset: 1000000'], declare => 100_000],
    ['PATCH of a deferred upload that declares its length at last, over',
     'PATCH', [@PATCH, 'Upload-Offset: 500000', 'Upload-Length: 2000000'],
     declare => 1000],
);
for my $c (@over) {
    my ($what, $method, $headers, %body) = @$c;
    my $tag = tag('up-tus-over');
    my $res = upload_req($method, "/up-cgi/$tag", $headers, %body);
    ok t_cmp($res->{status}, 413, "tus $what: 413");
    ok t_cmp($res->{headers}{'tus-resumable'}, '1.0.0',
             'the 413 carries Tus-Resumable: 1.0.0');
    ok t_cmp($res->{headers}{'tus-max-size'}, MAX,
             'and Tus-Max-Size: 1048576');
    ok t_cmp($res->{headers}{'upload-limit'}, undef,
             'and not the IETF draft\'s Upload-Limit');
    my ($starts) = handler_got($tag);
    ok t_cmp($starts, 0, 'the CGI never ran');
    ok t_cmp(lr_note($tag), 'upload-max', 'the note is upload-max');
}

# Controls: the CGI runs and reads every byte.
my @fits = (
    ['creation declaring exactly 1,048,576 bytes', 'POST',
     [@TUS, 'Upload-Length: 1048576'], 0],
    ['creation with upload of exactly 1,048,576 bytes', 'POST',
     [@PATCH, 'Upload-Length: 1048576'], MAX],
    ['creation deferring its length', 'POST',
     [@TUS, 'Upload-Defer-Length: 1'], 0],
    ['PATCH at offset 900,000 of 100,000 bytes', 'PATCH',
     [@PATCH, 'Upload-Offset: 900000'], 100_000],
);
for my $c (@fits) {
    my ($what, $method, $headers, $len) = @$c;
    my $tag = tag('up-tus-fits');
    my $res = upload_req($method, "/up-cgi/$tag", $headers, body => $len);
    ok t_cmp($res->{status}, 200, "tus $what: 200");
    my ($starts, $read) = handler_got($tag);
    ok t_cmp([$starts, $read], [1, $len], "the CGI ran and read $len bytes");
    ok t_cmp(lr_note($tag), '-', 'no note');
}
