#!/usr/bin/perl
# Test CGI: records in the file named by LR_CGI_BODY_LOG that it started,
# and then how many body bytes it was given in all, whether it reached the
# end of its input or was stopped by httpd (SIGTERM) first.  The tests read
# that file to prove that a body cut off by LengthRequiredMaxBody never
# reaches the handler past the cap.
use strict;
use warnings;

my $log = $ENV{LR_CGI_BODY_LOG};
my $uri = $ENV{REQUEST_URI} || '-';
my $read = 0;

sub record {
    my ($what) = @_;
    return unless $log;
    open my $fh, '>>', $log or return;
    print $fh "$what $uri read=$read\n";
    close $fh;
}

$SIG{TERM} = sub { record('term'); exit 0 };

record('start');
binmode STDIN;
while (1) {
    my $n = sysread STDIN, my $buf, 65536;
    last unless $n;    # 0 at the end of the body, undef on an error
    $read += $n;
}
record('end');

print "Content-Type: text/plain\r\n\r\n";
print "read=$read\n";
