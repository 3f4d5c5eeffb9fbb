# LengthRequiredUploadMax from .htaccess (AllowOverride Limit) over a
# server max of 1M, t/htdocs/upload-tenant served by mod_reflector: under
# LengthRequiredHtaccess TightenOnly a tenant may lower the max (up-lower/,
# 100K) but not raise it (up-raise/, 10M) or turn it Off (up-off/): those
# keep the server's 1M and log LR00003 naming the directive and the file.
# Under Any the tenant's value holds either way.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(tag log_mark log_since);
use LRUpload qw(:all);

plan tests => 2 * 5 + 3;

# A creation declaring $total bytes in all, refused or not from its head.
sub create {
    my ($vhost, $dir, $total) = @_;
    my $tag = tag('up-tenant');
    my $path = $dir ? "/$dir/index.txt" : '/index.txt';
    return upload_req('POST', "$path?$tag",
                      ['Upload-Complete: ?0', "Upload-Length: $total"],
                      body => 10, vhost => $vhost)->{status};
}

# [directory, total, TightenOnly, Any, what]
my @cases = (
    ['up-lower', 200_000, 413, 413, '.htaccess lowers the max to 100K'],
    ['up-lower', 100_000, 200, 200, 'under the lowered max'],
    ['up-raise', 2_000_000, 413, 200, '.htaccess raises the max to 10M'],
    ['up-off', 2_000_000, 413, 200, '.htaccess turns the max Off'],
    ['', 2_000_000, 413, 413, 'the server\'s max itself'],
);
for my $c (@cases) {
    my ($dir, $total, $tight, $any, $what) = @$c;
    ok t_cmp(create('lr_upload_tight', $dir, $total), $tight,
             "TightenOnly: $what, Upload-Length $total");
    ok t_cmp(create('lr_upload_any', $dir, $total), $any,
             "Any: $what, Upload-Length $total");
}

# What had no effect is logged, naming the directive and the file.
my $mark = log_mark('error_log');
create('lr_upload_tight', 'up-raise', 10);
create('lr_upload_tight', 'up-lower', 10);
my $log = log_since('error_log', $mark);
ok t_cmp($log, qr{LR00003: LengthRequiredUploadMax in \S*upload-tenant/up-raise/\.htaccess has no effect},
         'LR00003 names LengthRequiredUploadMax in up-raise/.htaccess');
ok t_cmp($log =~ m{LR00003: \S+ in \S*upload-tenant/up-lower/} ? 1 : 0, 0,
         'and nothing about up-lower/.htaccess, which only tightens');
$mark = log_mark('error_log');
create('lr_upload_any', 'up-raise', 10);
ok t_cmp(log_since('error_log', $mark) =~ /LR00003/ ? 1 : 0, 0,
         'under Any nothing is logged');
