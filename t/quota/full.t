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

# A private server whose table holds 2 entries; returns its port and
# directory.
sub server {
    my ($fail) = @_;
    return quota_server("LengthRequiredQuotaStore shm fail=$fail\n"
                        . 'LengthRequiredQuotaEntries 2',
                        'full 1000 2s "%{HTTP:X-Key}"');
}

sub up { upload($_[0], '/up/x', $_[2] // 600, headers => ["X-Key: $_[1]"])->{status} }

my ($open, $dir) = server('open');
# Start just after a 2 s window begins.
sleep 2 - (time - 2 * int(time / 2)) + 0.05;
ok t_cmp(up($open, 'a'), 200, 'key a takes one of the 2 entries');
ok t_cmp(up($open, 'b'), 200, 'key b the other');
ok t_cmp(up($open, 'c'), 200, 'key c finds the table full: fail=open passes');
ok t_cmp(up($open, 'c'), 200, 'again, uncharged (600 + 600 would be 429)');
ok t_cmp(up($open, 'a'), 429, 'key a is still charged (600 + 600 > 1000)');
my $full = grep { /LR00047: the quota table is full \(2 entries/ }
           log_lines("$dir/error_log");
ok t_cmp($full, 1, 'the full table is logged once, not per request');
ok t_cmp(store_errors($open), 2, 'and counted as store errors (2)');
# The next window: the ended windows make room.
sleep 2 - (time - 2 * int(time / 2)) + 0.05;
ok t_cmp(up($open, 'c'), 200, 'in the next window key c gets an entry');
ok t_cmp(up($open, 'c'), 429, 'and is charged');

my ($closed) = server('closed');
sleep 2 - (time - 2 * int(time / 2)) + 0.05;
up($closed, $_) for qw(a b);
ok t_cmp(up($closed, 'c'), 503, 'with fail=closed a key that finds no room: 503');
