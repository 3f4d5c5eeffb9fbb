# Counters in mod_status: every child process adds to the same figures,
# per virtual host, and they survive a graceful restart but not a full one.
#
# This test runs its own httpd with the prefork MPM (one connection per
# process, several processes), next to the event-MPM server of the rest of
# the suite, so "many processes, one set of numbers" is really exercised.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Spec;
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);

plan tests => 41;

my $t_logs = Apache::Test::vars('t_logs');
my $httpd  = Apache::Test::vars('httpd');
my $so     = File::Spec->rel2abs(File::Spec->catfile(
                 Apache::Test::vars('serverroot'), '..', '.libs',
                 'mod_length_required.so'));
my $dir    = File::Spec->catdir($t_logs, 'status-prefork');
remove_tree($dir);
make_path($dir);

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, ReuseAddr => 1) or die $!;
    my $port = $s->sockport;
    close $s;
    return $port;
}
my ($port_a, $port_b, $port_c, $port_d) = (free_port(), free_port(), free_port(), free_port());

my $mods = '/usr/lib/apache2/modules';
open my $fh, '>', "$dir/httpd.conf" or die $!;
print $fh <<"CONF";
ServerRoot "$dir"
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule status_module $mods/mod_status.so
LoadModule info_module $mods/mod_info.so
LoadModule reflector_module $mods/mod_reflector.so
LoadModule length_required_module "$so"
DefaultRuntimeDir "$dir"
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
LogLevel warn
LogFormat "%P %p %>s" pids
CustomLog "$dir/pids_log" pids
ServerName status-main
Listen 127.0.0.1:$port_a
Listen 127.0.0.1:$port_b
Listen 127.0.0.1:$port_c
Listen 127.0.0.1:$port_d
StartServers 4
MinSpareServers 4
MaxSpareServers 8
MaxRequestWorkers 16
KeepAlive Off
<Location /server-status>
    SetHandler server-status
    Require all granted
</Location>
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
close $fh;

sub server_pid {
    open my $p, '<', "$dir/httpd.pid" or return 0;
    my $pid = <$p>;
    chomp $pid if defined $pid;
    return $pid || 0;
}

sub wait_up {
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port_c", Timeout => 1);
        return 1 if $s;
        sleep 0.1;
    }
    return 0;
}

system($httpd, '-f', "$dir/httpd.conf", '-k', 'start') == 0
    or die "cannot start the prefork httpd: see $dir/error_log";
ok t_cmp(wait_up(), 1, 'the prefork httpd with the module and mod_status starts');

END {
    if (my $pid = server_pid()) {
        kill 'TERM', $pid;
        for (1 .. 50) { last unless kill 0, $pid; sleep 0.1 }
    }
}

sub http {
    my ($port, $request) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10)
        or return 0;
    print $s $request;
    local $/;
    my $data = <$s> // '';
    my ($code) = $data =~ m{^HTTP/1\.\d (\d{3})};
    return wantarray ? ($code // 0, $data) : ($code // 0);
}

sub status_auto {
    my (undef, $data) = http($port_c, "GET /server-status?auto HTTP/1.0\r\n\r\n");
    my %v;
    for (split /\r?\n/, $data) {
        $v{$1} = $2 if /^(LengthRequired\S*): (\d+)$/;
    }
    return (\%v, $data);
}

my %kind = (
    ok        => sub { "POST $_[0] HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello" },
    missing   => sub { "POST $_[0] HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" },
    chunked   => sub { "POST $_[0] HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
    large     => sub { "POST $_[0] HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\nConnection: close\r\n\r\n" . ('x' x 2000) },
    stream    => sub { "POST $_[0] HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" . ("100\r\n" . ('s' x 256) . "\r\n") x 8 . "0\r\n\r\n" },
    get       => sub { "GET $_[0] HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" },
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
ok t_cmp($raw, qr/^(?!.*\[gamma\.test:)/s, 'a host where the module is off is not listed');

# Which server processes served the mix (from %P in the access log).
open my $pl, '<', "$dir/pids_log" or die $!;
my %pids;
while (<$pl>) { $pids{$1}++ if /^(\d+) (\d+) / && $2 != $port_c }
close $pl;
ok t_cmp(scalar(keys %pids) >= 2 ? 1 : 0, 1,
         'the mix was served by several processes (' . scalar(keys %pids) . ')');

# The HTML page shows a table of the same figures.
my (undef, $html) = http($port_c, "GET /server-status HTTP/1.0\r\n\r\n");
ok t_cmp($html, qr{<h2>mod_length_required</h2>}, 'the HTML status page has our section');
ok t_cmp($html, qr{<td>alpha\.test:$port_a</td><td>$want_a{LengthRequiredJudged}</td>},
         'and a row per host with its figures');

# mod_info lists every directive with its one-line description.
my (undef, $info) = http($port_c, "GET /server-info?mod_length_required.c HTTP/1.0\r\n\r\n");
for my $d (qw(LengthRequired LengthRequiredMethods LengthRequiredChunked
              LengthRequiredMaxBody LengthRequiredErrorFormat LengthRequiredHtaccess)) {
    ok t_cmp($info, qr{<dd><tt>$d - <i>[A-Z][^<\n]{20,}</i></tt></dd>},
             "mod_info describes $d in one line");
}

# Graceful restart: the figures stay.
my $pid = server_pid();
kill 'USR1', $pid;
sleep 1;
wait_up();
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
kill 'HUP', $pid;
sleep 1;
wait_up();
my ($hard) = status_auto();
ok t_cmp($hard->{LengthRequiredJudged}, 0, 'a full restart starts the totals from zero');
ok t_cmp($hard->{"LengthRequiredJudged[alpha.test:$port_a]"}, 0, 'and the per-host figures');

# Without mod_status, the module works the same.
(my $nostatus = do { local $/; open my $c, '<', "$dir/httpd.conf" or die; <$c> })
    =~ s/^LoadModule status_module.*\n//m;
$nostatus =~ s{<Location /server-status>.*?</Location>\n}{}s;
open my $nc, '>', "$dir/nostatus.conf" or die $!;
print $nc $nostatus;
close $nc;
kill 'TERM', $pid;
for (1 .. 50) { last unless kill 0, $pid; sleep 0.1 }
system($httpd, '-f', "$dir/nostatus.conf", '-k', 'start') == 0 or die;
ok t_cmp(wait_up(), 1, 'the server starts without mod_status');
ok t_cmp(http($port_a, $kind{missing}->('/up')), 411, 'and still refuses a missing length');
ok t_cmp(http($port_a, $kind{ok}->('/up')), 200, 'and passes a declared one');
ok t_cmp(http($port_c, "GET /server-status?auto HTTP/1.0\r\n\r\n"), 405,
         '(/server-status is now just the reflector: no status handler)');
