# The metrics handler answers GET and HEAD, in the exposition format's
# content type; any other method gets 405 with an Allow of GET and HEAD
# (alpha has TraceEnable Off, so httpd adds no TRACE); only where
# SetHandler names it; and mod_info lists it among the module's hooks.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRMetrics qw(:all);

my @refused = qw(POST PUT DELETE OPTIONS PATCH);
plan tests => 5 + 4 * @refused + 4 + 2;

my $type = 'text/plain; version=0.0.4; charset=utf-8';
my $family = qr/^# TYPE length_required_judged_total counter$/m;

sub request {
    my ($method, $host, $path, $body) = @_;
    return raw_request('lr_metrics', http_request($method, $path,
        headers => ["Host: $host", 'Connection: close',
                    defined $body ? ('Content-Length: ' . length $body) : ()],
        body => $body));
}

my $get = request(GET => 'alpha.metrics.test', '/mx-metrics');
ok t_cmp($get->{status}, 200, 'GET /mx-metrics: 200');
ok t_cmp($get->{headers}{'content-type'}, $type,
         "in the exposition format's content type");
ok t_cmp($get->{body}, $family, 'with the families');

my $head = request(HEAD => 'alpha.metrics.test', '/mx-metrics');
ok t_cmp("$head->{status} " . ($head->{headers}{'content-type'} // 'none'),
         "200 $type", 'HEAD: 200, the same content type');
ok t_cmp($head->{body}, '', 'and no body');

# Sent with a body where the method takes one, so that a handler that
# took it for a GET would answer 200.
for my $m (@refused) {
    my $res = request($m => 'alpha.metrics.test', '/mx-metrics',
                      $m eq 'OPTIONS' ? undef : 'ab');
    ok t_cmp($res->{status}, 405, "$m /mx-metrics: 405");
    # httpd writes the list in the order of its method table's hash.
    ok t_cmp(join(',', sort split /\s*,\s*/, $res->{headers}{allow} // ''),
             'GET,HEAD', "$m: Allow names GET and HEAD, nothing else "
             . '(' . ($res->{headers}{allow} // 'none') . ')');
    ok t_cmp($res->{body}, qr/Method Not Allowed/,
             "$m: httpd's own 405 page");
    ok t_cmp($res->{body} =~ $family ? 'metrics' : 'none', 'none',
             "$m: no metrics in it");
}

# Where the handler is not named, the metrics are not served: beside its
# location on alpha, and at the same path on beta (a static file each);
# a POST handler's location (mod_reflector: 405 for a GET).
for my $case (['alpha.metrics.test', '/mx-metrics-not', 200, qr/^a static file/],
              ['beta.metrics.test', '/mx-metrics', 200, qr/^a static file/],
              ['alpha.metrics.test', '/mx-up', 405, qr/Method Not Allowed/],
              ['beta.metrics.test', '/mx-up', 405, qr/Method Not Allowed/]) {
    my ($host, $path, $status, $body) = @$case;
    my $res = request(GET => $host, $path);
    ok t_cmp($res->{status} == $status && $res->{body} =~ $body
             && $res->{body} !~ $family ? 'not served' : "$res->{status}: $res->{body}",
             'not served', "GET $path on $host: $status, no metrics");
}

# mod_info: the module takes part in the content handler phase.
my $info = request(GET => 'alpha.metrics.test', '/mx-info?mod_length_required.c');
ok t_cmp($info->{body},
         qr{<strong>Content handlers:</strong>\s*<tt>\s*<em>yes</em></tt>},
         'mod_info: "Content handlers: yes" for mod_length_required.c');
ok t_cmp($info->{body}, qr{Request Phase Participation:.*<tt>Content Handlers</tt>}s,
         'and "Content Handlers" among its request phases');
