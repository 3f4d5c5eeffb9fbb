# MultiViews keeps the streamed cap.  rt-stream is On with
# LengthRequiredChunked Allow and a 1K cap, so a streamed body is counted
# as it arrives and the read fails with 413 past 1024 bytes.  /rt-stream/log
# is mapped to log.cgi by MultiViews (MultiviewsMatch Handlers), a fast
# internal redirect that takes the main request's input filters away; the
# cap must hold on it as it does on the direct URL and on DirectoryIndex.
# log.cgi is the recording CGI: it records how many body bytes it read.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRRoutes qw(:all);

plan tests => 4 * 3 + 3 * 3;

my $BIG = 100_000;

# [what, path, bytes, status]
my @cases = (
    ['MultiViews /rt-stream/log', '/rt-stream/log', $BIG, 413],
    ['control: the direct URL /rt-stream/log.cgi', '/rt-stream/log.cgi',
     $BIG, 413],
    ['control: DirectoryIndex /rt-stream/', '/rt-stream/', $BIG, 413],
    ['control: MultiViews /rt-stream/log, under the cap', '/rt-stream/log',
     1000, 200],
);

# What log.cgi was given.  Past the cap it may not have been started at
# all (the read fails before the script has run a line, and httpd stops
# it), which is only allowed where the test could not make sure it
# started ($may_not_start: HTTP/2, where nghttp sends the body at once).
sub check_cgi {
    my ($tag, $bytes, $status, $may_not_start) = @_;
    my @runs = runs_after($tag);
    my $read = max_read(@runs);
    if ($status == 200) {
        ok t_cmp(join(' ', starts(@runs), $read // 'nothing'), "1 $bytes",
                 "log.cgi ran once and read all $bytes bytes");
    }
    elsif ($may_not_start && !starts(@runs)) {
        ok t_cmp(starts(@runs), 0, "log.cgi never started: it was given none "
                 . "of the $bytes bytes");
    }
    else {
        ok t_cmp(defined $read && $read <= 1024 ? 1 : 0, 1,
                 "log.cgi was given at most the 1024 bytes of the cap, of "
                 . "the $bytes sent (it read " . ($read // 'nothing') . ')');
    }
}

# HTTP/1.1, chunked: the first 500 bytes, then, once log.cgi has started
# (so that it is there to be given what passes the cap), the rest.
for my $c (@cases) {
    my ($what, $path, $bytes, $status) = @$c;
    my $tag = tag('rt-mv');
    my ($res, $started) = stream_once_started("$path?$tag", $tag, $bytes, 500);
    ok t_cmp($res->{status}, $status,
             "$what: chunked POST of $bytes bytes, Allow and a 1K cap: $status");
    ok t_cmp($started, 1, 'log.cgi started on the first 500 bytes');
    check_cgi($tag, $bytes, $status);
}

# HTTP/2 without content-length (a streamed body).
for my $c (@cases[0, 1, 3]) {
    my ($what, $path, $bytes, $status) = @$c;
    my $tag = tag('rt-mv-h2');
    my $res = h2('lr_routes', 'POST', "$path?$tag",
                 body => 'n' x $bytes, stream => 1);
    ok t_cmp($res->{status}, $status,
             "h2c $what: $bytes bytes without content-length: $status");
    ok t_cmp($res->{http2}, 1, 'the exchange was HTTP/2');
    check_cgi($tag, $bytes, $status, 1);
}
