# Label values as the exposition format requires them, from what can
# really reach a label: a host's name:port, that is its ServerName.  httpd
# reads a quoted ServerName with \" and \\ undone, so a name can hold a
# double quote and a backslash (the suite's quote host); it reads the
# configuration by lines, so no name holds a line feed, and the handler's
# escaping of one cannot be reached.  A label value must also be UTF-8:
# a ServerName written in Latin-1, or a long UTF-8 one cut by the counters'
# 255-byte key, must not make Prometheus refuse the whole scrape.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use LRTest qw(:all);
use LRMetrics qw(:all);
use LRServer qw(free_port start_httpd);

plan tests => 2 + 1 + 4 + 2,
    need { 'promtool (package prometheus)' => have_program('promtool') };

# promtool's verdict on an exposition: its exit status and what it said.
sub promtool {
    my ($text) = @_;
    my $dir = tempdir(CLEANUP => 1);
    open my $fh, '>', "$dir/in" or die "$dir/in: $!";
    print $fh $text;
    close $fh or die "$dir/in: $!";
    my $out = `promtool check metrics < '$dir/in' 2>&1`;
    return ($? >> 8, $out);
}

# The suite's quote host: its name is quote"back\new.metrics.test.
my $res = fetch('lr_metrics', 'alpha.metrics.test', '/mx-metrics');
my $port = Apache::Test::vars('lr_metrics_port');
my $line = qq{length_required_judged_total{vhost="quote\\"back\\\\new.metrics.test:$port"}};
ok t_cmp(scalar(grep { index($_, $line) == 0 } split /\n/, $res->{body}), 1,
         "the quote host's series reads $line");
my %series = %{ parse_metrics($res->{body})->{series} };
ok t_cmp(exists $series{'length_required_judged_total{' . quote_host() . '}'}
         ? 'read back' : 'not found', 'read back',
         'which a reader of the format takes for the name as httpd read it');
my ($rc, $out) = promtool($res->{body});
ok t_cmp("$rc $out", '0 ', "promtool check metrics finds nothing in the suite's output");

# A private server with three names that are not plain ASCII: Latin-1
# (not UTF-8 at all), UTF-8 that fits, and UTF-8 cut in the middle of a
# character by the key's 255 bytes (254 bytes of name, then a 2-byte é).
my $hport = free_port();
my $long = 'l' x 254;
my ($conf) = private_conf(<<"CONF", listen => ["127.0.0.1:$hport"],
<VirtualHost 127.0.0.1:$hport>
    ServerName caf\xe9.test
    LengthRequired On
    <Location "/metrics">
        SetHandler length-required-metrics
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:$hport>
    ServerName utf8-caf\xc3\xa9.test
    LengthRequired On
</VirtualHost>
<VirtualHost 127.0.0.1:$hport>
    ServerName $long\xc3\xa9.test
    LengthRequired On
</VirtualHost>
CONF
    modules => ['authz_core_module']);
my $httpd = start_httpd($conf, ports => [$hport]);
die "$httpd->{why}\n" unless $httpd->{up};
my $body = fetch($hport, 'caf.test', '/metrics')->{body};
my @judged = grep { /^length_required_judged_total\{/ } split /\n/, $body;
my $fffd = "\xef\xbf\xbd";
ok t_cmp(scalar(grep { $_ eq "length_required_judged_total{vhost=\"caf$fffd.test:$hport\"} 0" } @judged),
         1, 'Latin-1 caf\xe9.test: the byte that is not UTF-8 became U+FFFD');
ok t_cmp(scalar(grep { $_ eq "length_required_judged_total{vhost=\"utf8-caf\xc3\xa9.test:$hport\"} 0" } @judged),
         1, 'UTF-8 utf8-café.test is written as it is');
ok t_cmp(scalar(grep { $_ eq "length_required_judged_total{vhost=\"$long$fffd\"} 0" } @judged),
         1, 'a 254-byte name and é, cut after 255 bytes: the lone first byte '
         . 'of é became U+FFFD');
($rc, $out) = promtool($body);
ok t_cmp("$rc $out", '0 ', 'promtool check metrics finds nothing in that output');

# The control: the same output with the Latin-1 byte put back, as a
# handler that did not mend it would write it, is refused by promtool,
# and so would the scrape be by Prometheus.
(my $raw = $body) =~ s/caf\Q$fffd\E\.test/caf\xe9.test/g;
($rc, $out) = promtool($raw);
ok t_cmp($rc, 1, 'the control: with the byte as it was, promtool fails');
ok t_cmp($out, qr/invalid label value/, "saying 'invalid label value'");
