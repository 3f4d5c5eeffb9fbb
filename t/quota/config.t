# Bad quota configuration is refused by "apache2 -t": every bad budget
# name, size, period and key expression, every bad store address and
# option (a timeout without its unit among them), each naming the
# directive and the bad value; the directives that are server-wide are
# refused elsewhere; budgets a store cannot count stop the start; good
# values pass.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

my $NAME = qr/letters, digits/;
my $SIZE = qr/\bK\b.*\bM\b.*\bG\b.*\bT\b/;
my $PERIOD = qr/\bs\b.*\bm\b.*\bh\b.*\bd\b.*1s to 31d/;
my $KEY = qr/not a valid key expression/;
my $STORE = qr/shm, memcache:host:port.*redis:host:port/;
my $HOSTPORT = qr/host:port/;
my $OPTION = qr/timeout=.*fail=open.*fail=closed/;
my $TIMEOUT = qr/1ms to 10s/;
my $UNIT = qr/has no unit.*\bms or s\b.*timeout=\d+ms.*1ms to 10s/;
my $ENTRIES = qr/1 to 10000000/;

# [where (loc: a <Location>, top: the server config), directive,
#  argument as written, the bad value the message must quote (undef: it is
#  httpd's own message for an On/Off directive, which quotes nothing),
#  what the message must say is allowed]
my @bad = (
    [loc => LengthRequiredQuota => 'up/x 1M 1h', 'up/x', $NAME],
    [loc => LengthRequiredQuota => 'na:me 1M 1h', 'na:me', $NAME],
    [loc => LengthRequiredQuota => ('n' x 65) . ' 1M 1h', 'n' x 65, $NAME],
    [loc => LengthRequiredQuota => 'up 12Q 1h', '12Q', $SIZE],
    [loc => LengthRequiredQuota => 'up 0 1h', '0', $SIZE],
    [loc => LengthRequiredQuota => 'up -5 1h', '-5', $SIZE],
    [loc => LengthRequiredQuota => 'up 1.5M 1h', '1.5M', $SIZE],
    [loc => LengthRequiredQuota => 'up 10abc 1h', '10abc', $SIZE],
    [loc => LengthRequiredQuota => 'up T 1h', 'T', $SIZE],
    [loc => LengthRequiredQuota => 'up 1TB 1h', '1TB', $SIZE],
    [loc => LengthRequiredQuota => 'up 8388608T 1h', '8388608T', $SIZE],
    [loc => LengthRequiredQuota => 'up 1M 0', '0', $PERIOD],
    [loc => LengthRequiredQuota => 'up 1M 0s', '0s', $PERIOD],
    [loc => LengthRequiredQuota => 'up 1M 32d', '32d', $PERIOD],
    [loc => LengthRequiredQuota => 'up 1M 2678401', '2678401', $PERIOD],
    [loc => LengthRequiredQuota => 'up 1M 1w', '1w', $PERIOD],
    [loc => LengthRequiredQuota => 'up 1M 1.5h', '1.5h', $PERIOD],
    [loc => LengthRequiredQuota => 'up 1M -1', '-1', $PERIOD],
    [loc => LengthRequiredQuota => 'up 1M 1hh', '1hh', $PERIOD],
    [loc => LengthRequiredQuota => 'up 1M', 'up', qr/no period/],
    [loc => LengthRequiredQuota => 'up 1M 1h "%{REMOTE_ADDR"',
     '%{REMOTE_ADDR', $KEY],
    [loc => LengthRequiredQuota => 'up 1M 1h "%{nosuchfunc:x}"',
     '%{nosuchfunc:x}', $KEY],
    [loc => LengthRequiredQuota => 'up 1M 1h "%{REMOTE_ADDR}" extra',
     'extra', qr/one argument too many/],
    [loc => LengthRequiredQuota => 'up Off 1h', '1h', qr/takes nothing/],
    [top => LengthRequiredQuotaStore => 'disk', 'disk', $STORE],
    [top => LengthRequiredQuotaStore => 'memcache:', 'memcache:', $HOSTPORT],
    [top => LengthRequiredQuotaStore => 'memcache:127.0.0.1', '127.0.0.1',
     $HOSTPORT],
    [top => LengthRequiredQuotaStore => 'memcache:127.0.0.1:0',
     '127.0.0.1:0', $HOSTPORT],
    [top => LengthRequiredQuotaStore => 'memcache:127.0.0.1:99999',
     '127.0.0.1:99999', $HOSTPORT],
    [top => LengthRequiredQuotaStore => 'memcache:127.0.0.1:11211,',
     'memcache:127.0.0.1:11211,', $HOSTPORT],
    [top => LengthRequiredQuotaStore => 'redis:127.0.0.1:1,127.0.0.1:2',
     'redis:127.0.0.1:1,127.0.0.1:2', qr/one redis:host:port/],
    [top => LengthRequiredQuotaStore => 'redis:127.0.0.1:x', '127.0.0.1:x',
     $HOSTPORT],
    [top => LengthRequiredQuotaStore => 'shm timeout=abc', 'timeout=abc',
     $TIMEOUT],
    [top => LengthRequiredQuotaStore => 'shm timeout=0', 'timeout=0',
     $TIMEOUT],
    [top => LengthRequiredQuotaStore => 'shm timeout=20s', 'timeout=20s',
     $TIMEOUT],
    [top => LengthRequiredQuotaStore => 'shm timeout=-5ms', 'timeout=-5ms',
     $TIMEOUT],
    [top => LengthRequiredQuotaStore => 'shm timeout=1.5s', 'timeout=1.5s',
     $TIMEOUT],
    [top => LengthRequiredQuotaStore => 'shm timeout=100x', 'timeout=100x',
     $TIMEOUT],
    # A bare number: seconds to mod_proxy, milliseconds to earlier versions
    # of this module; neither is guessed.
    [top => LengthRequiredQuotaStore => 'shm timeout=1', 'timeout=1', $UNIT],
    [top => LengthRequiredQuotaStore => 'redis:127.0.0.1:1 timeout=200',
     'timeout=200', $UNIT],
    [top => LengthRequiredQuotaStore => 'shm:127.0.0.1:1', 'shm:127.0.0.1:1',
     $STORE],
    [top => LengthRequiredQuotaStore => 'redis', 'redis', $STORE],
    [top => LengthRequiredQuotaStore => 'shm fail=maybe', 'fail=maybe',
     $OPTION],
    [top => LengthRequiredQuotaStore => 'shm retries=3', 'retries=3',
     $OPTION],
    [top => LengthRequiredQuotaEntries => '0', '0', $ENTRIES],
    [top => LengthRequiredQuotaEntries => '-1', '-1', $ENTRIES],
    [top => LengthRequiredQuotaEntries => '10x', '10x', $ENTRIES],
    [top => LengthRequiredQuotaEntries => '99999999', '99999999', $ENTRIES],
    [loc => LengthRequiredQuotaHeaders => 'Maybe', undef,
     qr/^LengthRequiredQuotaHeaders must be On or Off$/m],
);

# Server-wide directives in places they are not allowed, and httpd's word
# for each place.
my $IN_LOCATION = qr/ not allowed in <Location> context$/m;
my $IN_VHOST = qr/ cannot occur within <VirtualHost> section$/m;
my @misplaced = (
    ['<Location "/x">', '</Location>', 'LengthRequiredQuotaStore shm',
     $IN_LOCATION],
    ['<VirtualHost 127.0.0.1:1>', '</VirtualHost>',
     'LengthRequiredQuotaStore shm', $IN_VHOST],
    ['<Location "/x">', '</Location>', 'LengthRequiredQuotaEntries 10',
     $IN_LOCATION],
    ['<VirtualHost 127.0.0.1:1>', '</VirtualHost>',
     'LengthRequiredQuotaEntries 10', $IN_VHOST],
);

my @good = (
    [loc => LengthRequiredQuota => 'up 1 1'],
    [loc => LengthRequiredQuota => 'up.v2-x_y 500M 1h'],
    [loc => LengthRequiredQuota => 'up 10G 1d "%{REMOTE_USER}"'],
    [loc => LengthRequiredQuota => 'up 2T 31d "%{REMOTE_ADDR}/%{HTTP_HOST}"'],
    [loc => LengthRequiredQuota => 'up 1k 60m "%{HTTP:X-Tenant}"'],
    [loc => LengthRequiredQuota => 'up 1K 2678400s'],
    [loc => LengthRequiredQuota => 'up off'],
    [loc => LengthRequiredQuotaHeaders => 'on'],
    [top => LengthRequiredQuotaStore => 'shm'],
    [top => LengthRequiredQuotaStore => 'memcache:127.0.0.1:14999,localhost:14998 timeout=250ms fail=closed'],
    [top => LengthRequiredQuotaStore => 'redis:127.0.0.1:14997 timeout=1s fail=open'],
    [top => LengthRequiredQuotaStore => 'shm timeout=10s'],
    [top => LengthRequiredQuotaStore => 'MemCache:[::1]:14999 timeout=1ms'],
    [top => LengthRequiredQuotaEntries => '1'],
);

my $bad_checks = 0;
$bad_checks += 3 + grep { defined } @$_[3, 4] for @bad;
plan tests => $bad_checks + 4 * @misplaced + 2 * @good + 8;

sub wrap {
    my ($where, $line) = @_;
    return $where eq 'loc' ? qq{<Location "/x">\n    $line\n</Location>}
                           : $line;
}

for my $b (@bad) {
    my ($where, $directive, $arg, $value, $allowed) = @$b;
    syntax_error_ok(wrap($where, "$directive $arg"), $directive,
                    grep { defined } $value, $allowed);
}

for my $m (@misplaced) {
    my ($open, $close, $line, $says) = @$m;
    my ($directive) = split ' ', $line;
    syntax_error_ok("$open\n    $line\n$close", $directive, $says);
}

for my $g (@good) {
    my ($where, $directive, $arg) = @$g;
    my $r = syntax_check(wrap($where, "$directive $arg"));
    ok t_cmp($r->{rc}, 0, "apache2 -t accepts '$directive $arg'"
             . ($r->{rc} ? ": $r->{out}" : ''));
    ok t_cmp($r->{out}, qr/Syntax OK/, 'and says Syntax OK');
}

# What a store cannot count stops the start (check_config runs under -t
# too), naming the budget and why.  memcached counts in 64 bits now: a 3T
# budget passes; but it reads an expiry over 30 days as a date, so a
# longer window is refused.  Redis scripts count in doubles: exact to 8P.
my $r = syntax_check(join "\n",
    'LengthRequiredQuotaStore memcache:127.0.0.1:14999',
    '<Location "/x">', '    LengthRequiredQuota huge 3T 1d', '</Location>');
ok t_cmp($r->{rc}, 0, 'a 3T budget with a memcache store passes'
         . ($r->{rc} ? ": $r->{out}" : ''));
$r = syntax_check(join "\n",
    'LengthRequiredQuotaStore memcache:127.0.0.1:14999',
    '<Location "/x">', '    LengthRequiredQuota long 1G 31d', '</Location>');
ok t_cmp($r->{rc} != 0, 1,
         'a 31-day window with a memcache store fails apache2 -t');
ok t_cmp($r->{out}, qr/LR00040: LengthRequiredQuota long: period 2678400 s .*30 days.*memcache/,
         'naming the budget, its period, the limit and the store');
$r = syntax_check(join "\n",
    'LengthRequiredQuotaStore memcache:127.0.0.1:14999',
    '<Location "/x">', '    LengthRequiredQuota month 1G 30d', '</Location>');
ok t_cmp($r->{rc}, 0, 'a 30-day window with memcache passes'
         . ($r->{rc} ? ": $r->{out}" : ''));
$r = syntax_check(join "\n",
    'LengthRequiredQuotaStore redis:127.0.0.1:14999',
    '<Location "/x">', '    LengthRequiredQuota vast 8193T 1d', '</Location>');
ok t_cmp($r->{out}, qr/LR00040: LengthRequiredQuota vast: size 9008298766368768 .*Redis/,
         'a budget over 8P with Redis fails, naming it');
$r = syntax_check(join "\n",
    'LengthRequiredQuotaStore redis:127.0.0.1:14999',
    '<Location "/x">', '    LengthRequiredQuota huge 8192T 31d', '</Location>');
ok t_cmp($r->{rc}, 0, 'an 8P budget of 31 days with Redis passes'
         . ($r->{rc} ? ": $r->{out}" : ''));
# The shm table's lock lives in the table: there is no mutex to name.
$r = syntax_check('Mutex length-required-quota default');
ok t_cmp($r->{out}, qr/Invalid Mutex argument length-required-quota/,
         'httpd refuses a Mutex line for the quota table, which has none');

# Every per-directory section takes a budget.
$r = syntax_check(join "\n",
    '<Directory "/nonexistent">', '    LengthRequiredQuota a 1M 1h',
    '</Directory>', '<Files "z">', '    LengthRequiredQuota b 1M 1h',
    '</Files>', q{<If "%{HTTP:X-Test} == 'y'">},
    '    LengthRequiredQuota c 1M 1h', '</If>',
    '<VirtualHost 127.0.0.1:1>', '    LengthRequiredQuota d 1M 1h',
    '</VirtualHost>');
ok t_cmp($r->{rc}, 0, 'budgets are accepted in <Directory>, <Files>, <If> '
         . 'and <VirtualHost>' . ($r->{rc} ? ": $r->{out}" : ''));
