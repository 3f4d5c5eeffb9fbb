# Where the shm table puts keys.  Keys are placed by a hash with a key
# drawn at startup, so a client that chooses its key values (a header, an
# IPv6 address) cannot aim them at another key's slots: sixteen values
# chosen to fill the slots an unkeyed FNV-1a hash gives the victim's key
# leave that key chargeable.  And a slot whose count is back at 0 (its
# upload refunded whole) is free again for another key.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use IO::Socket::INET ();
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRQuota qw(:all);

plan tests => 10;

my $ENTRIES = 1000;
my $PROBE = 16;

# 32-bit FNV-1a, the unkeyed placement this test shows is gone.
sub fnv1a {
    my $h = 2166136261;
    for my $c (unpack 'C*', $_[0]) {
        $h = (($h ^ $c) * 16777619) % 4294967296;
    }
    return $h;
}

sub up {
    my ($port, $tenant, $len) = @_;
    return upload($port, '/up/x', $len, headers => ["X-Tenant: $tenant"])
        ->{status};
}

# The victim's key and sixteen values whose keys start where its does.
# The window must not change while they are sent: not the last seconds
# of an hour.
clear_of_edge(3600, 20);
my $victim = "victim-$$";
my $slot = fnv1a(store_key('place', 3600, $victim)) % $ENTRIES;
my @aimed;
for (my $i = 0; @aimed < $PROBE; $i++) {
    push @aimed, "a$i"
        if fnv1a(store_key('place', 3600, "a$i")) % $ENTRIES == $slot;
}
my ($port, $dir) = quota_server(
    "LengthRequiredQuotaStore shm fail=closed\n"
    . "LengthRequiredQuotaEntries $ENTRIES",
    'place 1000 1h "%{HTTP:X-Tenant}"');

my @st = map { up($port, $_, 10) } @aimed;
ok t_cmp("@st", join(' ', ('200') x $PROBE),
         "the $PROBE aimed keys are charged");
ok t_cmp(up($port, $victim, 600), 200,
         'the victim\'s key is still charged (fail=closed: a key that found '
         . 'no room would be 503)');
ok t_cmp(up($port, $victim, 600), 429,
         'and counts: 600 more pass its 1000');
ok t_cmp(up($port, $aimed[0], 990), 200,
         'an aimed key has its own count (10 + 990)');
ok t_cmp(up($port, $aimed[0], 1), 429, 'and it is spent');
ok t_cmp(scalar(grep { /LR00047/ } log_lines("$dir/error_log")), 0,
         'no key found the table full');

# A table of two entries.  Key a reserves 600 and its upload is dropped
# before a byte arrives: the refund takes it back to 0, which frees the
# slot, so b and c both find room.
my ($small, $sdir) = quota_server(
    "LengthRequiredQuotaStore shm fail=closed\nLengthRequiredQuotaEntries 2",
    'slots 1000 1h "%{HTTP:X-Tenant}"');
my $t = tag('slots');
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $small)
        or die "connect: $!";
    print $s "POST /up/$t HTTP/1.1\r\nHost: x\r\nX-Tenant: a-$t\r\n"
        . "Content-Length: 600\r\n\r\n";
    sleep 0.3;
    close $s;
}
my $until = time + 10;
sleep 0.1 until time > $until
    || grep { m{ /up/\Q$t\E$} } log_lines("$sdir/access_log");
ok t_cmp(up($small, "b-$t", 600), 200, 'key b takes a slot');
ok t_cmp(up($small, "c-$t", 600), 200,
         'key c takes the one key a gave back at 0 (a full table: 503)');
ok t_cmp(up($small, "c-$t", 600), 429, 'and counts there');
ok t_cmp(up($small, "a-$t", 600), 503,
         'now key a finds the table full: the control that two entries are '
         . 'all there is');
