# Upload quotas and LengthRequiredChunked Buffer (t/conf/quota.conf.in,
# /q/buffer: a 1000-byte budget an hour).  A body without a declared
# length that Buffer reads whole is charged its length once read, before
# the handler runs: over the budget it gets 429 and the CGI never runs;
# within it the charge stays (the body arrived), and the next request sees
# what is left.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRQuota qw(:all);

plan tests => 9;

my $V = 'lr_quota';

sub post_chunked {
    my ($len) = @_;
    my $tag = tag('qbuf');
    my $res = raw_request($V, http_request(POST => "/q/buffer/$tag",
        headers => ['Transfer-Encoding: chunked', 'Connection: close'],
        body => chunked(('b' x 100) x ($len / 100))));
    $res->{tag} = $tag;
    return $res;
}

my $r = post_chunked(600);
ok t_cmp($r->{status}, 200, 'a chunked body of 600 bytes, buffered: 200');
my ($run) = cgi_runs($r->{tag});
ok t_cmp(($run // '') . ' ' . ($r->{headers}{'x-body-length'} // '-'),
         qr/ cl=600 te=- 600$/,
         'the CGI got it whole, with a Content-Length of 600 and no '
         . 'Transfer-Encoding');
ok t_cmp($r->{headers}{'ratelimit'}, qr/^"buffered";r=400;/,
         'and the budget was charged its 600 bytes: 400 left');

$r = post_chunked(600);
ok t_cmp($r->{status}, 429,
         'another 600 buffered would pass the budget: 429');
ok t_cmp(scalar(cgi_runs($r->{tag})), 0, 'and the CGI never ran');
ok t_cmp(json_field($r->{body}, 'reason'), 'quota',
         'the JSON body says why (reason quota)');

$r = upload($V, '/q/buffer/' . tag('qbuf-cl'), 300);
ok t_cmp($r->{status}, 200, 'a declared 300 bytes still fits: 200');
ok t_cmp($r->{headers}{'ratelimit'}, qr/^"buffered";r=100;/,
         'and leaves 100: the buffered 600 stayed charged, the refused one '
         . 'was not');

$r = upload($V, '/q/buffer/' . tag('qbuf-cl'), 200);
ok t_cmp($r->{status}, 429, '200 more would pass: 429');
