# The shm table when it is full (LengthRequiredQuotaEntries): windows
# that have ended make room first; when only live windows are left where
# a new key would go, the new key is a store error (fail=open: passes
# uncharged; fail=closed: 503), counted and logged once per 10 s; keys
# already in the table are still charged.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRQuota qw(:all);

plan tests => 10;

my $httpd = Apache::Test::vars('httpd');
my @conf;
END { system $httpd, '-f', $_, '-k', 'stop' for @conf }

sub server {
    my ($port, $fail) = @_;
    my ($file) = private_conf(<<"CONF", listen => ["127.0.0.1:$port"],
LogLevel info
LengthRequiredQuotaStore shm fail=$fail
LengthRequiredQuotaEntries 2
<Location "/up">
    SetHandler reflector
    LengthRequired On
    LengthRequiredQuota full 1000 2s "%{HTTP:X-Key}"
</Location>
<Location "/status">
    SetHandler server-status
</Location>
CONF
        modules => [qw(authz_core_module reflector_module status_module)]);
    system($httpd, '-f', $file, '-k', 'start') == 0 or die "start $port";
    wait_port($port, 10) or die "no server on $port";
    push @conf, $file;
    (my $dir = $file) =~ s{/httpd\.conf$}{};
    return $dir;
}

sub up { upload($_[0], '/up/x', $_[2] // 600, headers => ["X-Key: $_[1]"])->{status} }

my $dir = server(14640, 'open');
# Start just after a 2 s window begins.
sleep 2 - (time - 2 * int(time / 2)) + 0.05;
ok t_cmp(up(14640, 'a'), 200, 'key a takes one of the 2 entries');
ok t_cmp(up(14640, 'b'), 200, 'key b the other');
ok t_cmp(up(14640, 'c'), 200, 'key c finds the table full: fail=open passes');
ok t_cmp(up(14640, 'c'), 200, 'again, uncharged (600 + 600 would be 429)');
ok t_cmp(up(14640, 'a'), 429, 'key a is still charged (600 + 600 > 1000)');
open my $el, '<', "$dir/error_log" or die;
my $full = grep { /LR00047: the quota table is full \(2 entries/ } <$el>;
close $el;
ok t_cmp($full, 1, 'the full table is logged once, not per request');
my ($st) = raw_request(14640, "GET /status?auto HTTP/1.0\r\n\r\n");
ok t_cmp($st->{body}, qr/^LengthRequiredQuotaStoreErrors: 2$/m,
         'and counted as store errors (2)');
# The next window: the ended windows make room.
sleep 2 - (time - 2 * int(time / 2)) + 0.05;
ok t_cmp(up(14640, 'c'), 200, 'in the next window key c gets an entry');
ok t_cmp(up(14640, 'c'), 429, 'and is charged');

server(14641, 'closed');
sleep 2 - (time - 2 * int(time / 2)) + 0.05;
up(14641, $_) for qw(a b);
ok t_cmp(up(14641, 'c'), 503, 'with fail=closed a key that finds no room: 503');
