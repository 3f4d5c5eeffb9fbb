# The directives in .htaccess files.  Every directory under
# htdocs/htaccess is served by mod_reflector (it echoes a POST body) and
# has a .htaccess that asks for "LengthRequired On" and a 1K cap, or holds
# a bad value; only the AllowOverride in extra.conf.in differs.
#   limit       AllowOverride Limit (the directives' class): applies
#   list        AllowOverrideList LengthRequired LengthRequiredMaxBody: applies
#   bad-mode    LengthRequired Sometimes: 500 and the module's message
#   bad-size    LengthRequiredMaxBody 12Q: 500 and the module's message
# What core does with the others (none, authconfig, list-other: the file
# ignored or refused by AllowOverride) and how it logs a bad .htaccess is
# in httpd/core.t.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use LRTest qw(:all);

plan tests => 4 * 2 + 5 * 2 + 2;

# Where the .htaccess applies.
for my $case (['limit', 'AllowOverride Limit'],
              ['list', 'AllowOverrideList naming the directives']) {
    my ($dir, $how) = @$case;
    ok t_cmp(htaccess_nolen($dir), 411,
             "$how: the .htaccess LengthRequired On refuses a POST without a "
             . 'length with 411');
    ok t_cmp(htaccess_post($dir, 2000)->code, 413,
             "$how: its LengthRequiredMaxBody 1K refuses 2000 bytes with 413");
    my $res = htaccess_post($dir, 10);
    ok t_cmp($res->code, 200, "$how: 10 bytes pass");
    ok t_cmp($res->content, 'h' x 10, "$how: and are echoed by the handler");
}

# Bad values: the directive handler refuses them, so that directory gets
# a 500 and an error-log line naming the file, the directive, the bad
# value and what is allowed.
for my $case (['bad-mode', 'LengthRequired', 'Sometimes',
               qr/\bOn\b.*\bOff\b.*\bLogOnly\b/],
              ['bad-size', 'LengthRequiredMaxBody', '12Q',
               qr/\bK\b.*\bM\b.*\bG\b/]) {
    my ($dir, $directive, $value, $allowed) = @$case;
    my $before = () = error_lines(qr{htaccess/\Q$dir\E/\.htaccess});
    ok t_cmp(htaccess_post($dir, 10)->code, 500,
             "$directive $value in .htaccess: 500 for that directory");
    my @lines = error_lines(qr{htaccess/\Q$dir\E/\.htaccess});
    ok t_cmp(@lines - $before, 1, 'one error-log line for the request');
    my $line = $lines[-1] // '';
    ok t_cmp($line, qr/\b$directive\b(?!\w)/, "naming the directive $directive");
    ok t_cmp($line, qr/'?\Q$value\E'?/, "naming the bad value $value");
    ok t_cmp($line, $allowed, 'saying what is allowed');
}

# The module keeps working next to the bad files.
{
    ok t_cmp(htaccess_nolen('limit'), 411,
             'the directory next to them still refuses as its .htaccess says');
    ok t_cmp(htaccess_post('limit', 10)->code, 200, 'and still serves what passes');
}
