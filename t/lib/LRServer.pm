package LRServer;
# Private servers on 127.0.0.1 for the tests (t/) and the benchmarks
# (bench/): free ports, daemons started in the background and waited for,
# httpd on a configuration of its own, a PHP-FPM pool; all of them stopped
# when the script ends, whatever way it ends (normal exit, die, Ctrl-C,
# SIGTERM, SIGHUP).  It needs neither Apache::Test nor a configured suite,
# so the benchmarks use it as the tests do (use lib "$FindBin::Bin/../t/lib").
#
#   free_port()               a TCP port on 127.0.0.1 that nothing listens
#                             on and that this process has not handed out
#                             before; from @PORT_RANGE when that is set
#   port_open(PORT)           whether something accepts on 127.0.0.1:PORT
#   start_daemon(NAME, %o)    a daemon, waited for; returns a handle (below)
#   stop_daemon(D)            stops it: SIGCONT and SIGTERM, then SIGKILL to
#                             its process group after 20 s; 1 if it exited
#                             on SIGTERM.  No argument: every daemon this
#                             process started.
#   start_httpd(CONF, %o)     "apache2 -f CONF -D FOREGROUND" as a daemon;
#                             %o: ports to wait for, wrap => [valgrind ...]
#                             for "WRAP apache2 -X -f CONF", and any option
#                             of start_daemon
#   restart_httpd(D, SIG, LOG) USR1 (graceful) or HUP to the parent of D (a
#                             handle or a pid), then waits up to 60 s for
#                             its error log LOG to show the restart done; 1
#                             or 0
#   httpd_syntax(CONF)        "apache2 -t": { rc, out }
#   php_fpm_program()         Debian's php-fpm, or undef
#   start_php_fpm(DIR, %o)    a private pool (config, pid, logs in DIR) on
#                             the Unix socket $o{sock} (DIR/php.sock):
#                             %o: children (2), ini => { php_admin_value },
#                             and any option of start_daemon
#
# start_daemon(NAME, %o) runs a command in a process group of its own, in
# the directory $o{dir} (default: a fresh temporary one), its output in
# console.log there, and waits until it is ready.  NAME alone starts a
# known daemon: memcached or redis-server (nothing written to disk).
#   cmd      [program, arguments]; '@PORT@' in an argument is the port
#   args     more arguments, after those of cmd or of a known daemon
#   port     the port '@PORT@' stands for (default: free_port())
#   ports    more ports that must accept connections before it is ready
#   ready    a sub saying it is ready (default: its ports accept)
#   timeout  seconds it has to get ready (default 30)
#   user     when the script runs as root, the user to run it as
#   log      a file to show the end of when it does not get ready
# The handle: { name, pid, port, dir, up, why }.  When the daemon does not
# get ready, up is 0 and why says what happened, with its output; it is
# stopped then.  To freeze one, kill 'STOP', $d->{pid}: stop_daemon
# resumes it before it stops it.
#
# $HTTPD is the httpd binary (LRTest sets it to the suite's).
use strict;
use warnings;
use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Socket::INET ();
use IO::Socket::UNIX ();
use POSIX ();
use Time::HiRes qw(time sleep);

our @EXPORT_OK = qw(free_port port_open start_daemon stop_daemon
                    start_httpd restart_httpd httpd_syntax php_fpm_program
                    start_php_fpm);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

our $HTTPD = '/usr/sbin/apache2';
our @PORT_RANGE;    # (low, high); empty: any port the kernel gives

my %KNOWN = (
    memcached => ['memcached', '-l', '127.0.0.1', '-p', '@PORT@', '-U', '0'],
    'redis-server' => ['redis-server', '--port', '@PORT@', '--bind',
                       '127.0.0.1', '--save', '', '--appendonly', 'no'],
);

# Ports

my %taken;

sub free_port {
    my @try = @PORT_RANGE ? ($PORT_RANGE[0] .. $PORT_RANGE[1]) : (0) x 20;
    for my $want (@try) {
        next if $taken{$want};
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $want, Listen => 1,
                                      ReuseAddr => 1) or next;
        my $port = $s->sockport;
        close $s;
        next if $taken{$port};
        $taken{$port} = 1;
        return $port;
    }
    die 'no free port on 127.0.0.1'
        . (@PORT_RANGE ? " in $PORT_RANGE[0]-$PORT_RANGE[1]" : '') . "\n";
}

sub port_open {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 1) or return 0;
    close $s;
    return 1;
}

# Daemons

my $OWNER = $$;     # only the process that started a daemon stops it
my %running;        # pid => handle

# What file $file holds from offset $from on ('' if it does not exist).
sub _read_from {
    my ($file, $from) = @_;
    open my $fh, '<', $file or return '';
    seek $fh, $from || 0, 0;
    local $/;
    return scalar(<$fh>) // '';
}

# The same, its last 4000 characters at most: output to show.
sub _tail {
    my $text = _read_from(@_);
    return length $text > 4000 ? '...' . substr($text, -4000) : $text;
}

sub start_daemon {
    my ($name, %o) = @_;
    my @cmd = @{ $o{cmd} || $KNOWN{$name}
                 || die "start_daemon: no command for $name\n" };
    push @cmd, @{ $o{args} || [] };
    my $port = $o{port};
    $port //= free_port() if grep { /\@PORT\@/ } @cmd;
    s/\@PORT\@/$port/g for @cmd;
    my @ports = grep { defined } $port, @{ $o{ports} || [] };
    my $ready = $o{ready}
        || sub { !grep { !port_open($_) } @ports };
    die "start_daemon: nothing tells when $name is ready\n"
        unless $o{ready} || @ports;
    my $dir = $o{dir} || tempdir(CLEANUP => 1);
    my $console = "$dir/console.log";
    my $from = -s $console || 0;

    my ($uid, $gid);
    ($uid, $gid) = (getpwnam $o{user})[2, 3] if $o{user} && $> == 0;
    die "start_daemon: no user $o{user}\n" if $o{user} && $> == 0 && !defined $uid;
    my $pid = fork;
    die "start_daemon: fork: $!\n" unless defined $pid;
    if (!$pid) {
        setpgrp(0, 0);
        if (defined $uid) {
            $) = "$gid $gid";
            POSIX::setgid($gid) or POSIX::_exit(126);
            POSIX::setuid($uid) or POSIX::_exit(126);
        }
        chdir $dir;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $console;
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec'; exec { $cmd[0] } @cmd; }
        print STDERR "cannot run $cmd[0]: $!\n";
        POSIX::_exit(127);
    }
    my $d = { name => $name, pid => $pid, port => $port, dir => $dir,
              up => 0, why => '' };
    $running{$pid} = $d;
    my $timeout = $o{timeout} || 30;
    my $until = time + $timeout;
    while (1) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            delete $running{$pid};
            $d->{why} = "$name exited at startup (status " . ($? >> 8) . ')';
            last;
        }
        if ($ready->()) {
            $d->{up} = 1;
            return $d;
        }
        if (time > $until) {
            $d->{why} = "$name was not ready after $timeout s";
            stop_daemon($d);
            last;
        }
        sleep 0.05;
    }
    $d->{why} .= ":\n" . _tail($console, $from)
        . ($o{log} ? _tail($o{log}) : '');
    return $d;
}

sub stop_daemon {
    return !grep { !stop_daemon($_) } values %running unless @_;
    my ($d) = @_;
    my $pid = ref $d ? $d->{pid} : $d;
    return 1 unless $pid && $running{$pid};
    delete $running{$pid};
    kill 'CONT', -$pid;     # a daemon frozen with SIGSTOP hears nothing
    kill 'TERM', $pid;
    my $until = time + 20;
    while (time < $until) {
        return 1 if waitpid($pid, POSIX::WNOHANG()) == $pid;
        sleep 0.05;
    }
    kill 'KILL', -$pid;
    waitpid $pid, 0;
    return 0;
}

END {
    if ($$ == $OWNER) {
        local $?;
        stop_daemon();
    }
}

# Ctrl-C, SIGTERM and SIGHUP end the script through exit, so that every
# END block runs (this one stops the daemons).  A handler the script set
# before loading this file is left alone.
my %signo = (HUP => 1, INT => 2, TERM => 15);
for my $sig (sort keys %signo) {
    next if $SIG{$sig} && $SIG{$sig} ne 'DEFAULT';
    $SIG{$sig} = sub {
        POSIX::_exit(128 + $signo{$sig}) unless $$ == $OWNER;
        print STDERR "\n$0: caught SIG$sig, stopping its servers\n";
        exit 128 + $signo{$sig};
    };
}

# httpd

sub start_httpd {
    my ($conf, %o) = @_;
    my @cmd = $o{wrap} ? (@{ $o{wrap} }, $HTTPD, '-X', '-f', $conf)
                       : ($HTTPD, '-f', $conf, '-D', 'FOREGROUND');
    (my $dir = $conf) =~ s{/[^/]*$}{};
    return start_daemon($o{name} || "httpd -f $conf", cmd => \@cmd,
                        dir => $dir, %o);
}

sub restart_httpd {
    my ($d, $signal, $log, %o) = @_;
    my $pid = ref $d ? $d->{pid} : $d;
    my $requested = $signal eq 'USR1'
        ? qr/SIGUSR1 received|Graceful restart requested/
        : qr/SIGHUP received/;
    my $mark = -s $log || 0;
    kill $signal, $pid or return 0;
    my $until = time + ($o{timeout} || 60);
    while (time < $until) {
        # The listeners stay open through a restart: only the parent's
        # own lines say that it is done.
        return 1 if _read_from($log, $mark) =~
            /$requested.*\n.*resuming normal operations/s;
        sleep 0.1;
    }
    return 0;
}

sub httpd_syntax {
    my ($conf) = @_;
    my $out = `'$HTTPD' -t -f '$conf' 2>&1`;
    return { rc => $? >> 8, out => $out };
}

# PHP-FPM

sub php_fpm_program {
    my ($fpm) = grep { -x } '/usr/sbin/php-fpm8.2', sort glob '/usr/sbin/php-fpm*';
    return $fpm;
}

sub start_php_fpm {
    my ($dir, %o) = @_;
    my $fpm = php_fpm_program()
        or return { up => 0, why => 'php-fpm is not installed (package php-fpm)' };
    my $sock = delete $o{sock} || "$dir/php.sock";
    my $ini = delete $o{ini} || {};
    my $children = delete $o{children} || 2;
    unlink $sock;
    my $conf = "$dir/php-fpm.conf";
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh <<"EOC";
[global]
pid = $dir/php-fpm.pid
error_log = $dir/php-fpm.log
daemonize = no

[lr]
listen = $sock
listen.mode = 0666
pm = static
pm.max_children = $children
catch_workers_output = yes
clear_env = no
EOC
    print $fh "php_admin_value[$_] = $ini->{$_}\n" for sort keys %$ini;
    close $fh or die "$conf: $!";
    return start_daemon('php-fpm',
        cmd => [$fpm, '-F', '-n', '-y', $conf, '-p', $dir], dir => $dir,
        ready => sub { -S $sock && IO::Socket::UNIX->new(Peer => $sock) },
        timeout => 20, log => "$dir/php-fpm.log", %o);
}

1;
