# A client that declares a body far over the cap and keeps sending it
# slowly is refused and cut off within a few seconds, also when the
# scope's ErrorDocument is a local CGI.  httpd closes the connection
# after a 413 with the short lingering close (about 2 s) the module asks
# for, but only once the error document is done; a CGI error document that
# is given the refused body reads it for as long as the client sends, and
# the client is never cut off.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRRoutes qw(:all);

plan tests => 4 + 5;

# The test gives up after this long; a cut-off must come well before.
my $GIVE_UP = 15;
my $CUT_WITHIN = 8;

for my $case (['string', 'control: a string ErrorDocument'],
              ['cgi', 'a local CGI ErrorDocument']) {
    my ($type, $what) = @$case;
    my $tag = tag("rt-slow-$type");
    # Declares 500 MB, then sends 1000 bytes every 100 ms.
    my $x = send_until_cut('lr_routes', http_request(POST => "/rt-ed-$type/$tag",
        headers => ['Content-Length: 500000000', "X-LR-Tag: $tag"]),
        piece => 1000, every => 0.1, give_up => $GIVE_UP);
    ok t_cmp($x->{status}, 413,
             "$what, 500 MB declared over a 1K cap, sent slowly: 413");
    ok t_cmp(defined $x->{cut} ? 1 : 0, 1,
             'the server cut the connection while the client kept sending ('
             . ($x->{cut} // "still open after $GIVE_UP s") . ')');
    my $took = $x->{after_start};
    ok t_cmp(defined $took && $took < $CUT_WITHIN ? 1 : 0, 1,
             sprintf('within %d s of the request (%s)', $CUT_WITHIN,
                     defined $took ? sprintf('%.1f s', $took) : 'never'));
    ok t_cmp($x->{sent_after_status} > 0 ? 1 : 0, 1,
             "the client did keep sending ($x->{sent_after_status} bytes of "
             . 'body after the 413)');
    if ($type eq 'cgi') {
        my @runs = runs_after($tag);
        ok t_cmp(join(' ', starts(@runs), max_read(@runs) // 'nothing'), '1 0',
                 'the error document CGI ran once and was given none of the '
                 . 'body (recorded: ' . join(' | ', map { $_->{line} } @runs)
                 . ')');
    }
}
