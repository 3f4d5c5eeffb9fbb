# Every scope on a request's way charges its budgets, each budget (by
# name) once per request: a per-directory rewrite into a scope with
# another budget, the same for a streamed body whose first scope charged
# nothing (its budget's key is empty), a DirectoryIndex file whose scope
# adds a budget to the one its directory has, and budgets keyed on the
# user from an On directory and its LogOnly index file, each charged in
# its own scope's mode (t/conf/quota.conf.in, quota-route).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRQuota qw(:all);
use Digest::SHA qw(sha1_base64);
use MIME::Base64 ();

plan tests => 12;

my $V = 'lr_quota';

# --- a rewrite: rwfrom (100000) where the request comes in, rwto (1000)
# in the scope the RewriteRule passes it to ------------------------------
my $r = upload($V, '/quota-route/rw/go', 600);
ok t_cmp($r->{status}, 200, 'rewritten into /q/rw-to: 600 bytes pass');
$r = upload($V, '/quota-route/rw/go', 600);
ok t_cmp($r->{status}, 429,
         "600 more would pass the target scope's 1000-byte budget: 429");
ok t_cmp(json_field($r->{body}, 'name'), 'rwto',
         'the budget spent is the target scope\'s (rwto)');

# --- a streamed body, rewritten out of rws (whose budget has no key for
# it) into rws-to (1000) ------------------------------------------------
my $tag = tag('rws');
$r = raw_request($V, http_request(POST => "/quota-route/rws/go?$tag",
    headers => ['Transfer-Encoding: chunked', 'Connection: close'],
    body => chunked(('s' x 500) x 3)));
ok t_cmp($r->{status}, 413,
         "1500 streamed bytes into the target scope's 1000-byte budget: "
         . "cut, 413");
ok t_cmp(scalar(wait_for_lines('error_log',
             qr/LR00001: refused POST \/q\/rws-to\S* .*reason quota\b/)),
         1, 'refused for the budget (LR00001, reason quota)');

# --- DirectoryIndex: the directory has dirshared (2000); the index
# file's scope has dirshared too and dirindex (1000) ---------------------
$r = upload($V, '/quota-route/dir/', 600);
ok t_cmp($r->{status}, 200, 'POST to the directory, served by its index');
ok t_cmp(length($r->{body} // ''), 600, 'which got the whole body');
$r = upload($V, '/quota-route/dir/', 600);
ok t_cmp($r->{status}, 429, 'a second 600: 429');
# Charged once, dirshared holds 1200 of 2000 and dirindex would pass 1000;
# charged in both scopes, dirshared would be the one past its size.
ok t_cmp(json_field($r->{body}, 'name'), 'dirindex',
         "the index file's own budget is charged, and the shared one once");
ok t_cmp(json_field($r->{body}, 'remaining'), 400,
         'dirindex has 400 of 1000 left (one 600 charged)');

# --- budgets keyed on the user: userdir (1000, On) in the directory,
# userfile (100000) in its index file's LogOnly scope --------------------
my $pw = Apache::Test::vars('t_logs') . '/quota-route.htpasswd';
open my $fh, '>', $pw or die "$pw: $!";
my $hash = sha1_base64('secret');
$hash .= '=' while length($hash) % 4;
print $fh "carol:{SHA}$hash\n";
close $fh;
my $auth = 'Authorization: Basic '
    . MIME::Base64::encode_base64('carol:secret', '');
$r = upload($V, '/quota-route/user/', 600, headers => [$auth]);
ok t_cmp($r->{status}, 200, 'carol: 600 to the directory, served by its index');
$r = upload($V, '/quota-route/user/', 600, headers => [$auth]);
ok t_cmp($r->{status}, 429,
         "600 more pass the directory's budget, which is On: 429 although "
         . 'the index file is LogOnly');
