package LRBench::Report;
# bench/lib/LRBench/Report.pm: the statistics, the result table, the
# machine's description and the CPU accounting every benchmark script
# prints with (through LRBench.pm,
# which exports all of it).
use strict;
use warnings;
use Exporter qw(import);
use POSIX ();
use Time::HiRes qw(sleep);

our @EXPORT = qw(
    median ratio_stats fmt_ratio commify judge_min add_row print_table
    cpu_busy cpu_seconds own_seconds
);

# ---------------------------------------------------------------------------
# Statistics and the result table
# ---------------------------------------------------------------------------

sub median {
    my @v = sort { $a <=> $b } @_;
    return undef unless @v;
    my $n = @v;
    return $n % 2 ? $v[($n - 1) / 2] : ($v[$n / 2 - 1] + $v[$n / 2]) / 2;
}

# The per-round ratios num/den: their median, minimum and maximum.
sub ratio_stats {
    my ($num, $den) = @_;
    my @r = map { $num->[$_] / $den->[$_] }
            grep { $den->[$_] && defined $num->[$_] } 0 .. $#$num;
    my @s = sort { $a <=> $b } @r;
    return { n => scalar @r, median => median(@r), min => $s[0], max => $s[-1] };
}

sub fmt_ratio {
    my ($st) = @_;
    return 'n/a' unless $st && $st->{n};
    return sprintf('%.3f [%.3f-%.3f]', $st->{median}, $st->{min}, $st->{max});
}

sub commify {
    my $s = sprintf('%.0f', $_[0]);
    1 while $s =~ s/^(-?\d+)(\d{3})/$1,$2/;
    return $s;
}

# A "ratio at least X" target.  When the spread of the ratio is wider than
# the difference being judged, the note says so: the median is then the
# best estimate there is, but the run cannot show an effect that small.
sub judge_min {
    my ($st, $target) = @_;
    return ('n/a', 'no data') unless $st && $st->{n};
    my $verdict = $st->{median} >= $target ? 'PASS' : 'MISS';
    my $half = ($st->{max} - $st->{min}) / 2;
    my $note = '';
    if ($target > 0.9 && $target < 1.0) {
        $note = sprintf('noise +/-%.1f%% > the %.0f%% judged', $half * 100,
                        (1 - $target) * 100) if $half > 1 - $target;
    }
    elsif ($st->{min} < $target && $st->{max} >= $target) {
        $note = 'spread straddles the target';
    }
    return ($verdict, $note);
}

my @TABLE;
sub add_row {
    my ($wl, $figure, $measured, $target, $verdict, $note) = @_;
    push @TABLE, [$wl, $figure, $measured, $target, $verdict // '', $note // ''];
}

# Rows given, or those added so far, as one aligned table; returns the
# PASS and MISS counts.
sub print_table {
    my @rows = @_ ? @_ : @TABLE;
    my @w = (2, 6, 8, 6, 7);
    for my $row (@rows) {
        for my $i (0 .. 4) {
            $w[$i] = length $row->[$i] if length $row->[$i] > $w[$i];
        }
    }
    my $fmt = join('  ', map { "%-${_}s" } @w) . "  %s\n";
    printf $fmt, '#', 'figure', 'measured', 'target', 'verdict', 'note';
    printf $fmt, '-', map({ '-' x $_ } @w[1 .. 4]), '----';
    printf $fmt, @$_ for @rows;
    return (scalar(grep { $_->[4] eq 'PASS' } @rows),
            scalar(grep { $_->[4] eq 'MISS' } @rows));
}

# The machine, the httpd ($apache -v) and the module ($module, a line
# from LRBench's setup) of a run, for its record.
sub machine_of {
    my ($apache, $module) = @_;
    my %m = (module => $module, kernel => (POSIX::uname())[2],
             date => POSIX::strftime('%Y-%m-%d %H:%M UTC', gmtime));
    my $cpu = do { local $/; open my $fh, '<', '/proc/cpuinfo'; <$fh> } // '';
    ($m{cpu}) = $cpu =~ /^model name\s*:\s*(.*)$/m;
    $m{cpu} //= 'unknown';
    $m{cores} = () = $cpu =~ /^processor\s*:/mg;
    ($m{apache}) = `$apache -v 2>&1` =~ /^Server version:\s*(.*)$/m;
    $m{apache} //= 'unknown';
    return \%m;
}

# ---------------------------------------------------------------------------
# How busy others kept the machine (from /proc/stat): throughput ratios of
# a busy run are noisier, and the record should say so.
# ---------------------------------------------------------------------------

sub cpu_fields {
    open my $fh, '<', '/proc/stat' or return (0) x 8;
    my ($line) = grep { /^cpu\s/ } <$fh>;
    $line =~ s/^cpu\s+// if defined $line;
    return map { $_ // 0 } (split ' ', $line // '')[0 .. 7];
}

# The share of all CPUs busy (steal included) over $secs seconds, percent.
sub cpu_busy {
    my ($secs) = @_;
    my @a = cpu_fields();
    sleep $secs;
    my @b = cpu_fields();
    my ($idle, $total) = (0, 0);
    $idle += $b[$_] - $a[$_] for 3, 4;
    $total += $b[$_] - $a[$_] for 0 .. 7;
    return $total > 0 ? 100 * (1 - $idle / $total) : 0;
}

# User, system and steal time of all CPUs in seconds since boot (interrupt
# time is left out: our own loopback traffic shows there without being
# charged to our processes).
my $CLK_TCK = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
sub cpu_seconds {
    my @f = cpu_fields();
    return ($f[0] + $f[1] + $f[2] + $f[7]) / $CLK_TCK;
}

# CPU time of this script and of every process it started and reaped.
sub own_seconds {
    my ($u, $s, $cu, $cs) = times;
    return $u + $s + $cu + $cs;
}

1;
