# The configuration of LengthRequiredChunked Buffer: the new keyword, and
# LengthRequiredBufferMemory and LengthRequiredBufferDir (server config and
# virtual host only).  A bad value stops apache2 -t naming the directive
# and the value; a directory the children's user cannot write stops the
# start, naming the directory.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use LRTest qw(:all);
use LRServer qw(free_port start_httpd);

plan tests => 2 + 5 * 5 + 2 * 4 + 3;

my $dir = tempdir(CLEANUP => 1);
my $spool = "$dir/spool";
make_path($spool);

{
    my $port = Apache::Test::vars('port');
    my $r = syntax_check(<<"EOC");
LengthRequiredBufferMemory 1M
LengthRequiredBufferDir "$spool"
<VirtualHost 127.0.0.1:$port>
    LengthRequiredBufferMemory 0
    LengthRequiredBufferDir "$spool"
</VirtualHost>
<Location "/x">
    LengthRequiredChunked buffer
</Location>
EOC
    ok t_cmp($r->{rc}, 0, 'apache2 -t accepts both directives in the server '
             . 'config and a virtual host, and Buffer in any case');
    ok t_cmp($r->{out}, qr/Syntax OK/, '... Syntax OK'
             . ($r->{rc} ? " (it said: $r->{out})" : ''));
}

# A file that exists and is not a directory.
my $file = "$dir/a-file";
open my $fh, '>', $file or die "$file: $!";
close $fh;

# [configuration, the directive, the bad value, what else the message says]
my @bad = (
    ['LengthRequiredBufferMemory 10abc', '10abc', qr/is not a valid size/],
    ['LengthRequiredBufferMemory -1', '-1', qr/is not a valid size/],
    ["LengthRequiredBufferDir $dir/does-not-exist", "$dir/does-not-exist",
     qr/is not an existing directory/],
    ["LengthRequiredBufferDir $file", $file, qr/is not an existing directory/],
    ['LengthRequiredChunked Spool', 'Spool',
     qr/is not allowed; use Deny, Allow or Buffer$/m],
);
for my $b (@bad) {
    my ($body, $value, $says) = @$b;
    my ($directive) = split ' ', $body;
    syntax_error_ok($body, $directive, $value, $says);
}

# Server config and virtual host only.
for my $d ("LengthRequiredBufferMemory 1M", "LengthRequiredBufferDir $spool") {
    my ($name) = split ' ', $d;
    syntax_error_ok("<Directory /tmp>\n    $d\n</Directory>", $name,
                    qr/ not allowed in <Directory> context$/m);
}

# A directory the children's user cannot write: httpd does not start.
{
    my $ro = "$dir/read-only";
    make_path($ro);
    chmod 0555, $ro;
    my $port = free_port();
    my $sdir = tempdir(CLEANUP => 1);
    my ($conf) = private_conf("LengthRequiredBufferDir \"$ro\"\n",
                              dir => $sdir, listen => ["127.0.0.1:$port"]);
    my $httpd = start_httpd($conf, ports => [$port], timeout => 10);
    ok t_cmp($httpd->{up}, 0, 'a LengthRequiredBufferDir the server '
             . 'cannot write: httpd does not start');
    ok t_cmp($httpd->{why} . slurp("$sdir/error_log"),
             qr/LR00035: LengthRequiredBufferDir \Q$ro\E is not writable/,
             '... and the error names the directory');
    chmod 0755, $ro;
    ok t_cmp(syntax_check("LengthRequiredBufferDir \"$ro\"")->{rc}, 0,
             '... (the same directory, writable, is fine)');
}
