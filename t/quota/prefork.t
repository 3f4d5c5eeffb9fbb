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
use File::Temp qw(tempdir);
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRQuota qw(:all);

plan tests => 7;

my $port = 14630;
my $dir = tempdir(CLEANUP => 1);
my $httpd = Apache::Test::vars('httpd');
my $so = Apache::Test::vars('serverroot') . '/../.libs/mod_length_required.so';
my $mods = '/usr/lib/apache2/modules';
open my $fh, '>', "$dir/httpd.conf" or die $!;
print $fh <<"CONF";
ServerRoot "$dir"
DefaultRuntimeDir "$dir"
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
LogLevel info
ServerName localhost
Listen 127.0.0.1:$port
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule reflector_module $mods/mod_reflector.so
LoadModule length_required_module "$so"
StartServers 6
MinSpareServers 6
MaxSpareServers 10
MaxRequestWorkers 10
KeepAlive Off
LogFormat "%P %>s" pids
CustomLog "$dir/pids_log" pids
<Location "/up">
    SetHandler reflector
    LengthRequired On
    LengthRequiredQuota pre 10000 1h
</Location>
CONF
close $fh;
system($httpd, '-f', "$dir/httpd.conf", '-k', 'start') == 0 or die "start";
END { system $httpd, '-f', "$dir/httpd.conf", '-k', 'stop' if $dir }
wait_port($port, 10) or die "prefork httpd did not start";
sleep 1;    # let the children come up

my @st = uploads_at_once(map { [$port, "/up/$_", 1000] } 1 .. 20);
ok t_cmp(scalar(grep { $_ == 200 } @st), 10,
         "prefork: 20 concurrent uploads of 1000 against 10000: exactly 10 "
         . "admitted (@st)");
ok t_cmp(scalar(grep { $_ == 429 } @st), 10, 'and 10 refused');
sleep 0.5;
open my $log, '<', "$dir/pids_log" or die $!;
my %pids = map { (split ' ')[0] => 1 } <$log>;
close $log;
ok t_cmp(scalar(keys %pids) > 1 ? 1 : 0, 1,
         'served by ' . scalar(keys %pids) . ' processes');

# A graceful restart keeps the table (same size): still spent.
open my $pf, '<', "$dir/httpd.pid" or die $!;
chomp(my $pid = <$pf>);
close $pf;
kill 'USR1', $pid;
my $until = time + 20;
my $n = 0;
while (time < $until) {
    open my $el, '<', "$dir/error_log" or last;
    $n = grep { /AH00163:.*resuming normal operations/ } <$el>;
    last if $n >= 2;
    sleep 0.2;
}
ok t_cmp($n >= 2 ? 1 : 0, 1, "a graceful restart" . ($n >= 2 ? "" : ": " . `tail -5 $dir/error_log`));
sleep 0.5;
ok t_cmp(upload($port, '/up/after', 1)->{status}, 429,
         'the budget is still spent after it');

# Whichever child takes the connection, it sees the one table.
my @st2 = uploads_at_once(map { [$port, "/up/k$_", 1000,
                                 headers => []] } 1 .. 4);
ok t_cmp("@st2", '429 429 429 429', 'every child sees the same spent budget');
ok t_cmp(kill(0, $pid), 1, 'the parent survived');
