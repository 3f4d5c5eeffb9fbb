# LengthRequiredErrorFormat: the body of the module's own 411/413 answers,
# ErrorDocument precedence, Accept negotiation under Auto, and HEAD.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/../lib";
use JSON::PP ();
use LRTest qw(raw_request http_request chunked);

plan tests => 62;

my $vhost = 'lr_format';

# One raw request on a fresh connection (LRTest): a refusal closes the
# connection, and every request here says Connection: close.
sub raw {
    my ($request) = @_;
    my $res = raw_request($vhost, $request);
    return { code => $res->{status}, h => $res->{headers}, body => $res->{body} };
}

sub post_nolength {
    my ($path, @headers) = @_;
    return raw(http_request(POST => $path,
                            headers => [@headers, 'Connection: close']));
}

# A chunked body of $size bytes, in chunks of at most 256.
sub post_chunked {
    my ($path, $size, @headers) = @_;
    my @pieces;
    for (my $left = $size; $left > 0; $left -= 256) {
        push @pieces, 'c' x ($left > 256 ? 256 : $left);
    }
    return raw(http_request(POST => $path, body => chunked(@pieces),
        headers => [@headers, 'Transfer-Encoding: chunked', 'Connection: close']));
}

sub post_sized {
    my ($path, $size, @headers) = @_;
    return raw(http_request(POST => $path, body => 'x' x $size,
        headers => [@headers, "Content-Length: $size", 'Connection: close']));
}

sub is_json {
    my ($res) = @_;
    return ($res->{h}{'content-type'} // '') =~ m{^application/json;\s*charset=utf-8$}i;
}

sub decode {
    my ($res) = @_;
    my $obj = eval { JSON::PP::decode_json($res->{body}) };
    return $obj // {};
}

# --- Html: httpd's own error page -------------------------------------------
my $res = post_nolength('/html/x');
ok t_cmp($res->{code}, 411, 'Html: POST without length is refused with 411');
ok t_cmp($res->{h}{'content-type'}, qr{^text/html}, 'Html: the body is text/html');
ok t_cmp($res->{body}, qr{Length Required}, "Html: httpd's standard 411 page");

# --- Json: one JSON object --------------------------------------------------
$res = post_nolength('/json/x');
my $j = decode($res);
ok t_cmp($res->{code}, 411, 'Json: missing length still answers 411');
ok t_cmp(is_json($res) ? 1 : 0, 1, 'Json: Content-Type is application/json with charset');
ok t_cmp($j->{status}, 411, 'Json: "status" is the number 411');
ok t_cmp($j->{error}, 'content_length_required', 'Json: "error" token for 411');
ok t_cmp($j->{reason}, 'missing-length', 'Json: "reason" is the note token');
ok t_cmp($j->{message}, qr/Content-Length/, 'Json: "message" tells the client to send Content-Length');
ok t_cmp(!exists $j->{limit} ? 1 : 0, 1, 'Json: no "limit" on a 411');
ok t_cmp($res->{body}, qr/^\{.*\}\s*$/s, 'Json: the body is exactly one JSON object');

$res = post_chunked('/json/x', 10);
$j = decode($res);
ok t_cmp($res->{code}, 411, 'Json: chunked under Deny is 411');
ok t_cmp($j->{reason}, 'chunked', 'Json: reason chunked');
ok t_cmp($j->{error}, 'content_length_required', 'Json: 411 error token for chunked');

$res = post_sized('/json/x', 2000);
$j = decode($res);
ok t_cmp($res->{code}, 413, 'Json: declared length over the cap is 413');
ok t_cmp(is_json($res) ? 1 : 0, 1, 'Json: the 413 is JSON too');
ok t_cmp($j->{status}, 413, 'Json: "status" 413');
ok t_cmp($j->{error}, 'payload_too_large', 'Json: "error" token for 413');
ok t_cmp($j->{reason}, 'too-large', 'Json: reason too-large');
ok t_cmp($j->{limit}, 1024, 'Json: "limit" is the cap in bytes');
ok t_cmp($j->{message}, qr/1024/, 'Json: the message names the limit');
ok t_cmp($res->{body}, qr{^(?!.*(?:/tmp|htdocs|cgi-bin|\.pl)).*$}s,
         'Json: no paths or configuration details in the body');

# --- the streamed cap -------------------------------------------------------
$res = post_chunked('/stream/x', 4000);
$j = decode($res);
ok t_cmp($res->{code}, 413, 'streamed: a chunked body past the cap fails with 413');
ok t_cmp(is_json($res) ? 1 : 0, 1, 'streamed: the 413 is JSON');
ok t_cmp($j->{reason}, 'too-large', 'streamed: reason too-large');
ok t_cmp($j->{limit}, 1024, 'streamed: "limit" is the cap');

$res = post_chunked('/stream/x', 500);
ok t_cmp($res->{code}, 200, 'streamed: a chunked body under the cap passes');
ok t_cmp($res->{h}{'x-body-length'}, 500, 'streamed: the CGI read all of it');

# An internal redirect (per-directory RewriteRule) to the CGI: the body is
# read by the redirected request, and still held to the cap.
$res = post_chunked('/format-redir/index.txt', 4000);
ok t_cmp($res->{code}, 413, 'redirected: a chunked body past the cap still fails with 413');
ok t_cmp(decode($res)->{limit}, 1024, 'redirected: the 413 is the module\'s, with its limit');
$res = post_chunked('/format-redir/index.txt', 1000);
ok t_cmp($res->{code}, 200, 'redirected: a chunked body under the cap passes');
ok t_cmp($res->{h}{'x-body-length'}, 1000, 'redirected: the CGI read all of it');

# --- HEAD: headers, no body -------------------------------------------------
$res = raw(http_request(HEAD => '/json-head/x', headers => ['Connection: close']));
ok t_cmp($res->{code}, 411, 'HEAD without length, HEAD in the methods: 411');
ok t_cmp(is_json($res) ? 1 : 0, 1, 'HEAD: Content-Type says JSON');
ok t_cmp(length $res->{body}, 0, 'HEAD: no body');

# --- ErrorDocument wins over Json, in all three forms -----------------------
$res = post_nolength('/errdoc-string/x');
ok t_cmp($res->{code}, 411, 'ErrorDocument string: 411');
ok t_cmp($res->{body}, qr/^custom 411 text/, 'ErrorDocument string: its text, not JSON');
ok t_cmp(!is_json($res) ? 1 : 0, 1, 'ErrorDocument string: not JSON');
$res = post_sized('/errdoc-string/x', 2000);
ok t_cmp($res->{body}, qr/^custom 413 text/, 'ErrorDocument string: 413 text');

$res = post_nolength('/errdoc-local/x');
ok t_cmp($res->{code}, 411, 'ErrorDocument local URL: status stays 411');
ok t_cmp($res->{body}, qr/local 411 document/, 'ErrorDocument local URL: the document');
ok t_cmp(!is_json($res) ? 1 : 0, 1, 'ErrorDocument local URL: not JSON');
$res = post_chunked('/errdoc-local/x', 10);
ok t_cmp($res->{body}, qr/local 411 document/, 'ErrorDocument local URL: also for chunked');

$res = post_nolength('/errdoc-external/x');
ok t_cmp($res->{code}, 302, 'ErrorDocument external URL: a redirect');
ok t_cmp($res->{h}{location}, 'http://errors.example.invalid/411',
         'ErrorDocument external URL: Location is the document');
$res = post_sized('/errdoc-external/x', 2000);
ok t_cmp($res->{h}{location}, 'http://errors.example.invalid/413',
         'ErrorDocument external URL: 413 too');

# --- Auto: Accept negotiation -----------------------------------------------
my @cases = (
    [undef,                                   0, 'no Accept header'],
    ['application/json',                      1, 'application/json'],
    ['*/*',                                   0, '*/* alone'],
    ['application/problem+json',              1, 'a +json type'],
    ['text/html;q=0.9, application/json',     1, 'json preferred by q'],
    ['application/json;q=0.5, text/html',     0, 'html preferred by q'],
    ['text/html, application/json',           0, 'a tie between named types'],
    ['application/json, text/plain, */*',     1, 'json named, html only by */*'],
    ['application/json;q=0, text/html',       0, 'json refused with q=0'],
    ['text/html;q=0.1, */*;q=0.5',            1, 'html only q=0.1, */* higher'],
    ['text/*;q=0.8, application/json;q=0.8',  1, 'json named ties text/*'],
    ['application/json; q=1.0; charset=utf-8, text/html; q=0.7', 1,
        'q with spaces and other parameters'],
    ['application/json;q=abc, text/html',     0, 'a malformed q is ignored'],
);
for my $c (@cases) {
    my ($accept, $want_json, $what) = @$c;
    $res = post_nolength('/auto/x', defined $accept ? ("Accept: $accept") : ());
    ok t_cmp(is_json($res) ? 'json' : 'html', $want_json ? 'json' : 'html',
             "Auto: $what");
}
$res = post_nolength('/auto/x');
ok t_cmp($res->{h}{vary} // '', qr/\bAccept\b/, 'Auto: an Html answer carries Vary: Accept');
$res = post_nolength('/auto/x', 'Accept: application/json');
ok t_cmp($res->{h}{vary} // '', qr/\bAccept\b/, 'Auto: a Json answer carries Vary: Accept');
$res = post_nolength('/json/x', 'Accept: application/json');
ok t_cmp($res->{h}{vary} // '', qr/^(?!.*Accept)/, 'Json (not Auto): no Vary: Accept');
