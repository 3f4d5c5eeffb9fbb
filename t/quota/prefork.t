# One shm budget across the processes of the prefork MPM: its own httpd
# (several single-threaded children), concurrent uploads against one
# budget admit exactly the budget, served by more than one process.  And
# the budgets survive a graceful restart.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use Time::HiRes qw(sleep);
use LRTest qw(:all);
use LRQuota qw(:all);
use LRServer qw(free_port start_httpd restart_httpd);

my $prefork = module_so('mpm_prefork_module');
plan tests => 7,
    need { "the prefork MPM ($prefork, package apache2-bin)" => -e $prefork };

my $port = free_port();
my ($conf) = private_conf(<<'CONF', mpm => 'prefork', listen => ["127.0.0.1:$port"],
LogLevel info
StartServers 6
MinSpareServers 6
MaxSpareServers 10
MaxRequestWorkers 10
KeepAlive Off
LogFormat "%P %>s" pids
CustomLog pids_log pids
<Location "/up">
    SetHandler reflector
    LengthRequired On
    LengthRequiredQuota pre 10000 1h
</Location>
CONF
    modules => [qw(authz_core_module reflector_module)]);
my $httpd = start_httpd($conf, ports => [$port]);
die "$httpd->{why}\n" unless $httpd->{up};
my $dir = $httpd->{dir};
sleep 1;    # let the children come up

my @st = uploads_at_once(map { [$port, "/up/$_", 1000] } 1 .. 20);
ok t_cmp(scalar(grep { $_ == 200 } @st), 10,
         "prefork: 20 concurrent uploads of 1000 against 10000: exactly 10 "
         . "admitted (@st)");
ok t_cmp(scalar(grep { $_ == 429 } @st), 10, 'and 10 refused');
sleep 0.5;
my %pids = map { (split ' ')[0] => 1 } log_lines("$dir/pids_log");
ok t_cmp(scalar(keys %pids) > 1 ? 1 : 0, 1,
         'served by ' . scalar(keys %pids) . ' processes');

# A graceful restart keeps the table (same size): still spent.
ok t_cmp(restart_httpd($httpd, 'USR1', "$dir/error_log"), 1,
         'a graceful restart: the error log shows it done');
sleep 0.5;
ok t_cmp(upload($port, '/up/after', 1)->{status}, 429,
         'the budget is still spent after it');

# Whichever child takes the connection, it sees the one table.
my @st2 = uploads_at_once(map { [$port, "/up/k$_", 1000,
                                 headers => []] } 1 .. 4);
ok t_cmp("@st2", '429 429 429 429', 'every child sees the same spent budget');
ok t_cmp(kill(0, $httpd->{pid}), 1, 'the parent survived');
