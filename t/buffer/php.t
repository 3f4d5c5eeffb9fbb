# LengthRequiredChunked Buffer in front of a real PHP-FPM (Debian's
# php-fpm8.2, a private pool this test starts on its own Unix socket) behind
# mod_proxy_fcgi.  Without Buffer a chunked body of 16,304 bytes or more
# reaches PHP empty, with no CONTENT_LENGTH (the control below shows it);
# with Buffer PHP gets CONTENT_LENGTH and the bytes, over HTTP/1.1 and over
# h2c without content-length; past the bound 413 and PHP never runs; a
# chunked multipart upload fills $_FILES.  Scenarios: /buf-php*/ of the
# lr_buffer host (t/conf/buffer.conf.in); scripts in t/php.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use LRTest qw(:all);
use LRBuffer qw(:all);
use LRServer qw(php_fpm_program);

my $MB5 = 5 * 1024 * 1024;
my @bodies = ([1, [1, 0]], [16_303, [1, 4093, 0]], [16_304, [1, 4093, 0]],
              [100_000, [1, 4093, 0]], [$MB5, [65_521, 0]]);
my @h2_sizes = (1, 16_303, 16_304, 100_000, $MB5);
my $n_bodies = 0;
$n_bodies += @{ $_->[1] } for @bodies;

plan tests => 1 + 2 * $n_bodies + 3 + 2 + 3 + 2 + 2 * @h2_sizes,
    need { 'php-fpm (package php-fpm)' => php_fpm_program(),
           'nghttp (package nghttp2-client)' => have_program('nghttp') };

my $fpm = start_buffer_php_fpm();
ok t_cmp($fpm->{up}, 1, 'the private PHP-FPM pool started'
         . ($fpm->{up} ? '' : ": $fpm->{why}"));

sub post {
    my ($path, $chunked) = @_;
    return post_chunked($path, $chunked,
                        'Content-Type: application/octet-stream');
}

sub whole {
    my ($body) = @_;
    return sprintf 'cl=%d len=%d md5=%s', length $body, length $body,
        md5_hex($body);
}

for my $b (@bodies) {
    my ($size, $pieces) = @$b;
    my $body = body_of($size, $size % 89);
    for my $piece (@$pieces) {
        my $how = $piece ? "in $piece-byte chunks" : 'in one chunk';
        my $tag = tag('buf-php');
        my $res = post("/buf-php/buffer.php?$tag", chunked_by($body, $piece));
        ok t_cmp($res->{status}, 200, "PHP, $size bytes $how: 200");
        ok t_cmp($res->{body}, qr/\Q${\ whole($body)}\E/,
                 "PHP, $size bytes $how: CONTENT_LENGTH $size and "
                 . "php://input with the same MD5");
    }
}

# The controls: without Buffer (Allow), the body is lost; with
# httpd's own remedy, SetEnv proxy-sendcl 1, the body arrives.
{
    my $body = body_of(16_304, 4);
    my $tag = tag('buf-php-allow');
    my $res = post("/buf-php-allow/buffer.php?$tag", chunked_by($body, 4093));
    ok t_cmp($res->{status}, 200, 'control, Allow: 16,304 bytes: 200');
    ok t_cmp($res->{body}, qr/cl=- len=0 /,
             'control, Allow: PHP got no CONTENT_LENGTH and an empty body '
             . '(the bug Buffer fixes)');
    $tag = tag('buf-php-sendcl');
    $res = post("/buf-php-sendcl/buffer.php?$tag", chunked_by($body, 4093));
    ok t_cmp($res->{body}, qr/\Q${\ whole($body)}\E/,
             'control, proxy-sendcl: the body arrives');
}

# The bound: exactly it passes, one byte more is 413 and PHP never runs.
{
    my $tag = tag('buf-php-exact');
    my $res = post("/buf-php-cap/buffer.php?$tag", chunked_by(body_of(100_000), 4093));
    ok t_cmp($res->{status}, 200, 'PHP, 100,000 bytes under a 100,000-byte cap: 200');
    $tag = tag('buf-php-over');
    $res = post("/buf-php-cap/buffer.php?$tag", chunked_by(body_of(100_001), 4093));
    ok t_cmp(join(' ', $res->{status}, scalar(php_runs($tag))), '413 0',
             'PHP, one byte over the cap: 413, and PHP never ran');
}

# A multipart/form-data file upload, sent chunked: $_FILES is filled.
{
    my $file = body_of(300_000, 11);
    my $boundary = 'lr-buffer-boundary-0123456789';
    my $form = "--$boundary\r\n"
        . qq{Content-Disposition: form-data; name="file"; filename="f.bin"\r\n}
        . "Content-Type: application/octet-stream\r\n\r\n"
        . $file . "\r\n--$boundary--\r\n";
    my $tag = tag('buf-php-upload');
    my $res = raw_request('lr_buffer', http_request(POST =>
        "/buf-php/upload.php?$tag", headers => ['Transfer-Encoding: chunked',
        'Connection: close',
        "Content-Type: multipart/form-data; boundary=$boundary"],
        body => chunked_by($form, 8191)), timeout => 60);
    ok t_cmp($res->{status}, 200, 'chunked multipart upload: 200');
    ok t_cmp($res->{body}, qr/cl=${\ length $form} error=0 size=300000 md5=\Q${\ md5_hex($file)}\E/,
             'chunked multipart upload: $_FILES holds the 300,000-byte file');
    ok t_cmp(lr_note($tag), 'buffered', '... buffered');
}

# Nothing left behind in the spool directory.
{
    ok t_cmp(join(' ', spool_names()), '', 'no name left in LengthRequiredBufferDir');
    my $held = wait_no_holders(spool_dir(), 10);
    ok t_cmp(join(' ', map { @$_ } values %$held), '',
             'no process holds a temporary file of it open');
}

# HTTP/2 (h2c, prior knowledge) without content-length.
{
    my $port = Apache::Test::vars('lr_buffer_port');
    my $tmp = tempdir(CLEANUP => 1);
    for my $size (@h2_sizes) {
        my $body = body_of($size, 21);
        my $data = "$tmp/body-$size";
        open my $fh, '>', $data or die "$data: $!";
        binmode $fh;
        print $fh $body;
        close $fh or die "$data: $!";
        my $tag = tag('buf-php-h2');
        my $res = h2_upload($port, "/buf-php/buffer.php?$tag", $data);
        ok t_cmp($res->{status}, 200, "h2c, $size bytes, no content-length: 200");
        ok t_cmp($res->{out}, qr/\Q${\ whole($body)}\E/,
                 "h2c, $size bytes: PHP got CONTENT_LENGTH $size and the "
                 . "same MD5");
    }
}
