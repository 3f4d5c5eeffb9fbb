# The module's request hooks are registered only where the configuration
# can use them, so that a server that loads the module and uses it nowhere
# runs none of its code per request: none where nothing turns the policy
# on; the policy's where a host turns it On or LogOnly, where a
# <Directory> lets .htaccess files set it (AllowOverride Limit or All, or
# an AllowOverrideList naming a LengthRequired directive), or where
# Strict is On; Strict's own only where Strict is On.  (The metrics
# handler's hook is always there: a handler can be named where httpd.conf
# does not show it, and its decline is one byte compared.)  Each case is a
# private server on 127.0.0.1 whose mod_info page lists the hooks the
# module takes part in, and a request shows whether they run.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use LRTest qw(:all);
use LRServer qw(free_port start_httpd stop_daemon);

# A private server with $conf around a document root holding an
# .htaccess file ($htaccess, if any) and mod_info; returns what its
# mod_info page says of the module's request phases ('' for none), and
# the status of a POST without a length and of a chunked POST on HTTP/1.0.
sub server {
    my ($conf, $htaccess) = @_;
    my $port = free_port();
    my $dir = tempdir(CLEANUP => 1);
    make_path("$dir/docs/up");
    if (defined $htaccess) {
        open my $fh, '>', "$dir/docs/up/.htaccess" or die $!;
        print $fh "$htaccess\n";
        close $fh;
    }
    my ($file) = private_conf(<<"CONF", dir => $dir,
DocumentRoot "$dir/docs"
<Directory "$dir/docs">
    Require all granted
</Directory>
<Location "/info">
    SetHandler server-info
</Location>
<Location "/up">
    SetHandler reflector
</Location>
$conf
CONF
        listen => ["127.0.0.1:$port"],
        modules => [qw(authz_core_module info_module reflector_module)]);
    my $httpd = start_httpd($file, ports => [$port]);
    die "$httpd->{why}\n" unless $httpd->{up};
    my $info = raw_request($port, "GET /info?mod_length_required.c HTTP/1.0\r\n\r\n");
    my ($phases) = $info->{body} =~ /Request Phase Participation:(.*?)<\/dt>/s;
    $phases //= 'no mod_info page';
    $phases =~ s/<[^>]*>//g;
    $phases =~ s/^\s+|\s+$//g;
    my $nolen = raw_request($port, http_request(POST => '/up/x',
                                                headers => ['Connection: close']));
    my $te10 = raw_request($port, "POST /up/x HTTP/1.0\r\nHost: x\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    stop_daemon($httpd);
    return ($phases, $nolen->{status}, $te10->{status});
}

# [what, configuration, .htaccess in /up, the phases mod_info lists, the
#  status of a POST without a length, of a chunked POST on HTTP/1.0]
my @cases = (
    ['loaded, nothing turns it on', "LengthRequiredMaxBody 1M", undef,
     qr/^Content Handlers$/, 200, 200],
    ['LengthRequired On in a section',
     "<Location \"/up\">\n    LengthRequired On\n</Location>", undef,
     qr/^Header Parse, Fixups, Content Handlers, Insert Errors$/, 411, 411],
    ['LogOnly in the server config',
     "LengthRequired LogOnly", undef,
     qr/^Header Parse, Fixups, Content Handlers, Insert Errors$/, 200, 200],
    ['AllowOverride Limit lets a .htaccess turn it on',
     "<Directory \"/\">\n    AllowOverride Limit\n</Directory>",
     'LengthRequired On', qr/^Header Parse, Fixups, Content Handlers, Insert Errors$/, 411, 411],
    ['AllowOverrideList naming a LengthRequired directive',
     "<Directory \"/\">\n    AllowOverrideList LengthRequired\n</Directory>",
     'LengthRequired On', qr/^Header Parse, Fixups, Content Handlers, Insert Errors$/, 411, 411],
    # httpd grants no override from a regex section: the .htaccess line
    # is an error (500), and the module has nothing to do.
    ['AllowOverride in a <DirectoryMatch>, which grants nothing',
     "<DirectoryMatch \"^/\">\n    AllowOverride Limit\n</DirectoryMatch>",
     'LengthRequired On', qr/^Content Handlers$/, 500, 500],
    ['Strict alone: its hooks and the policy\'s',
     "LengthRequiredStrict On", undef,
     qr/^Pre-Connection, Pre-Read Request, Post-Read Request, Header Parse, Fixups, Content Handlers, Insert Errors$/,
     200, 400],
);

plan tests => 3 * @cases;

for my $c (@cases) {
    my ($what, $conf, $ht, $phases, $nolen, $te10) = @$c;
    my ($got, $st, $te) = server($conf, $ht);
    ok t_cmp($got, $phases, "$what: mod_info lists the hooks it needs");
    ok t_cmp($st, $nolen, "$what: a POST without a length gets $nolen");
    ok t_cmp($te, $te10, "$what: a chunked POST on HTTP/1.0 gets $te10");
}
