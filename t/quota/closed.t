# fail=closed: a request the quota store cannot charge is refused through
# the module's own error path, like every refusal: 503 with reason
# quota-store (note, JSON body where LengthRequiredErrorFormat asks for
# it, an ErrorDocument 503 where one applies), logged once as a refusal,
# counted once, and the connection closed.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRServer qw(free_port);
use LRTest qw(:all);
use LRQuota qw(:all);

plan tests => 11;

# Nothing listens on $dead: every charge fails at once.
my $dead = free_port();
my $store = "LengthRequiredQuotaStore memcache:127.0.0.1:$dead "
          . 'timeout=200ms fail=closed';

my ($json, $dir) = quota_server("$store\nLengthRequiredErrorFormat Json",
                                'closed 1000 1h');
my $r = upload($json, '/up/x', 100);
ok t_cmp($r->{status}, 503, 'the store cannot charge: 503');
ok t_cmp($r->{headers}{'content-type'}, qr{^application/json},
         'with the JSON body LengthRequiredErrorFormat Json asks for');
ok t_cmp(json_field($r->{body}, 'reason'), 'quota-store',
         'reason quota-store');
ok t_cmp(json_field($r->{body}, 'status'), 503, 'status 503 in the body');
ok t_cmp(json_field($r->{body}, 'error'), 'service_unavailable',
         'error service_unavailable');
ok t_cmp(lc($r->{headers}{connection} // ''), 'close',
         'the connection is closed, as after every refusal');
ok t_cmp(store_errors($json), 1, 'counted once as a store error');
my @refused = grep { /LR00001: refused POST \/up\/x .* with 503, reason quota-store/ }
              log_lines("$dir/error_log");
ok t_cmp(scalar(@refused), 1, 'logged once as a refusal (LR00001)');
$r = upload($json, '/up/y', 0);
ok t_cmp($r->{status}, 200, 'a body of 0 bytes is not charged: 200');

my ($doc) = quota_server("$store\nErrorDocument 503 \"quota store down\"",
                         'closed 1000 1h');
$r = upload($doc, '/up/x', 100);
ok t_cmp($r->{status}, 503, 'with an ErrorDocument 503: still 503');
ok t_cmp($r->{body}, qr/quota store down/, 'and the ErrorDocument is the body');
