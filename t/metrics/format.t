# The exposition of a server with several virtual hosts and every counter
# above zero (a private server: the quota store it needs, a memcached
# started and then stopped here, is the whole server's): promtool check
# metrics finds nothing in it; every family has its HELP and TYPE once;
# every family has a series for each host the status page lists, zeros
# included, and none for a host it does not list; the store's gauge is
# there, as one series of its own, and still says 0 after a graceful
# restart that keeps the given-up store.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use LRTest qw(:all);
use LRMetrics qw(:all);
use LRServer qw(free_port start_daemon stop_daemon start_httpd restart_httpd);

my @families = ('refused_total', @FAMILIES);
plan tests => 2 + 1 + keys(%SERIES_OF_KEY) + 2 + 2 * @families + 2 + 3 + 1,
    need { 'promtool (package prometheus)' => have_program('promtool'),
           'memcached (package memcached)' => have_program('memcached') };

my $store = start_daemon('memcached');
die "$store->{why}\n" unless $store->{up};
my ($p1, $p2, $p3) = map { free_port() } 1 .. 3;
my ($conf) = private_conf(<<"CONF", listen => ["127.0.0.1:$p1", "127.0.0.1:$p2", "127.0.0.1:$p3"],
LengthRequiredQuotaStore memcache:127.0.0.1:$store->{port} timeout=200ms fail=open
<Location "/status">
    SetHandler server-status
</Location>
<Location "/metrics">
    SetHandler length-required-metrics
</Location>
# one.test: something for every counter.
<VirtualHost 127.0.0.1:$p1>
    ServerName one.test
    SetHandler reflector
    LengthRequired On
    LengthRequiredMaxBody 1K
    LengthRequiredStrict On
    LengthRequiredBufferMemory 64
    <Location "/stream">
        LengthRequiredChunked Allow
    </Location>
    <Location "/buffer">
        LengthRequiredChunked Buffer
    </Location>
    <Location "/log">
        LengthRequired LogOnly
    </Location>
    <Location "/quota">
        LengthRequiredQuota format 100 1h
    </Location>
    <Location "/files">
        LengthRequiredUploadMax 1000
    </Location>
</VirtualHost>
# two.test: a policy and one refusal.
<VirtualHost 127.0.0.1:$p2>
    ServerName two.test
    SetHandler reflector
    LengthRequired On
</VirtualHost>
# Two hosts with one key: the first has no policy, the second one, so the
# slot they share is listed (with nothing counted in it).
<VirtualHost 127.0.0.1:$p3>
    ServerName shared.test
</VirtualHost>
<VirtualHost 127.0.0.1:$p3>
    ServerName shared.test
    LengthRequired On
</VirtualHost>
# No policy: not listed.
<VirtualHost 127.0.0.1:$p3>
    ServerName off.test
</VirtualHost>
CONF
    modules => [qw(authz_core_module status_module reflector_module)]);
my $httpd = start_httpd($conf, ports => [$p1, $p2, $p3]);
die "$httpd->{why}\n" unless $httpd->{up};

my @h = ('Connection: close');
my @st = (
    raw_request($p1, http_request(POST => '/up', body => 'hello',
                                  headers => [@h, 'Content-Length: 5']))->{status},
    raw_request($p1, http_request(POST => '/up', headers => \@h))->{status},
    raw_request($p1, http_request(POST => '/up', body => chunked('c'),
                                  headers => [@h, 'Transfer-Encoding: chunked']))->{status},
    raw_request($p1, http_request(POST => '/up', body => 'x' x 2000,
                                  headers => [@h, 'Content-Length: 2000']))->{status},
    raw_request($p1, http_request(POST => '/buffer', body => chunked('b' x 100),
                                  headers => [@h, 'Transfer-Encoding: chunked']))->{status},
    raw_request($p1, http_request(POST => '/buffer', body => chunked(('o' x 500) x 4),
                                  headers => [@h, 'Transfer-Encoding: chunked']))->{status},
    raw_request($p1, http_request(POST => '/log', headers => \@h))->{status},
    raw_request($p1, http_request(POST => '/up', body => chunked('t'), proto => 'HTTP/1.0',
                                  headers => [@h, 'Transfer-Encoding: chunked']))->{status},
    raw_request($p1, http_request(POST => '/quota', body => 'q' x 60,
                                  headers => [@h, 'Content-Length: 60']))->{status},
    raw_request($p1, http_request(POST => '/quota', body => 'q' x 60,
                                  headers => [@h, 'Content-Length: 60']))->{status},
    raw_request($p2, http_request(POST => '/up', headers => \@h))->{status},
    raw_request($p1, http_request(POST => '/files', body => 'u',
                                  headers => [@h, 'Content-Length: 1',
                                              'Upload-Length: 5000']))->{status},
);
# mod_reflector has answered 200 before the streamed body passes the cap.
raw_request($p1, http_request(POST => '/stream', body => chunked(('s' x 256) x 8),
                              headers => [@h, 'Transfer-Encoding: chunked']));
ok t_cmp("@st", '200 411 411 413 200 413 200 400 200 429 411 413',
         'the requests got 200, 411, 411, 413, 200 (buffered), 413 (over '
         . 'the bound), 200 (LogOnly), 400 (Strict), 200 and 429 (budget), '
         . '411, 413 (upload max)');
# The store goes away: fail=open passes and counts the errors, and after
# three in a row the breaker gives the store up.
stop_daemon($store);
ok t_cmp(join(' ', map {
             raw_request($p1, http_request(POST => '/quota', body => 'q',
                 headers => [@h, 'Content-Length: 1']))->{status} } 1 .. 3),
         '200 200 200',
         'with the store gone, charged uploads pass (fail=open)');

my $res = raw_request($p1, http_request(GET => '/metrics', headers => \@h));
my $m = parse_metrics($res->{body});
my $auto = parse_auto(raw_request($p1, http_request(GET => '/status?auto',
                                                    headers => \@h))->{body});

my $tmp = tempdir(CLEANUP => 1);
open my $fh, '>', "$tmp/metrics" or die "$tmp/metrics: $!";
print $fh $res->{body};
close $fh or die "$tmp/metrics: $!";
my $out = `promtool check metrics < '$tmp/metrics' 2>&1`;
ok t_cmp(($? >> 8) . " $out", '0 ', 'promtool check metrics finds nothing');

# Every counter of one.test above zero, in ?auto and in the exposition
# (a new counter needs a request above that moves it).
my $one = "one.test:$p1";
for my $key (sort keys %SERIES_OF_KEY) {
    my $name = series_of_key($key, $one);
    ok t_cmp(($m->{series}{$name} // 0) > 0
             && $m->{series}{$name} eq ($auto->{"${key}[$one]"} // '')
             ? 'above zero, as ?auto' : ($m->{series}{$name} // 'none'),
             'above zero, as ?auto', "$name is above zero, as $key");
}
ok t_cmp(join(' ', @{ $m->{bad} }), '', 'every line of the exposition is read');
ok t_cmp(scalar(grep { !/[{]/ && $_ ne 'length_required_quota_store_up' }
                keys %{ $m->{series} }), 0, 'no series without a host');

# Each family: HELP and TYPE, and a series for each listed host.
my %listed = map { /\[(.*)\]$/ ? ($1 => 1) : () } keys %$auto;
my $hosts = join ' ', sort keys %listed;
for my $f (map { "length_required_$_" } @families) {
    ok t_cmp(($m->{type}{$f} // 'none') . ' ' . (defined $m->{help}{$f} ? 'help' : 'no help'),
             'counter help', "$f: # TYPE counter and # HELP");
    my %seen = map { /^\Q$f\E\{([^,}]*)/ ? ($1 => 1) : () } keys %{ $m->{series} };
    ok t_cmp(join(' ', sort keys %seen), $hosts, "$f: a series for each listed host");
}
ok t_cmp($hosts, "one.test:$p1 shared.test:$p3 two.test:$p2",
         'the listed hosts: the two with figures, and the shared slot of '
         . 'shared.test, whose first host has no policy; not off.test');
my @zero = grep { /shared\.test/ && $m->{series}{$_} ne '0' } keys %{ $m->{series} };
ok t_cmp("@zero", '', 'shared.test has its series, all at zero');

ok t_cmp($m->{type}{length_required_quota_store_up} // 'none', 'gauge',
         'the quota store gauge: # TYPE gauge');
ok t_cmp(defined $m->{help}{length_required_quota_store_up} ? 1 : 0, 1, 'with its # HELP');
ok t_cmp($m->{series}{length_required_quota_store_up} // 'none', 0,
         'one series, no label: 0, the breaker has given the stopped store up');

# A graceful restart keeps the breakers as they were: still given up.
(my $dir = $conf) =~ s{/[^/]*$}{};
restart_httpd($httpd, 'USR1', "$dir/error_log") or die "no graceful restart\n";
$m = parse_metrics(raw_request($p1, http_request(GET => '/metrics',
                                                 headers => \@h))->{body});
ok t_cmp($m->{series}{length_required_quota_store_up} // 'none', 0,
         'after a graceful restart, with the store still given up: 0');
