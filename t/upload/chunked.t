# An append of unknown length (chunked; HTTP/2 in h2c.t) cannot be judged
# from its head: under LengthRequiredChunked Allow it is counted as it
# streams and cut where the upload would pass LengthRequiredUploadMax 1M
# (1,048,576 bytes), that is at the max less its offset, by the same
# streamed cap as LengthRequiredMaxBody's: the read past it fails, the
# recording CGI answers 413, and the refusal is reported as the streamed
# cap's (LR00001 with the limit, LengthRequiredStreamTooLarge, note
# too-large).  The body goes in two parts so that the CGI is there to be
# given what passes the cap.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(tag http_request chunked send_in_two_parts lr_note
              wait_for_lines);
use LRRoutes qw(runs counters counter_delta);
use LRUpload qw(:all);

plan tests => 7 + 3 + 3;

# PATCH $bytes chunked at $offset to the CGI: 1000 bytes, then, once the
# CGI has started, the rest.
sub append_streamed {
    my ($tag, $offset, $bytes) = @_;
    my $rest = $bytes - 1000;
    return send_in_two_parts('lr_upload',
        http_request(PATCH => "/up-cgi/$tag",
                     headers => ["Upload-Offset: $offset",
                                 'Upload-Complete: ?0',
                                 'Transfer-Encoding: chunked',
                                 'Connection: close'])
        . sprintf("%x\r\n%s\r\n", 1000, 's' x 1000),
        sub { grep { $_->{what} eq 'start' } runs($tag) },
        chunked(('s' x 1000) x int($rest / 1000)));
}

# Offset 1,000,000 and 100,000 bytes: cut past 48,576.
{
    my $tag = tag('up-chunked-cut');
    my $before = counters('lr_upload');
    my ($res, $started) = append_streamed($tag, 1_000_000, 100_000);
    my ($starts, $read) = handler_got($tag);
    my @line = wait_for_lines('error_log',
                              qr/LR00001: refused PATCH \S*\Q$tag\E/, 5);
    my $after = counters('lr_upload');
    ok t_cmp($res->{status}, 413,
             'chunked append of 100,000 bytes at offset 1,000,000: 413');
    ok t_cmp($started, 1, 'the CGI had started on the first 1000 bytes');
    ok t_cmp(defined $read && $read <= MAX - 1_000_000 ? 1 : 0, 1,
             'the CGI was given at most 48,576 bytes, the max less the '
             . 'offset (it read ' . ($read // 'nothing') . ')');
    ok t_cmp(defined $read && $read >= 1000 ? 1 : 0, 1,
             'and it was given the bytes before the cut');
    ok t_cmp(lr_note($tag), 'too-large', 'the note is the streamed cap\'s');
    ok t_cmp($line[0] // '', qr/passed the limit of 48576 bytes/,
             'LR00001 names the cap, 48576 bytes');
    ok t_cmp(counter_delta($before, $after, 'LengthRequiredStreamTooLarge'),
             1, 'LengthRequiredStreamTooLarge went up by 1');
}

# Control: offset 900,000 and 100,000 bytes end at 1,000,000, under it.
{
    my $tag = tag('up-chunked-fits');
    my ($res, $started) = append_streamed($tag, 900_000, 100_000);
    my ($starts, $read) = handler_got($tag);
    ok t_cmp($res->{status}, 200,
             'control: chunked append of 100,000 bytes at offset 900,000: '
             . '200');
    ok t_cmp($read, 100_000, 'the CGI read all 100,000 bytes');
    ok t_cmp(lr_note($tag), '-', 'no note');
}

# An append of unknown length that starts at the max can carry nothing:
# 413 from the head, with Upload-Limit.
{
    my $tag = tag('up-chunked-full');
    my $res = upload_req('PATCH', "/up-cgi/$tag",
                         ['Upload-Offset: 1048576', 'Upload-Complete: ?0'],
                         chunked => 10);
    my ($starts) = handler_got($tag);
    ok t_cmp($res->{status}, 413, 'chunked append at offset 1,048,576: 413');
    ok t_cmp($res->{headers}{'upload-limit'}, 'max-size=1048576',
             'with Upload-Limit');
    ok t_cmp($starts, 0, 'the CGI never ran');
}
