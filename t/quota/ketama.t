# Keys are spread over memcached servers by consistent hashing: a third
# server added to a farm's two (at a graceful restart) takes about a third
# of the keys, and no key moves from one of the old servers to the other.
# A key that moves starts again from 0 on its new server; the others keep
# their counts.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRQuota qw(:all);
use LRServer qw(start_daemon restart_httpd);

my $KEYS = 60;
plan tests => 5,
    need { "memcached (package memcached)" => have_program("memcached") };

my @mc = map {
    my $d = start_daemon('memcached');
    die "$d->{why}\n" unless $d->{up};
    $d;
} 1 .. 3;
# The store spec of the first $n servers.
my $spec = sub {
    'memcache:' . join ',', map { "127.0.0.1:$_->{port}" } @mc[0 .. $_[0] - 1];
};
clear_of_edge(3600, 30);
my ($port, $dir, $httpd) = quota_server(
    'LengthRequiredQuotaStore ' . $spec->(2) . ' fail=closed',
    'kt 1000 1h "%{HTTP:X-Tenant}"');
my $t = tag('kt');
my @tenants = map { "$t-$_" } 1 .. $KEYS;

# Where each key is, by asking every server: "server:count".
sub where {
    my ($tn) = @_;
    my $key = store_key('kt', 3600, $tn);
    return join ' ', map {
        my $v = memcached_get($mc[$_]{port}, $key);
        defined $v ? "$_:$v" : ();
    } 0 .. 2;
}

my @st = map {
    upload($port, '/up/a', 1, headers => ["X-Tenant: $_"])->{status}
} @tenants;
my @before = map { where($_) } @tenants;
my %on;
$on{(split /:/, $_)[0]}++ for @before;
ok t_cmp(scalar(grep { $_ == 200 } @st) == $KEYS && ($on{0} // 0) >= 15
         && ($on{1} // 0) >= 15 ? 1 : 0, 1,
         "$KEYS keys charged over two servers (" . ($on{0} // 0) . ' and '
         . ($on{1} // 0) . ')');

# A third server, at a graceful restart.
my $conf = "$dir/httpd.conf";
open my $in, '<', $conf or die "$conf: $!";
my $text = do { local $/; <$in> };
close $in;
my $two = $spec->(2);
$text =~ s/\Q$two\E/$spec->(3)/e;
open my $out, '>', $conf or die "$conf: $!";
print $out $text;
close $out;
ok t_cmp(restart_httpd($httpd, 'USR1', "$dir/error_log"), 1,
         'graceful restart with a third server');

@st = map {
    upload($port, '/up/b', 1, headers => ["X-Tenant: $_"])->{status}
} @tenants;
my @after = map { where($_) } @tenants;
my ($stayed, $to_new, $between) = (0, 0, 0);
for my $i (0 .. $#tenants) {
    my ($old) = split /:/, $before[$i];
    if ($after[$i] eq "$old:2") {
        $stayed++;          # charged twice where it was
    }
    elsif ($after[$i] eq "$old:1 2:1") {
        $to_new++;          # the new server has it, from 0
    }
    else {
        $between++;
    }
}
ok t_cmp(scalar(grep { $_ == 200 } @st), $KEYS, 'charged again, every one');
ok t_cmp($between, 0, 'no key moved from one old server to the other');
ok t_cmp($to_new >= 8 && $to_new <= 35 ? 1 : 0, 1,
         "about a third of the keys went to the new server ($to_new of "
         . "$KEYS; $stayed stayed, counting on)");
