# Subrequests: a handler reached through one (mod_include's
# #include virtual) is given none of the request's body.  The SSI page
# rt-ssi/page.shtml is in an Off directory, so a POST to it with a body
# that rt-guarded (On, 1K cap) would refuse is served; the page includes
# rt-guarded/target.cgi, the recording CGI.  httpd itself takes the body
# headers off a subrequest, so the script reads nothing: the body never
# reaches a handler in a scope that refuses it.  (Its environment still
# says what the page's did, CONTENT_LENGTH included: mod_include hands
# the page's variables down to what it includes.)
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRRoutes qw(:all);

# [what, headers, body]
my @kinds = (
    ['Content-Length 5000 (over the include\'s 1K cap)',
     ['Content-Length: 5000'], 'p' x 5000],
    ['chunked (refused by the include\'s scope)',
     ['Transfer-Encoding: chunked'], chunked('q' x 5000)],
);

plan tests => @kinds * 4;

for my $k (@kinds) {
    my ($what, $headers, $body) = @$k;
    my $tag = tag('rt-sub');
    my $res = raw_request('lr_routes', http_request(POST => "/rt-ssi/page.shtml?$tag",
        headers => [@$headers, "X-LR-Tag: $tag", 'Connection: close'],
        body => $body));
    ok t_cmp($res->{status}, 200,
             "POST of an SSI page in an Off scope, $what: 200");
    ok t_cmp($res->{body}, qr/BEFORE\s+LR-ROUTES-RECORD .*read=0\s+AFTER/s,
             'the page holds the included script\'s answer');
    my @runs = grep { $_->{script} eq '/rt-guarded/target.cgi' } runs_after($tag);
    ok t_cmp(starts(@runs), 1, 'the included script ran once, as a subrequest');
    my ($end) = grep { $_->{what} ne 'start' } @runs;
    $end ||= { map { $_ => 'none' } qw(cl te read) };
    ok t_cmp($end->{read}, 0,
             'and was given none of the body: it read 0 bytes of the '
             . length($body) . ' sent');
}
