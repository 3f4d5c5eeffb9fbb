# Counters in mod_status: every child process adds to the same figures,
# per virtual host, and they survive a graceful restart but not a full one.
#
# This test runs its own httpd with the prefork MPM (one connection per
# process, several processes), next to the event-MPM server of the rest of
# the suite, so "many processes, one set of numbers" is really exercised.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use POSIX ();
use LRTest qw(:all);
use LRServer qw(free_port start_httpd stop_daemon restart_httpd);

my $prefork = module_so('mpm_prefork_module');
plan tests => 43,
    need { "the prefork MPM ($prefork, package apache2-bin)" => -e $prefork };

my $dir = tempdir(CLEANUP => 1);
my ($port_a, $port_b, $port_c, $port_d) = map { free_port() } 1 .. 4;

my $status_locations = <<'CONF';
<Location /server-status>
    SetHandler server-status
    Require all granted
</Location>
CONF

# The configuration, with mod_status or (for the last part) without it.
sub status_conf {
    my ($with_status, $file) = @_;
    return (private_conf(<<"CONF", dir => $dir, file => $file, mpm => 'prefork',
LogLevel warn
LogFormat "%P %p %>s" pids
CustomLog "$dir/pids_log" pids
StartServers 4
MinSpareServers 4
MaxSpareServers 8
MaxRequestWorkers 16
KeepAlive Off
@{[ $with_status ? $status_locations : '' ]}
<Location /server-info>
    SetHandler server-info
    Require all granted
</Location>
<VirtualHost 127.0.0.1:$port_a>
    ServerName alpha.test
    SetHandler reflector
    <Location /up>
        LengthRequired On
        LengthRequiredMaxBody 1K
    </Location>
    <Location /stream>
        LengthRequired On
        LengthRequiredChunked Allow
        LengthRequiredMaxBody 1K
    </Location>
    <Location /log>
        LengthRequired LogOnly
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:$port_b>
    ServerName beta.test
    SetHandler reflector
    <Location /up>
        LengthRequired On
        LengthRequiredMaxBody 1K
    </Location>
</VirtualHost>
# A third active host, so that three hosts with different figures must
# each keep their own slot from the first start on.
<VirtualHost 127.0.0.1:$port_d>
    ServerName delta.test
    SetHandler reflector
    LengthRequired On
</VirtualHost>
# Off everywhere: must not be listed per host.
<VirtualHost 127.0.0.1:$port_c>
    ServerName gamma.test
    SetHandler reflector
</VirtualHost>
CONF
        modules => ['authz_core_module', ($with_status ? 'status_module' : ()),
                    'info_module', 'reflector_module'],
        listen => [map { "127.0.0.1:$_" } $port_a, $port_b, $port_c, $port_d]))[0];
}

my $conf = status_conf(1);
my $error_log = "$dir/error_log";
my $httpd = start_httpd($conf, ports => [$port_a, $port_b, $port_c, $port_d]);
ok t_cmp($httpd->{up}, 1, 'the prefork httpd with the module and mod_status '
         . 'starts and answers on its four ports'
         . ($httpd->{up} ? '' : " ($httpd->{why})"));

# One request on a connection of its own (the server has KeepAlive Off):
# the status, and in list context the body too.
sub http {
    my ($port, $request) = @_;
    my $res = eval { raw_request($port, $request) }
        || { status => 0, body => '' };
    return wantarray ? ($res->{status}, $res->{body}) : $res->{status};
}

sub status_auto {
    my (undef, $data) = http($port_c,
        http_request(GET => '/server-status?auto', proto => 'HTTP/1.0'));
    return (parse_auto($data), $data);
}

my @close = ('Connection: close');
my %kind = (
    ok      => sub { http_request(POST => $_[0], body => 'hello',
                                  headers => [@close, 'Content-Length: 5']) },
    missing => sub { http_request(POST => $_[0], headers => \@close) },
    chunked => sub { http_request(POST => $_[0], body => chunked('hello'),
                                  headers => [@close, 'Transfer-Encoding: chunked']) },
    large   => sub { http_request(POST => $_[0], body => 'x' x 2000,
                                  headers => [@close, 'Content-Length: 2000']) },
    stream  => sub { http_request(POST => $_[0], body => chunked(('s' x 256) x 8),
                                  headers => [@close, 'Transfer-Encoding: chunked']) },
    get     => sub { http_request(GET => $_[0], headers => \@close) },
);

# The mix: [port, kind, path, expected status, how many]
my @mix = (
    [$port_a, 'ok',      '/up',     200, 12],
    [$port_a, 'missing', '/up',     411, 9],
    [$port_a, 'chunked', '/up',     411, 7],
    [$port_a, 'large',   '/up',     413, 5],
    # mod_reflector echoes as it reads (one chunk a read), so its 200 is on
    # the wire before the streamed body passes the cap: the client is not
    # refused, and the cut counts as LengthRequiredStreamCut, not as a 413.
    [$port_a, 'stream',  '/stream', undef, 4],
    [$port_a, 'missing', '/log',    200, 6],
    [$port_a, 'get',     '/up',     405, 10],
    [$port_b, 'missing', '/up',     411, 3],
    [$port_b, 'ok',      '/up',     200, 8],
    [$port_c, 'missing', '/up',     200, 5],
    [$port_d, 'missing', '/up',     411, 2],
);

# Send the mix from 8 client processes at once, so that many server
# processes take part; each client reports the statuses it saw.
sub send_mix {
    my @jobs;
    for my $m (@mix) {
        push @jobs, [@$m[0 .. 3]] for 1 .. $m->[4];
    }
    my $clients = 8;
    my @pids;
    pipe my $r, my $w or die $!;
    for my $c (0 .. $clients - 1) {
        my $pid = fork // die $!;
        if (!$pid) {
            close $r;
            my $bad = 0;
            for (my $i = $c; $i < @jobs; $i += $clients) {
                my ($port, $kind, $path, $want) = @{ $jobs[$i] };
                my $got = http($port, $kind{$kind}->($path));
                $bad++ if defined $want && $got != $want;
            }
            print $w "$bad\n";
            close $w;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    close $w;
    my $bad = 0;
    while (my $line = <$r>) { $bad += $line }
    waitpid $_, 0 for @pids;
    return $bad;
}

my ($before) = status_auto();
ok t_cmp($before->{LengthRequiredJudged}, 0, 'a fresh start counts from zero');

ok t_cmp(send_mix(), 0, 'every request of the mix got the status expected');

my ($after, $raw) = status_auto();
my %want_total = (
    LengthRequiredJudged => 12 + 9 + 7 + 5 + 4 + 6 + 3 + 8 + 2,
    LengthRequiredRefusedMissingLength => 9 + 3 + 2,
    LengthRequiredRefusedChunked => 7,
    LengthRequiredRefusedTooLarge => 5,
    LengthRequiredStreamTooLarge => 0,
    LengthRequiredStreamCut => 4,
    LengthRequiredWouldRefuse => 6,
);
for my $k (sort keys %want_total) {
    ok t_cmp($after->{$k}, $want_total{$k}, "?auto total $k");
}
my %want_a = (
    LengthRequiredJudged => 12 + 9 + 7 + 5 + 4 + 6,
    LengthRequiredRefusedMissingLength => 9,
    LengthRequiredRefusedChunked => 7,
    LengthRequiredRefusedTooLarge => 5,
    LengthRequiredStreamTooLarge => 0,
    LengthRequiredStreamCut => 4,
    LengthRequiredWouldRefuse => 6,
);
my %want_b = (
    LengthRequiredJudged => 3 + 8,
    LengthRequiredRefusedMissingLength => 3,
    LengthRequiredRefusedChunked => 0,
    LengthRequiredRefusedTooLarge => 0,
    LengthRequiredStreamTooLarge => 0,
    LengthRequiredWouldRefuse => 0,
);
for my $k (sort keys %want_a) {
    ok t_cmp($after->{"${k}[alpha.test:$port_a]"}, $want_a{$k}, "alpha.test counts $k on its own");
}
ok t_cmp($after->{"LengthRequiredJudged[beta.test:$port_b]"}, $want_b{LengthRequiredJudged},
         'beta.test counts its judged requests separately');
ok t_cmp($after->{"LengthRequiredRefusedMissingLength[beta.test:$port_b]"}, 3,
         'beta.test counts its refusals separately');
ok t_cmp($after->{"LengthRequiredJudged[delta.test:$port_d]"}, 2,
         'delta.test, a third host, has its own figures too');
ok t_cmp($after->{"LengthRequiredRefusedMissingLength[delta.test:$port_d]"}, 2,
         'delta.test counts its refusals in its own slot');
my %listed = map { $_ => 1 } $raw =~ /^LengthRequired\w+\[([^:\]]+):\d+\]:/mg;
ok t_cmp(join(' ', sort keys %listed), 'alpha.test beta.test delta.test',
         'the hosts listed are the three where the module is on; gamma.test, '
         . 'where it is off, is not');

# Which server processes served the mix (from %P in the access log).
my %pids;
for (log_lines("$dir/pids_log")) { $pids{$1}++ if /^(\d+) (\d+) / && $2 != $port_c }
ok t_cmp(scalar(keys %pids) >= 2 ? 1 : 0, 1,
         'the mix was served by several processes (' . scalar(keys %pids) . ')');

# The HTML page shows a table of the same figures.
my (undef, $html) = http($port_c,
    http_request(GET => '/server-status', proto => 'HTTP/1.0'));
ok t_cmp($html, qr{<h2>mod_length_required</h2>}, 'the HTML status page has our section');
ok t_cmp($html, qr{<td>alpha\.test:$port_a</td><td>$want_a{LengthRequiredJudged}</td>},
         'and a row per host with its figures');

# mod_info lists every directive with its one-line description.
my (undef, $info) = http($port_c,
    http_request(GET => '/server-info?mod_length_required.c', proto => 'HTTP/1.0'));
for my $d (qw(LengthRequired LengthRequiredMethods LengthRequiredChunked
              LengthRequiredMaxBody LengthRequiredErrorFormat LengthRequiredHtaccess)) {
    ok t_cmp($info, qr{<dd><tt>$d - <i>[A-Z][^<\n]{20,}</i></tt></dd>},
             "mod_info describes $d in one line");
}

# Graceful restart: the figures stay.  restart_httpd waits for the
# restart's log lines: the listeners stay open through it, so a connection
# that succeeds says nothing about whether the restart is done.
ok t_cmp(restart_httpd($httpd, 'USR1', $error_log), 1,
         'SIGUSR1: the error log shows the graceful restart requested, then '
         . '"resuming normal operations"');
my ($graceful) = status_auto();
ok t_cmp($graceful->{LengthRequiredJudged}, $want_total{LengthRequiredJudged},
         'the totals survive a graceful restart');
ok t_cmp($graceful->{"LengthRequiredRefusedChunked[alpha.test:$port_a]"}, 7,
         'and so do the per-host figures');
ok t_cmp(http($port_a, $kind{missing}->('/up')), 411, 'the module still refuses after it');
my ($again) = status_auto();
ok t_cmp($again->{"LengthRequiredRefusedMissingLength[alpha.test:$port_a]"}, 10,
         'and counts on from where it was');

# A full restart (SIGHUP) starts from zero, as mod_status's own figures do.
ok t_cmp(restart_httpd($httpd, 'HUP', $error_log), 1,
         'SIGHUP: the error log shows the restart, then "resuming normal '
         . 'operations"');
my ($hard) = status_auto();
ok t_cmp($hard->{LengthRequiredJudged}, 0, 'a full restart starts the totals from zero');
ok t_cmp($hard->{"LengthRequiredJudged[alpha.test:$port_a]"}, 0, 'and the per-host figures');

# Without mod_status, the module works the same.
stop_daemon($httpd);
my $nostatus = status_conf(0, 'nostatus.conf');
ok t_cmp(start_httpd($nostatus, ports => [$port_a, $port_c])->{up}, 1,
         'the server starts without mod_status');
ok t_cmp(http($port_a, $kind{missing}->('/up')), 411, 'and still refuses a missing length');
ok t_cmp(http($port_a, $kind{ok}->('/up')), 200, 'and passes a declared one');
ok t_cmp(http($port_c, http_request(GET => '/server-status?auto', proto => 'HTTP/1.0')), 405,
         '(/server-status is now just the reflector: no status handler)');
