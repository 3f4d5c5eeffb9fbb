# The IETF draft's resumable uploads against LengthRequiredUploadMax 1M
# (1,048,576 bytes), in front of the recording CGI: the creation declares
# the total (Upload-Length) or carries it all (offset 0), every append
# says where it starts (Upload-Offset).  Past the max: 413 from the head
# alone, with "Upload-Limit: max-size=1048576", the connection closed,
# the CGI never run.  At the max, and under it: the CGI gets the body.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(tag lr_note);
use LRUpload qw(:all);

plan tests => 8 * 5 + 3 * 3;

# [what, method, headers, body option]: refused from the head.
my @over = (
    ['creation declaring 1,048,577 bytes in all', 'POST',
     ['Upload-Complete: ?0', 'Upload-Length: 1048577'], declare => 1000],
    ['creation carrying 1,048,577 bytes', 'POST',
     ['Upload-Complete: ?1'], declare => MAX + 1],
    ['creation under the draft\'s first name, Upload-Incomplete',
     'POST', ['Upload-Incomplete: ?0'], declare => MAX + 1],
    ['append at offset 1,000,000 of 100,000 bytes', 'PATCH',
     ['Upload-Offset: 1000000', 'Upload-Complete: ?0'], declare => 100_000],
    ['append of 1 byte at offset 1,048,576', 'PATCH',
     ['Upload-Offset: 1048576', 'Upload-Complete: ?1'], declare => 1],
    ['empty append at offset 1,048,577', 'PATCH',
     ['Upload-Offset: 1048577', 'Upload-Complete: ?1'], declare => 0],
    ['append under the max that declares a total over it', 'PATCH',
     ['Upload-Offset: 0', 'Upload-Length: 2000000'], declare => 10],
    ['PUT creation at offset 0 over the max', 'PUT',
     ['Upload-Offset: 0', 'Upload-Complete: ?1'], declare => MAX + 1],
);

for my $c (@over) {
    my ($what, $method, $headers, %body) = @$c;
    my $tag = tag('up-ietf-over');
    my $res = upload_req($method, "/up-cgi/$tag", $headers, %body);
    ok t_cmp($res->{status}, 413, "$what: 413");
    ok t_cmp($res->{headers}{'upload-limit'}, 'max-size=1048576',
             'the 413 carries Upload-Limit: max-size=1048576');
    ok t_cmp($res->{headers}{connection}, qr/close/i,
             'and closes the connection');
    my ($starts) = handler_got($tag);
    ok t_cmp($starts, 0, 'the CGI never ran');
    ok t_cmp(lr_note($tag), 'upload-max', 'the note is upload-max');
}

# Controls, with their bodies: the CGI runs and reads every byte.
my @fits = (
    ['creation of exactly 1,048,576 bytes, declared', 'POST',
     ['Upload-Complete: ?1', 'Upload-Length: 1048576'], MAX],
    ['append at offset 900,000 of 100,000 bytes', 'PATCH',
     ['Upload-Offset: 900000', 'Upload-Complete: ?0'], 100_000],
    ['the last append, ending exactly at the max', 'PATCH',
     ['Upload-Offset: 1000000', 'Upload-Complete: ?1'], MAX - 1_000_000],
);
for my $c (@fits) {
    my ($what, $method, $headers, $len) = @$c;
    my $tag = tag('up-ietf-fits');
    my $res = upload_req($method, "/up-cgi/$tag", $headers, body => $len);
    ok t_cmp($res->{status}, 200, "$what: 200");
    my ($starts, $read) = handler_got($tag);
    ok t_cmp($read, $len, "the CGI read all $len bytes");
    ok t_cmp(lr_note($tag), '-', 'no note');
}
