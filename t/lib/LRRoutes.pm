package LRRoutes;
# Helpers of the route tests (t/routes/*.t, t/conf/routes.conf.in): the
# runs the recording CGI (cgi-bin/record.pl) logged, HTTP/2 requests with
# nghttp, and the module's mod_status counters.  Built on LRTest.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Temp qw(tempdir);

use Apache::Test ();
use Apache::TestUtil qw(t_cmp);
use LRTest qw(parse_auto log_lines wait_for_lines request_finished raw_request
              http_request error_lines chunked send_in_two_parts);

our @EXPORT_OK = qw(runs runs_after starts max_read stream_once_started h2
                    counters errdoc_handler_got_nothing counter_delta
                    cut_reported_not_refused);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# The lines record.pl wrote for $tag (in the URI or in X-LR-Tag), each a
# hash: what (start, end or term) and the fields of the line.
sub runs {
    my ($tag) = @_;
    my @runs;
    for my $line (grep { /\Q$tag\E/ } log_lines('routes_runs.log')) {
        my ($what, $rest) = split / /, $line, 2;
        my %r = (what => $what, line => $line);
        $r{$1} = $2 while $rest =~ /\b(\w+)=(\S*)/g;
        push @runs, \%r;
    }
    return @runs;
}

# The runs for $tag once the request is over: waits until lr_log has the
# request (httpd logs it when it is done with it, error document and
# proxied backend included), then until every run that started has ended
# (a CGI stopped by httpd may finish its line a little later).
sub runs_after {
    my ($tag) = @_;
    request_finished($tag);
    my @runs;
    for (1 .. 50) {
        @runs = runs($tag);
        my $started = grep { $_->{what} eq 'start' } @runs;
        my $done = grep { $_->{what} ne 'start' } @runs;
        last if $done >= $started;
        select undef, undef, undef, 0.1;
    }
    return @runs;
}

# How many times the CGI started, among @runs.
sub starts {
    return scalar grep { $_->{what} eq 'start' } @_;
}

# The most body bytes any finished run of @runs read; undef when none
# finished (none started, or none recorded its end), so that "it read no
# more than N" cannot pass on a run that left no trace.
sub max_read {
    my @done = grep { $_->{what} ne 'start' } @_;
    return undef unless @done;
    my $max = 0;
    for (@done) { $max = $_->{read} if $_->{read} > $max }
    return $max;
}

# POSTs a chunked body of $bytes bytes to $uri (which holds $tag) on
# lr_routes in two parts: a first chunk of $first bytes, then, once the
# recording CGI has logged its start for $tag, the rest in chunks of
# 1000.  So the CGI is there to be given what passes a cap, and a test
# can see what it read.  Returns the response and whether the CGI had
# started (send_in_two_parts).
sub stream_once_started {
    my ($uri, $tag, $bytes, $first) = @_;
    my $rest = $bytes - $first;
    return send_in_two_parts('lr_routes',
        http_request(POST => $uri,
                     headers => ['Transfer-Encoding: chunked', 'Connection: close'])
        . sprintf("%x\r\n%s\r\n", $first, 's' x $first),
        sub { grep { $_->{what} eq 'start' } runs($tag) },
        chunked(('s' x 1000) x int($rest / 1000), 's' x ($rest % 1000)));
}

my $tmp;

# An HTTP/2 request over h2c (prior knowledge) to the virtual host $vhost
# with nghttp.  $opt{body}: the body, sent with content-length, or without
# it when $opt{stream} is true; $opt{headers}: extra "name: value" strings.
# Returns status (0 when none came), http2 (the response had the :status
# pseudo-header, which only HTTP/2 has) and out, the nghttp output: its
# frame trace, response headers included, and the response body.
sub h2 {
    my ($vhost, $method, $path, %opt) = @_;
    $tmp ||= tempdir(CLEANUP => 1);
    my $port = Apache::Test::vars("${vhost}_port")
        or die "no port for $vhost\n";
    my @args = ('nghttp', '-v', '-t', '30', '-H', ":method: $method");
    push @args, map { ('-H', $_) } @{ $opt{headers} || [] };
    if (defined $opt{body}) {
        my $data = "$tmp/data";
        open my $fh, '>', $data or die "$data: $!";
        print $fh $opt{body};
        close $fh;
        push @args, '--no-content-length' if $opt{stream};
        push @args, '-d', $data;
    }
    push @args, "http://127.0.0.1:$port$path";
    my $cmd = join ' ', map { "'$_'" } @args;
    my $out = `$cmd 2>&1 </dev/null`;
    my ($status) = $out =~ /recv \(stream_id=\d+\) :status: (\d{3})/;
    return { status => $status // 0, http2 => defined $status ? 1 : 0,
             out => $out };
}

# The module's counters (the LengthRequired* keys of mod_status's ?auto
# page) on $vhost, which serves mod_status at /rt-status: totals only.
sub counters {
    my ($vhost) = @_;
    my $res = raw_request($vhost, http_request(GET => '/rt-status?auto',
        headers => ['Connection: close']));
    return parse_auto($res->{body});
}

# What the handler serving the error document of a refused request with
# $tag was given, over HTTP/1.1 and h2c alike: $kind 'cgi' (the local
# recording CGI, run with REDIRECT_STATUS=$status) or 'proxy' (the
# recording CGI of lr_routes_backend behind mod_proxy_http).  It ran once,
# as a GET, with no Content-Length, no Transfer-Encoding and none of the
# $sent bytes sent; and the refused request's own CGI never ran.  Six
# assertions.
sub errdoc_handler_got_nothing {
    my ($tag, $kind, $status, $sent) = @_;
    my @runs = runs_after($tag);
    my $script = $kind eq 'cgi' ? qr{^/rt-doc-cgi} : qr{^/rec};
    my $who = $kind eq 'cgi' ? 'the error document CGI' : 'the backend';
    my @doc = grep { $_->{script} =~ $script } @runs;
    Apache::Test::ok(t_cmp(starts(@doc), 1, "$who ran once"));
    my ($end) = grep { $_->{what} ne 'start' } @doc;
    $end ||= { map { $_ => 'none' } qw(method status cl te read) };
    if ($kind eq 'cgi') {
        Apache::Test::ok(t_cmp("$end->{method} $end->{status}", "GET $status",
                               "as a GET with REDIRECT_STATUS=$status"));
    }
    else {
        Apache::Test::ok(t_cmp($end->{method}, 'GET', 'and was sent a GET'));
    }
    Apache::Test::ok(t_cmp($end->{cl}, '-',
                           'with no Content-Length: the refused body is not '
                           . 'its body'));
    Apache::Test::ok(t_cmp($end->{te}, '-', 'and no Transfer-Encoding either'));
    Apache::Test::ok(t_cmp($end->{read}, 0,
                           "and it read 0 bytes of the body (of the $sent "
                           . 'sent)'));
    Apache::Test::ok(t_cmp(scalar(grep { $_->{script} =~ m{^/rt-ed-} } @runs),
                           0, 'the refused request\'s own CGI never ran'));
}

# How much counter $key of mod_status moved between two counters() reads
# (undef when either read lacks the key: the page did not answer).
sub counter_delta {
    my ($before, $after, $key) = @_;
    return undef unless defined $before->{$key} && defined $after->{$key};
    return $after->{$key} - $before->{$key};
}

# A streamed body with $tag that the cap cut while handler $handler
# (a pattern, described by $name) answered 200 anyway: reported when the
# request ended as what it was, never as a refusal.  $before is the
# counters() read before the request.  Seven assertions.
sub cut_reported_not_refused {
    my ($tag, $before, $handler, $name) = @_;
    request_finished($tag);
    # The report comes when the request's pool goes, just after the
    # access log line: wait for it, then read the counters.
    my @cut = wait_for_lines('error_log', qr/LR00005:.*\Q$tag\E/);
    my $after = counters('lr_routes');
    Apache::Test::ok(t_cmp(scalar error_lines(qr/LR00001: refused .*\Q$tag\E/),
                           0, 'no "LR00001: refused" line: the client got '
                           . 'no refusal'));
    Apache::Test::ok(t_cmp(scalar @cut, 1,
                           'one LR00005 line names the request\'s URI'));
    my $line = $cut[0] // '';
    Apache::Test::ok(t_cmp($line, qr/\[length_required:warn\]/,
                           'logged at warn'));
    Apache::Test::ok(t_cmp($line, $handler, "it names the handler ($name)"));
    Apache::Test::ok(t_cmp($line, qr/answered 200\b/,
                           'and the status it sent (200)'));
    Apache::Test::ok(t_cmp($line, qr/cut at the limit/,
                           'and says the body was cut at the limit'));
    Apache::Test::ok(t_cmp([counter_delta($before, $after,
                                          'LengthRequiredStreamCut'),
                            counter_delta($before, $after,
                                          'LengthRequiredStreamTooLarge')],
                           [1, 0], 'mod_status: LengthRequiredStreamCut +1, '
                           . 'LengthRequiredStreamTooLarge unchanged'));
}

1;
