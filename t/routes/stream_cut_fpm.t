# The honest log for an Allow-mode cut, with a real PHP-FPM
# behind mod_proxy_fcgi (/rt-cut-fcgi/cut.php, LengthRequiredChunked Allow,
# a 64K cap).  mod_proxy_fcgi ignores the failed read of a chunked body cut
# at the cap and PHP answers 200, so the module must not log a refusal
# (LR00001) or count LengthRequiredStreamTooLarge; it logs LR00005 at warn
# (the handler, the status sent, the body cut at the limit) and counts
# LengthRequiredStreamCut.
#
# The test starts a private PHP-FPM pool of its own (Debian's php-fpm,
# run as the test user) on the Unix socket routes.conf.in names, and stops
# it at the end.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(make_path remove_tree);
use LRTest qw(:all);
use LRRoutes qw(:all);
use LRServer qw(php_fpm_program start_php_fpm);

my $fpm = php_fpm_program();

plan tests => 3 + 8,
    need { 'php-fpm (Debian package php-fpm, /usr/sbin/php-fpm8.2) is '
           . 'not installed' => defined $fpm };

my $logs = Apache::Test::vars('t_logs');
my $sock = "$logs/routes-fpm.sock";
my $dir = "$logs/routes-fpm";
remove_tree($dir);
make_path($dir);

my $pool = start_php_fpm($dir, sock => $sock);
ok t_cmp($pool->{up}, 1, "the private PHP-FPM pool ($fpm) listens on $sock"
         . ($pool->{up} ? '' : " ($pool->{why})"));

# Without "Connection: close", as curl sends it: mod_proxy_fcgi reads
# only the first 16 KB of a chunked body, and httpd reads (and throws
# away) the rest at the end of the request to keep the connection, which
# is where it passes the cap.  The server may keep the connection open
# after the response, so the exchange is cut short after a few seconds.
sub post_stream {
    my ($path, $bytes, @headers) = @_;
    return raw_request('lr_routes', http_request(POST => $path,
        headers => ['Transfer-Encoding: chunked', @headers],
        body => chunked(('p' x 1000) x ($bytes / 1000))), timeout => 6);
}

# Control: a small chunked body reaches PHP whole (mod_proxy_fcgi
# prefetches up to 16 KB of it and sends its length).
{
    my $tag = tag('rt-cut-fpm-small');
    my $res = post_stream("/rt-cut-fcgi/cut.php/$tag", 2000,
                          'Connection: close');
    ok t_cmp($res->{status}, 200, 'control: chunked 2000 bytes to PHP-FPM: 200');
    ok t_cmp($res->{body}, qr/^LR-ROUTES-PHP read=2000 /,
             'control: PHP ran and read the 2000 bytes');
}

{
    my $tag = tag('rt-cut-fpm');
    my $before = counters('lr_routes');
    my $res = post_stream("/rt-cut-fcgi/cut.php/$tag", 100_000);
    ok t_cmp($res->{status}, 200,
             'PHP-FPM, chunked 100000 bytes past a 64K cap: the client gets '
             . '200 (mod_proxy_fcgi ignores the failed read)');
    cut_reported_not_refused($tag, $before, qr/proxy:\S*fcgi:\/\/localhost/,
                             'proxy:unix:...|fcgi://localhost');
}
