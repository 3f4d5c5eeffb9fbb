# The metrics handler's figures: a known mix of refusals over the
# name-based hosts alpha and beta (t/conf/metrics.conf.in) adds to each of
# their series exactly what was counted by hand; every series of every
# listed host equals its ?auto key read just after; the figures survive a
# graceful restart, and one more refusal after it adds one.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRMetrics qw(:all);
use LRServer qw(restart_httpd);

my $adds = mix_adds();
plan tests => 1 + keys(%$adds) + 4 + 1 + 1 + 4 + 1;

sub metrics {
    my $res = fetch('lr_metrics', 'alpha.metrics.test', '/mx-metrics');
    die "GET /mx-metrics: $res->{status}\n" unless $res->{status} == 200;
    return parse_metrics($res->{body})->{series};
}

sub auto {
    my $res = fetch('lr_metrics', 'alpha.metrics.test', '/mx-status?auto');
    die "GET /mx-status?auto: $res->{status}\n" unless $res->{status} == 200;
    return parse_auto($res->{body});
}

# Every per-host ?auto key against its series, both ways: the hosts and
# keys ?auto lists have a series each with the same figure, and there is
# no series ?auto does not list.  The differences, as strings.
sub differences {
    my ($series, $auto) = @_;
    my (@diff, %matched);
    for my $k (sort keys %$auto) {
        my ($key, $vhost) = $k =~ /^(\w+)\[(.*)\]$/ or next;
        my $name = series_of_key($key, $vhost);
        if (!defined $name) {
            push @diff, "?auto key $key has no series in LRMetrics.pm";
            next;
        }
        $matched{$name} = 1;
        my $v = $series->{$name} // 'none';
        push @diff, "$k is $auto->{$k}, $name is $v" if $v ne $auto->{$k};
    }
    push @diff, map { "$_ is not on the status page" }
        grep { /\{/ && !$matched{$_} } sort keys %$series;
    return @diff;
}

my $before = metrics();
my @wrong = send_mix(tag('values'));
ok t_cmp("@wrong", '', 'every request of the mix got the status expected');

my $after = metrics();
my $auto = auto();
for my $s (sort keys %$adds) {
    my ($was, $now) = ($before->{$s}, $after->{$s});
    ok t_cmp(defined $was && defined $now ? $now - $was : 'no such series',
             $adds->{$s}, "$s: the mix added $adds->{$s}");
}

my %hosts = map { /\[(.*)\]$/ ? ($1 => 1) : () } keys %$auto;
ok t_cmp(join(' ', grep { $hosts{$_} } alpha(), beta(), quote_host()),
         join(' ', alpha(), beta(), quote_host()),
         'the status page lists the three hosts of metrics.conf.in');
ok t_cmp(scalar(keys %hosts) >= 3 ? 1 : 0, 1,
         'and the other hosts of the suite with a policy (' . keys(%hosts)
         . ' in all)');
my @diff = differences($after, $auto);
ok t_cmp("@diff", '', 'every series of every listed host has the figure of '
         . 'its ?auto key, and every key a series');
ok t_cmp($after->{length_required_quota_store_up}, 1,
         'the suite has budgets (shm): the store gauge is shown, at 1');

my @totals = grep { !/\[/ } keys %$auto;
ok t_cmp(scalar(grep { /^length_required_\w+_total$/ } keys %$after), 0,
         'there is no all-hosts series (?auto has ' . @totals . ' totals)');

# A graceful restart (SIGUSR1 to the parent): the figures stay, and go on.
my ($pid) = slurp(Apache::Test::vars('t_pid_file')) =~ /(\d+)/
    or die "no pid in the suite's pid file\n";
ok t_cmp(restart_httpd($pid, 'USR1', log_file('error_log')), 1,
         'SIGUSR1: the error log shows the graceful restart done');
my $graceful = metrics();
@diff = map { "$_: $after->{$_} before, " . ($graceful->{$_} // 'none') . ' after' }
        grep { ($graceful->{$_} // -1) != $after->{$_} }
        grep { /\Q@{[alpha()]}\E|\Q@{[beta()]}\E/ } sort keys %$after;
ok t_cmp("@diff", '', 'every series of alpha and beta survives the restart');
my $res = raw_request('lr_metrics', http_request(POST => '/mx-up',
    headers => ['Host: alpha.metrics.test', 'Connection: close']));
ok t_cmp($res->{status}, 411, 'a POST without a length to alpha after it: 411');
my $one = metrics();
my $missing = 'length_required_refused_total{' . alpha() . ',missing_length}';
my $judged = 'length_required_judged_total{' . alpha() . '}';
ok t_cmp($one->{$missing} - $graceful->{$missing}, 1, "$missing: one more");
ok t_cmp($one->{$judged} - $graceful->{$judged}, 1, "$judged: one more");
@diff = differences($one, auto());
ok t_cmp("@diff", '', 'and every series still has the figure of its ?auto key');
