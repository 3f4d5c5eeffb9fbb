package LRBench;
# bench/lib/LRBench.pm: what every benchmark script shares.
#
# Private Apache instances generated from bench/conf/*.conf (127.0.0.1
# only, a free port in 12000-12999), the load generators and clients the
# scripts start (stopped whatever way the script ends), and, exported from
# here too, the load generators' drivers (wrk, ab, h2load: LRBench/Load.pm)
# and the statistics and the result table (LRBench/Report.pm).  The
# servers themselves, and memcached, redis-server and PHP-FPM, are started
# and stopped by t/lib/LRServer.pm, the tests' library: the scripts put
# t/lib in @INC (use lib "$FindBin::Bin/../t/lib").  bench/run,
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
use POSIX ();
use Time::HiRes qw(time sleep);
use LRServer qw(free_port start_httpd stop_daemon httpd_syntax);
use LRBench::Report;
use LRBench::Load;

our @EXPORT = (qw(
    $ROOT $BENCH $TMP $MODULE_SO $DOCROOT $BODY1K
    setup spawn_reader run_cmd reap slurp spew work_dir
    make_instance start_instance stop_instance url_of machine
), @LRBench::Report::EXPORT, @LRBench::Load::EXPORT);

our $ROOT   = abs_path(dirname(abs_path(__FILE__)) . '/../..');
our $BENCH  = "$ROOT/bench";
our $APACHE = '/usr/sbin/apache2';
$LRServer::HTTPD = $APACHE;
# httpd's module directory, as apxs reports it (setup checks it).
our $MODDIR = `apxs -q LIBEXECDIR 2>/dev/null` // '';
chomp $MODDIR;
# The range every bench instance and daemon takes its port from, and no
# other: the test suites and the other developers' servers stay out of it.
@LRServer::PORT_RANGE = (12000, 12999);

# Options the load generators read; the scripts set them from their own
# command lines.
our %OPT = (connections => 8, threads => 1, streams => 10, keep => 0);

our ($TMP, $MODULE_SO, $MODULE_INFO, $DOCROOT, $BODY1K);

# ---------------------------------------------------------------------------
# Supervision: every client started here (load generators, a bench script
# run by another) is stopped on exit, on an error, on Ctrl-C and on
# SIGTERM/SIGHUP (LRServer turns those into an exit), then the servers
# (LRServer's stop_daemon), then the temporary directory goes (unless
# --keep).
# ---------------------------------------------------------------------------

my $MAIN_PID = $$;
my %KIDS;       # pid => 1: load generators, clients

sub cleanup {
    return unless $$ == $MAIN_PID;
    kill 'TERM', $_ for keys %KIDS;
    # A child may be a bench script stopping servers of its own (bench/run
    # runs bench/callgrind): give it the time its own stop_daemon takes.
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
    stop_daemon();
    if ($TMP && -d $TMP) {
        if ($OPT{keep}) { print STDERR "bench: kept $TMP\n" }
        else            { rmtree($TMP) }
        undef $TMP;
    }
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
    my $port = free_port();
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
    my $check = httpd_syntax("$dir/httpd.conf");
    die "bench: configuration of '$name' does not pass apache2 -t:\n"
        . $check->{out} if $check->{rc} != 0;
    return { name => $name, dir => $dir, port => $port,
             conf => "$dir/httpd.conf", log => "$dir/error.log" };
}

# Start an instance.  Normally "apache2 -D FOREGROUND", up once it accepts
# a connection.  With %a = (wrap => [valgrind ...]) it is "WRAP apache2 -X"
# as nobody, up once its pid file is written (the listener is open by
# then): a probing connection would be counted.
sub start_instance {
    my ($inst, %a) = @_;
    my $d = start_httpd($inst->{conf}, name => "instance '$inst->{name}'",
        log => $inst->{log},
        $a{wrap} ? (wrap => $a{wrap}, user => 'nobody', timeout => 120,
                    ready => sub { -s "$inst->{dir}/httpd.pid" && sleep 0.5 })
                 : (ports => [$inst->{port}]));
    die "bench: $d->{why}\n" unless $d->{up};
    $inst->{daemon} = $d;
    $inst->{pid} = $d->{pid};
    return $inst;
}

sub stop_instance {
    my ($inst) = @_;
    stop_daemon(delete $inst->{daemon}) if $inst->{daemon};
    delete $inst->{pid};
}

sub url_of { return "http://127.0.0.1:$_[0]{port}$_[1]" }


# The machine, httpd and module a run measured (LRBench/Report.pm).
sub machine { return LRBench::Report::machine_of($APACHE, $MODULE_INFO) }

1;
