# An append refused for the upload max never gets "100 Continue": the
# client that sends its head with Expect: 100-continue and waits reads the
# final 413 first, so it never sends the body.  The control, an append
# under the max, does get the 100 once the CGI reads.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use LRTest qw(tag http_request first_line read_rest);
use LRUpload qw(:all);

plan tests => 3 + 1;


{
    my ($line, $sock) = first_line('lr_upload', http_request(PATCH => '/up-cgi/'
        . tag('up-expect'), headers => ['Upload-Offset: 1000000',
        'Content-Length: 100000', 'Expect: 100-continue']));
    ok t_cmp($line, qr{^HTTP/1\.1 413 },
             'append past the max with Expect: 100-continue: the first line '
             . 'is the final 413');
    my $rest = read_rest($sock, 10);
    ok t_cmp(scalar(() = "$line\r\n$rest" =~ m{^HTTP/1\.1 100 }mg), 0,
             'no 100 Continue anywhere in what the server sent');
    ok t_cmp($rest, qr/^Upload-Limit: max-size=1048576\r$/m,
             'the 413 carries Upload-Limit');
}

{
    my ($line) = first_line('lr_upload', http_request(PATCH => '/up-cgi/'
        . tag('up-expect-ok'), headers => ['Upload-Offset: 900000',
        'Content-Length: 100000', 'Expect: 100-continue']));
    ok t_cmp($line, qr{^HTTP/1\.1 100 },
             'control: an append under the max gets 100 Continue');
}
