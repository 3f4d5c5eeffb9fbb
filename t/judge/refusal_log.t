# Every refusal is logged once in the error log, at info level (httpd's
# level for client errors), with the module's tag LR00001 and what an
# operator needs to act: client address, method, URI, reason, and the
# declared length and the cap where they apply.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

# [what, method, location, headers, body, status, reason, numbers that
#  must appear: the declared length and the cap]
my @refusals = (
    ['missing length', 'POST', '/on', [], '', 411, 'missing-length', []],
    ['missing length, PUT', 'PUT', '/cap', [], '', 411, 'missing-length', []],
    ['chunked under Deny', 'POST', '/on',
     ['Transfer-Encoding: chunked'], chunked('x'), 411, 'chunked', []],
    ['declared length over the cap', 'POST', '/cap',
     ['Content-Length: 2000'], '', 413, 'too-large', [2000, 1024]],
    ['streamed body over the cap', 'POST', '/chunked-ok',
     ['Transfer-Encoding: chunked'], chunked('y' x 2000), 413, 'too-large',
     [1024]],
);

plan tests => 7 * @refusals + 1;

for my $r (@refusals) {
    my ($what, $method, $where, $headers, $body, $status, $reason, $numbers)
        = @$r;
    my $tag = tag('log');
    my $path = "$where/$tag";
    my $res = raw_request(undef,
        http_request($method, $path, headers => $headers, body => $body));
    ok t_cmp($res->{status}, $status, "$what: refused with $status");
    request_finished($tag);

    my @lines = error_lines(qr/LR00001:.*\Q$path\E/);
    ok t_cmp(scalar @lines, 1, "$what: logged exactly once with tag LR00001");
    my $line = $lines[0] // '';
    ok t_cmp($line, qr/\[length_required:info\]/,
             'at info level, under the module\'s name');
    ok t_cmp($line, qr/127\.0\.0\.1/, 'with the client address');
    ok t_cmp($line, qr/\b\Q$method $path\E\b/, 'with the method and the URI');
    ok t_cmp($line, qr/\b$status\b.*\breason \Q$reason\E\b/,
             "with the status and the reason $reason");
    my @missing = grep { $line !~ /\b$_\b/ } @$numbers;
    ok t_cmp("@missing", '',
             @$numbers ? "with the declared length and cap (@$numbers)"
                       : 'no length or cap to report for this reason');
}

# A request that passes is not logged.
{
    my $tag = tag('log-pass');
    my $res = raw_request(undef, http_request(POST => "/cap/$tag",
        headers => ['Content-Length: 5', 'Connection: close'], body => 'hello'));
    request_finished($tag);
    ok t_cmp(scalar error_lines(qr/LR0000\d:.*\Q$tag\E/), 0,
             'a request that passes leaves no LR line in the error log');
}
