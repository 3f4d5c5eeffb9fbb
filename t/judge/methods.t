# Which requests are judged: LengthRequiredMethods (default POST PUT PATCH),
# a replaced list with extension methods and arbitrary tokens, methods
# compared case-sensitively, GET and HEAD told apart, GET untouched.
#
# Every request here is sent without any length (raw socket), so a method
# that is judged gets 411 and one that is not reaches the echo CGI (200).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

# [method, location, expected status, why]
my @cases = (
    # Default list: POST PUT PATCH.
    [POST      => '/on', 411, 'POST is in the default list'],
    [PUT       => '/on', 411, 'PUT is in the default list'],
    [PATCH     => '/on', 411, 'PATCH is in the default list'],
    [GET       => '/on', 200, 'GET is not in the default list'],
    [HEAD      => '/on', 200, 'HEAD is not in the default list'],
    [DELETE    => '/on', 200, 'DELETE is not in the default list'],
    [PROPPATCH => '/on', 200, 'PROPPATCH is not in the default list'],

    # /methods replaces the list: PUT PROPPATCH MKCOL FROB.
    [PUT       => '/methods', 411, 'PUT is in the replaced list'],
    [PROPPATCH => '/methods', 411, 'the extension method PROPPATCH is listed'],
    [MKCOL     => '/methods', 411, 'the extension method MKCOL is listed'],
    [FROB      => '/methods', 411, 'the arbitrary token FROB is listed'],
    [POST      => '/methods', 200,
     'POST is no longer judged: the list replaces the default'],
    [PATCH     => '/methods', 200,
     'PATCH is no longer judged: the list replaces the default'],
    [GET       => '/methods', 200, 'GET is not in the replaced list'],

    # Methods are case-sensitive: these are not the methods listed.
    [frob      => '/methods', 200, 'frob is not FROB (methods are case-sensitive)'],
    [proppatch => '/methods', 200, 'proppatch is not PROPPATCH'],
    [put       => '/methods', 200, 'put is not PUT'],
    [Put       => '/methods', 200, 'Put is not PUT'],

    # GET and HEAD are distinct methods for the module, as in HTTP, even
    # though httpd gives them one method number.
    [GET       => '/only-get', 411, 'GET is listed there'],
    [HEAD      => '/only-get', 200, 'HEAD is not GET'],
    [POST      => '/only-get', 200, 'POST is not in the list GET'],
    [HEAD      => '/only-head', 411, 'HEAD is listed there'],
    [GET       => '/only-head', 200, 'GET is not HEAD'],
);

# Plus two requests with a body on methods outside the list.
plan tests => 3 * @cases + 4;

for my $c (@cases) {
    my ($method, $where, $want, $why) = @$c;
    my $tag = tag("m-$method");
    my $path = "$where/$tag";
    my $res = raw_request(undef,
        http_request($method, $path, headers => ['Connection: close']));

    ok t_cmp($res->{status}, $want,
             "$method $where without a length: $want, because $why");

    request_finished($tag);
    my @runs = grep { /^\Q$method $path\E / } cgi_runs($tag);
    if ($want == 411) {
        ok t_cmp(scalar @runs, 0,
                 "$method $where refused: the CGI never ran for it");
        ok t_cmp(lr_note($tag), 'missing-length',
                 "$method $where refused: the note says missing-length");
    }
    else {
        ok t_cmp(scalar @runs, 1,
                 "$method $where untouched: the CGI ran once with that method");
        ok t_cmp(lr_note($tag), '-',
                 "$method $where untouched: no length-required note");
    }
}

# GET is untouched even with a body the module would refuse for POST: a
# chunked body where chunked is denied, a length over the cap.
{
    my $tag = tag('get-chunked');
    my $res = raw_request(undef, http_request(GET => "/on/$tag",
        headers => ['Transfer-Encoding: chunked', 'Connection: close'],
        body => chunked('hello')));
    ok t_cmp($res->{status}, 200,
             'GET with a chunked body under LengthRequiredChunked Deny: '
             . 'untouched, 200');
    ok t_cmp($res->{headers}{'x-body-length'}, 5,
             'and the CGI read its 5 body bytes');

    $tag = tag('get-over-cap');
    $res = raw_request(undef, http_request(GET => "/cap/$tag",
        headers => ['Content-Length: 2000', 'Connection: close'],
        body => 'g' x 2000));
    ok t_cmp($res->{status}, 200,
             'GET with Content-Length 2000 under a 1K cap: untouched, 200');
    ok t_cmp($res->{headers}{'x-body-length'}, 2000,
             'and the CGI read all 2000 body bytes');
}
