# The Redis store on a Unix socket (redis:/path/to/redis.sock), with an
# ACL user and a database as on TCP: 20 concurrent uploads of 1000 bytes
# on a 10000-byte budget admit exactly 10, and the window is counted in
# that server's database.  A server whose socket is gone is a store error
# (fail=closed: 503) naming the socket.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use LRTest qw(:all);
use LRQuota qw(:all);
use LRRedis qw(:all);
use LRServer qw(stop_daemon);

plan tests => 6,
    need { 'redis-server (package redis-server)' => have_program('redis-server'),
           'redis-cli (package redis-tools)' => have_program('redis-cli') };

clear_of_edge(3600, 30);
my $dir = tempdir(CLEANUP => 1);
my $sock = "$dir/redis.sock";
my $redis = start_redis(sock => $sock, user => 'lrquota', password => 'sock-pw');
open my $fh, '>', "$dir/pw" or die "$dir/pw: $!";
print $fh "sock-pw\n";
close $fh;
my ($port, $sdir) = quota_server(
    "LengthRequiredQuotaStore redis:$sock db=1 user=lrquota "
    . "password-file=$dir/pw timeout=500ms fail=closed",
    'sock 10000 1h "%{HTTP:X-Tenant}"');

my $t = tag('sock');
my @st = uploads_at_once(map { [$port, "/up/$t-$_", 1000,
                                headers => ["X-Tenant: $t"]] } 1 .. 20);
ok t_cmp(scalar(grep { $_ == 200 } @st), 10,
         "20 concurrent uploads of 1000 on a 10000 budget through the socket: "
         . "exactly 10 admitted (@st)");
ok t_cmp(scalar(grep { $_ == 429 } @st), 10, 'and 10 refused');
ok t_cmp(redis_cli($redis, '-n', 1, 'GET', store_key('sock', 3600, $t)),
         10000, 'the window holds 10000 in db 1 of the socket\'s server');
ok t_cmp(upload($port, "/up/$t-x", 1, headers => ["X-Tenant: $t"])->{status},
         429, 'one byte more: 429');

# The server goes, and its socket with it.
stop_daemon($redis);
unlink $sock;
ok t_cmp(upload($port, "/up/$t-gone", 1, headers => ["X-Tenant: $t-2"])->{status},
         503, 'the socket gone, fail=closed: 503');
ok t_cmp(join('', grep { /LR00044/ } log_lines("$sdir/error_log")),
         qr/cannot connect to \Q$sock\E: /, 'the error line names the socket');
