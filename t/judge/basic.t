use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;

plan tests => 3;

my $res = POST '/on/x', content => 'hello';
ok t_cmp($res->code, 200, 'POST with Content-Length passes');

my $sock = Apache::TestRequest::vhost_socket();
print $sock "POST /on/x HTTP/1.1\r\nHost: localhost\r\n\r\n";
my $line = <$sock>;
ok t_cmp($line, qr{^HTTP/1\.1 411 }, 'POST without length gets 411');

$res = POST '/cap/x', content => 'x' x 2000;
ok t_cmp($res->code, 413, 'Content-Length over the cap gets 413');
