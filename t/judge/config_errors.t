# Bad configuration is refused at startup: "apache2 -t" on a small
# configuration that loads the module under test fails for every kind of
# bad value, with a message that names the directive, the bad value and
# what is allowed, on the right line.  Good values, keywords in any case
# among them, pass.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use LRTest qw(:all);

my $MODE = qr/\bOn\b.*\bOff\b.*\bLogOnly\b/;
my $CHUNKED = qr/\bDeny\b.*\bAllow\b/;
my $SIZE = qr/\bK\b.*\bM\b.*\bG\b.*\bT\b/;
my $METHOD = qr/\bmethod\b.*\b(?:POST|PUT|PATCH)\b/i;

# [directive, argument as written, the bad value the message must quote
#  (undef: nothing to quote, so it must say that no method was given),
#  what the message must say is allowed]
my @bad = (
    [LengthRequired => 'Maybe', 'Maybe', $MODE],
    [LengthRequired => 'Yes', 'Yes', $MODE],
    [LengthRequired => 'Deny', 'Deny', $MODE],
    [LengthRequiredChunked => 'Sometimes', 'Sometimes', $CHUNKED],
    [LengthRequiredChunked => 'On', 'On', $CHUNKED],
    # Sizes: junk, a sign, a fraction, an overflow, a bad suffix.
    [LengthRequiredMaxBody => '12Q', '12Q', $SIZE],
    [LengthRequiredMaxBody => '-5', '-5', $SIZE],
    [LengthRequiredMaxBody => '+5', '+5', $SIZE],
    [LengthRequiredMaxBody => '1.5M', '1.5M', $SIZE],
    [LengthRequiredMaxBody => '99999999999999999999G',
     '99999999999999999999G', $SIZE],
    [LengthRequiredMaxBody => '99999999999999999999',
     '99999999999999999999', $SIZE],
    # 2^33 G is 2^63 bytes: one more than the largest file offset.
    [LengthRequiredMaxBody => '8589934592G', '8589934592G', $SIZE],
    [LengthRequiredMaxBody => '10abc', '10abc', $SIZE],
    [LengthRequiredMaxBody => 'K', 'K', $SIZE],
    [LengthRequiredMaxBody => '1KB', '1KB', $SIZE],
    [LengthRequiredMaxBody => '0x10', '0x10', $SIZE],
    # One size grammar for every directive: T too, and its overflow
    # (2^23 T is 2^63 bytes).
    [LengthRequiredMaxBody => '8388608T', '8388608T', $SIZE],
    [LengthRequiredMaxBody => '1TT', '1TT', $SIZE],
    # Methods: an empty list, invalid tokens.
    [LengthRequiredMethods => '', undef, $METHOD],
    [LengthRequiredMethods => '""', undef, $METHOD],
    [LengthRequiredMethods => 'PO(ST', 'PO(ST', $METHOD],
    [LengthRequiredMethods => 'POST,PUT', 'POST,PUT', $METHOD],
    [LengthRequiredMethods => 'POST "PO ST"', 'PO ST', $METHOD],
    [LengthRequiredMethods => 'GET/1', 'GET/1', $METHOD],
);

# [directive, argument] that must pass.
my @good = (
    [LengthRequired => 'On'], [LengthRequired => 'on'],
    [LengthRequired => 'oFF'], [LengthRequired => 'LOGONLY'],
    [LengthRequired => 'logonly'],
    [LengthRequiredChunked => 'deny'], [LengthRequiredChunked => 'ALLOW'],
    [LengthRequiredMaxBody => '0'], [LengthRequiredMaxBody => '1024'],
    [LengthRequiredMaxBody => '1K'], [LengthRequiredMaxBody => '1k'],
    [LengthRequiredMaxBody => '2M'], [LengthRequiredMaxBody => '3G'],
    [LengthRequiredMaxBody => '8589934591G'],
    [LengthRequiredMaxBody => '1T'], [LengthRequiredMaxBody => '8388607t'],
    [LengthRequiredMaxBody => '0001K'],
    [LengthRequiredMethods => 'POST'],
    [LengthRequiredMethods => 'PUT PROPPATCH MKCOL FROB M-SEARCH X_Custom.1 A!#*+^|~'],
);

# Every directive in each per-directory section httpd has.
my @sections = (
    ['<Directory "/nonexistent">', '</Directory>'],
    ['<Location "/x">', '</Location>'],
    ['<LocationMatch "^/y">', '</LocationMatch>'],
    ['<Files "z">', '</Files>'],
    [q{<If "%{HTTP:X-Test} == 'y'">}, '</If>'],
);

plan tests => 5 * @bad + 2 * @good + @sections;

for my $b (@bad) {
    my ($directive, $arg, $value, $allowed) = @$b;
    syntax_error_ok(qq{<Location "/x">\n    $directive $arg\n</Location>},
                    $directive, $value // qr/\bno\b.*\bmethod\b/i, $allowed);
}

for my $g (@good) {
    my ($directive, $arg) = @$g;
    my $r = syntax_check(qq{<Location "/x">\n    $directive $arg\n</Location>});
    ok t_cmp($r->{rc}, 0, "apache2 -t accepts '$directive $arg'");
    ok t_cmp($r->{out}, qr/Syntax OK/, 'and says Syntax OK');
}

for my $s (@sections) {
    my ($open, $close) = @$s;
    my $r = syntax_check(join "\n", $open,
        '    LengthRequired LogOnly', '    LengthRequiredMethods POST PUT',
        '    LengthRequiredChunked Allow', '    LengthRequiredMaxBody 64K',
        $close);
    ok t_cmp($r->{rc}, 0, "all four directives are accepted in $open"
             . ($r->{rc} ? ": $r->{out}" : ''));
}
