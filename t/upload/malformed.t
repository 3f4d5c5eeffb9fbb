# In a scope with LengthRequiredUploadMax, a resumable-upload field the
# module cannot read as the protocol defines it gets 400 before any
# handler: a backend might read it otherwise (as a smaller offset, say),
# and the cap would not hold.  Offsets and lengths are non-negative
# integers of at most 15 digits (IETF: Structured Field Integers; tus:
# plain integers); Upload-Complete is ?0 or ?1; tus's Upload-Defer-Length
# is 1.  Repeated lines (which httpd joins with ", ") must agree.  Each
# refusal logs LR00006 with the field and its value; each control, the
# same request well formed, reaches the CGI.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(tag lr_note wait_for_lines);
use LRUpload qw(:all);

my @TUS = ('Tus-Resumable: 1.0.0');

# [what, headers, the field the log line names]
my @bad = (
    ['IETF offset with a sign', ['Upload-Offset: +5'], 'Upload-Offset'],
    ['IETF offset below 0', ['Upload-Offset: -5'], 'Upload-Offset'],
    ['IETF offset -0', ['Upload-Offset: -0'], 'Upload-Offset'],
    ['IETF offset with an exponent', ['Upload-Offset: 1e6'], 'Upload-Offset'],
    ['IETF offset with a space inside', ['Upload-Offset: 1 000'],
     'Upload-Offset'],
    ['IETF offset with letters', ['Upload-Offset: 12ab'], 'Upload-Offset'],
    ['IETF offset in hex', ['Upload-Offset: 0x10'], 'Upload-Offset'],
    ['IETF offset with a fraction', ['Upload-Offset: 5.0'], 'Upload-Offset'],
    ['IETF offset of 16 digits', ['Upload-Offset: 1000000000000000'],
     'Upload-Offset'],
    ['IETF offset with a parameter', ['Upload-Offset: 5;a=1'],
     'Upload-Offset'],
    ['IETF offset empty', ['Upload-Offset:'], 'Upload-Offset'],
    ['IETF offset on two lines that differ',
     ['Upload-Offset: 0', 'Upload-Offset: 1000000'], 'Upload-Offset'],
    ['IETF offset as a list on one line', ['Upload-Offset: 0, 1000000'],
     'Upload-Offset'],
    ['IETF length with letters', ['Upload-Length: 10M'], 'Upload-Length'],
    ['IETF length on two lines that differ',
     ['Upload-Length: 100', 'Upload-Length: 200'], 'Upload-Length'],
    ['IETF Upload-Complete not a Boolean', ['Upload-Complete: yes'],
     'Upload-Complete'],
    ['IETF Upload-Complete ?2', ['Upload-Complete: ?2'], 'Upload-Complete'],
    ['tus offset with a sign', [@TUS, 'Upload-Offset: -5'], 'Upload-Offset'],
    ['tus offset with an exponent', [@TUS, 'Upload-Offset: 1E3'],
     'Upload-Offset'],
    ['tus length with a space inside', [@TUS, 'Upload-Length: 10 0'],
     'Upload-Length'],
    ['tus length of 16 digits', [@TUS, 'Upload-Length: 9999999999999999'],
     'Upload-Length'],
    ['tus Upload-Defer-Length 2', [@TUS, 'Upload-Defer-Length: 2'],
     'Upload-Defer-Length'],
);

# [what, headers]: the same fields well formed.
my @good = (
    ['IETF offset', ['Upload-Offset: 5']],
    ['IETF offset with leading zeros', ['Upload-Offset: 0005']],
    ['IETF offset of 15 digits', ['Upload-Offset: 000000000000005']],
    ['IETF offset on two lines that agree',
     ['Upload-Offset: 5', 'Upload-Offset: 5']],
    ['IETF Upload-Complete ?1', ['Upload-Complete: ?1']],
    ['tus offset', [@TUS, 'Upload-Offset: 5']],
    ['tus Upload-Defer-Length 1', [@TUS, 'Upload-Defer-Length: 1']],
);

plan tests => 5 * @bad + 2 * @good;

for my $c (@bad) {
    my ($what, $headers, $field) = @$c;
    my $tag = tag('up-bad');
    # The body goes with it: a 400 from the head must not wait for it.
    my $res = upload_req('PATCH', "/up-cgi/$tag", $headers, body => 10);
    ok t_cmp($res->{status}, 400, "$what: 400");
    ok t_cmp($res->{headers}{connection}, qr/close/i,
             'the connection is closed');
    my ($starts) = handler_got($tag);
    ok t_cmp($starts, 0, 'the CGI never ran');
    ok t_cmp(lr_note($tag), 'upload-field', 'the note is upload-field');
    my @log = wait_for_lines('error_log',
                             qr/LR00006: refused PATCH \S*\Q$tag\E/, 2);
    ok t_cmp($log[0] // '', qr/reason upload-field: \Q$field\E '/,
             "LR00006 names the field ($field) and quotes its value");
}

for my $c (@good) {
    my ($what, $headers) = @$c;
    my $tag = tag('up-good');
    my $res = upload_req('PATCH', "/up-cgi/$tag", $headers, body => 10);
    ok t_cmp($res->{status}, 200, "control, $what: 200");
    my ($starts, $read) = handler_got($tag);
    ok t_cmp([$starts, $read], [1, 10], 'the CGI ran and read the body');
}
