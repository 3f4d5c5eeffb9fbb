# LengthRequiredChunked Buffer in front of mod_cgid and mod_proxy_http: a
# chunked body is read whole before the handler and handed on with a
# Content-Length, so the CGI gets CONTENT_LENGTH and exactly the bytes that
# were sent; the bound (LengthRequiredMaxBody, else LimitRequestBody) is
# enforced before the CGI starts; internal redirects after the buffering
# deliver the body once.  Scenarios: the lr_buffer host of
# t/conf/buffer.conf.in; the CGI is t/cgi-bin/buffer_md5.pl.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRBuffer qw(:all);

my $MB5 = 5 * 1024 * 1024;
# [size, chunk sizes]: 1-byte chunks where the body is small enough for
# it, an odd size, and one chunk.
my @bodies = ([1, [1, 0]], [16_303, [1, 4093, 0]], [16_304, [1, 4093, 0]],
              [100_000, [1, 4093, 0]], [$MB5, [65_521, 0]]);
my $n_bodies = 0;
$n_bodies += @{ $_->[1] } for @bodies;

plan tests => 3 * $n_bodies + 4 + 3 + 3 + 4 + 3 + 4 + 9 + 3 + 3;

# What buffer_md5.pl answers for a body it was given whole, with its
# length declared.
sub whole {
    my ($body) = @_;
    return sprintf 'cl=%d te=- read=%d md5=%s', length $body, length $body,
        md5_hex($body);
}

sub runs {
    my ($log, $tag) = @_;
    return grep { /\Q$tag\E/ } log_lines($log);
}

for my $b (@bodies) {
    my ($size, $pieces) = @$b;
    my $body = body_of($size, $size % 97);
    for my $piece (@$pieces) {
        my $how = $piece ? "in $piece-byte chunks" : 'in one chunk';
        my $tag = tag('buf-cgi');
        my $res = post_chunked("/buf-cgi/buffer_md5.pl?$tag", chunked_by($body, $piece));
        ok t_cmp($res->{status}, 200, "$size bytes $how: 200");
        ok t_cmp($res->{body}, qr/\Q${\ whole($body)}\E/,
                 "$size bytes $how: the CGI got CONTENT_LENGTH $size, no "
                 . "Transfer-Encoding, and the same MD5");
        ok t_cmp(lr_note($tag), 'buffered', "$size bytes $how: the note is "
                 . "'buffered'");
    }
}

# The bound is LengthRequiredMaxBody: exactly it passes, one byte more is
# refused before the CGI runs.
{
    my $tag = tag('buf-cap-exact');
    my $res = post_chunked("/buf-cgi/cap/buffer_md5.pl?$tag",
                   chunked_by(body_of(100_000), 4093));
    ok t_cmp($res->{status}, 200, '100,000 bytes under a 100,000-byte cap: 200');
    $tag = tag('buf-cap-over');
    $res = post_chunked("/buf-cgi/cap/buffer_md5.pl?$tag",
                chunked_by(body_of(100_001), 4093));
    ok t_cmp($res->{status}, 413, 'one byte over the cap: 413');
    ok t_cmp(lr_note($tag), 'too-large', '... reason too-large');
    ok t_cmp(scalar(runs('buffer_runs.log', $tag)), 0, '... and the CGI never ran');
}

# Without LengthRequiredMaxBody, core's LimitRequestBody is the bound.
{
    my $tag = tag('buf-core-ok');
    my $res = post_chunked("/buf-corelimit/buffer_md5.pl?$tag", chunked_by(body_of(5000), 999));
    ok t_cmp($res->{status}, 200, 'LimitRequestBody 5000, 5000 bytes: 200');
    $tag = tag('buf-core-over');
    $res = post_chunked("/buf-corelimit/buffer_md5.pl?$tag", chunked_by(body_of(5001), 999));
    ok t_cmp($res->{status}, 413, 'LimitRequestBody 5000, 5001 bytes: 413');
    ok t_cmp(scalar(runs('buffer_runs.log', $tag)), 0, '... and the CGI never ran');
}

# The 413 goes through httpd's error path: LengthRequiredErrorFormat Json,
# and an ErrorDocument where one is in scope.
{
    my $tag = tag('buf-json');
    my $res = post_chunked("/buf-json/buffer_md5.pl?$tag", chunked_by(body_of(3000), 512));
    ok t_cmp($res->{headers}{'content-type'}, qr{^application/json},
             'past the bound, ErrorFormat Json: a JSON 413');
    ok t_cmp($res->{body}, qr/"status":413,.*"reason":"too-large".*"limit":1000/,
             '... with the reason and the limit');
    $tag = tag('buf-errdoc');
    $res = post_chunked("/buf-errdoc/buffer_md5.pl?$tag", chunked_by(body_of(3000), 512));
    ok t_cmp($res->{body}, qr/LR-BUF-ERRDOC-413/,
             'past the bound, an ErrorDocument in scope wins');
}

# No bound at all: refused as under Deny, with a line that says why.
{
    my $tag = tag('buf-nobound');
    my $res = post_chunked("/buf-nobound/buffer_md5.pl?$tag", chunked_by('x' x 10));
    ok t_cmp($res->{status}, 411, 'Buffer with no bound anywhere: 411');
    ok t_cmp(lr_note($tag), 'chunked', '... reason chunked, as under Deny');
    ok t_cmp(scalar(runs('buffer_runs.log', $tag)), 0, '... and the CGI never ran');
    ok t_cmp(scalar(wait_for_lines('error_log',
             qr/LR00030: POST \/buf-nobound\/buffer_md5\.pl from .*needs a bound/)),
             qr/^[1-9]/, '... and the error log says it needs a bound');
}

# A body with a Content-Length passes as it is, never buffered.
{
    my $tag = tag('buf-cl');
    my $body = body_of(3000);
    my $res = raw_request('lr_buffer', http_request(POST =>
        "/buf-cgi/buffer_md5.pl?$tag", headers => ['Content-Length: 3000',
        'Connection: close'], body => $body));
    ok t_cmp($res->{body}, qr/\Q${\ whole($body)}\E/,
             'a body with Content-Length reaches the CGI as it is');
    ok t_cmp(lr_note($tag), '-', '... and is not buffered (no note)');
    ok t_cmp($res->{status}, 200, '... 200');
}

# LogOnly: under the bound buffered; past it, logged as a would-be
# refusal and handed on whole, as it came (chunked, no Content-Length).
{
    my $tag = tag('buf-logonly-small');
    my $body = body_of(500);
    my $res = post_chunked("/buf-logonly/buffer_md5.pl?$tag", chunked_by($body, 7));
    ok t_cmp($res->{body}, qr/\Q${\ whole($body)}\E/, 'LogOnly, under the bound: buffered');
    $tag = tag('buf-logonly-big');
    $body = body_of(300_000);
    $res = post_chunked("/buf-logonly/buffer_md5.pl?$tag", chunked_by($body, 4093));
    ok t_cmp($res->{status}, 200, 'LogOnly, 300,000 bytes over a 1000-byte bound: 200');
    ok t_cmp($res->{body}, qr/cl=- te=chunked read=300000 md5=\Q${\ md5_hex($body)}\E/,
             '... the CGI got the whole body, chunked, with no CONTENT_LENGTH');
    ok t_cmp(lr_note($tag), 'too-large', '... noted as a would-be refusal');
}

# Internal redirects after the buffering: mod_dir's DirectoryIndex (a fast
# redirect in fixups), MultiViews (a fast redirect in type_checker) and a
# per-directory RewriteRule [PT] (an internal redirect in the handler
# phase) hand the CGI the body, once.
for my $case (['DirectoryIndex', '/buf-index/'],
              ['MultiViews', '/buf-mv/md5'],
              ['a per-directory RewriteRule', '/buf-rewrite/index.txt']) {
    my ($what, $path) = @$case;
    my $tag = tag('buf-redir');
    my $body = body_of(200_000, 3);
    my $res = post_chunked("$path?$tag", chunked_by($body, 4093));
    ok t_cmp($res->{status}, 200, "$what: 200");
    ok t_cmp($res->{body}, qr/\Q${\ whole($body)}\E/,
             "$what: the CGI got CONTENT_LENGTH and the body");
    ok t_cmp(scalar(runs('buffer_runs.log', $tag)), 1, "$what: the CGI ran once");
}

# mod_proxy_http: the backend sees Content-Length and no Transfer-Encoding.
{
    my $tag = tag('buf-proxy');
    my $body = body_of(150_000, 5);
    my $res = post_chunked("/buf-proxied/buffer_md5.pl?$tag", chunked_by($body, 4093));
    ok t_cmp($res->{status}, 200, 'through mod_proxy_http: 200');
    my ($seen) = runs('buffer_backend.log', $tag);
    ok t_cmp($seen, qr/\Q${\ whole($body)}\E/,
             'the backend got Content-Length 150000, no Transfer-Encoding, '
             . 'and the body');
    # lr_log has the backend's request too: the front one is wanted.
    my ($front) = wait_for_lines('lr_log', qr{"POST /buf-proxied/\S*\Q$tag\E});
    ok t_cmp($front, qr/ lr=buffered$/, '... buffered in front');
}

# Nothing left in the spool directory, and no file of it held open.
{
    ok t_cmp(join(' ', spool_names()), '', 'no name left in LengthRequiredBufferDir');
    my $held = wait_no_holders(spool_dir(), 10);
    ok t_cmp(join(' ', map { @$_ } values %$held), '',
             'no process holds a temporary file of it open');
    ok t_cmp(scalar(error_lines(qr/LR0003[2-5]/)), 0, 'no spool error logged');
}
