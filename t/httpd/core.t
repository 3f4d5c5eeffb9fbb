# What httpd core already does, which the module relies on and does not do
# again.  None of this is the module's code: if a test here fails, httpd
# changed, and the module may have to do what core no longer does.
#
# 1. Framing that core refuses with 400 before any module hook runs, so
#    LengthRequiredStrict has nothing to say about it: sent to lr_strict_on
#    (Strict On) and lr_strict_off (Strict Off) alike, the answer is the
#    same and the module leaves no note.
# 2. .htaccess handling (see judge/htaccess.t for the directives themselves):
#    AllowOverride None means the file is not read; a directive outside
#    the AllowOverride class is an error; a bad .htaccess fails its own
#    directory only, on every request, and is logged at core's alert
#    level.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use LRTest qw(:all);

my $body = chunked('hello');
sub post { http_request(POST => '/cgi/echo.pl?c=CASE', headers => [@_[0 .. $#_ - 1]],
                        body => $_[-1]) }

# [name, request (CASE stands for the request's tag)]
my @refused = (
    ['unknown coding xchunked', post('Transfer-Encoding: xchunked', $body)],
    ['space before the colon', post('Transfer-Encoding : chunked', $body)],
    ['vertical tab after chunked', post("Transfer-Encoding: chunked\x0b", $body)],
    ['vertical tab before chunked', post("Transfer-Encoding:\x0bchunked", $body)],
    ['high byte in the coding', post("Transfer-Encoding: \xffchunked", $body)],
    ['NUL after chunked', post("Transfer-Encoding: chunked\x00", $body)],
    ['trailing comma', post('Transfer-Encoding: chunked,', $body)],
    ['chunked then another coding line',
     post('Transfer-Encoding: chunked', 'Transfer-Encoding: x', $body)],
    ['chunked with a parameter', post('Transfer-Encoding: chunked;q=1', $body)],
    ['identity alone', post('Transfer-Encoding: identity', 'hello')],
    ['a folded line before any header',
     "POST /cgi/echo.pl?c=CASE HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: x\r\n\r\n$body"],
    ['bare LF line ends with CL and TE',
     "POST /cgi/echo.pl?c=CASE HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\nContent-Length: 5\n\n$body"],
    ['duplicate Content-Length', post('Content-Length: 5', 'Content-Length: 5', 'hello')],
    ['conflicting Content-Length', post('Content-Length: 5', 'Content-Length: 6', 'hello!')],
    ['Content-Length list', post('Content-Length: 5, 5', 'hello')],
);

plan tests => 2 * 4 * @refused + 3 + 2 * 3 + 2 * 3 + 1;

# --- 1. framing core refuses ------------------------------------------------
for my $c (@refused) {
    my ($name, $template) = @$c;
    # [virtual host, how it is named here, its access log]
    for my $host (['lr_strict_on', 'Strict On', 'strict_on_log'],
                  ['lr_strict_off', 'Strict Off', 'lr_log']) {
        my ($vhost, $how, $log) = @$host;
        my $tag = tag('core');
        (my $request = $template) =~ s/CASE/$tag/g;
        my $x = raw_exchange($vhost, $request, idle => 1, timeout => 10);
        my @statuses = map { $_->{status} } parse_responses($x->{raw});
        ok t_cmp("@statuses", '400', "$how, $name: core answers one 400");
        ok t_cmp($x->{eof}, 1, "$how, $name: and closes the connection");
        ok t_cmp(lr_note($tag, $log), '-',
                 "$how, $name: the request is logged with no note of the "
                 . 'module (core refused it before any module hook)');
        ok t_cmp(scalar cgi_runs($tag), 0, "$how, $name: the CGI never ran");
    }
}

# --- 2. .htaccess -----------------------------------------------------------
# Every directory under htdocs/htaccess is served by mod_reflector and has
# a .htaccess asking for "LengthRequired On" and a 1K cap (or a bad value);
# only the AllowOverride in extra.conf.in differs.
# AllowOverride None: the file is not even read.
{
    ok t_cmp(htaccess_nolen('none'), 200,
             'AllowOverride None: the .htaccess is ignored, a POST without a '
             . 'length passes');
    my $res = htaccess_post('none', 2000);
    ok t_cmp($res->code, 200, 'AllowOverride None: 2000 bytes pass (no cap)');
    ok t_cmp(length $res->content, 2000, 'AllowOverride None: all echoed');
}

# A directive outside the AllowOverride class: the .htaccess is an error,
# as for any httpd directive there.
for my $case (['authconfig', 'AllowOverride AuthConfig', 'LengthRequired'],
              ['list-other', 'AllowOverrideList LengthRequiredMaxBody only',
               'LengthRequired']) {
    my ($dir, $how, $directive) = @$case;
    my $before = () = error_lines(qr{htaccess/\Q$dir\E/\.htaccess});
    ok t_cmp(htaccess_post($dir, 10)->code, 500,
             "$how: the .htaccess may not use $directive: 500");
    my @lines = error_lines(qr{htaccess/\Q$dir\E/\.htaccess});
    ok t_cmp(@lines - $before, 1, "$how: one error-log line for it");
    ok t_cmp($lines[-1] // '', qr/\b$directive not allowed here\b/,
             "$how: saying $directive is not allowed there");
}

# A bad value (the module's message is checked in judge/htaccess.t): core reads
# the file again for every request, fails each, and logs each at alert.
for my $case (['bad-mode', 'LengthRequired Sometimes'],
              ['bad-size', 'LengthRequiredMaxBody 12Q']) {
    my ($dir, $what) = @$case;
    my $before = () = error_lines(qr{htaccess/\Q$dir\E/\.htaccess});
    my @codes = (htaccess_post($dir, 10)->code, htaccess_nolen($dir));
    ok t_cmp("@codes", '500 500',
             "$what in .htaccess: 500 for every request to that directory");
    my @lines = error_lines(qr{htaccess/\Q$dir\E/\.htaccess});
    ok t_cmp(@lines - $before, 2, 'each logged in the error log');
    ok t_cmp($lines[-1] // '', qr/\[core:alert\]/,
             'at alert level, as httpd logs its own .htaccess errors');
}

ok t_cmp(GET('/static/small.txt')->code, 200,
         'after the bad .htaccess files, a static file is still served');
