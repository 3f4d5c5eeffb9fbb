# LengthRequired LogOnly with LengthRequiredUploadMax 1M: what On would
# refuse is logged (LR00002, warn, with the total and the limit), noted,
# counted as a would-refuse and let through: the CGI gets the body, and
# the response carries none of the refusal's headers.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(tag lr_note wait_for_lines);
use LRRoutes qw(counters counter_delta);
use LRUpload qw(:all);

plan tests => 7 + 4;

{
    my $tag = tag('up-logonly');
    my $before = counters('lr_upload');
    my $res = upload_req('PATCH', "/up-logonly/$tag",
                         ['Upload-Offset: 1000000', 'Upload-Complete: ?1'],
                         body => 100_000);
    my ($starts, $read) = handler_got($tag);
    my @line = wait_for_lines('error_log',
                              qr/LR00002: would refuse PATCH \S*\Q$tag\E/, 5);
    my $after = counters('lr_upload');
    ok t_cmp($res->{status}, 200,
             'LogOnly, append at offset 1,000,000 of 100,000 bytes: 200');
    ok t_cmp($read, 100_000, 'the CGI read all of it');
    ok t_cmp($res->{headers}{'upload-limit'}, undef, 'no Upload-Limit');
    ok t_cmp(lr_note($tag), 'upload-max', 'the note is upload-max');
    ok t_cmp($line[0] // '',
             qr/with 413, reason upload-max \(the upload would reach 1100000 bytes, limit 1048576\)/,
             'LR00002 gives the total it would reach and the limit');
    ok t_cmp(counter_delta($before, $after, 'LengthRequiredWouldRefuse'), 1,
             'LengthRequiredWouldRefuse went up by 1');
    ok t_cmp(counter_delta($before, $after, 'LengthRequiredRefusedUploadMax'),
             0, 'LengthRequiredRefusedUploadMax did not');
}

# A malformed field: logged and let through as well.
{
    my $tag = tag('up-logonly-bad');
    my $res = upload_req('PATCH', "/up-logonly/$tag", ['Upload-Offset: 1e6'],
                         body => 10);
    my ($starts, $read) = handler_got($tag);
    my @line = wait_for_lines('error_log',
                              qr/LR00002: would refuse PATCH \S*\Q$tag\E/, 5);
    ok t_cmp($res->{status}, 200, 'LogOnly, Upload-Offset: 1e6: 200');
    ok t_cmp($read, 10, 'the CGI read the body');
    ok t_cmp(lr_note($tag), 'upload-field', 'the note is upload-field');
    ok t_cmp($line[0] // '', qr/with 400, reason upload-field/,
             'LR00002 says it would have been a 400');
}
