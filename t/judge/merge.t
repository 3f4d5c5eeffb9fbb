# Merging follows httpd's conventions: a directive set in an inner scope
# overrides the outer one, unset ones are inherited.  Scopes: <Location>
# inside <Location>, <Directory> inside <Directory>, a <Location> over a
# <Directory> (merged after it), and <If> on a request header switching
# the policy for one request.  See the merge.t sections of extra.conf.in.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

# What a request is: how its body is framed.
#   undef      no length at all
#   N          Content-Length N
#   'chunk:N'  a chunked body of N bytes
sub send_req {
    my ($method, $path, $body, @headers) = @_;
    push @headers, 'Connection: close';
    my $data = '';
    if (!defined $body) {
    }
    elsif ($body =~ /^chunk:(\d+)$/) {
        push @headers, 'Transfer-Encoding: chunked';
        $data = chunked('m' x $1);
    }
    else {
        push @headers, "Content-Length: $body";
        $data = 'm' x $body;
    }
    return raw_request(undef,
        http_request($method, $path, headers => \@headers, body => $data));
}

sub describe {
    my ($body) = @_;
    return !defined $body ? 'no length'
         : $body =~ /^chunk:(\d+)$/ ? "a chunked body of $1 bytes"
         : "Content-Length $body";
}

# [method, path, body, extra headers, status, why]
my @cases = (
    # <Location /merge>: On, 1K, methods POST PUT.
    ['POST', '/merge/x', undef, [], 411, '/merge is On'],
    ['POST', '/merge/x', 2000, [], 413, '/merge caps at 1K'],
    ['POST', '/merge/x', 10, [], 200, 'under the cap'],
    ['PATCH', '/merge/x', undef, [], 200,
     '/merge lists only POST PUT (the list replaces the default)'],

    # <Location /merge/off>: LengthRequired Off overrides On.
    ['POST', '/merge/off/x', undef, [], 200, 'inner LengthRequired Off wins'],
    ['POST', '/merge/off/x', 2000, [], 200, 'and Off switches the cap off too'],

    # <Location /merge/bigger>: only the cap is set.
    ['POST', '/merge/bigger/x', undef, [], 411, 'On is inherited'],
    ['POST', '/merge/bigger/x', 2000, [], 200, 'the inner 4K cap wins over 1K'],
    ['POST', '/merge/bigger/x', 5000, [], 413, 'the inner 4K cap applies'],
    ['PATCH', '/merge/bigger/x', undef, [], 200,
     'the method list POST PUT is inherited'],

    # <Location /merge/nocap>: LengthRequiredMaxBody 0.
    ['POST', '/merge/nocap/x', 5000, [], 200,
     'an explicit 0 (no cap) overrides the outer 1K cap'],
    ['POST', '/merge/nocap/x', undef, [], 411, 'On is inherited'],

    # <Location /merge/methods>: only the method list is set.
    ['POST', '/merge/methods/x', undef, [], 200,
     'the inner list PUT replaces POST PUT'],
    ['PUT', '/merge/methods/x', undef, [], 411, 'PUT is in the inner list'],
    ['PUT', '/merge/methods/x', 2000, [], 413, 'the 1K cap is inherited'],

    # <Location /merge/chunked>: only Chunked Allow is set.
    ['POST', '/merge/chunked/x', 'chunk:500', [], 200,
     'the inner Allow wins over the default Deny'],
    ['POST', '/merge/chunked/x', 'chunk:2000', [], 413,
     'and the streamed body is held to the inherited 1K cap'],
    ['POST', '/merge/chunked/x', undef, [], 411, 'On is inherited'],
    ['POST', '/merge/x', 'chunk:500', [], 411,
     'while the outer /merge still denies chunked'],

    # <Location /merge/logonly>: only the mode is set.
    ['POST', '/merge/logonly/x', undef, [], 200, 'the inner LogOnly wins'],
    ['POST', '/merge/logonly/x', 2000, [], 200, 'LogOnly refuses nothing'],

    # <If> inside <Location /if-policy> (On, 1K), on X-LR-Policy.
    ['POST', '/if-policy/x', undef, [], 411, 'without the header: On'],
    ['POST', '/if-policy/x', undef, ['X-LR-Policy: off'], 200,
     '<If> X-LR-Policy off: LengthRequired Off for this request'],
    ['POST', '/if-policy/x', 2000, ['X-LR-Policy: off'], 200,
     '<If> off: no cap either'],
    ['POST', '/if-policy/x', undef, ['X-LR-Policy: logonly'], 200,
     '<ElseIf> logonly: LogOnly for this request'],
    ['POST', '/if-policy/x', 2000, [], 413, 'without the header: the 1K cap'],
    ['POST', '/if-policy/x', 2000, ['X-LR-Policy: bigger'], 200,
     '<ElseIf> bigger sets a 4K cap'],
    ['POST', '/if-policy/x', 5000, ['X-LR-Policy: bigger'], 413,
     '<ElseIf> bigger: 4K applies'],
    ['POST', '/if-policy/x', undef, ['X-LR-Policy: bigger'], 411,
     '<ElseIf> bigger sets only the cap, On is inherited'],
    ['POST', '/if-policy/x', undef, ['X-LR-Policy: something-else'], 411,
     'a header value no <If> matches changes nothing'],

    # <Directory dirmerge>: On, 1K (served by mod_reflector).
    ['POST', '/dirmerge/target.txt', undef, [], 411, '<Directory> On'],
    ['POST', '/dirmerge/target.txt', 2000, [], 413, '<Directory> 1K cap'],
    ['POST', '/dirmerge/target.txt', 10, [], 200, 'under the cap'],
    # <Directory dirmerge/bigger>: only the cap.
    ['POST', '/dirmerge/bigger/target.txt', undef, [], 411,
     'the subdirectory inherits On'],
    ['POST', '/dirmerge/bigger/target.txt', 2000, [], 200,
     'the subdirectory\'s 4K cap wins'],
    ['POST', '/dirmerge/bigger/target.txt', 5000, [], 413,
     'the subdirectory\'s 4K cap applies'],
    # <Directory dirmerge/off>: Off.
    ['POST', '/dirmerge/off/target.txt', undef, [], 200,
     'the subdirectory\'s Off wins'],
    # <Location /dirmerge/off/location-on>: On, over the Off directory.
    ['POST', '/dirmerge/off/location-on/target.txt', undef, [], 411,
     '<Location> On is merged after <Directory> Off, so it wins'],
    ['POST', '/dirmerge/off/location-on/target.txt', 2000, [], 413,
     'and the 1K cap of the outer <Directory> is still inherited'],
    # <Directory dirmerge/if>: <If> on X-LR-Chunked allows chunked.
    ['POST', '/dirmerge/if/target.txt', 'chunk:100', [], 411,
     'without the header: chunked denied'],
    ['POST', '/dirmerge/if/target.txt', 'chunk:100', ['X-LR-Chunked: 1'], 200,
     '<If> in a <Directory>: chunked allowed for this request'],
    ['POST', '/dirmerge/if/target.txt', 'chunk:2000', ['X-LR-Chunked: 1'], 413,
     'and held to the directory\'s inherited 1K cap'],
);

plan tests => scalar @cases;

for my $c (@cases) {
    my ($method, $path, $body, $headers, $want, $why) = @$c;
    my $res = send_req($method, $path, $body, @$headers);
    my $hdr = @$headers ? " (@$headers)" : '';
    ok t_cmp($res->{status}, $want,
             "$method $path with " . describe($body) . "$hdr: $want, because $why");
}
