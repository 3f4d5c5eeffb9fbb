# A real Prometheus (Debian's package, started here on a free loopback
# port, its data in a temporary directory) scrapes the suite's metrics
# handler every second; after the mix of refusals (t/lib/LRMetrics.pm),
# a query through its HTTP API returns every length_required_refused_total
# series of alpha and beta with the value the mix left, and the label of
# the host whose ServerName holds a quote and a backslash (followed by an
# n, which a reader would take for a line feed were the backslash not
# escaped) as that name.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use JSON::PP ();
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRMetrics qw(:all);
use LRServer qw(free_port start_daemon stop_daemon);

plan tests => 5 + 2 * @REASONS + 2,
    need { 'prometheus (package prometheus)' => have_program('prometheus') };

sub metrics {
    my $res = fetch('lr_metrics', 'alpha.metrics.test', '/mx-metrics');
    return parse_metrics($res->{body})->{series};
}

my $before = metrics();
my @wrong = send_mix(tag('prometheus'));
ok t_cmp("@wrong", '', 'every request of the mix got the status expected');
my $want = metrics();
my $adds = mix_adds();
my @moved = grep { /^length_required_refused_total/
                   && $want->{$_} - $before->{$_} != $adds->{$_} } keys %$adds;
ok t_cmp("@moved", '', 'the handler shows what the mix added to the refusals');

# Prometheus names the target by address and port only: the Host it
# sends picks the port's first name-based host, alpha, the one with the
# handler.
my $dir = tempdir(CLEANUP => 1);
my $target = '127.0.0.1:' . Apache::Test::vars('lr_metrics_port');
open my $fh, '>', "$dir/prometheus.yml" or die "$dir/prometheus.yml: $!";
print $fh <<"YML";
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: length_required
    metrics_path: /mx-metrics
    static_configs:
      - targets: ['$target']
YML
close $fh or die "$dir/prometheus.yml: $!";

# One query through the HTTP API: the result's series as
# { "vhost,reason" => value }, and the whole answer.
sub query {
    my ($port, $expr) = @_;
    (my $q = $expr) =~ s/([^A-Za-z0-9_])/sprintf '%%%02X', ord $1/ge;
    my $res = eval { raw_request($port,
        "GET /api/v1/query?query=$q HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
        timeout => 5) } or return ({}, undef);
    my $json = eval { JSON::PP->new->decode($res->{body}) } or return ({}, undef);
    my %got;
    for my $s (@{ $json->{data}{result} || [] }) {
        my $m = $s->{metric};
        $got{ join ',', grep { defined } $m->{vhost}, $m->{reason} }
            = $s->{value}[1];
    }
    return (\%got, $json);
}

# Ready once it answers /-/ready with 200, not merely once it listens.
my $port = free_port();
my $prom = start_daemon('prometheus', cmd => ['prometheus',
    "--config.file=$dir/prometheus.yml",
    "--storage.tsdb.path=$dir/data",
    '--web.listen-address=127.0.0.1:@PORT@'], port => $port, dir => $dir,
    ready => sub {
        my $res = eval { raw_request($port, "GET /-/ready HTTP/1.0\r\n\r\n",
                                     timeout => 2) };
        $res && $res->{status} == 200;
    }, timeout => 60);
ok t_cmp($prom->{up}, 1, 'Prometheus starts and says it is ready'
         . ($prom->{up} ? '' : ": $prom->{why}"));

# Wait, bounded, for a scrape that carries the values the mix left.
my ($got, $json);
my $until = time + 30;
my $expected = sub {
    my ($g) = @_;
    for my $h (alpha(), beta()) {
        for my $r (@REASONS) {
            my $v = $g->{"$h,$r"};
            return 0 unless defined $v
                && $v == $want->{"length_required_refused_total{$h,$r}"};
        }
    }
    return 1;
};
do {
    ($got, $json) = query($prom->{port}, 'length_required_refused_total');
    sleep 0.25 unless $expected->($got);
} until ($expected->($got) || time > $until);
ok t_cmp($json && $json->{status}, 'success', 'the query through the HTTP API succeeds');
for my $h (alpha(), beta()) {
    for my $r (@REASONS) {
        my $name = "length_required_refused_total{$h,$r}";
        ok t_cmp($got->{"$h,$r"}, $want->{$name},
                 "Prometheus has $name at $want->{$name}");
    }
}
ok t_cmp(exists $got->{quote_host() . ',missing_length'} ? 'there' : 'missing',
         'there', 'the label that went out escaped is the ServerName again: '
         . quote_host());
my ($up) = query($prom->{port}, 'up{job="length_required"}');
ok t_cmp($up->{''}, 1, "the scrape job's target is up");
my %from = map { ("$_->{metric}{job} $_->{metric}{instance}" => 1) }
           @{ $json ? $json->{data}{result} : [] };
ok t_cmp(join(' ', sort keys %from), "length_required $target",
         "the series come from the suite's handler, through the job");
stop_daemon($prom);
