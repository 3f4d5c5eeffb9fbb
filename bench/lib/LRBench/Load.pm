package LRBench::Load;
# bench/lib/LRBench/Load.pm: the load generators (wrk, ab, h2load) every
# benchmark script drives the instances with, their output parsed the same
# way everywhere, and the A B / B A series of measurements (through
# LRBench.pm, which exports all of it).
use strict;
use warnings;
use Exporter qw(import);
use LRBench::Report qw(median);

our @EXPORT = qw(load load_start load_end measure run_series);

# What the load generators take from LRBench: the options the scripts set
# (%OPT), the bench directory, the 1 KB body, and the process supervisor.
our %OPT;
*OPT = \%LRBench::OPT;
sub spawn_reader { return LRBench::spawn_reader(@_) }
sub reap         { return LRBench::reap(@_) }
sub url_of       { return LRBench::url_of(@_) }

# ---------------------------------------------------------------------------
# Load generators.  A cell says what to send: tool (wrk, ab, h2load), inst,
# path, and optionally method, headers, lua (wrk script in bench/lua/),
# body (ab: POST this file), keepalive (ab -k), refused (a 4xx is the
# expected answer), connections, threads, streams, timeout, latency (wrk:
# its latency distribution).  load($cell, secs => S) or load($cell, n => N)
# returns { rps, total, bad, errors, out }, and with latency p50 and p99 in
# milliseconds: bad counts answers of the wrong class, errors socket errors.  load_start
# and load_end do the same in two halves, for a script that acts on the
# server while the load runs.
# ---------------------------------------------------------------------------

sub load_start {
    my ($c, %a) = @_;
    my $conns = $c->{connections} // $OPT{connections};
    my @cmd;
    if ($c->{tool} eq 'wrk') {
        @cmd = ('wrk', '-t', $c->{threads} // $OPT{threads}, '-c', $conns,
                '-d', "$a{secs}s", '--timeout', ($c->{timeout} // 5) . 's');
        push @cmd, '-s', "$LRBench::BENCH/lua/$c->{lua}" if $c->{lua};
        push @cmd, '--latency' if $c->{latency};
    }
    elsif ($c->{tool} eq 'ab') {
        # -t implies -n 50000; the -n after it lifts that ceiling.
        @cmd = ('ab', '-q', '-c', $conns,
                $a{n} ? ('-n', $a{n}) : ('-t', $a{secs}, '-n', 100_000_000));
        push @cmd, '-k' if $c->{keepalive};
        push @cmd, '-p', $c->{body}, '-T', 'application/octet-stream'
            if $c->{body};
        push @cmd, '-m', $c->{method} if $c->{method};
    }
    else {
        @cmd = ('h2load', '-t', 1, '-c', $conns,
                '-m', $c->{streams} // $OPT{streams},
                $a{n} ? ('-n', $a{n}) : ('-D', $a{secs}),
                '-d', $LRBench::BODY1K, '-H', 'content-type: application/octet-stream');
    }
    push @cmd, map { ('-H', $_) } @{$c->{headers} || []}
        unless $c->{tool} eq 'h2load';
    my ($pid, $fh) = spawn_reader(@cmd, url_of($c->{inst}, $c->{path}));
    # A count of requests is bounded too: callgrind runs them slowly.
    return { c => $c, pid => $pid, fh => $fh,
             timeout => ($a{secs} || 600) + 30 };
}

sub load_end {
    my ($h) = @_;
    my ($rc, $out) = reap($h->{pid}, $h->{fh}, $h->{timeout});
    my $c = $h->{c};
    my %r = (rps => 0, total => 0, errors => 0, non2xx => 0, out => $out);
    if ($c->{tool} eq 'wrk') {
        $r{rps} = $1 if $out =~ /Requests\/sec:\s+([\d.]+)/;
        $r{total} = $1 if $out =~ /(\d+) requests in/;
        $r{non2xx} = $1 if $out =~ /Non-2xx or 3xx responses:\s+(\d+)/;
        $r{errors} = $1 + $2 + $3 + $4 if $out =~
            /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/;
        my %unit = (us => 0.001, ms => 1, s => 1000);
        for my $p (50, 99) {
            $r{"p$p"} = $1 * $unit{$2}
                if $out =~ /^\s+$p%\s+([\d.]+)(us|ms|s)\s*$/m;
        }
    }
    elsif ($c->{tool} eq 'ab') {
        $r{rps} = $1 if $out =~ /Requests per second:\s+([\d.]+)/;
        $r{total} = $1 if $out =~ /Complete requests:\s+(\d+)/;
        $r{non2xx} = $1 if $out =~ /Non-2xx responses:\s+(\d+)/;
        # ab counts responses still in flight at the time limit as non-2xx.
        $r{non2xx} = $r{total} if $r{non2xx} > $r{total};
        $r{errors} = $1 if $out =~ /Failed requests:\s+(\d+)/;
    }
    else {
        $r{rps} = $1 if $out =~ /finished in [\d.]+\w*, ([\d.]+) req\/s/;
        if ($out =~ /requests: \d+ total, \d+ started, (\d+) done, \d+ succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/) {
            $r{total} = $1;
            $r{errors} = $2 + $3 + $4;
        }
        $r{non2xx} = $r{total} - $1 if $out =~ /status codes: (\d+) 2xx/;
    }
    $r{bad} = $c->{refused} ? $r{total} - $r{non2xx} : $r{non2xx};
    $r{errors}++ if $rc != 0;
    return \%r;
}

sub load { return load_end(load_start(@_)) }

sub measure {
    my ($c, $secs) = @_;
    my $r = load($c, secs => $secs);
    die "bench: $c->{tool} against '$c->{label}' measured nothing:\n$r->{out}"
        unless $r->{rps};
    return $r;
}

# Measure the cells A B C, C B A, A B C ... for $rounds rounds of $secs
# seconds (the reversal cancels a steady drift), after one unrecorded
# warm-up of $warmup seconds each.  The warm-up is also the check that the
# setup is what the figures claim: a cell that answers with the wrong class
# there (200 where 411 is meant, or the reverse) stops the run.  Returns
# (label => [rate per round], [warnings]).
sub run_series {
    my ($cells, $rounds, $secs, $warmup) = @_;
    my (%v, %p, @warn);
    for my $c (@$cells) {
        my $r = measure($c, $warmup);
        die sprintf("bench: %s answered %d of %d requests with the wrong "
                    . "class in the warm-up: not measuring a broken setup\n",
                    $c->{label}, $r->{bad}, $r->{total})
            if $r->{bad} > $r->{total} / 100;
    }
    for my $round (1 .. $rounds) {
        my %this;
        for my $c ($round % 2 ? @$cells : reverse @$cells) {
            my $r = measure($c, $secs);
            $this{$c->{label}} = $r->{rps};
            $p{$c->{label}}{$_} += $r->{$_} for qw(bad errors);
        }
        push @{$v{$_->{label}}}, $this{$_->{label}} for @$cells;
        printf "  round %d/%d: %s\n", $round, $rounds,
            join('  ', map { sprintf('%s %.0f/s', $_, $this{$_}) }
                       map { $_->{label} } @$cells);
    }
    for my $c (map { $_->{label} } @$cells) {
        printf "  %-28s median %8.0f req/s  [%.0f-%.0f]\n", $c,
            median(@{$v{$c}}), (sort { $a <=> $b } @{$v{$c}})[0, -1];
        push @warn, sprintf('WARNING %s: %d answers of the wrong class, %d '
                            . 'errors over all rounds', $c, $p{$c}{bad},
                            $p{$c}{errors})
            if $p{$c}{bad} || $p{$c}{errors};
    }
    print "  $_\n" for @warn;
    return (\%v, \@warn);
}
1;
