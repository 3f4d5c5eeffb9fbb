# Upload quotas on one machine (the shm store), on the lr_quota virtual
# host of t/conf/quota.conf.in: the declared length is charged before the
# body is read; a request that would pass the budget gets 429 with
# Retry-After and a JSON body naming the budget; one bigger than the whole
# budget gets 413; what never arrived is refunded; windows roll over;
# keys come from the address, a header or the authenticated user, and an
# empty key is not charged; LogOnly only reports; scopes replace and
# remove budgets by name; concurrent uploads admit exactly the budget.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use Digest::SHA qw(sha1_base64);
use IO::Socket::INET ();
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRQuota qw(:all);

plan tests => 87;

my $V = 'lr_quota';

# The quota_log line of the request with $tag: status, note, env.
sub logged {
    my ($tag) = @_;
    my ($line) = wait_for_lines('quota_log', qr/\Q$tag\E/);
    return {} unless defined $line;
    $line =~ /" (\d+) lr=(\S+) env=(\S+)$/ or return {};
    return { status => $1, note => $2, env => $3 };
}

sub post {
    my ($path, $len, @headers) = @_;
    my $tag = tag('quota');
    my $res = upload($V, "$path/$tag", $len, headers => \@headers);
    $res->{tag} = $tag;
    return $res;
}

# --- one per-address budget: 1000 bytes an hour ------------------------
my $r = post('/q/basic', 300);
ok t_cmp($r->{status}, 200, '300 of a 1000-byte budget: 200');
ok t_cmp($r->{headers}{'ratelimit-policy'},
         '"basic";q=1000;qu="content-bytes";w=3600',
         'RateLimit-Policy names the budget, its size in bytes, its window');
ok t_cmp($r->{headers}{'ratelimit'}, qr/^"basic";r=700;t=\d+$/,
         'RateLimit: 700 bytes left');
$r = post('/q/basic', 300);
ok t_cmp($r->{headers}{'ratelimit'}, qr/^"basic";r=400;/, 'then 400');
$r = post('/q/basic', 300);
ok t_cmp($r->{status}, 200, 'a third 300: 200 (900 charged)');
$r = post('/q/basic', 300);
my $until_hour = 3600 - (int(time) % 3600);
ok t_cmp($r->{status}, 429, 'a fourth 300 would pass 1000: 429');
ok t_cmp(abs(($r->{headers}{'retry-after'} // -99) - $until_hour) <= 2, 1,
         "Retry-After is the seconds until the hour's window ends "
         . "(~$until_hour, got " . ($r->{headers}{'retry-after'} // '-') . ')');
ok t_cmp($r->{headers}{'content-type'}, qr{^application/json},
         'the 429 body is JSON (LengthRequiredErrorFormat Json)');
ok t_cmp(json_field($r->{body}, 'reason'), 'quota', 'reason quota');
ok t_cmp(json_field($r->{body}, 'error'), 'quota_exceeded',
         'error quota_exceeded');
ok t_cmp(json_field($r->{body}, 'name'), 'basic', 'it names the budget');
ok t_cmp(json_field($r->{body}, 'size'), 1000, 'its size');
ok t_cmp(json_field($r->{body}, 'remaining'), 100, 'what is left (100)');
ok t_cmp(abs((json_field($r->{body}, 'reset') // -99) - $until_hour) <= 2, 1,
         'and when it resets');
ok t_cmp(logged($r->{tag})->{note}, 'quota', 'the note is quota');
ok t_cmp(scalar(cgi_runs($r->{tag})), 0, 'the CGI never ran for the 429');
ok t_cmp(scalar(error_lines(qr/LR00001: refused POST \/q\/basic\/\Q$r->{tag}\E .* with 429, reason quota/)), 1,
         'the refusal is logged once at info');
$r = post('/q/basic', 100);
ok t_cmp($r->{status}, 200, 'exactly the 100 left: 200');
$r = post('/q/basic', 1);
ok t_cmp($r->{status}, 429, 'then 1 byte more: 429');
$r = post('/q/basic', 2000);
ok t_cmp($r->{status}, 413,
         'a request bigger than the whole budget can never fit: 413');
ok t_cmp(json_field($r->{body}, 'limit'), 1000, 'naming the budget size');
ok t_cmp(logged($r->{tag})->{note}, 'too-large', 'the note is too-large');

# --- the budget is checked before a single body byte --------------------
# (right after the budget was spent: an hour's window could end between)
{
    my $tag = tag('quota');
    my ($res, $x) = raw_request($V, http_request(POST => "/q/basic/$tag",
        headers => ['Content-Length: 500', 'Expect: 100-continue']),
        timeout => 5);
    ok t_cmp($res->{status}, 429,
             'a spent budget answers 429 to the head alone');
    ok t_cmp(scalar(grep { $_->{status} == 100 } @{ $x->{responses} }), 0,
             'without 100 Continue');
    ok t_cmp($x->{eof}, 1, 'and closes the connection');
    ok t_cmp($x->{elapsed} < 3 ? 1 : 0, 1, 'at once');
}

# --- a budget per tenant (a header); no header: not charged ------------
ok t_cmp(post('/q/tenant', 800, 'X-Tenant: a')->{status}, 200,
         'tenant a: 800 of 1000');
ok t_cmp(post('/q/tenant', 800, 'X-Tenant: a')->{status}, 429,
         'tenant a: 800 more: 429');
ok t_cmp(post('/q/tenant', 800, 'X-Tenant: b')->{status}, 200,
         'tenant b has a budget of its own');
ok t_cmp(post('/q/tenant', 800, "X-Tenant: a b:c/\"d\"\t\xe9 " . ('z' x 300))->{status}, 200,
         'a key with spaces, control bytes and 300 characters is one too');
my @nokey = map { post('/q/tenant', 800)->{status} } 1 .. 3;
ok t_cmp("@nokey", '200 200 200',
         'no X-Tenant header: the key is empty and nothing is charged');

# --- a budget per user (Basic auth, charged after authentication) -------
my $pw = Apache::Test::vars('t_logs') . '/quota.htpasswd';
open my $fh, '>', $pw or die "$pw: $!";
for my $u (qw(alice bob)) {
    my $hash = sha1_base64('secret');
    $hash .= '=' while length($hash) % 4;
    print $fh "$u:{SHA}$hash\n";
}
close $fh;
sub basic { 'Authorization: Basic ' . MIME::Base64::encode_base64("$_[0]:secret", '') }
use MIME::Base64 ();
ok t_cmp(post('/q/user', 800, basic('alice'))->{status}, 200,
         'alice: 800 of 1000');
ok t_cmp(post('/q/user', 800, basic('alice'))->{status}, 429,
         'alice: 800 more: 429');
ok t_cmp(post('/q/user', 800, basic('bob'))->{status}, 200,
         'bob has a budget of his own');
ok t_cmp(post('/q/user', 800)->{status}, 401,
         'no credentials: 401 (and no key to charge)');
ok t_cmp(post('/q/user', 200, basic('alice'))->{status}, 200,
         'alice: the 200 left still fit (the 401 charged nobody)');

# --- window rollover: 2-second windows ---------------------------------
# Start just after a window begins, so both requests fall in it.
sleep 2 - (time - 2 * int(time / 2)) + 0.05;
ok t_cmp(post('/q/roll', 800)->{status}, 200, '800 in a 2 s window');
$r = post('/q/roll', 800);
ok t_cmp($r->{status}, 429, '800 more in the same window: 429');
ok t_cmp($r->{headers}{'retry-after'}, qr/^[12]$/,
         'Retry-After: the 1 or 2 s until the window ends');
sleep 2 - (time - 2 * int(time / 2)) + 0.05;
ok t_cmp(post('/q/roll', 800)->{status}, 200,
         'in the next window the budget is whole again');

# --- LogOnly: charged the same way, never refused ----------------------
$r = post('/q/logonly', 800);
ok t_cmp($r->{status}, 200, 'LogOnly: 800 of 1000');
ok t_cmp(logged($r->{tag})->{env}, '-', 'no violation yet');
$r = post('/q/logonly', 800);
ok t_cmp($r->{status}, 200, 'LogOnly: 800 more passes all the same');
my $l = logged($r->{tag});
ok t_cmp($l->{note}, 'quota', 'with the note quota');
ok t_cmp($l->{env}, 'quota', 'and LENGTH_REQUIRED_VIOLATION=quota');
ok t_cmp(scalar(error_lines(qr/LR00042: would refuse POST \/q\/logonly\/\Q$r->{tag}\E with 429/)), 1,
         'and a warning');
ok t_cmp(logged(post('/q/logonly', 200)->{tag})->{env}, '-',
         'the would-be refusal was not charged: 200 more fit');
ok t_cmp(logged(post('/q/logonly', 1)->{tag})->{env}, 'quota',
         'and then 1 byte more would not');
$r = post('/q/logonly', 1500);
ok t_cmp($r->{status}, 200, 'LogOnly: 1500, more than the whole budget, '
         . 'passes');
ok t_cmp(logged($r->{tag})->{env}, 'too-large',
         'reported as the 413 it would have been');

# --- refund: a client that aborts --------------------------------------
{
    my $tag = tag('quota');
    my $s = Apache::TestRequest::vhost_socket($V) or die "connect: $!";
    print $s http_request(POST => "/q/abort/$tag",
        headers => ['Content-Length: 1000']), 'a' x 100;
    sleep 0.3;
    close $s;
    ok t_cmp(logged($tag)->{status} ? 1 : 0, 1,
             'a client declared 1000, sent 100 and went away');
    sleep 0.2;
}
ok t_cmp(post('/q/abort', 900)->{status}, 200,
         'the 900 that never arrived were refunded: 900 fit');
ok t_cmp(post('/q/abort', 1)->{status}, 429,
         'the 100 that arrived stay charged');

# --- refund: refused after the charge, the body never read --------------
{
    my $tag = tag('quota');
    my ($res, $x) = raw_request($V, http_request(POST => "/q/denied/$tag",
        headers => ['Content-Length: 1000', 'Expect: 100-continue']),
        timeout => 5);
    ok t_cmp($res->{status}, 403, 'charged 1000, then refused by Require '
             . '(403; the client sent the head only and httpd reads no '
             . 'body after Expect: 100-continue)');
    ok t_cmp(logged($tag)->{status}, 403, 'the request has ended');
    sleep 0.2;
}
ok t_cmp(post('/q/granted', 1000)->{status}, 200,
         'the same budget elsewhere: the 1000 never read were refunded');
ok t_cmp(post('/q/granted', 1)->{status}, 429, 'and the upload that arrived '
         . 'stays charged');

# --- scopes: inherit, add, replace by name, Off -------------------------
$r = post('/q/scope/more', 250);
ok t_cmp($r->{status}, 200, '/q/scope/more: 250 of "more" (300) and of '
         . '"outer" (1000)');
$r = post('/q/scope/more', 100);
ok t_cmp($r->{status}, 429, '100 more passes "more": 429');
ok t_cmp(json_field($r->{body}, 'name'), 'more', 'naming "more"');
$r = post('/q/scope/more', 400);
ok t_cmp($r->{status}, 413, '400 is bigger than "more" itself: 413');
$r = post('/q/scope/x', 750);
ok t_cmp($r->{status}, 200, '/q/scope/x: 750 more of "outer" fit (the 100 '
         . 'charged to "outer" for the 429 was undone)');
$r = post('/q/scope/x', 1);
ok t_cmp($r->{status}, 429, '"outer" is spent: 429');
ok t_cmp(json_field($r->{body}, 'name'), 'outer', 'naming "outer"');
ok t_cmp(post('/q/scope/wide', 2500, 'X-Tenant: w')->{status}, 200,
         '/q/scope/wide replaces "outer" by a 3000-byte per-tenant budget');
ok t_cmp(post('/q/scope/wide', 600, 'X-Tenant: w')->{status}, 429,
         'which is enforced (2500 + 600 > 3000)');
ok t_cmp(post('/q/scope/off', 5000)->{status}, 200,
         '/q/scope/off removes "outer": 5000 pass');
ok t_cmp(post('/q/scope/off', 5000)->{status}, 200, 'and again');

# --- not in .htaccess, whatever AllowOverride says ----------------------
my ($ht) = raw_request($V, "GET /quota-ht/index.txt HTTP/1.0\r\n\r\n");
ok t_cmp($ht->{status}, 500, 'LengthRequiredQuota in a .htaccess under '
         . 'AllowOverride All: 500');
ok t_cmp(scalar(error_lines(qr/quota-ht\/\.htaccess: LengthRequiredQuota not allowed here/)), 1,
         'the error log says the directive is not allowed there');

# --- ErrorDocument 429 -------------------------------------------------
ok t_cmp(post('/q/errdoc', 100)->{status}, 200, 'errdoc: 100 of 100');
$r = post('/q/errdoc', 1);
ok t_cmp($r->{status}, 429, 'then 429');
ok t_cmp($r->{body}, qr/^budget spent, try later/,
         'with the ErrorDocument 429 of the scope, not the JSON body');
ok t_cmp($r->{headers}{'retry-after'}, qr/^\d+$/, 'and Retry-After');

# --- streamed bodies: charged as they arrive -----------------------------
sub post_chunked {
    my ($path, $len) = @_;
    my $tag = tag('quota');
    my $res = raw_request($V, http_request(POST => "$path/$tag",
        headers => ['Transfer-Encoding: chunked', 'Connection: close'],
        body => chunked(('c' x 1000) x int($len / 1000), 'c' x ($len % 1000))));
    $res->{tag} = $tag;
    return $res;
}
$r = post_chunked('/q/stream', 60000);
ok t_cmp($r->{status}, 200, 'a chunked body of 60000 against 100000: 200');
ok t_cmp($r->{headers}{'x-body-length'}, 60000, 'the CGI read it all');
$r = post_chunked('/q/stream', 50000);
ok t_cmp($r->{status}, 413, 'a chunked 50000 more passes the budget as it '
         . 'arrives: the read fails, the CGI answers 413');
ok t_cmp(logged($r->{tag})->{note}, 'quota', 'the note is quota');
ok t_cmp(post_chunked('/q/step', 10)->{status}, 200,
         'a chunked body of 10 bytes (charged a 64 KB step ahead)');
ok t_cmp(post('/q/step', 69990)->{status}, 200,
         'the unused part of the step was refunded: 69990 more fit');
ok t_cmp(post('/q/step', 1)->{status}, 429, 'and not one byte more');

# --- concurrency: 20 uploads of 1000 at once, a budget of 10000 ---------
my @st = uploads_at_once(map { [$V, '/q/race/' . tag('race'), 1000] } 1 .. 20);
my $ok = grep { $_ == 200 } @st;
my $refused = grep { $_ == 429 } @st;
ok t_cmp($ok, 10, '20 concurrent uploads of 1000 bytes against 10000: '
         . "exactly 10 admitted (@st)");
ok t_cmp($refused, 10, 'and 10 refused with 429');
ok t_cmp(post('/q/race', 1)->{status}, 429, 'the budget is spent');

# --- counters in mod_status --------------------------------------------
my ($st) = raw_request($V, "GET /quota-status?auto HTTP/1.0\r\n\r\n");
my ($quota) = $st->{body} =~ /^LengthRequiredRefusedQuota: (\d+)$/m;
my ($errors) = $st->{body} =~ /^LengthRequiredQuotaStoreErrors: (\d+)$/m;
ok t_cmp(defined $quota && $quota >= 16 ? 1 : 0, 1,
         'LengthRequiredRefusedQuota counts the 429s (' . ($quota // '-') . ')');
ok t_cmp($errors, 0, 'LengthRequiredQuotaStoreErrors: none with shm');
ok t_cmp($st->{body}, qr/^LengthRequiredRefusedQuota\[[^\]]+\]: \d+$/m,
         'and per host');

