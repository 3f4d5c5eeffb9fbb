# LengthRequiredHtaccess: under TightenOnly a tenant's .htaccess can only
# make the server's policy stricter; under Any it changes it freely.  Both
# virtual hosts serve the same tree, t/htdocs/tenant, whose server policy
# is: On, methods POST, 1K cap, chunked denied (see t/conf/format.conf.in).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/../lib";
use LRTest qw(:all);

plan tests => 52 + 4 + 4 + 5 + 1 + 5;

sub raw {
    my ($vhost, $request) = @_;
    my $res = raw_request($vhost, $request);
    return { code => $res->{status}, type => $res->{headers}{'content-type'} // '',
             body => $res->{body} };
}

# One request on a connection of its own; returns the status.  %o: size
# (a Content-Length body of that many bytes) or chunked (a chunked body of
# that many bytes).
sub req {
    my ($vhost, $method, $path, %o) = @_;
    my @headers = ('Connection: close');
    my $body = '';
    if (defined $o{size}) {
        push @headers, "Content-Length: $o{size}";
        $body = 'x' x $o{size};
    }
    elsif ($o{chunked}) {
        push @headers, 'Transfer-Encoding: chunked';
        $body = chunked('c' x $o{chunked});
    }
    return raw($vhost, http_request($method, $path, headers => \@headers,
                                    body => $body))->{code};
}

sub log_size { log_mark('error_log') }
sub error_log_since { log_since('error_log', $_[0]) }

# [directory, method, options, TightenOnly status, Any status, what]
my @cases = (
    ['/',             'POST', {},               411, 411, 'the server policy itself'],
    ['/tn-off/',         'POST', {},               411, 200, 'LengthRequired Off'],
    ['/tn-logonly/',     'POST', {},               411, 200, 'LengthRequired LogOnly'],
    ['/tn-raise/',       'POST', {size => 2000},   413, 200, 'MaxBody raised to 1M'],
    ['/tn-zero/',        'POST', {size => 2000},   413, 200, 'MaxBody 0'],
    ['/tn-chunked-allow/', 'POST', {chunked => 10}, 411, 200, 'Chunked Allow'],
    ['/tn-methods/',     'POST', {},               411, 200, 'Methods PUT: POST stays judged only under TightenOnly'],
    ['/tn-methods/',     'PUT',  {},               411, 411, 'Methods PUT: PUT judged in both'],
    ['/tn-lower/',       'POST', {size => 200},    413, 413, 'MaxBody lowered to 100'],
    ['/tn-lower/',       'POST', {size => 50},     200, 200, 'MaxBody 100, body under it'],
    ['/tn-lower/deeper/', 'POST', {size => 600},   413, 413, 'nested .htaccess: MaxBody 500'],
    ['/tn-lower/deeper/', 'POST', {size => 400},   200, 200, 'nested .htaccess: under 500'],
    ['/tn-lower/looser/', 'POST', {size => 700},   200, 200, 'nested .htaccess: 800 is still under the server cap'],
    ['/tn-lower/looser/', 'POST', {size => 900},   413, 413, 'nested .htaccess: over 800'],
    ['/tn-up/',          'POST', {},               411, 411, 'server Off, .htaccess On'],
    ['/tn-up/',          'POST', {chunked => 10},  411, 411, 'server Allow, .htaccess Deny'],
    ['/tn-up/',          'POST', {size => 3000},   413, 413, 'server no cap, .htaccess 2K'],
    ['/tn-up/',          'POST', {size => 1500},   200, 200, 'server no cap, .htaccess 2K, under it'],
);

for my $c (@cases) {
    my ($dir, $method, $o, $tight, $any, $what) = @$c;
    ok t_cmp(req('lr_tight', $method, "${dir}index.txt", %$o), $tight,
             "TightenOnly: $what");
    ok t_cmp(req('lr_any', $method, "${dir}index.txt", %$o), $any,
             "Any: $what");
}

# A free directive: LengthRequiredErrorFormat applies under TightenOnly.
for my $vhost (qw(lr_tight lr_any)) {
    my $res = raw($vhost, http_request(POST => '/tn-format/index.txt',
                                       headers => ['Connection: close']));
    ok t_cmp($res->{type}, qr{^application/json}, "$vhost: ErrorFormat Json from .htaccess applies");
}

# The error log names the .htaccess file and the directive that had no
# effect, at info; under Any nothing of the kind is logged.
for my $c (['tn-off', 'LengthRequired', 'POST', {}],
           ['tn-raise', 'LengthRequiredMaxBody', 'POST', {size => 2000}],
           ['tn-zero', 'LengthRequiredMaxBody', 'POST', {size => 2000}],
           ['tn-chunked-allow', 'LengthRequiredChunked', 'POST', {chunked => 10}],
           ['tn-logonly', 'LengthRequired', 'POST', {}]) {
    my ($dir, $directive, $method, $o) = @$c;
    my $offset = log_size();
    req('lr_tight', $method, "/$dir/index.txt", %$o);
    my $log = error_log_since($offset);
    ok t_cmp($log, qr{\[length_required:info\].*LR00003: \Q$directive\E in \S*/tenant/\Q$dir\E/\.htaccess has no effect},
             "TightenOnly: the log names $dir/.htaccess and $directive");
    $offset = log_size();
    req('lr_any', $method, "/$dir/index.txt", %$o);
    ok t_cmp(error_log_since($offset), qr/^(?!.*LR00003)/s, "Any: nothing logged for $dir");
}

# A request the policy does not judge (GET) is not reported either.
my $get_offset = log_size();
req('lr_tight', 'GET', '/tn-off/index.txt');
ok t_cmp(error_log_since($get_offset), qr/^(?!.*LR00003)/s,
         'TightenOnly: no report for a request the policy does not judge');

# A tightening that applies is not reported as having no effect.
my $offset = log_size();
req('lr_tight', 'POST', '/tn-lower/index.txt', size => 200);
ok t_cmp(error_log_since($offset), qr/^(?!.*LR00003)/s, 'TightenOnly: no report for an applied tightening');

# LengthRequiredHtaccess is for the server config and virtual hosts only.
ok t_cmp(req('lr_tight', 'GET', '/tn-badvalue/index.txt'), 500,
         'LengthRequiredHtaccess in .htaccess: that directory answers 500');
ok t_cmp(req('lr_tight', 'POST', '/tn-lower/index.txt', size => 10), 200,
         '... and the rest of the server keeps serving');

# apache2 -t on private configurations: LengthRequiredHtaccess is for the
# server config and virtual hosts, in any case of its keywords.
syntax_error_ok("<Directory /tmp>\n    LengthRequiredHtaccess TightenOnly\n</Directory>",
                'LengthRequiredHtaccess', qr/ not allowed in <Directory> context$/m);
syntax_error_ok("<Location /x>\n    LengthRequiredHtaccess Any\n</Location>",
                'LengthRequiredHtaccess', qr/ not allowed in <Location> context$/m);
syntax_error_ok('LengthRequiredHtaccess Sometimes', 'LengthRequiredHtaccess',
                'Sometimes', qr/is not allowed; use Any or TightenOnly$/m);
my $port = Apache::Test::vars('port');
my $r = syntax_check("LengthRequiredHtaccess tightenonly\n"
    . "<VirtualHost 127.0.0.1:$port>\n    LengthRequiredHtaccess Any\n</VirtualHost>");
ok t_cmp($r->{rc}, 0, 'server config and virtual host accept it, case-insensitively'
         . ($r->{rc} ? ": $r->{out}" : ''));
syntax_error_ok('LengthRequiredErrorFormat Xml', 'LengthRequiredErrorFormat',
                'Xml', qr/is not allowed; use Html, Json or Auto$/m);
