# A <Files> (or <FilesMatch>) policy holds on every URL that reaches its
# file.  rt-open and rt-open-match are Off directories whose secure.cgi
# is On with a 1K cap by <Files "secure.cgi"> and by
# <FilesMatch "^secure\.cgi$">; DirectoryIndex names secure.cgi and
# MultiViews maps /secure to it.  DirectoryIndex and MultiViews reach the
# file by a fast internal redirect in fixups and type_checker, after the
# module's decision on the directory's (Off) policy.  Whatever the URL, a
# refused request must never start the CGI, and an accepted body must
# arrive whole, exactly once.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);
use LRRoutes qw(:all);

my @dirs = ('rt-open', 'rt-open-match');
my @urls = (['secure.cgi', 'by name'], ['', 'by DirectoryIndex'],
            ['secure', 'by MultiViews']);

plan tests => @dirs * @urls * (4 * 2 + 3 * 3) + 2 * 2;

# [kind, status, headers, body]
my @kinds = (
    ['Content-Length 5000 over the 1K cap', 413, ['Content-Length: 5000'],
     'f' x 5000],
    ['chunked (LengthRequiredChunked Deny)', 411,
     ['Transfer-Encoding: chunked'], chunked('hello')],
    ['no length at all', 411, [], ''],
    ['Content-Length 500 under the cap', 200, ['Content-Length: 500'],
     'g' x 500],
);

sub check_runs {
    my ($tag, $status, $bytes) = @_;
    my @runs = runs_after($tag);
    if ($status == 200) {
        ok t_cmp(join(' ', starts(@runs), max_read(@runs) // 'nothing'),
                 "1 $bytes",
                 "secure.cgi ran once and read exactly the $bytes bytes sent");
    }
    else {
        ok t_cmp(starts(@runs), 0, 'secure.cgi was never started');
    }
}

for my $dir (@dirs) {
    my $section = $dir eq 'rt-open' ? '<Files>' : '<FilesMatch>';
    for my $u (@urls) {
        my ($file, $how) = @$u;
        my $path = "/$dir/$file";

        # HTTP/1.1
        for my $k (@kinds) {
            my ($what, $status, $headers, $body) = @$k;
            my $tag = tag('rt-files');
            my $res = raw_request('lr_routes', http_request(POST => "$path?$tag",
                headers => [@$headers, 'Connection: close'], body => $body));
            ok t_cmp($res->{status}, $status,
                     "POST $path ($section policy reached $how), $what: $status");
            check_runs($tag, $status, length $body);
        }

        # HTTP/2: with content-length over and under the cap, and streamed
        # without one.
        for my $k (['content-length 5000 over the 1K cap', 413,
                    body => 'h' x 5000],
                   ['content-length 500 under the cap', 200,
                    body => 'i' x 500],
                   ['streamed without content-length (Deny)', 411,
                    body => 'hello', stream => 1]) {
            my ($what, $status, %opt) = @$k;
            my $tag = tag('rt-files-h2');
            my $res = h2('lr_routes', 'POST', "$path?$tag", %opt);
            ok t_cmp($res->{status}, $status,
                     "h2c POST $path ($section policy reached $how), $what: "
                     . $status);
            ok t_cmp($res->{http2}, 1, 'the exchange was HTTP/2');
            check_runs($tag, $status, length $opt{body});
        }
    }
}

# Control: the directory itself is Off, so other.cgi next to secure.cgi
# takes any body.
for my $k (['Content-Length 5000', ['Content-Length: 5000'], 'o' x 5000],
           ['chunked', ['Transfer-Encoding: chunked'], chunked('o' x 5000)]) {
    my ($what, $headers, $body) = @$k;
    my $tag = tag('rt-files-other');
    my $res = raw_request('lr_routes', http_request(POST => "/rt-open/other.cgi?$tag",
        headers => [@$headers, 'Connection: close'], body => $body));
    ok t_cmp($res->{status}, 200,
             "control: POST /rt-open/other.cgi (the Off directory), $what: 200");
    my @runs = runs_after($tag);
    ok t_cmp(join(' ', starts(@runs), max_read(@runs) // 'nothing'), '1 5000',
             'other.cgi ran once and read all 5000 bytes');
}
