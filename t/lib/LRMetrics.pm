package LRMetrics;
# Helpers of the metrics tests (t/metrics/*.t): a reader of the text
# exposition format and of mod_status's ?auto lines, keyed the same way so
# that the two can be compared series by series; the mix of requests that
# t/conf/metrics.conf.in's name-based hosts alpha and beta answer, with
# what it adds to each of their series; and a way to send it.
#
# A series is named "family{vhost}" or "family{vhost,reason}", with the
# label values as they are once the format's escapes are undone.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use LRTest qw(http_request raw_request chunked parse_auto);

our @EXPORT_OK = qw(parse_metrics parse_auto series_of_key fetch
                    send_mix mix_adds alpha beta quote_host
                    %SERIES_OF_KEY @FAMILIES @REASONS);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# Each ?auto key, and the series that must show the same figure.  A new
# counter needs a line here as well as in lr_metrics.c: a key with none
# fails the comparison (series_of_key).
our %SERIES_OF_KEY = (
    LengthRequiredJudged               => ['length_required_judged_total'],
    LengthRequiredRefusedMissingLength => ['length_required_refused_total', 'missing_length'],
    LengthRequiredRefusedChunked       => ['length_required_refused_total', 'chunked'],
    LengthRequiredRefusedTooLarge      => ['length_required_refused_total', 'too_large'],
    LengthRequiredStreamTooLarge       => ['length_required_refused_total', 'stream_too_large'],
    LengthRequiredWouldRefuse          => ['length_required_would_refuse_total'],
    LengthRequiredRefusedStrict        => ['length_required_refused_total', 'strict'],
    LengthRequiredStreamCut            => ['length_required_stream_cut_total'],
    LengthRequiredBuffered             => ['length_required_buffered_total'],
    LengthRequiredBufferedToFile       => ['length_required_buffered_to_file_total'],
    LengthRequiredRefusedQuota         => ['length_required_refused_total', 'quota'],
    LengthRequiredQuotaStoreErrors     => ['length_required_quota_store_errors_total'],
    LengthRequiredRefusedUploadMax     => ['length_required_refused_total', 'upload_max'],
    LengthRequiredQuotaStoreGivenUp    => ['length_required_quota_store_given_up_total'],
);

# The series name of ?auto key $key for host $vhost, or undef for a key
# this table does not know.
sub series_of_key {
    my ($key, $vhost) = @_;
    my $s = $SERIES_OF_KEY{$key} or return undef;
    return join '', $s->[0], '{', join(',', $vhost, @$s[1 .. $#$s]), '}';
}

# A body in the text exposition format: { series => { name => value },
# help => { family => text }, type => { family => type }, bad => [lines
# this reader could not read] }.  Label values are unescaped.
sub parse_metrics {
    my ($text) = @_;
    my %m = (series => {}, help => {}, type => {}, bad => []);
    for my $line (split /\n/, $text) {
        if ($line =~ /^# (HELP|TYPE) (\S+) (.*)$/) {
            $m{lc $1}{$2} = $3;
            next;
        }
        my ($name, $labels, $value) =
            $line =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
            or do { push @{ $m{bad} }, $line; next };
        my %l;
        my $rest = $labels // '';
        while ($rest =~ s/^([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)",?//) {
            my ($k, $v) = ($1, $2);
            $v =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/ge;
            $l{$k} = $v;
        }
        if (length $rest) {
            push @{ $m{bad} }, $line;
            next;
        }
        my @parts = grep { defined } delete $l{vhost}, delete $l{reason};
        push @{ $m{bad} }, $line if %l;
        $m{series}{ @parts ? "$name\{" . join(',', @parts) . '}' : $name }
            = $value;
    }
    return \%m;
}

# (parse_auto, LRTest's, reads mod_status's ?auto lines; it is exported
# from here too.)

# GET $path from $where (a vhost name or a port) with Host $host; the
# response (raw_request's hash).
sub fetch {
    my ($where, $host, $path) = @_;
    return raw_request($where, http_request(GET => $path,
        headers => ["Host: $host", 'Connection: close']));
}

# The hosts of t/conf/metrics.conf.in, as their labels say them.
sub alpha { 'alpha.metrics.test:' . Apache::Test::vars('lr_metrics_port') }
sub beta { 'beta.metrics.test:' . Apache::Test::vars('lr_metrics_port') }
sub quote_host {
    'quote"back\\new.metrics.test:' . Apache::Test::vars('lr_metrics_port');
}

# The mix: [host, what, path, status expected, how many].  The counts of
# mod_reflector's cut are checked, not its status (it has answered 200
# before the cut).
my @MIX = (
    [alpha => ok        => '/mx-up',     200, 3],
    [alpha => missing   => '/mx-up',     411, 4],
    [alpha => chunked   => '/mx-up',     411, 2],
    [alpha => large     => '/mx-up',     413, 3],
    [alpha => stream    => '/mx-stream', undef, 1],
    [alpha => buffer    => '/mx-buffer', 200, 2],
    [alpha => overbound => '/mx-buffer', 413, 1],
    [alpha => missing   => '/mx-log',    200, 2],
    [beta  => missing   => '/mx-up',     411, 1],
    [beta  => te10      => '/mx-up',     400, 2],
    [beta  => quota     => '/mx-quota',  200, 1],
    [beta  => quota     => '/mx-quota',  429, 1],
);

# What the mix adds to each series of alpha and beta: counted by hand
# from the mix above, not computed, so that it can disagree with the
# module.  A series not named here gets 0.
my %ADDS = (
    # Every POST to alpha is judged: 3 + 4 + 2 + 3 + 1 + 2 + 1 + 2.
    alpha => { judged_total => 18, missing_length => 4, chunked => 2,
               too_large => 3,
               # Buffer's bound passed: counted with the streamed 413s.
               stream_too_large => 1, stream_cut_total => 1,
               # Both buffered bodies are over LengthRequiredBufferMemory 64.
               buffered_total => 2, buffered_to_file_total => 2,
               would_refuse_total => 2 },
    # Strict's refusals are not judged; the two uploads are.
    beta => { judged_total => 3, missing_length => 1, strict => 2,
              quota => 1 },
);

# The counter families without a reason, and the reasons of
# length_required_refused_total.
our @FAMILIES = qw(judged_total would_refuse_total stream_cut_total
                   buffered_total buffered_to_file_total
                   quota_store_errors_total quota_store_given_up_total);
our @REASONS = qw(missing_length chunked too_large stream_too_large strict
                  quota upload_max);

# Every series of alpha and beta, zeros included, and what the mix adds.
sub mix_adds {
    my %add;
    for my $host (sort keys %ADDS) {
        my $h = $host eq 'alpha' ? alpha() : beta();
        my $n = $ADDS{$host};
        $add{"length_required_$_\{$h}"} = $n->{$_} // 0 for @FAMILIES;
        $add{"length_required_refused_total\{$h,$_}"} = $n->{$_} // 0
            for @REASONS;
    }
    return \%add;
}

# One request of the mix, over a connection of its own.
sub _request {
    my ($host, $what, $path, $tenant) = @_;
    my @h = ("Host: $host", 'Connection: close');
    my %req = (
        ok => [POST => $path, body => 'hello', headers => [@h, 'Content-Length: 5']],
        missing => [POST => $path, headers => \@h],
        chunked => [POST => $path, body => chunked('hello'),
                    headers => [@h, 'Transfer-Encoding: chunked']],
        large => [POST => $path, body => 'x' x 2000,
                  headers => [@h, 'Content-Length: 2000']],
        stream => [POST => $path, body => chunked(('s' x 256) x 8),
                   headers => [@h, 'Transfer-Encoding: chunked']],
        buffer => [POST => $path, body => chunked('b' x 100),
                   headers => [@h, 'Transfer-Encoding: chunked']],
        overbound => [POST => $path, body => chunked(('o' x 500) x 4),
                      headers => [@h, 'Transfer-Encoding: chunked']],
        te10 => [POST => $path, body => chunked('t'), proto => 'HTTP/1.0',
                 headers => [@h, 'Transfer-Encoding: chunked']],
        quota => [POST => $path, body => 'q' x 60,
                  headers => [@h, 'Content-Length: 60', "X-Tenant: $tenant"]],
    );
    my ($method, $p, %o) = @{ $req{$what} };
    return raw_request('lr_metrics', http_request($method, $p, %o))->{status};
}

# Sends the mix, one request at a time; returns the requests whose
# status was not the one expected, as "host what path: got N" strings.
# $tenant names the budget's key, so that every mix finds it unspent.
sub send_mix {
    my ($tenant) = @_;
    my %name = (alpha => 'alpha.metrics.test', beta => 'beta.metrics.test');
    my @wrong;
    for my $m (@MIX) {
        my ($host, $what, $path, $want, $n) = @$m;
        for (1 .. $n) {
            my $got = _request($name{$host}, $what, $path, $tenant);
            push @wrong, "$host $what $path: got $got"
                if defined $want && $got != $want;
        }
    }
    return @wrong;
}

1;
