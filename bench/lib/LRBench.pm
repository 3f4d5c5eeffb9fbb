package LRBench;
# bench/lib/LRBench.pm: what every benchmark script shares.
#
# One launcher for private Apache instances (generated from bench/conf/*.conf,
# 127.0.0.1 only, a free port in 12000-12999), one supervisor that stops
# everything the script started whatever way it ends, and, exported from
# here too, the load generators (wrk, ab, h2load: LRBench/Load.pm) and the
# statistics and the result table (LRBench/Report.pm).  bench/run,
# bench/callgrind, bench/restart-under-load, bench/buffer and bench/quota
# use it, so none of them has a launcher of its own.
use strict;
use warnings;
no warnings qw(exec);   # the lines after an exec report its failure
use Cwd qw(abs_path);
use Digest::MD5 ();
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Path qw(rmtree);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);
use LRBench::Report;
use LRBench::Load;

our @EXPORT = (qw(
    $ROOT $BENCH $TMP $MODULE_SO $DOCROOT $BODY1K
    setup spawn_reader run_cmd reap slurp spew work_dir
    make_instance start_instance start_side stop_instance url_of machine
    alloc_port port_open
), @LRBench::Report::EXPORT, @LRBench::Load::EXPORT);

our $ROOT   = abs_path(dirname(abs_path(__FILE__)) . '/../..');
our $BENCH  = "$ROOT/bench";
our $APACHE = '/usr/sbin/apache2';
# httpd's module directory, as apxs reports it (setup checks it).
our $MODDIR = `apxs -q LIBEXECDIR 2>/dev/null` // '';
chomp $MODDIR;
# The range every bench instance takes its port from, and no other: the
# test suites and the other developers' servers stay out of it.
our ($PORT_LO, $PORT_HI) = (12000, 12999);

# Options the load generators read; the scripts set them from their own
# command lines.
our %OPT = (connections => 8, threads => 1, streams => 10, keep => 0);

our ($TMP, $MODULE_SO, $MODULE_INFO, $DOCROOT, $BODY1K);

# ---------------------------------------------------------------------------
# Supervision: every process started here is recorded and stopped on exit,
# on an error, on Ctrl-C and on SIGTERM/SIGHUP; the temporary directory goes
# with them (unless --keep).
# ---------------------------------------------------------------------------

my $MAIN_PID = $$;
my %SERVERS;    # pid => name; each leads a process group of its own
my %KIDS;       # pid => 1: load generators, clients

sub cleanup {
    return unless $$ == $MAIN_PID;
    kill 'TERM', $_ for keys %KIDS;
    stop_server($_) for keys %SERVERS;
    # A child may be a bench script stopping servers of its own (bench/run
    # runs bench/callgrind): give it the time its own stop_server takes.
    my $deadline = time + 20;
    while (%KIDS && time < $deadline) {
        for my $pid (keys %KIDS) {
            delete $KIDS{$pid} if waitpid($pid, POSIX::WNOHANG()) != 0;
        }
        sleep 0.1 if %KIDS;
    }
    for my $pid (keys %KIDS) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
        delete $KIDS{$pid};
    }
    if ($TMP && -d $TMP) {
        if ($OPT{keep}) { print STDERR "bench: kept $TMP\n" }
        else            { rmtree($TMP) }
        undef $TMP;
    }
}

for my $sig (qw(INT TERM HUP)) {
    $SIG{$sig} = sub {
        print STDERR "\nbench: caught SIG$sig, stopping everything\n";
        cleanup();
        POSIX::_exit(130);
    };
}
$SIG{PIPE} = 'IGNORE';
END { my $rc = $?; cleanup(); $? = $rc; }

# Start a command, or a Perl sub in a child process, with stdout and
# stderr on a pipe; returns (pid, fh).
sub spawn_reader {
    my (@cmd) = @_;
    pipe(my $r, my $w) or die "bench: pipe: $!\n";
    my $pid = fork;
    die "bench: fork: $!\n" unless defined $pid;
    if (!$pid) {
        close $r;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>&', $w;
        open STDERR, '>&', $w;
        if (ref $cmd[0] eq 'CODE') {    # a client written in Perl
            $| = 1;
            eval { $cmd[0]->(); 1 } or print STDERR $@;
            POSIX::_exit($@ ? 1 : 0);
        }
        exec { $cmd[0] } @cmd;
        print STDERR "bench: cannot run $cmd[0]: $!\n";
        POSIX::_exit(127);
    }
    close $w;
    $KIDS{$pid} = 1;
    return ($pid, $r);
}

# Read what a spawned command prints until it ends or $timeout seconds
# pass (then it is killed); returns (exit status or -1, output).  $echo
# passes the output through as it comes.
sub reap {
    my ($pid, $r, $timeout, $echo) = @_;
    my $sel = IO::Select->new($r);
    my $deadline = time + $timeout;
    my ($out, $timed_out) = ('', 0);
    while (1) {
        my $left = $deadline - time;
        if ($left <= 0) {
            $timed_out = 1;
            kill 'TERM', $pid;
            sleep 0.5;
            kill 'KILL', $pid if kill 0, $pid;
            last;
        }
        next unless $sel->can_read($left);
        my $n = sysread($r, my $buf, 65536);
        last unless $n;
        $out .= $buf;
        print $buf if $echo;
    }
    close $r;
    waitpid($pid, 0);
    my $rc = $?;
    delete $KIDS{$pid};
    $out .= "\n[bench: timed out after ${timeout}s]\n" if $timed_out;
    return ($timed_out ? -1 : $rc, $out);
}

sub run_cmd {
    my ($timeout, @cmd) = @_;
    return reap(spawn_reader(@cmd), $timeout);
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    binmode $fh;
    local $/;
    return scalar <$fh>;
}

sub spew {
    my ($path, $text, $mode) = @_;
    open my $fh, '>', $path or die "bench: write $path: $!\n";
    binmode $fh;
    print $fh $text;
    close $fh or die "bench: write $path: $!\n";
    chmod $mode, $path if defined $mode;
}

# ---------------------------------------------------------------------------
# Setup: the temporary directory, one private copy of the module (so that
# a rebuild during the run cannot mix two builds in one set of figures),
# the document tree.  %a: so => another build, tools => [commands needed],
# modules => [Debian module names needed].
# ---------------------------------------------------------------------------

my $IS_ROOT = ($> == 0);
my ($NOBODY_UID, $NOGROUP_GID, $NOGROUP_NAME);

sub setup {
    my (%a) = @_;
    chdir $ROOT or die "bench: cd $ROOT: $!\n";
    my $src = $a{so} ? abs_path($a{so}) : "$ROOT/.libs/mod_length_required.so";
    if (!$a{so} && !-f $src) {
        print "bench: building the module (make)\n";
        system('make') == 0 or die "bench: make failed\n";
    }
    die "bench: no module at $src\n" unless $src && -f $src;
    my @missing = grep { my $t = $_; !grep { -x "$_/$t" } split /:/, $ENV{PATH} }
                  @{$a{tools} || []};
    push @missing, $APACHE unless -x $APACHE;
    push @missing, 'apxs -q LIBEXECDIR (apache2-dev)' unless -d $MODDIR;
    push @missing, grep { !-f } map { "$MODDIR/mod_$_.so" }
                   qw(mpm_event authz_core mime reflector), @{$a{modules} || []};
    die "bench: missing: @missing\n"
      . "bench: `make bench` installs them as root (scripts/deps bench)\n"
        if @missing;
    if ($IS_ROOT) {
        # Servers run as nobody: Apache refuses to serve as root, and a
        # callgrind run (apache2 -X does not switch users) drops to it.
        $NOBODY_UID = getpwnam('nobody');
        ($NOGROUP_NAME) = grep { defined getgrnam($_) } qw(nogroup nobody);
        die "bench: no user nobody or group nogroup\n"
            unless defined $NOBODY_UID && $NOGROUP_NAME;
        $NOGROUP_GID = getgrnam($NOGROUP_NAME);
    }
    $TMP = tempdir('lr-bench.XXXXXX', TMPDIR => 1);
    chmod 0755, $TMP;
    my $bytes = slurp($src);
    die "bench: cannot read $src\n" unless length $bytes;
    $MODULE_SO = "$TMP/mod_length_required.so";
    spew($MODULE_SO, $bytes, 0644);
    $MODULE_INFO = sprintf('%s (md5 %s, built %s)', $src,
        Digest::MD5::md5_hex($bytes),
        POSIX::strftime('%Y-%m-%d %H:%M UTC', gmtime((stat $src)[9])));
    $DOCROOT = "$TMP/htdocs";
    $BODY1K = "$TMP/body1k";
    mkdir $DOCROOT, 0755;
    spew("$DOCROOT/static.txt",     # the 512-byte file of every GET
         substr("mod_length_required benchmark, static file\n" x 12, 0, 511)
         . "\n", 0644);
    spew($BODY1K, 'x' x 1024, 0644);
}

# ---------------------------------------------------------------------------
# Instances
# ---------------------------------------------------------------------------

# A free port in the range, never the same one twice in a run: for an
# instance (make_instance takes one itself) or a process it depends on,
# such as memcached or redis-server started with start_side.
my %PORT_TAKEN;
sub alloc_port {
    for my $p ($PORT_LO .. $PORT_HI) {
        next if $PORT_TAKEN{$p};
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $p, Proto => 'tcp',
                                      Listen => 1, ReuseAddr => 1) or next;
        close $s;
        $PORT_TAKEN{$p} = 1;
        return $p;
    }
    die "bench: no free port in 127.0.0.1:$PORT_LO-$PORT_HI\n";
}

# Whether something accepts connections on 127.0.0.1:$port.
sub port_open {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return $s && close $s;
}

# A directory under the temporary one that the servers may write in (when
# the script runs as root they run as nobody): a spool, a PHP-FPM pool's.
sub work_dir {
    my ($name) = @_;
    my $dir = "$TMP/$name";
    mkdir $dir, 0755 or die "bench: mkdir $dir: $!\n";
    chown $NOBODY_UID, $NOGROUP_GID, $dir if $IS_ROOT;
    return $dir;
}

# Generate one instance's directory and httpd.conf from bench/conf/: the
# files named in @$parts, in order, with the @...@ placeholders filled in
# (a later file may override an earlier one's directive).  %a: setuid => 0
# leaves out User/Group (callgrind: the whole process runs unprivileged);
# vars => { NAME => value } adds placeholders of the script's own.
sub make_instance {
    my ($name, $parts, %a) = @_;
    my $dir = "$TMP/$name";
    mkdir $dir, 0755 or die "bench: mkdir $dir: $!\n";
    my $port = alloc_port();
    my $user = ($IS_ROOT && ($a{setuid} // 1))
        ? "User nobody\nGroup $NOGROUP_NAME" : '';
    my %var = (DIR => $dir, PORT => $port, MODDIR => $MODDIR,
               DOCROOT => $DOCROOT, MODULE_SO => $MODULE_SO,
               USER_GROUP => $user, BENCH => $BENCH, %{$a{vars} || {}});
    my $conf = '';
    for my $part (@$parts) {
        my $text = slurp("$BENCH/conf/$part.conf");
        die "bench: missing bench/conf/$part.conf\n" unless length $text;
        $text =~ s/\@([A-Z_]+)\@/exists $var{$1} ? $var{$1}
                                 : die "bench: unknown \@$1\@ in $part.conf\n"/ge;
        $conf .= "\n# ---- bench/conf/$part.conf ----\n" . $text;
    }
    spew("$dir/httpd.conf", $conf);
    chown $NOBODY_UID, $NOGROUP_GID, $dir if $IS_ROOT && !($a{setuid} // 1);
    my ($rc, $out) = run_cmd(30, $APACHE, '-t', '-f', "$dir/httpd.conf");
    die "bench: configuration of '$name' does not pass apache2 -t:\n$out"
        if $rc != 0;
    return { name => $name, dir => $dir, port => $port,
             conf => "$dir/httpd.conf", log => "$dir/error.log" };
}

# Start @$cmd (an instance, or a process instances depend on, such as a
# PHP-FPM pool in a work_dir) in a process group of its own, stopped with
# the instances whatever way the script ends, output in $dir/console.log;
# returns { name, dir, pid } for stop_instance once $ready->() is true.
# %a: setuid => 1 (as nobody when root), timeout (30 s), log (shown if
# it fails).
sub start_side {
    my ($name, $dir, $cmd, $ready, %a) = @_;
    my $pid = fork;
    die "bench: fork: $!\n" unless defined $pid;
    if (!$pid) {
        setpgrp(0, 0);
        if ($a{setuid} && $IS_ROOT) {
            $) = "$NOGROUP_GID $NOGROUP_GID";
            POSIX::setgid($NOGROUP_GID) or POSIX::_exit(126);
            POSIX::setuid($NOBODY_UID) or POSIX::_exit(126);
        }
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/console.log";
        open STDERR, '>&', \*STDOUT;
        exec { $cmd->[0] } @$cmd;
        POSIX::_exit(127);
    }
    $SERVERS{$pid} = $name;
    my $timeout = $a{timeout} // 30;
    my ($deadline, $why) = (time + $timeout, "not up after ${timeout}s");
    while (time < $deadline) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            delete $SERVERS{$pid};
            $why = 'exited at startup';
            last;
        }
        return { name => $name, dir => $dir, pid => $pid } if $ready->();
        sleep 0.1;
    }
    stop_server($pid);
    die "bench: $name $why:\n" . ($a{log} ? slurp($a{log}) : '')
        . slurp("$dir/console.log");
}

# Start an instance.  Normally "apache2 -D FOREGROUND", up once it accepts
# a connection.  With %a = (wrap => [valgrind ...]) it is "WRAP apache2 -X"
# as nobody, up once its pid file is written (the listener is open by
# then): a probing connection would be counted.
sub start_instance {
    my ($inst, %a) = @_;
    my @cmd = $a{wrap} ? (@{$a{wrap}}, $APACHE, '-X', '-f', $inst->{conf})
                       : ($APACHE, '-f', $inst->{conf}, '-D', 'FOREGROUND');
    my $ready = $a{wrap} ? sub { -s "$inst->{dir}/httpd.pid" && sleep 0.5 }
                         : sub { port_open($inst->{port}) };
    $inst->{pid} = start_side("instance '$inst->{name}'", $inst->{dir}, \@cmd,
                              $ready, setuid => $a{wrap},
                              timeout => $a{wrap} ? 120 : 30,
                              log => $inst->{log})->{pid};
    return $inst;
}

sub stop_server {
    my ($pid) = @_;
    return unless $SERVERS{$pid};
    kill 'TERM', $pid;
    my $deadline = time + 15;
    while (time < $deadline) {
        last if waitpid($pid, POSIX::WNOHANG()) == $pid;
        sleep 0.1;
    }
    if (kill 0, $pid) {
        kill 'KILL', -$pid;     # the group start_instance created for it
        waitpid($pid, 0);
    }
    delete $SERVERS{$pid};
}

sub stop_instance { stop_server(delete $_[0]{pid}) if $_[0]{pid} }

sub url_of { return "http://127.0.0.1:$_[0]{port}$_[1]" }


# The machine, httpd and module a run measured (LRBench/Report.pm).
sub machine { return LRBench::Report::machine_of($APACHE, $MODULE_INFO) }

1;
