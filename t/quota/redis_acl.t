# A farm on Redis as managed services run it: an ACL user with a
# password (read from a file at startup) and only the rights the module
# needs, the default user disabled, and a database other than 0.  Two
# private Apache servers share the budget:
# 40 concurrent 10K uploads on a 100K budget admit exactly 10, although
# the password file is gone before the first request (read once, by the
# parent), and the keys are in the configured database and no other.
# Without user= the module authenticates as the default user (AUTH
# password).  A wrong password or a database the server lacks is a store
# error: fail=open passes within the timeout with one line naming AUTH
# (or SELECT) and the server, fail=closed answers 503.  The password is
# nowhere in the error logs (module tracing on) or in mod_info's page,
# which does show the password file's path.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use Time::HiRes qw(time);
use LRTest qw(:all);
use LRQuota qw(:all);
use LRRedis qw(:all);

plan tests => 19,
    need { 'redis-server (package redis-server)' => have_program('redis-server'),
           'redis-cli (package redis-tools)' => have_program('redis-cli') };

my $dir = tempdir(CLEANUP => 1);
my $password = 'pw-' . join '', map { ('a' .. 'z')[rand 26] } 1 .. 20;
sub password_file {
    my ($name, $text) = @_;
    open my $fh, '>', "$dir/$name" or die "$dir/$name: $!";
    print $fh "$text\n";
    close $fh;
    return "$dir/$name";
}

# Every line of the private servers' error logs, and what they serve.
my (@logs, %page);
sub server {
    my ($store, $budget, %o) = @_;
    my ($port, $sdir) = quota_server($store, $budget,
        conf => "LogLevel info length_required:trace8\n"
              . "<Location \"/info\">\n    SetHandler server-info\n</Location>",
        modules => ['info_module'], %o);
    push @logs, "$sdir/error_log";
    return ($port, "$sdir/error_log");
}

clear_of_edge(3600, 60);
# The user has the rights the directive reference gives it, no more.
my $redis = start_redis(user => 'lrquota', password => $password,
    rules => '~lrq:* resetchannels -@all +evalsha +eval +select +role '
           . '+incrby +decrby +expire +get +del');
my $file = password_file('redis.pw', $password);
my $spec = "redis:127.0.0.1:$redis->{port} db=3 user=lrquota "
    . "password-file=$file";
my $budget = 'acl 100K 1h "%{HTTP:X-Tenant}"';
my ($a) = server("LengthRequiredQuotaStore $spec timeout=1s fail=closed",
                 $budget);
my ($b) = server("LengthRequiredQuotaStore $spec timeout=1s fail=closed",
                 $budget);
# Only the parents read the file, at startup.
rename $file, "$file.gone" or die "$file: $!";

ok t_cmp(redis_cli({ port => $redis->{port} }, 'SET', 'x', '1'),
         qr/^NOAUTH/, 'redis without the password: NOAUTH (default user off)');

my $t = tag('acl');
my @st = uploads_at_once(map {
    [$_ % 2 ? $a : $b, "/up/$t-$_", 10240, headers => ["X-Tenant: $t"]]
} 1 .. 40);
ok t_cmp(scalar(grep { $_ == 200 } @st), 10,
         "40 concurrent 10K uploads over two servers, budget 100K: exactly "
         . "10 admitted (@st)");
ok t_cmp(scalar(grep { $_ == 429 } @st), 30, 'and 30 refused with 429');

my $key = store_key('acl', 3600, $t);
ok t_cmp(redis_cli($redis, '-n', 3, 'GET', $key), 102400,
         "the window's count is in db 3: 102400 ($key)");
my @spaces = grep { /^db\d+:/ } split /\n/,
    redis_cli($redis->{admin}, 'INFO', 'keyspace');
ok t_cmp("@spaces", qr/^db3:keys=1,/,
         "and no other database holds a key (@spaces)");

# AUTH password alone: the default user, with a password.
my $plain = start_redis(password => $password);
my ($c) = server("LengthRequiredQuotaStore redis:127.0.0.1:$plain->{port} "
                 . 'password-file=' . password_file('plain.pw', $password)
                 . ' timeout=1s fail=closed', 'plain 1000 1h "%{HTTP:X-Tenant}"');
my $t2 = tag('plain');
ok t_cmp(join(' ', map { upload($c, "/up/$t2", 600, headers => ["X-Tenant: $t2"])->{status} } 1, 2),
         '200 429', 'AUTH with the password alone: 600 admitted, 600 more refused');
ok t_cmp(redis_cli($plain, 'GET', store_key('plain', 3600, $t2)), 600,
         'counted in db 0 of that server');

# A wrong password: a store error.
my $wrong = password_file('wrong.pw', 'not-the-password');
my $wspec = "redis:127.0.0.1:$redis->{port} user=lrquota "
    . "password-file=$wrong timeout=1s";
my ($open, $open_log) = server("LengthRequiredQuotaStore $wspec fail=open",
                               'w 1000 1h "%{HTTP:X-Tenant}"');
my ($closed) = server("LengthRequiredQuotaStore $wspec fail=closed",
                      'w 1000 1h "%{HTTP:X-Tenant}"');
my $t3 = tag('wrong');
my ($slowest, @open_st) = (0);
for my $i (1, 2) {
    my $t0 = time;
    push @open_st, upload($open, "/up/$t3-$i", 600,
                          headers => ["X-Tenant: $t3"])->{status};
    $slowest = time - $t0 if time - $t0 > $slowest;
}
ok t_cmp("@open_st", '200 200',
         'wrong password, fail=open: 600 and 600 on a 1000 budget pass '
         . '(uncharged)');
ok t_cmp($slowest < 1 ? 1 : 0, 1,
         sprintf('within the timeout, 1 s (slowest %.3f s)', $slowest));
my @auth = grep { /LR00044/ } log_lines($open_log);
ok t_cmp(scalar(@auth), 1, "one error line for the two:\n@auth");
ok t_cmp($auth[0] // '', qr/AUTH as user lrquota refused by 127\.0\.0\.1:\Q$redis->{port}\E: WRONGPASS/,
         'naming AUTH, the user and the server, and what the server said');
ok t_cmp(upload($closed, "/up/$t3-c", 10, headers => ["X-Tenant: $t3"])->{status},
         503, 'wrong password, fail=closed: 503');

# A database the server lacks (16 by default): SELECT fails.
my ($nodb, $nodb_log) = server("LengthRequiredQuotaStore "
    . "redis:127.0.0.1:$redis->{port} db=16 user=lrquota "
    . "password-file=$file.gone timeout=1s fail=closed",
    'n 1000 1h "%{HTTP:X-Tenant}"');
ok t_cmp(upload($nodb, "/up/$t3-db", 10, headers => ["X-Tenant: $t3"])->{status},
         503, 'db=16 on a server with 16 databases, fail=closed: 503');
ok t_cmp(join('', grep { /LR00044/ } log_lines($nodb_log)),
         qr/SELECT 16 refused by 127\.0\.0\.1:\Q$redis->{port}\E: ERR DB index is out of range/,
         'the line names SELECT, the database and the server');

# mod_info shows the directive as written: the path, not the password.
my $info = raw_request($a, "GET /info?config HTTP/1.0\r\n\r\n");
my ($shown) = $info->{body} =~ /(LengthRequiredQuotaStore <i>[^<]*)/;
ok t_cmp($shown // '', qr/password-file=\Q$file\E/,
         "mod_info's page shows the store's line, with the password file's path");
ok t_cmp(index($info->{body}, $password) < 0 ? 'absent' : 'present', 'absent',
         "and not the password");
my @traced = grep { /length_required:(trace|debug)/ } map { log_lines($_) } @logs;
ok t_cmp(scalar(@traced) > 0 ? 1 : 0, 1,
         'the module traced into the error logs (' . scalar(@traced) . ' lines)');
my @leak = grep { index($_, $password) >= 0 } map { log_lines($_) } @logs;
ok t_cmp(scalar(@leak), 0, "the password is in no error log line:\n@leak");
my @raw = grep { index(slurp($_), $password) >= 0 } @logs;
ok t_cmp("@raw", '', 'nor anywhere in the error log files');
