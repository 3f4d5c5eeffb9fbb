# "A refused body is gone for good", over HTTP/1.1: after a 411
# or 413 refusal, whatever error document httpd serves for it (a string, a
# static file, a local CGI, a local URL proxied to a backend, a remote URL)
# sees no request body: no Content-Length, no Transfer-Encoding, and reading
# gives end-of-body at once.  The client gets the refusal's status and the
# connection closes.  The recording CGI (record.pl) serves both the
# refused scenario (it must never run for it) and the CGI and proxied error
# documents (they must run once, as GET, and read nothing).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRRoutes qw(:all);

plan tests => 3 * 30;

my $BIG = 200_000;

sub static_file {
    my ($name) = @_;
    my $file = Apache::Test::vars('documentroot') . "/routes/rt-doc/$name";
    open my $fh, '<', $file or die "$file: $!";
    local $/;
    return scalar <$fh>;
}

# [kind, status, headers, body]: refused for a missing length, for a
# chunked body (LengthRequiredChunked Deny, the default) and for a
# Content-Length over the 1K cap; the last two with their whole body.
my @kinds = (
    ['missing', 411, [], ''],
    ['chunked', 411, ['Transfer-Encoding: chunked'], chunked('c' x $BIG)],
    ['too-large', 413, ["Content-Length: $BIG"], 'l' x $BIG],
);

sub refused {
    my ($type, $kind) = @_;
    my ($name, $status, $headers, $body) = @$kind;
    my $tag = tag("rt-ed-$type-$name");
    my ($res, $x) = raw_request('lr_routes',
        http_request(POST => "/rt-ed-$type/$tag",
                     headers => [@$headers, "X-LR-Tag: $tag"],
                     body => $body),
        timeout => 20);
    return ($res, $x, $tag);
}

for my $kind (@kinds) {
    my ($name, $status) = @$kind;

    # A quoted string: nothing runs.
    {
        my ($res, $x, $tag) = refused('string', $kind);
        ok t_cmp($res->{status}, $status, "string ErrorDocument, $name: $status");
        ok t_cmp($res->{body}, "LR-ROUTES-STRING-$status "
                 . ($status == 411 ? 'declare your length' : 'body too large'),
                 'the body is the configured string');
        ok t_cmp($x->{eof}, 1, 'and the server closed the connection');
        ok t_cmp(scalar(runs_after($tag)), 0,
                 'no CGI ran for the refused request');
    }

    # A static file in an Off scope.
    {
        my ($res, $x, $tag) = refused('file', $kind);
        ok t_cmp($res->{status}, $status,
                 "static file ErrorDocument, $name: the status stays $status");
        ok t_cmp($res->{body}, static_file("$status.html"),
                 "the body is rt-doc/$status.html");
        ok t_cmp($x->{eof}, 1, 'and the server closed the connection');
        ok t_cmp(scalar(runs_after($tag)), 0,
                 'no CGI ran for the refused request');
    }

    # A local CGI: it runs once, as the GET of the error document, and is
    # given nothing of the refused body.
    {
        my ($res, $x, $tag) = refused('cgi', $kind);
        ok t_cmp($res->{status}, $status,
                 "CGI ErrorDocument, $name: the status stays $status");
        ok t_cmp($res->{body}, qr/^LR-ROUTES-RECORD status=$status /,
                 'the body is what the error document CGI printed');
        ok t_cmp($x->{eof}, 1, 'and the server closed the connection');
        errdoc_handler_got_nothing($tag, 'cgi', $status, $name eq 'missing' ? 0 : $BIG);
    }

    # A local URL proxied to lr_routes_backend: the backend is sent a GET
    # with no body.
    {
        my ($res, $x, $tag) = refused('proxy', $kind);
        # mod_proxy_http passes on its backend's 200; the module puts the
        # refusal's status back, so the client is refused here too.
        ok t_cmp($res->{status}, $status,
                 "proxied ErrorDocument, $name: $status, not the backend's "
                 . '200');
        ok t_cmp($res->{body}, qr/^LR-ROUTES-RECORD /,
                 'the body is what the backend answered');
        ok t_cmp($x->{eof}, 1, 'and the server closed the connection');
        errdoc_handler_got_nothing($tag, 'proxy', $status, $name eq 'missing' ? 0 : $BIG);
    }

    # A remote URL: httpd answers 302 to it and reads nothing.
    {
        my ($res, $x, $tag) = refused('remote', $kind);
        my $url = $status == 411
            ? 'http://errors.example.invalid/length-required'
            : 'http://errors.example.invalid/too-large';
        ok t_cmp($res->{status}, 302,
                 "remote ErrorDocument, $name: 302 (httpd's form for it)");
        ok t_cmp($res->{headers}{location}, $url, "Location: $url");
        ok t_cmp($x->{eof}, 1, 'and the server closed the connection');
        ok t_cmp(scalar(runs_after($tag)), 0,
                 'no CGI ran for the refused request');
    }
}
