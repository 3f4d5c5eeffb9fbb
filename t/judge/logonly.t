# LengthRequired LogOnly: every request is judged as under On, but none is
# refused.  What would have been refused is logged at warn level, the
# reason is put in LENGTH_REQUIRED_VIOLATION (seen by the CGI and by
# %{LENGTH_REQUIRED_VIOLATION}e) and in the length-required note (seen by
# %{length-required}n in lr_log).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 45;

# The env= field of lr_env_log for the request with $tag.
sub env_logged {
    my ($tag) = @_;
    my ($line) = wait_for_lines('lr_env_log', qr/\Q$tag\E/);
    return defined $line && $line =~ / env=(\S+)$/ ? $1 : undef;
}

# [what, location, headers, body, reason, status it would have had,
#  body length the CGI must read]
my @violations = (
    ['no length', '/logonly', [], '', 'missing-length', 411, 0],
    ['Content-Length 2000 over a 1K cap', '/logonly',
     ['Content-Length: 2000'], 'v' x 2000, 'too-large', 413, 2000],
    ['a chunked body (LengthRequiredChunked Deny)', '/logonly',
     ['Transfer-Encoding: chunked'], chunked('w' x 300), 'chunked', 411, 300],
);

for my $v (@violations) {
    my ($what, $where, $headers, $body, $reason, $would, $len) = @$v;
    my $tag = tag('logonly');
    my $path = "$where/$tag";
    my $res = raw_request(undef, http_request(POST => $path,
        headers => [@$headers, 'Connection: close'], body => $body));

    ok t_cmp($res->{status}, 200, "LogOnly, POST with $what: passes with 200");
    ok t_cmp($res->{headers}{'x-body-length'}, $len,
             "the CGI ran and read the whole body ($len bytes)");
    ok t_cmp($res->{headers}{'x-lr-violation'}, $reason,
             "the CGI saw LENGTH_REQUIRED_VIOLATION=$reason");
    ok t_cmp(lr_note($tag), $reason,
             "lr_log shows %{length-required}n = $reason");
    ok t_cmp(env_logged($tag), $reason,
             "lr_env_log shows %{LENGTH_REQUIRED_VIOLATION}e = $reason");

    my @warn = error_lines(qr/LR00002: .*\Q$path\E/);
    ok t_cmp(scalar @warn, 1, 'exactly one would-refuse line in the error log');
    ok t_cmp($warn[0], qr/\[length_required:warn\]/, 'logged at warn level');
    ok t_cmp($warn[0], qr/\bPOST \Q$path\E\b.*\b$would\b.*\breason \Q$reason\E\b/,
             "naming method, URI, the status it would have had ($would) and "
             . "the reason");
    ok t_cmp(scalar error_lines(qr/LR00001: .*\Q$path\E/), 0,
             'and no refusal line: nothing was refused');
}

# A request that breaks no rule leaves no trace.
{
    my $tag = tag('logonly-clean');
    my $path = "/logonly/$tag";
    my $res = raw_request(undef, http_request(POST => $path,
        headers => ['Content-Length: 10', 'Connection: close'],
        body => 'k' x 10));
    ok t_cmp($res->{status}, 200, 'LogOnly, POST with Content-Length 10: 200');
    ok t_cmp($res->{headers}{'x-lr-violation'}, undef,
             'the CGI saw no LENGTH_REQUIRED_VIOLATION');
    ok t_cmp(lr_note($tag), '-', 'no note in lr_log');
    ok t_cmp(env_logged($tag), '-', 'no variable in lr_env_log');
    ok t_cmp(scalar error_lines(qr/LR0000\d: .*\Q$path\E/), 0,
             'and nothing in the error log');
}

# LogOnly with chunked allowed and a cap: a streamed body past the cap is
# reported once and then flows on untouched.
{
    my $tag = tag('logonly-stream');
    my $path = "/logstream/$tag";
    my $res = raw_request(undef, http_request(POST => $path,
        headers => ['Transfer-Encoding: chunked', 'Connection: close'],
        body => chunked('s' x 1000, 's' x 1000, 's' x 1000)));
    ok t_cmp($res->{status}, 200,
             'LogOnly, chunked body of 3000 bytes past a 1K cap: 200');
    ok t_cmp($res->{headers}{'x-body-length'}, 3000,
             'the CGI was given all 3000 bytes');
    ok t_cmp(lr_note($tag), 'too-large', 'lr_log shows the note too-large');
    my @warn = error_lines(qr/LR00002: .*\Q$path\E/);
    ok t_cmp(scalar @warn, 1, 'reported exactly once in the error log');
    ok t_cmp($warn[0], qr/\breason too-large\b.*\b1024\b/,
             'as too-large, with the cap of 1024 bytes');

    $tag = tag('logonly-stream-small');
    $res = raw_request(undef, http_request(POST => "/logstream/$tag",
        headers => ['Transfer-Encoding: chunked', 'Connection: close'],
        body => chunked('s' x 500)));
    ok t_cmp($res->{status}, 200, 'the same with 500 bytes: 200');
    ok t_cmp(lr_note($tag), '-', 'and no note: under the cap is no violation');
}

# The variable is there for SSI and mod_rewrite too: /ssi/violation.shtml
# is LogOnly for GET; the page echoes LENGTH_REQUIRED_VIOLATION and the
# copy a per-directory RewriteRule made of it.
{
    my $res = raw_request(undef, http_request(GET => '/ssi/violation.shtml',
                                              headers => ['Connection: close']));
    ok t_cmp($res->{status}, 200, 'LogOnly for GET, a GET without a length: 200');
    ok t_cmp($res->{body}, qr/^SSI:missing-length$/m,
             'SSI sees LENGTH_REQUIRED_VIOLATION=missing-length');
    ok t_cmp($res->{body}, qr/^REWRITE:missing-length$/m,
             'mod_rewrite (%{ENV:LENGTH_REQUIRED_VIOLATION}) sees it too');

    $res = raw_request(undef, http_request(GET => '/ssi/violation.shtml',
        headers => ['Content-Length: 0', 'Connection: close']));
    ok t_cmp($res->{body}, qr/^SSI:\(none\)$/m,
             'control: with Content-Length: 0 there is no violation and SSI '
             . 'sees no variable');
}

# LogOnly refuses nothing, so it does not close the connection either: a
# request pipelined after a violation is answered.
{
    my $tag = tag('logonly-keepalive');
    my $tag2 = tag('logonly-second');
    my ($res, $x) = raw_request(undef,
        http_request(POST => "/logonly/$tag")
        . http_request(GET => "/logonly/$tag2", headers => ['Connection: close']));
    my @final = grep { $_->{status} >= 200 } @{ $x->{responses} };
    ok t_cmp(scalar @final, 2,
             'a POST without a length (a LogOnly violation) and a GET after it '
             . 'on one connection: both answered');
    ok t_cmp(join(' ', map { $_->{status} } @final), '200 200', 'both with 200');
}
