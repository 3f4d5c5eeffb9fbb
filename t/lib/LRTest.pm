package LRTest;
# Helpers shared by the mod_length_required tests: raw HTTP/1.x exchanges
# (LWP always adds a Content-Length, so anything about missing lengths,
# chunked bodies, pipelining or Expect needs a socket of its own), a client
# that keeps sending until the server cuts it off, a small response
# parser, readers for the logs the server and the recording CGIs write
# under t/logs, HTTP/2 requests with nghttp, and private configurations
# that load what the suite loads (for apache2 -t, with the checker of a
# refused directive, and for the servers of LRServer.pm, which starts and
# stops them).
#
# Every test request carries a unique tag in its URI, so that a test finds
# exactly its own lines in logs that the whole suite shares.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Select ();
use IO::Socket::INET ();
use Time::HiRes qw(time sleep);

use Apache::Test ();
use Apache::TestRequest ();
use Apache::TestUtil qw(t_cmp);
use LRServer ();

our @EXPORT_OK = qw(
    tag http_request chunked connect_to raw_exchange parse_responses
    raw_request send_until_cut send_in_two_parts first_line
    log_file log_lines log_mark log_since slurp wait_for_lines
    request_finished lr_note cgi_runs error_lines
    htaccess_nolen htaccess_post
    module_so module_line private_conf syntax_check syntax_error_ok
    have_program h2_request parse_auto read_rest
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# The private servers of the tests run the suite's httpd.
$LRServer::HTTPD = Apache::Test::vars('httpd');

my $counter = 0;

# A string unique to this request in the whole run, for use in a URI.
sub tag {
    my ($what) = @_;
    $counter++;
    return sprintf '%s-%d-%d-%d', $what, $$, int(time), $counter;
}

# The bytes of one HTTP/1.x request.  Headers are given as a list of
# "Name: value" strings; Host is added unless one is given.
sub http_request {
    my ($method, $path, %opt) = @_;
    my $proto = $opt{proto} || 'HTTP/1.1';
    my @headers = @{ $opt{headers} || [] };
    unshift @headers, 'Host: localhost'
        unless grep { /^host:/i } @headers;
    my $body = defined $opt{body} ? $opt{body} : '';
    return join '', "$method $path $proto\r\n",
        map({ "$_\r\n" } @headers), "\r\n", $body;
}

# A chunked body made of the given pieces, with its last chunk.  An empty
# piece is left out: a chunk of size 0 would end the body there.
sub chunked {
    my (@pieces) = grep { length } @_;
    return join('', map { sprintf("%x\r\n%s\r\n", length $_, $_) } @pieces)
        . "0\r\n\r\n";
}

# The module's keys of a mod_status ?auto page: totals and, as
# "Key[name:port]", each listed host's.
sub parse_auto {
    my ($text) = @_;
    my %v;
    for (split /\r?\n/, $text) {
        $v{$1} = $2 if /^(LengthRequired\w+(?:\[.*\])?): (\d+)$/;
    }
    return \%v;
}

# A connection to the main server (undef), the named virtual host, or a
# port on 127.0.0.1 (a bare number: a private server of a test).
sub connect_to {
    my ($where) = @_;
    my $sock = defined $where && $where =~ /^\d+$/
        ? IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $where)
        : Apache::TestRequest::vhost_socket($where);
    die "cannot connect to " . ($where // 'the main server') . ": $!\n"
        unless $sock;
    return $sock;
}

# Writes a request head (or more) to $where (as connect_to) and waits up
# to $timeout seconds (15) for the first line of the answer: returns that
# line (undef if none came) and the socket, for a test of what comes
# first, an interim 100 Continue or the final status.
sub first_line {
    my ($where, $bytes, $timeout) = @_;
    my $sock = connect_to($where);
    syswrite $sock, $bytes;
    my $raw = '';
    my $sel = IO::Select->new($sock);
    while ($raw !~ /\r\n/ && $sel->can_read($timeout || 15)) {
        last unless sysread $sock, my $buf, 1;
        $raw .= $buf;
    }
    $raw =~ s/\r\n\z//;
    return (length $raw ? $raw : undef, $sock);
}

# Opens a connection to $vhost (as connect_to), writes the bytes and reads
# until the server closes the connection or $opt{timeout} seconds pass,
# or, with $opt{idle}, until the server has sent something and then stayed
# quiet for that many seconds (to see that it keeps a connection open).  Returns a hash: raw (all bytes read), eof
# (the server closed), elapsed (seconds).
sub raw_exchange {
    my ($vhost, $bytes, %opt) = @_;
    my $timeout = $opt{timeout} || 15;
    my $sock = connect_to($vhost);
    local $SIG{PIPE} = 'IGNORE';
    my $start = time;
    my $off = 0;
    while ($off < length $bytes) {
        my $n = syswrite $sock, $bytes, length($bytes) - $off, $off;
        last unless $n;    # the server may close before reading it all
        $off += $n;
    }
    my $raw = '';
    my $eof = 0;
    my $sel = IO::Select->new($sock);
    while ((my $left = $start + $timeout - time) > 0) {
        $left = $opt{idle} if $opt{idle} && length $raw && $opt{idle} < $left;
        last unless $sel->can_read($left);
        my $n = sysread $sock, my $buf, 65536;
        if (!$n) {    # 0: orderly close; undef: reset, closed just the same
            $eof = 1;
            last;
        }
        $raw .= $buf;
    }
    close $sock;
    return { raw => $raw, eof => $eof, elapsed => time - $start };
}

# Splits what the server sent into responses (interim 1xx included), each
# a hash: status, reason, proto, headers (lower-case names), body.
sub parse_responses {
    my ($raw) = @_;
    my @responses;
    while (length $raw) {
        last unless $raw =~ s{\A(HTTP/\d\.\d) (\d{3})([^\r\n]*)\r\n}{};
        my %r = (proto => $1, status => $2, reason => $3, headers => {});
        $r{reason} =~ s/^ //;
        while ($raw =~ s{\A([^\r\n]+)\r\n}{}) {
            my ($name, $value) = split /:\s*/, $1, 2;
            $r{headers}{ lc $name } = $value;
        }
        $raw =~ s{\A\r\n}{};
        my $h = $r{headers};
        if ($r{status} < 200 || $r{status} == 204 || $r{status} == 304) {
            $r{body} = '';
        }
        elsif (defined $h->{'content-length'}) {
            $r{body} = substr $raw, 0, $h->{'content-length'}, '';
        }
        elsif (($h->{'transfer-encoding'} || '') =~ /chunked/i) {
            $r{body} = '';
            while ($raw =~ s{\A([0-9a-fA-F]+)[^\r\n]*\r\n}{}) {
                my $len = hex $1;
                if ($len == 0) {
                    $raw =~ s{\A(?:[^\r\n]+\r\n)*\r\n}{};
                    last;
                }
                $r{body} .= substr $raw, 0, $len, '';
                $raw =~ s{\A\r\n}{};
            }
        }
        else {
            $r{body} = $raw;
            $raw = '';
        }
        push @responses, \%r;
    }
    return @responses;
}

# raw_exchange and parse_responses in one: returns the first final
# (non-1xx) response, or a hash with status 0 when there was none, and the
# exchange with its parsed responses in {responses}.
sub raw_request {
    my ($vhost, $bytes, %opt) = @_;
    my $x = raw_exchange($vhost, $bytes, %opt);
    $x->{responses} = [ parse_responses($x->{raw}) ];
    my ($final) = grep { $_->{status} >= 200 } @{ $x->{responses} };
    $final ||= { status => 0, reason => '', headers => {}, body => '' };
    return wantarray ? ($final, $x) : $final;
}

# What $sock brings until the server closes it, or until nothing has
# come for $secs seconds.
sub read_rest {
    my ($sock, $secs) = @_;
    my ($raw, $sel) = ('', IO::Select->new($sock));
    while ($sel->can_read($secs)) {
        last unless sysread $sock, my $buf, 65536;
        $raw .= $buf;
    }
    return $raw;
}

# A request whose body comes in two parts: writes $first (the head and
# the beginning of the body) to $where (as connect_to), waits up to 20 s
# until $ready->() is true (a handler has started, say), then writes $rest
# and reads until the server closes the connection.  So that a test can
# be sure the handler ran before the part of the body it must never be
# given.  Returns the first final response (a hash with status 0 if none
# came) and whether $ready came true.
sub send_in_two_parts {
    my ($where, $first, $ready, $rest) = @_;
    my $sock = connect_to($where);
    local $SIG{PIPE} = 'IGNORE';
    syswrite $sock, $first;
    my $until = time + 20;
    my $came = 0;
    until ($came = $ready->() ? 1 : 0) {
        last if time > $until;
        sleep 0.05;
    }
    sleep 0.3;
    syswrite $sock, $rest;
    my $raw = read_rest($sock, 20);
    close $sock;
    my ($res) = grep { $_->{status} >= 200 } parse_responses($raw);
    return ($res || { status => 0, headers => {}, body => '' }, $came);
}

# A client that goes on sending after the server has answered: writes
# $start (a request head, perhaps with the beginning of a body) to $where
# (as connect_to), then $opt{piece} bytes (default 8192) every $opt{every}
# seconds (0.02), reading what comes back, until the server cuts the
# connection or $opt{give_up} seconds (40) pass.  Cut means a write fails
# or a read fails (a reset); end-of-file alone is not, since httpd shuts
# down its sending side first and goes on reading while it lingers.
# Returns a hash: status (of the first final response; 0 if none), raw
# (what was read), cut (how it was cut; undef if it never was),
# after_status and after_start (seconds from the status line, and from the
# start, to the cut; undef if no cut), sent_after_status (bytes written
# after the status line came).
sub send_until_cut {
    my ($where, $start, %opt) = @_;
    my $piece = 'x' x ($opt{piece} || 8192);
    my $every = $opt{every} || 0.02;
    my $give_up = $opt{give_up} || 40;
    my $sock = connect_to($where);
    local $SIG{PIPE} = 'IGNORE';
    $sock->blocking(0);
    my $t0 = time;
    my ($pending, $raw, $status, $t_status, $cut, $t_cut, $after)
        = ($start, '', 0, undef, undef, undef, 0);
    while (time - $t0 < $give_up) {
        while (1) {
            my $n = sysread $sock, my $buf, 65536;
            if (!defined $n) {
                $cut = "read failed: $!" unless $!{EAGAIN} || $!{EWOULDBLOCK};
                last;
            }
            last if $n == 0;
            $raw .= $buf;
        }
        if (!$status) {
            my @seen = $raw =~ m{(?:\A|\r\n)HTTP/1\.\d (\d{3})[^\r\n]*\r\n}g;
            ($status) = grep { $_ >= 200 } @seen;
            $status ||= 0;
            $t_status = time if $status;
        }
        last if $cut;
        $pending = $piece if $pending eq '';
        my $n = syswrite $sock, $pending;
        if (!defined $n && !$!{EAGAIN} && !$!{EWOULDBLOCK}) {
            $cut = "write failed: $!";
            last;
        }
        if ($n) {
            substr($pending, 0, $n) = '';
            $after += $n if $status;
        }
        sleep $every;
    }
    $t_cut = time if $cut;
    close $sock;
    return { status => $status, raw => $raw, cut => $cut,
             after_status => $cut && $t_status ? $t_cut - $t_status : undef,
             after_start => $cut ? $t_cut - $t0 : undef,
             sent_after_status => $after };
}

# The directories of t/htdocs/htaccess, each with a .htaccess of its own
# and served by mod_reflector: the status of a POST without a length to
# one of them, and the response to a POST of $len bytes (through LWP).
sub htaccess_nolen {
    my ($dir) = @_;
    return raw_request(undef, http_request(POST => "/htaccess/$dir/x",
        headers => ['Connection: close']))->{status};
}

sub htaccess_post {
    my ($dir, $len) = @_;
    return Apache::TestRequest::POST("/htaccess/$dir/x", content => 'h' x $len);
}

# Logs

# A log is named by its file name under t/logs, or by an absolute path (the
# logs of a test's private server).
sub log_file {
    my ($name) = @_;
    return $name if $name =~ m{^/};
    return Apache::Test::vars('t_logs') . "/$name";
}

# The whole text of a file ('' if it does not exist yet).
sub slurp {
    my ($file) = @_;
    open my $fh, '<', $file or return '';
    local $/;
    return scalar(<$fh>) // '';
}

# Where log $name ends now; log_since returns what was written after it.
sub log_mark {
    my ($name) = @_;
    return -s log_file($name) || 0;
}

sub log_since {
    my ($name, $mark) = @_;
    open my $fh, '<', log_file($name) or return '';
    seek $fh, $mark, 0;
    local $/;
    return scalar(<$fh>) // '';
}

# The lines of a log (none if it does not exist yet).
sub log_lines {
    my ($name) = @_;
    open my $fh, '<', log_file($name) or return ();
    my @lines = <$fh>;
    chomp @lines;
    return @lines;
}

# Waits up to $timeout seconds for a line of log $name to match $re;
# returns the matching lines (none on timeout).
sub wait_for_lines {
    my ($name, $re, $timeout) = @_;
    $timeout ||= 10;
    my $until = time + $timeout;
    while (1) {
        my @hits = grep { $_ =~ $re } log_lines($name);
        return @hits if @hits or time > $until;
        sleep 0.1;
    }
}

# Waits until the request whose URI holds $tag has been logged in lr_log
# (or in $log, for a virtual host with an access log of its own in the
# same format).  httpd logs a request after it has finished with it, so
# once this returns the request can no longer start a CGI or reach a
# backend.  Returns its log lines.
sub request_finished {
    my ($tag, $log) = @_;
    return wait_for_lines($log || 'lr_log', qr/\Q$tag\E/);
}

# The value the %{length-required}n note had in lr_log (or $log) for the
# request with $tag ('-' when unset), or undef if it was never logged.
sub lr_note {
    my ($tag, $log) = @_;
    my ($line) = request_finished($tag, $log);
    return undef unless defined $line;
    return $line =~ / lr=(\S+)$/ ? $1 : undef;
}

# The runs of the recording CGI (echo.pl) for requests with $tag.
sub cgi_runs {
    my ($tag) = @_;
    return grep { /\Q$tag\E/ } log_lines('cgi_runs.log');
}

# Lines of the error log matching $re.
sub error_lines {
    my ($re) = @_;
    return grep { $_ =~ $re } log_lines('error_log');
}

# HTTP/2

# Whether $name is a program in PATH (for Apache::Test's need).
sub have_program {
    my ($name) = @_;
    return (grep { -x "$_/$name" } split /:/, $ENV{PATH} || '') ? 1 : 0;
}

# One HTTP/2 request in cleartext (h2c, prior knowledge) with nghttp to
# the port $port on 127.0.0.1.  $how: 'stream' sends $len bytes without
# content-length (--no-content-length), 'length' sends them with
# content-length, 'empty' sends the request with no body at all, 'get' a
# plain GET.  Returns a hash: status (0 if none), version ('2' if the
# response carried the :status pseudo-header, which only HTTP/2 has),
# headers (lower-case names), out (what nghttp printed).
sub h2_request {
    my ($port, $how, $method, $path, $len) = @_;
    my $data = tempdir(CLEANUP => 1) . '/data';
    open my $fh, '>', $data or die "$data: $!";
    print $fh 'h' x ($len || 0);
    close $fh;
    my @args = ('nghttp', '-v', '-n', '-t', '30', '-H', ":method: $method");
    push @args, '--no-content-length' if $how eq 'stream';
    push @args, '-d', $data if $how eq 'stream' or $how eq 'length';
    push @args, "http://127.0.0.1:$port$path";
    my $cmd = join ' ', map { "'$_'" } @args;
    my $out = `$cmd 2>&1 </dev/null`;
    my ($status) = $out =~ /recv \(stream_id=\d+\) :status: (\d{3})/;
    my %headers;
    while ($out =~ /recv \(stream_id=\d+\) ([a-z0-9-]+): ([^\r\n]*)/g) {
        $headers{$1} = $2;
    }
    return { status => $status // 0, version => (defined $status ? '2' : ''),
             headers => \%headers, out => $out };
}

# Private configurations, for apache2 -t and for servers of a test's own

# The file of $module (e.g. 'mpm_event_module'): the one in the module
# list the suite itself runs with, so that a private configuration loads
# exactly what the suite does, or for a module the suite does not load
# (the prefork MPM) the one in apxs's LIBEXECDIR.  The module under test
# always comes from the build output next to t/.  The file may not exist:
# a test that needs an optional module checks with -e before planning.
sub module_so {
    my ($module) = @_;
    if ($module eq 'length_required_module') {
        return Apache::Test::vars('serverroot')
            . '/../.libs/mod_length_required.so';
    }
    my $list = Apache::Test::vars('httpd_conf');
    open my $fh, '<', $list or die "$list: $!";
    while (my $line = <$fh>) {
        return $1 if $line =~ /^\s*LoadModule\s+\Q$module\E\s+"?([^"\s]+)"?/;
    }
    (my $name = $module) =~ s/_module$//;
    return Apache::Test::config()->apxs('LIBEXECDIR') . "/mod_$name.so";
}

# The LoadModule line for $module.
sub module_line {
    my ($module) = @_;
    return sprintf 'LoadModule %s "%s"', $module, module_so($module);
}

# Writes a complete configuration into a fresh temporary directory (or
# $opt{dir}, as $opt{file}, default httpd.conf): the MPM ($opt{mpm},
# default event; with $opt{one_child}, one child of 5 threads), the
# module under test and the modules named in $opt{modules}, logs and
# runtime files in that directory, then $body.  Returns the file's path
# and the number of the first line of $body.
sub private_conf {
    my ($body, %opt) = @_;
    my $dir = $opt{dir} || tempdir(CLEANUP => 1);
    my $listen = $opt{listen} || ['127.0.0.1:' . Apache::Test::vars('port')];
    my @head = (
        qq{ServerRoot "$dir"},
        qq{DefaultRuntimeDir "$dir"},
        qq{PidFile "$dir/httpd.pid"},
        qq{ErrorLog "$dir/error_log"},
        'ServerName localhost',
        (map { "Listen $_" } @$listen),
        module_line('mpm_' . ($opt{mpm} || 'event') . '_module'),
        (map { module_line($_) } @{ $opt{modules} || [] }),
        module_line('length_required_module'),
        ($opt{one_child} ? ('StartServers 1', 'ServerLimit 1',
                            'ThreadsPerChild 5', 'MinSpareThreads 1',
                            'MaxSpareThreads 5', 'MaxRequestWorkers 5') : ()),
    );
    my $file = "$dir/" . ($opt{file} || 'httpd.conf');
    open my $fh, '>', $file or die "$file: $!";
    print $fh map { "$_\n" } @head, split /\n/, $body;
    close $fh or die "$file: $!";
    return ($file, @head + 1);
}

# Runs "apache2 -t" on a private configuration holding $body.  Returns a
# hash: rc (exit status), out (what it printed), line (the number of the
# first line of $body in the file), file.
sub syntax_check {
    my ($body, %opt) = @_;
    my ($file, $line) = private_conf($body, %opt);
    my $r = LRServer::httpd_syntax($file);
    return { %$r, line => $line, file => $file };
}

# The checker of a directive that httpd must refuse: "apache2 -t" on a
# private configuration holding $body fails, with httpd's "Syntax error on
# line N" naming the line of $body that holds $directive, and a message
# after it that names $directive and says each of @says: a string is a
# bad value the message must quote ('x' or "x"), a pattern is something
# it must say (what is allowed, say).  3 + @says assertions.
sub syntax_error_ok {
    my ($body, $directive, @says) = @_;
    my $r = syntax_check($body);
    my @lines = split /\n/, $body;
    my ($at) = grep { $lines[$_] =~ /^\s*\Q$directive\E\b/ } 0 .. $#lines;
    die "syntax_error_ok: $directive is not in the configuration\n"
        unless defined $at;
    my $line = $r->{line} + $at;
    (my $what = $lines[$at]) =~ s/^\s+//;
    Apache::Test::ok(t_cmp($r->{rc} != 0 ? 1 : 0, 1,
                           "apache2 -t fails on '$what'"));
    Apache::Test::ok(t_cmp($r->{out}, qr/Syntax error on line $line\b/,
                           "pointing at the line of '$what' ($line)"));
    # The message proper is what follows httpd's "Syntax error" line.
    my ($msg) = $r->{out} =~ /Syntax error on line \d+ of [^\n]*\n(.*)/s;
    $msg //= '';
    Apache::Test::ok(t_cmp($msg, qr/\b\Q$directive\E\b(?![A-Za-z])/,
                           "the message names the directive $directive"));
    for my $say (@says) {
        if (ref $say) {
            Apache::Test::ok(t_cmp($msg, $say, "the message says $say"));
        }
        else {
            Apache::Test::ok(t_cmp($msg, qr/['"]\Q$say\E['"]/,
                                   "the message quotes the bad value '$say'"));
        }
    }
}

1;
