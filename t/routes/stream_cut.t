# The log and the counters tell the truth when a streamed body is cut at
# the cap.  Under LengthRequiredChunked Allow with a 64K cap
# (/rt-cut-*), a chunked body of 100,000 bytes makes the read fail past
# 65,536 bytes.  mod_cgid turns the failed read into a 413: that is a
# refusal (LR00001, LengthRequiredStreamTooLarge).  mod_reflector ignores
# it and answers 200: the client never got a 413, so the module must not
# log or count one; it logs at warn under LR00005 what did happen (the
# handler, the status it sent, the body cut at the limit) and counts
# LengthRequiredStreamCut.  PHP-FPM: stream_cut_fpm.t.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRRoutes qw(:all);

plan tests => 8 + 7;

my $BIG = 100_000;

sub post_stream {
    my ($path) = @_;
    return raw_request('lr_routes', http_request(POST => $path,
        headers => ['Transfer-Encoding: chunked', 'Connection: close'],
        body => chunked(('c' x 1000) x ($BIG / 1000))), timeout => 20);
}

# mod_reflector: cut at the cap, answers 200 anyway.
{
    my $tag = tag('rt-cut-reflector');
    my $before = counters('lr_routes');
    my $res = post_stream("/rt-cut-reflector/$tag");
    ok t_cmp($res->{status}, 200,
             "reflector, chunked $BIG bytes past a 64K cap: the client gets "
             . '200 (mod_reflector ignores the failed read)');
    cut_reported_not_refused($tag, $before, qr/\breflector\b/, 'reflector');
}

# Control: mod_cgid answers the failed read with 413, a real refusal.
# The first 1000 bytes go alone; the rest once the CGI has started, so
# that it is there to be given what passes the cap.
{
    my $tag = tag('rt-cut-cgi');
    my $before = counters('lr_routes');
    my ($res, $started) = stream_once_started("/rt-cut-cgi/$tag", $tag,
                                              $BIG, 1000);
    my @runs = runs_after($tag);
    my $read = max_read(@runs);
    my @refused = wait_for_lines('error_log',
                                 qr/LR00001: refused .*\Q$tag\E.* with 413/);
    # An LR00005 line would come when the request's pool goes, just after
    # the access log line: give it a second to show up.
    my @cut = wait_for_lines('error_log', qr/LR00005:.*\Q$tag\E/, 1);
    my $after = counters('lr_routes');
    ok t_cmp($res->{status}, 413,
             "control: CGI, chunked $BIG bytes past a 64K cap: 413");
    ok t_cmp($started, 1, 'the CGI started on the first 1000 bytes');
    ok t_cmp(defined $read && $read <= 65536 ? 1 : 0, 1,
             'the CGI was given no more than the 65536 bytes of the cap (it '
             . 'read ' . ($read // 'nothing') . ')');
    ok t_cmp(scalar @refused, 1,
             'the "LR00001: refused ... with 413" line is logged');
    ok t_cmp(scalar @cut, 0, 'and no LR00005 line');
    ok t_cmp(counter_delta($before, $after, 'LengthRequiredStreamTooLarge'), 1,
             'mod_status: LengthRequiredStreamTooLarge went up by 1');
    ok t_cmp(counter_delta($before, $after, 'LengthRequiredStreamCut'), 0,
             'and LengthRequiredStreamCut did not change');
}
