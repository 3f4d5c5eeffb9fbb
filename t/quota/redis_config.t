# The Redis store's own options, as "apache2 -t" reads them: db=,
# user=, password-file= for redis: (TCP or a Unix socket) and
# redis-sentinel:, and sentinel-user=, sentinel-password-file= for the
# latter.  Every bad value is refused with a message that names the
# directive, quotes the value and says what is allowed; a password file
# that is missing, unreadable, empty or more than one line stops the
# start naming its path; TLS is refused with the tunnel to use instead.
# Good lines pass, a password file relative to ServerRoot included.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use LRTest qw(:all);

my $dir = tempdir(CLEANUP => 1);
sub file {
    my ($name, $text, $mode) = @_;
    my $f = "$dir/$name";
    open my $fh, '>', $f or die "$f: $!";
    print $fh $text;
    close $fh;
    chmod $mode, $f if defined $mode;
    return $f;
}
my $good = file('good', "s3cret\n");
my $crlf = file('crlf', "s3cret\r\n");
my $empty = file('empty', "\n");
my $two = file('two', "lr\ns3cret\n");
my $big = file('big', 'x' x 5000);
my $locked = file('locked', "s3cret\n", 0);
my $missing = "$dir/no-such-dir/password";

my $R = 'redis:127.0.0.1:6379';
my $S = 'redis-sentinel:127.0.0.1:26379,127.0.0.1:26380/lrmaster';
my $DB = qr/db=N, a whole number from 0 to 2147483647/;
my $USER = qr/NAME, a name without spaces or control characters/;
my $READ = qr/cannot read .*; name a file that holds the password on one line/;
my $TLS = qr/no TLS; connect to a local TLS tunnel \(stunnel/;

# [argument of LengthRequiredQuotaStore, the bad value the message must
#  quote (undef: none to quote), what else it must say]
my @bad = (
    ['redis:/', '/', qr/not a valid socket path; use an absolute path of at most 107 bytes/],
    ['redis:/' . ('s' x 107), '/' . ('s' x 107), qr/at most 107 bytes/],
    ['redis:sock', 'sock', qr/not a valid host:port \(or a socket: redis:\/path\/to\/socket\)/],
    ["$R db=-1", 'db=-1', $DB],
    ["$R db=x", 'db=x', $DB],
    ["$R db=", 'db=', $DB],
    ["$R db=1.5", 'db=1.5', $DB],
    ["$R db=2147483648", 'db=2147483648', $DB],
    ["$R user=", 'user=', qr/use user=NAME, a name without/],
    ["$R user=lr", undef, qr/user=lr needs password-file=PATH/],
    ["$R password-file=", 'password-file=', qr/names no file; use password-file=PATH/],
    ["$R password-file=$missing", $missing, qr/password-file=\S+: cannot read .*No such file or directory/, $READ],
    ["$R password-file=$empty", $empty, qr/is empty; it should hold the password on one line/],
    ["$R password-file=$two", $two, qr/holds more than one line/],
    ["$R password-file=$big", $big, qr/longer than 4096 bytes/],
    ["$R password-file=$dir", $dir, $READ],
    ["$R password-file=relative-missing", undef, qr{'/\S+/relative-missing'}, $READ],
    ["$R sentinel-user=s", 'sentinel-user=s', qr/use timeout=duration, fail=open or fail=closed, or those of redis: db=N, user=NAME or password-file=PATH$/m],
    ["$R tls", 'tls', $TLS],
    ["$R tls-ca-cert-file=/etc/ca.crt", 'tls-ca-cert-file=/etc/ca.crt', $TLS],
    ['redis-sentinel:127.0.0.1:26379', 'redis-sentinel:127.0.0.1:26379', qr/names no master; use redis-sentinel:host:port\[,host:port...\]\/master/],
    ['redis-sentinel:127.0.0.1:26379/', 'redis-sentinel:127.0.0.1:26379/', qr/names no master/],
    ['"redis-sentinel:127.0.0.1:26379/a b"', 'redis-sentinel:127.0.0.1:26379/a b', qr/names no master/],
    ['redis-sentinel:/lrmaster', 'redis-sentinel:/lrmaster', qr/does not name redis-sentinel:host:port/],
    ['redis-sentinel:127.0.0.1:26379,/lrmaster', 'redis-sentinel:127.0.0.1:26379,/lrmaster', qr/does not name redis-sentinel:host:port/],
    ['redis-sentinel:127.0.0.1:x/lrmaster', '127.0.0.1:x', qr/not a valid host:port/],
    ['redis-sentinel:127.0.0.1:0,127.0.0.1:1/lrmaster', '127.0.0.1:0', qr/not a valid host:port/],
    ["$S sentinel-user=", 'sentinel-user=', qr/use sentinel-user=NAME, a name without/],
    ["$S sentinel-user=s", undef, qr/sentinel-user=s needs sentinel-password-file=PATH/],
    ["$S sentinel-password-file=$missing", $missing, $READ],
    ["$S user=lr", undef, qr/user=lr needs password-file=PATH/],
    ["$S db=16x", 'db=16x', $DB],
    ["$S retries=3", 'retries=3', qr/or those of redis-sentinel: db=N, user=NAME, password-file=PATH, sentinel-user=NAME or sentinel-password-file=PATH$/m],
    ["$S tls", 'tls', $TLS],
);
# As root every file is readable; the suite runs as an unprivileged user.
push @bad, ["$R password-file=$locked", $locked, qr/Permission denied/]
    if $> != 0;

my @good = (
    'redis:/run/redis/redis-server.sock db=0',
    "redis:/run/redis/redis-server.sock user=lr password-file=$good",
    "$R db=15 user=lr password-file=$good timeout=200ms fail=closed",
    "$R password-file=$crlf",
    'redis:[::1]:6379 db=2147483647',
    "$S db=1 user=lr password-file=$good sentinel-user=s "
        . "sentinel-password-file=$good timeout=1s fail=open",
    "$S sentinel-password-file=$crlf",
    'Redis-Sentinel:[::1]:26379/lr.master-1',
);

my $checks = 0;
$checks += 3 + (defined $_->[1] ? 1 : 0) + @$_ - 2 for @bad;
plan tests => $checks + 2 * @good + 3;

for my $b (@bad) {
    my ($arg, $value, @says) = @$b;
    syntax_error_ok("LengthRequiredQuotaStore $arg", 'LengthRequiredQuotaStore',
                    (defined $value ? $value : ()), @says);
}

for my $arg (@good) {
    my $r = syntax_check("LengthRequiredQuotaStore $arg");
    ok t_cmp($r->{rc}, 0, "apache2 -t accepts '$arg'"
             . ($r->{rc} ? ": $r->{out}" : ''));
    ok t_cmp($r->{out}, qr/Syntax OK/, 'and says Syntax OK');
}

# A password file named relative to ServerRoot is read from there.
my $root = tempdir(CLEANUP => 1);
{
    open my $fh, '>', "$root/redis.pw" or die "$root/redis.pw: $!";
    print $fh "s3cret\n";
}
my $r = syntax_check("LengthRequiredQuotaStore $R password-file=redis.pw",
                     dir => $root);
ok t_cmp($r->{rc}, 0, 'password-file=redis.pw is read from ServerRoot'
         . ($r->{rc} ? ": $r->{out}" : ''));
unlink "$root/redis.pw";
$r = syntax_check("LengthRequiredQuotaStore $R password-file=redis.pw",
                  dir => $root);
ok t_cmp($r->{out}, qr/'\Q$root\E\/redis\.pw' \(No such file or directory\)/,
         'and, once it is gone, apache2 -t names its full path');
# The password is never in a message: not even when the file has more
# than one line (the second being the password).
$r = syntax_check("LengthRequiredQuotaStore $R password-file=$two");
ok t_cmp($r->{out} =~ /s3cret/ ? 'shown' : 'not shown', 'not shown',
         'the content of a refused password file is not shown');
