# Subrequests are not judged again: an SSI page includes (a subrequest, a
# GET without a length) a file under /errdoc-target, whose policy judges
# GET and refuses a direct GET without a length.  The included file must
# appear in the page.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 6;

{
    my $before = () = error_lines(qr/LR00001:.*errdoc-target/);
    my $res = raw_request(undef, http_request(GET => '/errdoc-target/411.html',
                                              headers => ['Connection: close']));
    ok t_cmp($res->{status}, 411,
             'control: a direct GET of /errdoc-target/411.html without a length '
             . 'is refused (its location judges GET)');
    my $after = () = error_lines(qr/LR00001:.*errdoc-target/);
    ok t_cmp($after - $before, 1, 'control: and that refusal is logged');
}

{
    my $before = () = error_lines(qr/LR00001:.*errdoc-target/);
    my $res = GET '/ssi/subrequest.shtml';
    ok t_cmp($res->code, 200, 'the SSI page is served');
    ok t_cmp($res->content, qr/BEFORE\s+LR-ED-LOCAL-411\b.*\s+AFTER/s,
             'with the included file in it: the subrequest was not judged');
    ok t_cmp($res->content !~ /an error occurred/, 1,
             'and no SSI error message in its place');
    my $after = () = error_lines(qr/LR00001:.*errdoc-target/);
    ok t_cmp($after - $before, 0, 'no refusal logged for the subrequest');
}
