# Issue 10: a client that declares a body far over the cap and keeps
# sending it slowly is refused and cut off within a few seconds, also when
# the scope's ErrorDocument is a local CGI.  httpd closes the connection
# after a 413 with the short lingering close (about 2 s) the module asks
# for, but only once the error document is done; a CGI error document that
# is given the refused body reads it for as long as the client sends, and
# the client is never cut off.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRRoutes qw(:all);

plan tests => 4 + 5;

# The test gives up after this long; a cut-off must come well before.
my $GIVE_UP = 15;
my $CUT_WITHIN = 8;

# Declares 500 MB, then sends 1000 bytes every 100 ms and reads whatever
# the server answers.  Returns the status of the answer (0 if none came),
# when the connection was cut (a failed write, or a failed read such as a
# reset; end-of-file alone is httpd shutting down its sending side, after
# which it still reads during the lingering close) or undef if it was
# still open after $GIVE_UP s, how it was cut, and the bytes sent.
sub slow_upload {
    my ($path, $tag) = @_;
    my $sock = Apache::TestRequest::vhost_socket('lr_routes')
        or die "connect: $!";
    local $SIG{PIPE} = 'IGNORE';
    my $t0 = time;
    syswrite $sock, http_request(POST => $path,
        headers => ['Content-Length: 500000000', "X-LR-Tag: $tag"]);
    $sock->blocking(0);
    my ($raw, $sent, $took, $how) = ('', 0, undef, undef);
    while (time - $t0 < $GIVE_UP) {
        while (1) {
            my $n = sysread $sock, my $buf, 65536;
            if (!defined $n) {
                if (!$!{EAGAIN} && !$!{EWOULDBLOCK}) {
                    $how = "read failed: $!";
                }
                last;
            }
            last if $n == 0;
            $raw .= $buf;
        }
        last if $how;
        my $n = syswrite $sock, 'u' x 1000;
        if (!defined $n && !$!{EAGAIN} && !$!{EWOULDBLOCK}) {
            $how = "write failed: $!";
            last;
        }
        $sent += $n if $n;
        sleep 0.1;
    }
    $took = time - $t0 if $how;
    close $sock;
    my ($status) = $raw =~ m{^HTTP/1\.\d (\d{3})};
    return ($status // 0, $took, $how, $sent);
}

for my $case (['string', 'control: a string ErrorDocument'],
              ['cgi', 'a local CGI ErrorDocument']) {
    my ($type, $what) = @$case;
    my $tag = tag("rt-slow-$type");
    my ($status, $took, $how, $sent) = slow_upload("/rt-ed-$type/$tag", $tag);
    ok t_cmp($status, 413,
             "$what, 500 MB declared over a 1K cap, sent slowly: 413");
    ok t_cmp(defined $took, 1,
             'the server cut the connection while the client kept sending ('
             . ($how // "still open after $GIVE_UP s") . ')');
    ok t_cmp(defined $took && $took < $CUT_WITHIN, 1,
             sprintf('within %d s of the request (%s)', $CUT_WITHIN,
                     defined $took ? sprintf('%.1f s', $took) : 'never'));
    ok t_cmp($sent > 0, 1,
             "the client did keep sending ($sent bytes of body)");
    if ($type eq 'cgi') {
        my @runs = runs_after($tag);
        ok t_cmp(max_read(@runs), 0,
                 'the error document CGI was given none of the body '
                 . '(recorded: ' . join(' | ', map { $_->{line} } @runs)
                 . ')');
    }
}
