# LengthRequiredUploadMax takes a size as every size of the module (bytes,
# K, M, G or T) or Off; anything else stops apache2 -t with a message
# naming the directive and the value.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(syntax_check syntax_error_ok);

my @bad = ('1.5M', '-1', '1KB', 'lots', '10 M', '99999999999T');
my @good = ('Off', 'off', '0', '1048576', '64K', '1m', '10G', '2T');

plan tests => 5 * @bad + @good + 1;

for my $arg (@bad) {
    my $value = $arg =~ /^(\S+)\s/ ? undef : $arg;
    if (defined $value) {
        syntax_error_ok(qq{<Location "/x">\n    LengthRequiredUploadMax $arg\n</Location>},
                        'LengthRequiredUploadMax', $value,
                        qr/\bOff\b/);
    }
    else {
        # Two words: httpd itself refuses a second argument.
        syntax_error_ok(qq{<Location "/x">\n    LengthRequiredUploadMax $arg\n</Location>},
                        'LengthRequiredUploadMax', qr/one argument/i,
                        qr/\bOff\b/);
    }
}

for my $arg (@good) {
    my $r = syntax_check(qq{<Location "/x">\n    LengthRequiredUploadMax $arg\n</Location>});
    ok t_cmp($r->{rc}, 0, "LengthRequiredUploadMax $arg is accepted");
}

# The server config and a virtual host, as the policy's other directives.
my $r = syntax_check("LengthRequiredUploadMax 1G\n<VirtualHost 127.0.0.1:80>\n"
                     . "    LengthRequiredUploadMax 10M\n</VirtualHost>");
ok t_cmp($r->{rc}, 0, 'in the server config and a virtual host');
