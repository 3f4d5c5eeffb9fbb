#!/usr/bin/perl
# Test CGI: records that it ran (method, URI, Content-Length, Transfer-
# Encoding) in the file named by LR_CGI_LOG, then echoes the body it read.
# The tests read that file to prove a refused request never started it.
use strict;
use warnings;

my $log = $ENV{LR_CGI_LOG};
if ($log && open my $fh, '>>', $log) {
    printf $fh "%s %s cl=%s te=%s\n", $ENV{REQUEST_METHOD} || '-',
        $ENV{REQUEST_URI} || '-', $ENV{CONTENT_LENGTH} // '-',
        $ENV{HTTP_TRANSFER_ENCODING} // '-';
    close $fh;
}

binmode STDIN;
my $body = '';
my $n;
while (($n = read STDIN, my $buf, 65536)) {
    $body .= $buf;
}
my $violation = $ENV{LENGTH_REQUIRED_VIOLATION} // '';
print "Content-Type: text/plain\r\n";
print "X-LR-Violation: $violation\r\n" if length $violation;
print "X-Body-Length: ", length($body), "\r\n\r\n";
print $body;
