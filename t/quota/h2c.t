# Upload quotas over HTTP/2 (h2c, nghttp; see judge/h2c.t for why not curl): an
# h2 body with content-length is charged before it is read, one without
# is charged as it arrives.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use LRTest qw(:all);

plan tests => 6;

my $port = Apache::Test::vars('lr_quota_port');
my $tmp = tempdir(CLEANUP => 1);

# nghttp POSTs $len bytes, with content-length or without ('stream'), to
# $path/TAG.  Returns the status, Retry-After and TAG.
sub h2 {
    my ($how, $path, $len) = @_;
    my $tag = tag('h2');
    open my $fh, '>', "$tmp/data" or die $!;
    print $fh 'h' x $len;
    close $fh;
    my @args = ('nghttp', '-v', '-n', '-t', '30', '-H', ':method: POST',
                '-d', "$tmp/data");
    push @args, '--no-content-length' if $how eq 'stream';
    push @args, "http://127.0.0.1:$port$path/$tag";
    my $out = `@{[ join ' ', map { "'$_'" } @args ]} 2>&1 </dev/null`;
    my ($status) = $out =~ /recv \(stream_id=\d+\) :status: (\d{3})/;
    my ($retry) = $out =~ /recv \(stream_id=\d+\) retry-after: (\d+)/;
    return ($status // 0, $retry, $tag);
}

my ($st, $retry) = h2(length => '/q/h2len', 600);
ok t_cmp($st, 200, 'h2 with content-length: 600 of 1000');
($st, $retry) = h2(length => '/q/h2len', 600);
ok t_cmp($st, 429, 'h2: 600 more: 429');
ok t_cmp(defined $retry && $retry > 0 ? 1 : 0, 1, 'with Retry-After');
($st) = h2(stream => '/q/h2s', 60000);
ok t_cmp($st, 200, 'h2 without content-length: 60000 of 100000, charged '
         . 'as it arrives');
my $tag;
($st, undef, $tag) = h2(stream => '/q/h2s', 50000);
ok t_cmp($st, 413, 'h2 without content-length: 50000 more: the read fails '
         . 'past the budget (413 from the CGI)');
my ($line) = wait_for_lines('quota_log', qr/\Q$tag\E/);
ok t_cmp($line, qr/ 413 lr=quota /, 'the access log notes quota for it');
