# Refusals go through httpd's error path, so an ErrorDocument for 411 or
# 413 in scope is honoured in all three forms: a quoted string, a local URL
# (an internal redirect, which the module does not judge again) and an
# external URL (a 302 to it).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 36;

sub refused {
    my ($where, $kind) = @_;
    my $tag = tag("ed-$kind");
    my @headers = $kind eq 'missing' ? ()
                : $kind eq 'chunked' ? ('Transfer-Encoding: chunked')
                :                      ('Content-Length: 2000');
    my $body = $kind eq 'chunked' ? chunked('e') : '';
    my $res = raw_request(undef, http_request(POST => "$where/$tag",
        headers => \@headers, body => $body));
    return ($res, $tag);
}

sub static_file {
    my ($name) = @_;
    my $file = Apache::Test::vars('documentroot') . "/errdoc-target/$name";
    open my $fh, '<', $file or die "$file: $!";
    local $/;
    return scalar <$fh>;
}

# 1. A quoted string.
for my $case (['missing', 411, 'LR-ED-STRING-411 declare your length'],
              ['too-large', 413, 'LR-ED-STRING-413 body too large']) {
    my ($kind, $status, $text) = @$case;
    my ($res, $tag) = refused('/ed-string', $kind);
    ok t_cmp($res->{status}, $status, "ErrorDocument string, $kind: status $status");
    ok t_cmp($res->{body}, $text, 'the body is the configured string');
    request_finished($tag);
    ok t_cmp(scalar cgi_runs($tag), 0, 'the CGI never ran');
}

# 2. A local URL.  The target lives under a policy that judges GET too, so
# that if the internal redirect (a GET without a length) were judged again
# it would be refused and the document would not be served.
{
    my $before = () = error_lines(qr/LR00001:.*errdoc-target/);
    my $res = raw_request(undef,
        http_request(GET => '/errdoc-target/411.html',
                     headers => ['Connection: close']));
    ok t_cmp($res->{status}, 411,
             'control: a direct GET of the ErrorDocument target is refused '
             . '(its location judges GET)');
    ok t_cmp($res->{body} !~ /LR-ED-LOCAL/, 1,
             'control: and the refusal is not the document itself');
    my $after = () = error_lines(qr/LR00001:.*errdoc-target/);
    ok t_cmp($after - $before, 1,
             'control: a refusal of the target is logged, so one would be '
             . 'seen below');
}
for my $case (['missing', 411, '411.html', 'missing-length'],
              ['chunked', 411, '411.html', 'chunked'],
              ['too-large', 413, '413.html', 'too-large']) {
    my ($kind, $status, $doc, $note) = @$case;
    my $target_refusals = () = error_lines(qr/LR00001:.*errdoc-target/);
    my ($res, $tag) = refused('/ed-local', $kind);
    ok t_cmp($res->{status}, $status,
             "ErrorDocument local URL, $kind: the status stays $status");
    ok t_cmp($res->{body}, static_file($doc),
             "the body is errdoc-target/$doc: the redirect was served, not "
             . 'judged again');
    ok t_cmp(lr_note($tag), $note,
             "lr_log keeps the reason of the refused request ($note)");
    ok t_cmp(scalar error_lines(qr/LR00001:.*\Q$tag\E/), 1,
             'one refusal logged (the redirect is not a second one)');
    request_finished($tag);
    ok t_cmp(scalar(() = error_lines(qr/LR00001:.*errdoc-target/))
             - $target_refusals, 0,
             'and no refusal of the ErrorDocument target logged for it');
    ok t_cmp(scalar cgi_runs($tag), 0, 'the CGI never ran');
}

# 3. An external URL: httpd answers with a redirect to it.
for my $case (['missing', 'http://errors.example.invalid/length-required'],
              ['chunked', 'http://errors.example.invalid/length-required'],
              ['too-large', 'http://errors.example.invalid/too-large']) {
    my ($kind, $url) = @$case;
    my ($res, $tag) = refused('/ed-external', $kind);
    ok t_cmp($res->{status}, 302,
             "ErrorDocument external URL, $kind: 302 (httpd's form for it)");
    ok t_cmp($res->{headers}{location}, $url, "Location: $url");
    request_finished($tag);
    ok t_cmp(scalar cgi_runs($tag), 0, 'the CGI never ran');
}
