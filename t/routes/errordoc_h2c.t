# "A refused body is gone for good", over HTTP/2 (h2c, prior
# knowledge, with nghttp): the same error documents as errordoc.t
# for a POST with no body and no content-length (411, missing length), a
# body streamed without content-length (mod_http2 presents it as chunked:
# 411 under LengthRequiredChunked Deny) and a body with content-length
# over the 1K cap (413).  A CGI or proxied error document must be given
# none of the refused body.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRRoutes qw(:all);

plan tests => 1 + 3 * 29;

my $BIG = 200_000;

ok t_cmp(`nghttp --version 2>&1` // '', qr/\bnghttp2\b/,
         'nghttp is installed (package nghttp2-client; every test here '
         . 'needs it)');

# [kind, status, h2 options]
my @kinds = (
    ['missing', 411, ()],
    ['streamed', 411, body => 's' x $BIG, stream => 1],
    ['too-large', 413, body => 'l' x $BIG],
);

sub refused {
    my ($type, $name, %opt) = @_;
    my $tag = tag("rt-ed-h2-$type-$name");
    my $res = h2('lr_routes', 'POST', "/rt-ed-$type/$tag",
                 headers => ["x-lr-tag: $tag"], %opt);
    return ($res, $tag);
}

for my $kind (@kinds) {
    my ($name, $status, %opt) = @$kind;
    my $sent = $opt{body} ? length $opt{body} : 0;

    for my $type ('string', 'file') {
        my ($res, $tag) = refused($type, $name, %opt);
        ok t_cmp($res->{status}, $status, "h2c $type ErrorDocument, $name: $status");
        ok t_cmp($res->{http2}, 1, 'the exchange was HTTP/2');
        ok t_cmp($res->{out}, $type eq 'string'
                 ? qr/LR-ROUTES-STRING-$status / : qr/LR-ROUTES-DOC-$status /,
                 'the body is the configured error document');
        ok t_cmp(scalar(runs_after($tag)), 0,
                 'no CGI ran for the refused request');
    }

    {
        my ($res, $tag) = refused('cgi', $name, %opt);
        ok t_cmp($res->{status}, $status,
                 "h2c CGI ErrorDocument, $name: the status stays $status");
        ok t_cmp($res->{http2}, 1, 'the exchange was HTTP/2');
        ok t_cmp($res->{out}, qr/LR-ROUTES-RECORD status=$status /,
                 'the body is what the error document CGI printed');
        errdoc_handler_got_nothing($tag, 'cgi', $status, $sent);
    }

    {
        my ($res, $tag) = refused('proxy', $name, %opt);
        # As over HTTP/1.1: the refusal's status, not the backend's 200
        # (see errordoc.t).
        ok t_cmp($res->{status}, $status,
                 "h2c proxied ErrorDocument, $name: $status, not the backend's 200");
        ok t_cmp($res->{http2}, 1, 'the exchange was HTTP/2');
        ok t_cmp($res->{out}, qr/LR-ROUTES-RECORD /,
                 'the body is what the backend answered');
        errdoc_handler_got_nothing($tag, 'proxy', $status, $sent);
    }

    {
        my ($res, $tag) = refused('remote', $name, %opt);
        my $url = $status == 411
            ? 'http://errors.example.invalid/length-required'
            : 'http://errors.example.invalid/too-large';
        ok t_cmp($res->{status}, 302,
                 "h2c remote ErrorDocument, $name: 302 (httpd's form for it)");
        ok t_cmp($res->{out}, qr/recv \(stream_id=\d+\) location: \Q$url\E/,
                 "location: $url");
        ok t_cmp(scalar(runs_after($tag)), 0,
                 'no CGI ran for the refused request');
    }
}
