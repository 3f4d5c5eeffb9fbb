# What the upload max's refusals leave behind: LengthRequiredRefusedUploadMax
# in mod_status (totals and the host's own line; the 413s and the 400s of
# malformed fields alike), the note upload-max or upload-field in the
# access log, and the LR00001 line with the total and the limit.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(tag lr_note wait_for_lines raw_request http_request
              parse_auto);
use LRRoutes qw(counters counter_delta);
use LRUpload qw(:all);

plan tests => 3 + 3 + 2;

# The host's own figures, from the ?auto lines with [name:port].
sub host_counters {
    my $res = raw_request('lr_upload', http_request(GET => '/rt-status?auto',
        headers => ['Connection: close']));
    my $all = parse_auto($res->{body});
    my $port = Apache::Test::vars('lr_upload_port');
    return { map { /^(\w+)\[[^\]]*:\Q$port\E\]$/ ? ($1 => $all->{$_}) : () }
             keys %$all };
}

my ($before, $host_before) = (counters('lr_upload'), host_counters());
my $over = tag('up-status-over');
my $bad = tag('up-status-bad');
my $ok = tag('up-status-ok');
upload_req('PATCH', "/up-cgi/$over", ['Upload-Offset: 1000000'],
           declare => 100_000);
upload_req('PATCH', "/up-cgi/$bad", ['Upload-Offset: -1'], body => 10);
upload_req('PATCH', "/up-cgi/$ok", ['Upload-Offset: 900000'], body => 10);
my @line = wait_for_lines('error_log',
                          qr/LR00001: refused PATCH \S*\Q$over\E/, 5);
my ($after, $host_after) = (counters('lr_upload'), host_counters());

ok t_cmp(counter_delta($before, $after, 'LengthRequiredRefusedUploadMax'), 2,
         'LengthRequiredRefusedUploadMax went up by 2 (the 413 and the 400)');
ok t_cmp(counter_delta($host_before, $host_after,
                       'LengthRequiredRefusedUploadMax'), 2,
         'and so did the host\'s own line');
ok t_cmp(counter_delta($before, $after, 'LengthRequiredJudged'), 3,
         'the three requests were judged');

ok t_cmp(lr_note($over), 'upload-max', 'the 413\'s note is upload-max');
ok t_cmp(lr_note($bad), 'upload-field', 'the 400\'s note is upload-field');
ok t_cmp(lr_note($ok), '-', 'the append that fits has none');

ok t_cmp($line[0] // '',
         qr/\[length_required:info\].* with 413, reason upload-max \(the upload would reach 1100000 bytes, limit 1048576\)/,
         'LR00001 at info: the total the upload would reach and the limit');

my $html = raw_request('lr_upload', http_request(GET => '/rt-status',
    headers => ['Connection: close']))->{body};
ok t_cmp($html, qr{<th>Upload max \(413, 400\)</th>},
         'the status page has the counter\'s column');
