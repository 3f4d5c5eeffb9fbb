# A client that ignores the refusal and keeps uploading is cut off within
# a few seconds.  After an error httpd reads and throws away what the
# client still sends (lingering close) for up to 30 s; on a refusal the
# module asks for the short lingering close (about 2 s).  The client here
# keeps writing after it has read the refusal, and measures how long the
# server goes on accepting its bytes.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 2 * 4;

# How long the test keeps writing at most: longer than httpd's normal
# 30 s lingering close, so a missing short linger shows as >= 30 s.
my $GIVE_UP = 40;

for my $case (['Content-Length of 100 MB over a 1K cap', 413,
               http_request(POST => '/cap/' . tag('linger'),
                            headers => ['Content-Length: 104857600'])],
              ['a chunked body under Deny', 411,
               http_request(POST => '/on/' . tag('linger'),
                            headers => ['Transfer-Encoding: chunked'])]) {
    my ($what, $want, $head) = @$case;
    # Keep uploading, as a client that ignores the response would.
    my $x = send_until_cut(undef, $head . ('x' x 4096), give_up => $GIVE_UP);
    ok t_cmp($x->{status}, $want, "$what: refused with $want");
    ok t_cmp(defined $x->{cut} ? 1 : 0, 1,
             'the server cut the connection while the client kept sending ('
             . ($x->{cut} // "still open after $GIVE_UP s") . ')');
    ok t_cmp($x->{sent_after_status} > 0 ? 1 : 0, 1,
             'the client did keep sending after the refusal '
             . "($x->{sent_after_status} bytes)");
    ok t_cmp(defined $x->{after_status} && $x->{after_status} < 10 ? 1 : 0, 1,
             sprintf('cut off within a few seconds of the refusal, not after '
                     . 'the 30 s of a normal lingering close (%s)',
                     defined $x->{after_status}
                         ? sprintf('%.1f s', $x->{after_status}) : 'never'));
}
