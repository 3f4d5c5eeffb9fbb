# A real tus 1.0 client (tus-js-client) uploads through Apache to a real
# tus server (@tus/server with its file store, which has no size limit of
# its own), with LengthRequiredUploadMax 300000 in front of it: a private
# httpd with mod_proxy_http, both on 127.0.0.1.  The npm packages come
# from t/tus/package-lock.json (scripts/deps test runs npm ci there).
#
# An upload under the max arrives whole.  One that declares more at
# creation is refused there, with Tus-Max-Size, and nothing is stored.
# One that defers its length and goes in 64K appends, each well under any
# per-request limit, is stopped at the append that would pass the max:
# the server holds no more than the max.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use JSON::PP ();
use LRTest qw(:all);
use LRServer qw(free_port start_daemon start_httpd);

my $tus = "$FindBin::Bin/../tus";
my $MAX = 300_000;
my $CHUNK = 65_536;

# tus-js-client 4 needs Node.js 18 or later (Debian bookworm's is 18).
my ($major) = have_program('node') ? `node --version` =~ /^v(\d+)/ : (0);

plan tests => 2 + 3 + 4 + 5,
    need { 'node 18 or later' => $major >= 18,
           'the tus packages in t/tus/node_modules (scripts/deps test runs '
           . 'npm ci there)' => -e "$tus/node_modules/\@tus/server/package.json"
               && -e "$tus/node_modules/tus-js-client/package.json",
           'mod_proxy_http' => -e module_so('proxy_http_module') };

my $dir = tempdir(CLEANUP => 1);
my $store = "$dir/store";
make_path($store);

my $server = start_daemon('tus server',
    cmd => ['node', "$tus/server.mjs", $store, '@PORT@'], dir => $dir);
my $port = free_port();
my ($conf) = private_conf(<<"EOC",
LogLevel info
<Location "/files">
    Require all granted
    LengthRequired On
    LengthRequiredChunked Allow
    LengthRequiredUploadMax $MAX
    ProxyPreserveHost On
    ProxyPass "http://127.0.0.1:$server->{port}/files"
</Location>
EOC
    modules => ['authz_core_module', 'proxy_module', 'proxy_http_module'],
    listen => ["127.0.0.1:$port"]);
my $httpd = start_httpd($conf, ports => [$port]);
ok t_cmp($server->{up}, 1, 'the tus server starts'
         . ($server->{up} ? '' : ": $server->{why}"));
ok t_cmp($httpd->{up}, 1, 'the private httpd starts'
         . ($httpd->{up} ? '' : ": $httpd->{why}"));

# One upload by the real client: its JSON report.
sub upload {
    my ($size, $defer) = @_;
    my $out = `node '$tus/client.mjs' 'http://127.0.0.1:$port/files/' $size $CHUNK $defer 2>&1`;
    my ($line) = $out =~ /^(\{.*\})$/m;
    my $r = $line ? JSON::PP::decode_json($line) : {};
    $r->{out} = $out;
    return $r;
}

# The sizes of the uploads the server stores (its file store keeps each
# upload's bytes in a file named by its id, beside an .json file).
sub stored {
    opendir my $dh, $store or return {};
    my %size = map { $_ => -s "$store/$_" } grep { !/\./ && -f "$store/$_" }
               readdir $dh;
    return \%size;
}

{
    my $r = upload(200_000, 0);
    my ($id) = ($r->{url} // '') =~ m{/files/(\w+)$};
    ok t_cmp($r->{ok} ? 1 : 0, 1, 'an upload of 200,000 bytes succeeds'
             . ($r->{ok} ? '' : ": $r->{out}"));
    ok t_cmp($r->{url} // '', qr{^http://127\.0\.0\.1:$port/files/},
             'through Apache (the upload\'s URL is Apache\'s)');
    ok t_cmp(defined $id ? stored()->{$id} : undef, 200_000,
             'the server stores all 200,000 bytes');
}

{
    my $before = keys %{ stored() };
    my $r = upload(500_000, 0);
    ok t_cmp(defined $r->{ok} && !$r->{ok} ? 1 : 0, 1,
             'an upload declaring 500,000 bytes fails');
    ok t_cmp($r->{status}, 413, 'with the 413 of its creation');
    ok t_cmp($r->{maxSize}, $MAX, 'which says Tus-Max-Size: 300000');
    ok t_cmp(scalar keys %{ stored() }, $before,
             'and the server stored nothing for it');
}

{
    my $r = upload(500_000, 1);
    my ($id) = ($r->{url} // '') =~ m{/files/(\w+)$};
    my $size = defined $id ? stored()->{$id} : undef;
    ok t_cmp(defined $r->{ok} && !$r->{ok} ? 1 : 0, 1,
             'an upload of 500,000 bytes deferring its length, in 64K '
             . 'appends, fails');
    ok t_cmp($r->{status}, 413, 'with a 413');
    ok t_cmp($r->{maxSize}, $MAX, 'which says Tus-Max-Size: 300000');
    ok t_cmp($r->{acked}, 4 * $CHUNK,
             'after the server took the appends that fit (262,144 bytes)');
    ok t_cmp(defined $size && $size <= $MAX ? 1 : 0, 1,
             'the server holds no more than the max ('
             . ($size // 'nothing') . ' bytes)');
}
