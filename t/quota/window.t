# A streamed body is charged to the window each byte arrives in: an upload
# that starts just before a window ends goes on being metered in the next
# window, where its budget holds again (t/conf/quota.conf.in, /q/window:
# chunked bodies allowed, 100000 bytes every 3 s).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use Time::HiRes qw(time sleep);
use LRTest qw(:all);

plan tests => 4;

my $V = 'lr_quota';
my $P = 3;

# Start 0.3 s into a window: 90000 bytes then, the rest (200000, more
# than a whole budget) only once the next window has begun.
sleep $P - (time - $P * int(time / $P)) + 0.3;
my $edge = $P * (int(time / $P) + 1);
my $tag = tag('window');
my $head = http_request(POST => "/q/window/$tag",
                        headers => ['Transfer-Encoding: chunked',
                                    'Connection: close']);
my $first = $head . sprintf("%x\r\n%s\r\n", 90000, 'w' x 90000);
my $rest = join('', map { sprintf("%x\r\n%s\r\n", 20000, 'v' x 20000) }
                    1 .. 10) . "0\r\n\r\n";
my ($res, $came) = send_in_two_parts($V, $first, sub { time >= $edge + 0.2 },
                                     $rest);
ok t_cmp($came, 1, 'the second part went after the window edge');
ok t_cmp($res->{status} != 200, 1,
         "the 200000 bytes sent in the new window are metered there: the "
         . "upload is cut (got $res->{status})");
my @refused = wait_for_lines('error_log',
    qr/LR00001: refused POST \/q\/window\/\Q$tag\E .*reason quota\b/);
ok t_cmp(scalar(@refused), 1, 'refused once, for the budget (LR00001)');
# The new window holds what its budget allows and no more: an upload of
# one byte in it is refused.  (The new window has more than 2 s left.)
my $r = raw_request($V, http_request(POST => '/q/window/' . tag('w2'),
    headers => ['Content-Length: 1', 'Connection: close'], body => 'x'));
ok t_cmp($r->{status}, 429,
         'the new window is spent: a 1-byte upload gets 429');
