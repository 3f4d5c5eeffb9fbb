#!/usr/bin/perl
# Test CGI for LengthRequiredChunked Buffer: reads the whole body and
# answers (and records in the file named by LR_BUFFER_LOG) what it was
# given: CONTENT_LENGTH, Transfer-Encoding, the bytes read and their MD5.
use strict;
use warnings;
use Digest::MD5 ();

binmode STDIN;
my $md5 = Digest::MD5->new;
my $read = 0;
while (1) {
    my $n = sysread STDIN, my $buf, 65536;
    last unless $n;
    $read += $n;
    $md5->add($buf);
}
my $line = sprintf "%s %s cl=%s te=%s read=%d md5=%s",
    $ENV{REQUEST_METHOD} || '-', $ENV{REQUEST_URI} || '-',
    $ENV{CONTENT_LENGTH} // '-', $ENV{HTTP_TRANSFER_ENCODING} // '-',
    $read, $md5->hexdigest;
if (my $log = $ENV{LR_BUFFER_LOG}) {
    if (open my $fh, '>>', $log) {
        print $fh "$line\n";
        close $fh;
    }
}
print "Content-Type: text/plain\r\n\r\n$line\n";
