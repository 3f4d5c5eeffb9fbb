# An internal redirect from an Off scope into an On scope is judged by
# the scope it lands in.  rt-guarded is On with a 1K cap (chunked
# bodies refused, the default); the Off directories next to it pass
# requests to its scripts by internal redirect: a RewriteRule in
# <Directory rt-rw-dir>, one in rt-rw-htaccess/.htaccess (AllowOverride
# FileInfo, what any tenant of a shared host can write), and mod_actions'
# Action for the .act files of rt-act.  The request must be held to
# rt-guarded's policy before the script starts: refused, it never runs;
# accepted, it reads the whole body once.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRRoutes qw(:all);

my @routes = (
    ['/rt-guarded/target.cgi', 'control: the script by its own URL'],
    ['/rt-rw-dir/go', 'RewriteRule in <Directory>'],
    ['/rt-rw-htaccess/go', 'RewriteRule in .htaccess'],
    ['/rt-act/page.act', 'Action lr-handler /rt-guarded/handler.cgi'],
);

# [kind, status, headers, body]
my @kinds = (
    ['Content-Length 5000 over the 1K cap', 413, ['Content-Length: 5000'],
     'r' x 5000],
    ['chunked (LengthRequiredChunked Deny)', 411,
     ['Transfer-Encoding: chunked'], chunked('s' x 5000)],
    ['Content-Length 500 under the cap', 200, ['Content-Length: 500'],
     't' x 500],
);

plan tests => @routes * @kinds * 2;

for my $r (@routes) {
    my ($path, $how) = @$r;
    for my $k (@kinds) {
        my ($what, $status, $headers, $body) = @$k;
        my $tag = tag('rt-rw');
        my $res = raw_request('lr_routes', http_request(POST => "$path?$tag",
            headers => [@$headers, 'Connection: close'], body => $body));
        ok t_cmp($res->{status}, $status, "POST $path ($how), $what: $status");
        my @runs = runs_after($tag);
        if ($status == 200) {
            ok t_cmp(join(' ', starts(@runs), max_read(@runs)),
                     '1 ' . length $body,
                     'the rt-guarded script ran once and read exactly the '
                     . length($body) . ' bytes sent');
        }
        else {
            ok t_cmp(starts(@runs), 0,
                     'the rt-guarded script was never started (it ran '
                     . starts(@runs) . ' times, read '
                     . (max_read(@runs) // 'nothing') . ')');
        }
    }
}
