# The body of the upload max's refusals: under LengthRequiredErrorFormat
# Json one JSON object (reason upload-max and the limit for the 413,
# upload-field for the 400 of a malformed field); under an ErrorDocument,
# the document, with the protocol's header all the same.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(tag);
use LRUpload qw(:all);

plan tests => 7 + 4 + 3;

{
    my $res = upload_req('PATCH', '/up-json/' . tag('up-json'),
                         ['Upload-Offset: 1000000'], declare => 100_000);
    ok t_cmp($res->{status}, 413, 'Json: append past the max: 413');
    ok t_cmp($res->{headers}{'content-type'}, qr{^application/json},
             'a JSON body');
    ok t_cmp($res->{body}, qr/"reason":"upload-max"/, 'reason upload-max');
    ok t_cmp($res->{body}, qr/"limit":1048576\b/, 'the limit, 1048576');
    ok t_cmp($res->{body}, qr/"error":"payload_too_large"/,
             'error payload_too_large');
    ok t_cmp($res->{body}, qr/"message":"[^"]*at most 1048576 bytes in all/,
             'a message that says the total allowed');
    ok t_cmp($res->{headers}{'upload-limit'}, 'max-size=1048576',
             'and Upload-Limit');
}

{
    my $res = upload_req('PATCH', '/up-json/' . tag('up-json-bad'),
                         ['Upload-Offset: 12ab'], body => 10);
    ok t_cmp($res->{status}, 400, 'Json: a malformed Upload-Offset: 400');
    ok t_cmp($res->{headers}{'content-type'}, qr{^application/json},
             'a JSON body');
    ok t_cmp($res->{body}, qr/"reason":"upload-field"/, 'reason upload-field');
    ok t_cmp($res->{body}, qr/"error":"bad_request"/, 'error bad_request');
}

{
    my $res = upload_req('POST', '/up-errdoc/' . tag('up-errdoc'),
                         ['Upload-Length: 2000000'], declare => 10);
    ok t_cmp($res->{status}, 413, 'ErrorDocument: creation over the max: 413');
    ok t_cmp($res->{body}, qr/LR-UPLOAD-413 this upload is too large/,
             'the ErrorDocument is the body');
    ok t_cmp($res->{headers}{'upload-limit'}, 'max-size=1048576',
             'and Upload-Limit is still sent');
}
