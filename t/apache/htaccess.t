# The directives in .htaccess files.  Every directory under
# htdocs/htaccess is served by mod_reflector (it echoes a POST body) and
# has a .htaccess that asks for "LengthRequired On" and a 1K cap, or holds
# a bad value; only the AllowOverride in extra.conf.in differs.
#   limit       AllowOverride Limit: applies
#   none        AllowOverride None: the file is not even read
#   authconfig  AllowOverride AuthConfig: not the directives' class, 500
#   list        AllowOverrideList LengthRequired LengthRequiredMaxBody: applies
#   list-other  AllowOverrideList LengthRequiredMaxBody only: 500
#   bad-mode    LengthRequired Sometimes: 500 and an error-log line
#   bad-size    LengthRequiredMaxBody 12Q: 500 and an error-log line
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 34;

sub nolen {
    my ($dir) = @_;
    return raw_request(undef, http_request(POST => "/htaccess/$dir/x",
        headers => ['Connection: close']))->{status};
}
sub with_len {
    my ($dir, $len) = @_;
    return POST("/htaccess/$dir/x", content => 'h' x $len);
}

# Where the .htaccess applies.
for my $case (['limit', 'AllowOverride Limit'],
              ['list', 'AllowOverrideList naming the directives']) {
    my ($dir, $how) = @$case;
    ok t_cmp(nolen($dir), 411,
             "$how: the .htaccess LengthRequired On refuses a POST without a "
             . 'length with 411');
    ok t_cmp(with_len($dir, 2000)->code, 413,
             "$how: its LengthRequiredMaxBody 1K refuses 2000 bytes with 413");
    my $res = with_len($dir, 10);
    ok t_cmp($res->code, 200, "$how: 10 bytes pass");
    ok t_cmp($res->content, 'h' x 10, "$how: and are echoed by the handler");
}

# Where it is ignored: AllowOverride None means the file is not read.
{
    ok t_cmp(nolen('none'), 200,
             'AllowOverride None: the .htaccess is ignored, a POST without a '
             . 'length passes');
    my $res = with_len('none', 2000);
    ok t_cmp($res->code, 200, 'AllowOverride None: 2000 bytes pass (no cap)');
    ok t_cmp(length $res->content, 2000, 'AllowOverride None: all echoed');
}

# Where the directives are not allowed: the .htaccess is an error, as for
# any httpd directive outside its override class.
for my $case (['authconfig', 'AllowOverride AuthConfig', 'LengthRequired'],
              ['list-other', 'AllowOverrideList LengthRequiredMaxBody only',
               'LengthRequired']) {
    my ($dir, $how, $directive) = @$case;
    my $before = () = error_lines(qr{htaccess/\Q$dir\E/\.htaccess});
    ok t_cmp(with_len($dir, 10)->code, 500,
             "$how: the .htaccess may not use $directive: 500");
    my @lines = error_lines(qr{htaccess/\Q$dir\E/\.htaccess});
    ok t_cmp(@lines - $before, 1, "$how: one error-log line for it");
    ok t_cmp($lines[-1], qr/\b$directive not allowed here\b/,
             "$how: saying $directive is not allowed there");
}

# Bad values: that directory gets a 500 and an error-log line naming the
# file, the directive, the bad value and what is allowed.
for my $case (['bad-mode', 'LengthRequired', 'Sometimes',
               qr/\bOn\b.*\bOff\b.*\bLogOnly\b/],
              ['bad-size', 'LengthRequiredMaxBody', '12Q',
               qr/\bK\b.*\bM\b.*\bG\b/]) {
    my ($dir, $directive, $value, $allowed) = @$case;
    my $before = () = error_lines(qr{htaccess/\Q$dir\E/\.htaccess});
    ok t_cmp(with_len($dir, 10)->code, 500,
             "$directive $value in .htaccess: 500 for that directory");
    ok t_cmp(nolen($dir), 500, 'for every request to it');
    my @lines = error_lines(qr{htaccess/\Q$dir\E/\.htaccess});
    ok t_cmp(@lines - $before, 2, 'each logged in the error log');
    my $line = $lines[-1] // '';
    ok t_cmp($line, qr/\[core:alert\]/,
             'at alert level, as httpd logs its own .htaccess errors');
    ok t_cmp($line, qr/\b$directive\b(?!\w)/, "naming the directive $directive");
    ok t_cmp($line, qr/'?\Q$value\E'?/, "naming the bad value $value");
    ok t_cmp($line, $allowed, 'saying what is allowed');
}

# The rest of the server keeps serving.
{
    ok t_cmp(GET('/static/small.txt')->code, 200,
             'after the bad .htaccess files, a static file is still served');
    ok t_cmp(nolen('limit'), 411,
             'the directory next to them still refuses as its .htaccess says');
    ok t_cmp(with_len('limit', 10)->code, 200, 'and still serves what passes');
}
