# The refusal comes in header_parser, before access control: a location
# that denies every client (Require ip 192.0.2.1) still answers a request
# without a length with 411, not 403.  A request the module lets through
# meets the access control as usual.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 4;

# mod_authz_core's denial line (it names the file, not the URI, so the
# test counts them around each request; tests run one at a time).
sub denials { scalar error_lines(qr/AH01630: client denied/) }

{
    my $tag = tag('denied-nolen');
    my $before = denials();
    my $res = raw_request(undef, http_request(POST => "/denied/$tag"));
    ok t_cmp($res->{status}, 411,
             'POST without a length where access is denied to all: 411, '
             . 'decided before access control');
    request_finished($tag);
    ok t_cmp(denials() - $before, 0,
             'access control never judged it (no AH01630 "client denied")');
}

{
    my $tag = tag('denied-len');
    my $before = denials();
    my $res = raw_request(undef, http_request(POST => "/denied/$tag",
        headers => ['Content-Length: 5', 'Connection: close'], body => 'hello'));
    ok t_cmp($res->{status}, 403,
             'control: the same with a length passes the module and is denied '
             . 'by access control: 403');
    request_finished($tag);
    ok t_cmp(denials() - $before, 1,
             'control: access control logged the denial once');
}
