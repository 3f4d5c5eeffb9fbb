# LengthRequiredStrict and HTTP/2: the Strict On host (lr_strict_on)
# also speaks h2c.  mod_http2 presents an h2 request body without
# content-length as Transfer-Encoding: chunked; that is not the client's
# framing, and Strict must leave it alone.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

my $http2 = module_so('http2_module');
plan tests => 6,
    need { 'nghttp (package nghttp2-client)' => have_program('nghttp'),
           "mod_http2 ($http2)" => -e $http2 };

my $port = Apache::Test::vars('lr_strict_on_port');

# [how nghttp sends the 300 bytes, what, what the CGI must see]
for my $c (['stream', 'a streamed h2 body (no content-length)', qr/ cl=- te=chunked$/],
           ['length', 'an h2 body with content-length', qr/ cl=300 te=-$/]) {
    my ($how, $what, $seen) = @$c;
    my $tag = tag("strict-h2-$how");
    my $res = h2_request($port, $how, 'POST', "/cgi/echo.pl?c=$tag", 300);
    ok t_cmp($res->{status}, 200, "Strict On, HTTP/2: $what passes");
    ok t_cmp(lr_note($tag, 'strict_on_log'), '-',
             'with no note: Strict found nothing to refuse');
    my ($run) = cgi_runs($tag);
    ok t_cmp($run, $seen, 'the CGI ran and saw the framing mod_http2 gave it');
}
