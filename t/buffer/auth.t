# LengthRequiredChunked Buffer reads the body after authentication and
# authorization: a client without credentials gets its 401 while it has
# not sent one byte of the body (httpd would otherwise read and discard the
# body before answering 401), and a client that asked for 100-continue gets
# the 100 only once the credentials have passed.  Scenario: /buf-auth/ of
# the lr_buffer host (t/conf/buffer.conf.in).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest ();
use Apache::TestUtil;
use IO::Select ();
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time);
use LRTest qw(:all);
use LRBuffer qw(:all);

plan tests => 4 + 4 + 3 + 3;

my $AUTH = 'Authorization: Basic ' . encode_base64('lr-user:lr-secret', '');

# Sends the request head alone, then waits up to $wait seconds for what
# the server sends.  Returns the socket (still open), what was read, and
# whether the server closed the connection.
sub head_only {
    my ($path, $wait, @headers) = @_;
    my $sock = Apache::TestRequest::vhost_socket('lr_buffer')
        or die "cannot connect: $!";
    print $sock http_request(POST => $path,
        headers => ['Transfer-Encoding: chunked', @headers]);
    my ($raw, $eof, $start) = ('', 0, time);
    my $sel = IO::Select->new($sock);
    while ((my $left = $start + $wait - time) > 0) {
        last unless $sel->can_read($left);
        my $n = sysread $sock, my $buf, 65536;
        if (!$n) {
            $eof = 1;
            last;
        }
        $raw .= $buf;
        # A complete interim or final response head is enough to go on.
        last if $raw =~ /\r\n\r\n/ && $raw !~ /^HTTP\/1\.1 401/;
    }
    return ($sock, $raw, $eof, time - $start);
}

sub runs {
    my ($tag) = @_;
    return scalar grep { /\Q$tag\E/ } log_lines('buffer_runs.log');
}

# No credentials, no Expect: the 401 comes at once, before the body.
{
    my $tag = tag('buf-auth-none');
    my ($sock, $raw, $eof, $took) = head_only("/buf-auth/buffer_md5.pl?$tag", 8);
    close $sock;
    ok t_cmp($raw, qr{^HTTP/1\.1 401 }, 'no credentials: 401 while the body '
             . 'is still unsent');
    ok t_cmp($took < 4 ? 1 : 0, 1, sprintf('... within %.1f s, not after the '
             . 'server waited for a body to discard', $took));
    ok t_cmp($eof, 1, '... and the server closed the connection (nothing of '
             . 'the body will be read)');
    request_finished($tag);
    ok t_cmp(runs($tag), 0, '... the CGI never ran');
}

# No credentials, Expect: 100-continue: no 100, the 401.
{
    my $tag = tag('buf-auth-expect');
    my ($sock, $raw, $eof) = head_only("/buf-auth/buffer_md5.pl?$tag", 8,
                                       'Expect: 100-continue');
    close $sock;
    ok t_cmp($raw, qr{^HTTP/1\.1 401 }, 'no credentials, 100-continue: 401');
    ok t_cmp($raw, qr/^(?!.*100 Continue)/s, '... and no 100 Continue');
    ok t_cmp($eof, 1, '... and the connection closed');
    request_finished($tag);
    ok t_cmp(runs($tag), 0, '... the CGI never ran');
}

# Credentials and Expect: 100-continue: the 100 once authorization has
# passed, then the body, buffered, to the CGI.
{
    my $tag = tag('buf-auth-ok');
    my $body = body_of(70_000, 9);
    my ($sock, $raw) = head_only("/buf-auth/buffer_md5.pl?$tag", 8,
                                 'Expect: 100-continue', $AUTH,
                                 'Connection: close');
    ok t_cmp($raw, qr{^HTTP/1\.1 100 }, 'valid credentials, 100-continue: '
             . 'the 100 comes');
    print $sock chunked_by($body, 4093);
    my ($res) = grep { $_->{status} >= 200 }
                parse_responses($raw . read_rest($sock, 20));
    ok t_cmp($res ? $res->{status} : 0, 200, '... then 200');
    ok t_cmp($res ? $res->{body} : '', qr/cl=70000 te=- read=70000 md5=\Q${\ md5_hex($body)}\E/,
             '... and the CGI got the body with CONTENT_LENGTH');
}

# Credentials, body sent at once: keep-alive works after a buffered body
# (the connection mark of the not-yet-authorized request is taken back).
{
    my $tag = tag('buf-auth-keep');
    my $body = chunked_by('k' x 100, 10);
    my $x = raw_exchange('lr_buffer',
        http_request(POST => "/buf-auth/buffer_md5.pl?$tag-1",
                     headers => ['Transfer-Encoding: chunked', $AUTH],
                     body => $body)
        . http_request(POST => "/buf-auth/buffer_md5.pl?$tag-2",
                       headers => ['Transfer-Encoding: chunked', $AUTH,
                                   'Connection: close'], body => $body),
        timeout => 20);
    my @res = grep { $_->{status} >= 200 } parse_responses($x->{raw});
    ok t_cmp(scalar(@res), 2, 'two buffered requests on one connection: '
             . 'two responses');
    ok t_cmp(join(' ', map { $_->{status} } @res), '200 200', '... both 200');
    ok t_cmp($res[1] ? $res[1]{body} : '', qr/cl=100 te=- read=100/,
             '... the second one buffered too');
}
