# TLS to Redis with a hiredis that has none (bookworm's 0.14): the
# documented recipe, a local stunnel client tunnel that verifies the
# server's certificate, in front of a redis-server that listens on a TLS
# port only.  Through the tunnel's loopback port, 20 concurrent uploads
# of 1000 bytes on a 10000-byte budget admit exactly 10; through a second
# tunnel on a Unix socket, another server sees the same budget spent.
# Controls: the server answers nothing in clear text, and a tunnel that
# expects another name for the server gets no connection through, which
# the module meets as a store error (fail=closed: 503).
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

plan tests => 8,
    need { 'redis-server (package redis-server)' => have_program('redis-server'),
           'redis-cli (package redis-tools)' => have_program('redis-cli'),
           'stunnel4 (package stunnel4)' => have_program('stunnel4'),
           'openssl (package openssl)' => have_program('openssl') };

clear_of_edge(3600, 30);
my $tls = start_tls_redis();
ok t_cmp(redis_cli($tls->{tls_port}, 'PING') eq 'PONG' ? 'answers' : 'silent',
         'silent', 'the server answers nothing in clear text on its TLS port');
ok t_cmp(redis_cli($tls->{port}, 'PING'), 'PONG', 'and PONG through the tunnel');

my $budget = 'tls 10000 1h "%{HTTP:X-Tenant}"';
my ($a) = quota_server("LengthRequiredQuotaStore redis:127.0.0.1:$tls->{port} "
                       . 'timeout=500ms fail=closed', $budget);
my $t = tag('tls');
my @st = uploads_at_once(map { [$a, "/up/$t-$_", 1000,
                                headers => ["X-Tenant: $t"]] } 1 .. 20);
ok t_cmp(scalar(grep { $_ == 200 } @st), 10,
         "20 concurrent uploads of 1000 on a 10000 budget through the tunnel: "
         . "exactly 10 admitted (@st)");
ok t_cmp(redis_cli($tls->{port}, 'GET', store_key('tls', 3600, $t)), 10000,
         'the TLS-only server counts 10000');

# A second tunnel, on a Unix socket, to the same server.
my $sockdir = tempdir(CLEANUP => 1);
my $via_sock = start_tunnel($tls, sock => "$sockdir/redis-tls.sock");
my ($b) = quota_server("LengthRequiredQuotaStore redis:$via_sock->{sock} "
                       . 'timeout=500ms fail=closed', $budget);
ok t_cmp(upload($b, "/up/$t-b", 1, headers => ["X-Tenant: $t"])->{status},
         429, 'a server on a tunnel\'s Unix socket sees the budget spent');
my $t2 = tag('tls-sock');
ok t_cmp(join(' ', map { upload($b, "/up/$t2-$_", 6000,
                                headers => ["X-Tenant: $t2"])->{status} } 1, 2),
         '200 429', 'and charges a fresh one: 6000 admitted, 6000 more refused');

# A tunnel that verifies the certificate against another name.
my $wrong = start_tunnel($tls, check_host => 'not-this-server.example');
my ($c, $cdir) = quota_server("LengthRequiredQuotaStore "
                              . "redis:127.0.0.1:$wrong->{port} "
                              . 'timeout=500ms fail=closed', $budget);
ok t_cmp(upload($c, "/up/$t-c", 1, headers => ["X-Tenant: $t-c"])->{status},
         503, 'through a tunnel whose check of the name fails: 503 (fail=closed)');
ok t_cmp(join('', grep { /LR00044/ } log_lines("$cdir/error_log")),
         qr/LR00044: quota store redis:127\.0\.0\.1:\Q$wrong->{port}\E: /,
         'logged as a store error');
