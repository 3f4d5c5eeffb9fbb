# The directives work in the server config and in <VirtualHost>, not only
# in per-directory sections (their Context: server config, virtual host,
# directory, .htaccess), and the levels merge: a virtual host
# inherits what it does not set, a <Location> overrides the server.
#
# These scopes cannot be put in extra.conf.in: a directive httpd refused
# there would stop the whole suite from starting.  So this test checks
# them with "apache2 -t" and then runs a private server of its own on
# 127.0.0.1, which it stops at the end:
#   port A, the main server:  LengthRequired On, LengthRequiredMaxBody 1K,
#                             <Location /exempt> LengthRequired Off
#   port B, a virtual host:   LengthRequiredMaxBody 4K (On inherited)
#   port C, a virtual host:   LengthRequired Off
# Every path is served by mod_reflector, which echoes a POST body.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use LRTest qw(:all);
use LRServer qw(free_port start_httpd stop_daemon);

plan tests => 4 + 2 + 10;

my $ALL_FOUR = join "\n", 'LengthRequired On', 'LengthRequiredMethods POST PUT',
    'LengthRequiredChunked Allow', 'LengthRequiredMaxBody 1K';

{
    my $r = syntax_check($ALL_FOUR);
    ok t_cmp($r->{rc}, 0, 'apache2 -t accepts the four directives in the '
             . 'server config');
    ok t_cmp($r->{out}, qr/Syntax OK/,
             'and says Syntax OK' . ($r->{rc} ? " (it said: $r->{out})" : ''));

    my $port = Apache::Test::vars('port');
    $r = syntax_check("<VirtualHost 127.0.0.1:$port>\n$ALL_FOUR\n</VirtualHost>");
    ok t_cmp($r->{rc}, 0, 'apache2 -t accepts the four directives in a '
             . '<VirtualHost>');
    ok t_cmp($r->{out}, qr/Syntax OK/,
             'and says Syntax OK' . ($r->{rc} ? " (it said: $r->{out})" : ''));
}

# Free ports on 127.0.0.1 for the private server.
my ($pa, $pb, $pc) = map { free_port() } 1 .. 3;
my $dir = tempdir(CLEANUP => 1);

my ($conf) = private_conf(<<"EOC", dir => $dir, modules => ['authz_core_module', 'reflector_module'],
LogLevel info
<Location "/">
    SetHandler reflector
    Require all granted
</Location>
LengthRequired On
LengthRequiredMaxBody 1K
<Location "/exempt">
    LengthRequired Off
</Location>
<VirtualHost 127.0.0.1:$pb>
    LengthRequiredMaxBody 4K
</VirtualHost>
<VirtualHost 127.0.0.1:$pc>
    LengthRequired Off
</VirtualHost>
EOC
    listen => ["127.0.0.1:$pa", "127.0.0.1:$pb", "127.0.0.1:$pc"],
    one_child => 1);

my $httpd = start_httpd($conf, ports => [$pa, $pb, $pc]);
ok t_cmp($httpd->{why}, '', 'the private server with the policy in the '
         . 'server config and virtual hosts starts');
ok t_cmp($httpd->{up}, 1, 'and answers on 127.0.0.1, on its three ports');

sub status {
    my ($port, $path, $len) = @_;
    my @headers = ('Connection: close');
    push @headers, "Content-Length: $len" if defined $len;
    my $res = eval {
        raw_request($port, http_request(POST => $path, headers => \@headers,
                                        body => 'c' x ($len || 0)));
    };
    return $res ? $res->{status} : 0;
}

ok t_cmp(status($pa, '/x'), 411,
         'server config LengthRequired On: POST without a length gets 411');
ok t_cmp(status($pa, '/x', 2000), 413,
         'server config LengthRequiredMaxBody 1K: 2000 bytes get 413');
ok t_cmp(status($pa, '/x', 10), 200, 'server config: 10 bytes pass');
ok t_cmp(status($pa, '/exempt/x'), 200,
         '<Location /exempt> LengthRequired Off overrides the server config');
ok t_cmp(status($pb, '/x'), 411,
         'virtual host that sets only a cap inherits LengthRequired On: 411');
ok t_cmp(status($pb, '/x', 2000), 200,
         'virtual host LengthRequiredMaxBody 4K overrides the server\'s 1K: '
         . '2000 bytes pass');
ok t_cmp(status($pb, '/x', 5000), 413,
         'virtual host 4K cap: 5000 bytes get 413');
ok t_cmp(status($pc, '/x'), 200,
         'virtual host LengthRequired Off: POST without a length passes');
ok t_cmp(status($pc, '/x', 5000), 200,
         'virtual host LengthRequired Off: 5000 bytes pass (no cap applies)');

ok t_cmp(stop_daemon($httpd), 1, 'the private server stopped on SIGTERM');
