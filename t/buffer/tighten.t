# LengthRequiredChunked under LengthRequiredHtaccess TightenOnly: the order
# of strictness is Deny, then Buffer, then Allow.  A tenant under Allow may
# choose Buffer or Deny, under Buffer only Deny, under Deny nothing looser.
# Under Any the tenant's word holds.  The tree t/htdocs/buffer-tenant/
# SERVER/to-TENANT (t/conf/buffer.conf.in); the handler is mod_reflector.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRBuffer qw(:all);

# [server, tenant, TightenOnly's result, Any's]: 'allow' passes the body
# as it streams, 'buffer' buffers it, 'deny' refuses it with 411.
my @cases = (
    ['allow', 'allow', 'allow', 'allow'],
    ['allow', 'buffer', 'buffer', 'buffer'],
    ['allow', 'deny', 'deny', 'deny'],
    ['buffer', 'allow', 'buffer', 'allow'],
    ['buffer', 'buffer', 'buffer', 'buffer'],
    ['buffer', 'deny', 'deny', 'deny'],
    ['deny', 'allow', 'deny', 'allow'],
    ['deny', 'buffer', 'deny', 'buffer'],
    ['deny', 'deny', 'deny', 'deny'],
);

plan tests => 2 * @cases;

my %expect = (allow => [200, '-'], buffer => [200, 'buffered'],
              deny => [411, 'chunked']);

for my $c (@cases) {
    my ($server, $tenant, @want) = @$c;
    for my $v (['lr_buffer_tight', 'TightenOnly', $want[0]],
               ['lr_buffer_any', 'Any', $want[1]]) {
        my ($vhost, $mode, $result) = @$v;
        my $tag = tag("buf-tn-$server-$tenant");
        my $res = raw_request($vhost, http_request(POST =>
            "/$server/to-$tenant/index.txt?$tag",
            headers => ['Transfer-Encoding: chunked', 'Connection: close'],
            body => chunked_by('t' x 300, 17)));
        my ($status, $note) = @{ $expect{$result} };
        ok t_cmp("$res->{status} " . (lr_note($tag) // 'unlogged'),
                 "$status $note",
                 "$mode: server $server, .htaccess $tenant: $result "
                 . "($status, note $note)");
    }
}
