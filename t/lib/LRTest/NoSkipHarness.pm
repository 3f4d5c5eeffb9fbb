package LRTest::NoSkipHarness;
# The test harness t/TEST uses when LR_NO_SKIP is set (CI sets it): a
# TAP::Harness that counts a skipped test file, or a skipped test, as a
# failure.  On CI every optional tool is installed (make test installs
# them), so a skip there means something is not being proven.
#
# Each skip becomes a failed test of an extra entry, "LR_NO_SKIP", in the
# harness's results: its summary lists it with the others, and the run
# exits non-zero as for any failure.
use strict;
use warnings FATAL => 'all';

use parent 'TAP::Harness';
use TAP::Parser ();

sub aggregate_tests {
    my ($self, $aggregate, @tests) = @_;
    $self->SUPER::aggregate_tests($aggregate, @tests);

    my @skips;
    for my $name ($aggregate->descriptions) {
        my ($parser) = $aggregate->parsers($name);
        if ($parser->skip_all) {
            push @skips, "$name skipped: " . $parser->skip_all;
        }
        push @skips, map { "$name: test $_ skipped" } $parser->skipped;
    }
    return unless @skips;

    my $n = 0;
    my $tap = join '', '1..' . @skips . "\n",
        map { $n++; "not ok $n - $_ (LR_NO_SKIP: nothing may be skipped)\n" }
        @skips;
    my $parser = TAP::Parser->new({ tap => $tap });
    $parser->run;
    $aggregate->add('LR_NO_SKIP', $parser);
    print STDERR "LR_NO_SKIP: $_\n" for @skips;
    return;
}

1;
