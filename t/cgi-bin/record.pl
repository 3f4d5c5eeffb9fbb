#!/usr/bin/perl
# Test CGI for the route tests (t/routes/*.t): records every run in the file
# named by LR_ROUTES_LOG, one line when it starts and one when it is done
# (or stopped by httpd with SIGTERM), with what it was given:
#
#   start|end|term tag=T uri=U script=S method=M status=S cl=N te=V read=N
#
# tag is the X-LR-Tag request header (a proxied request keeps it), uri the
# REQUEST_URI (for an ErrorDocument, httpd gives the URI of the request
# that failed), status REDIRECT_STATUS, cl CONTENT_LENGTH, te
# HTTP_TRANSFER_ENCODING ('-' when unset), read the body bytes it read from
# stdin (it always reads to the end).  The tests use it to prove what a
# handler received, or that it never ran.
use strict;
use warnings;

my $log = $ENV{LR_ROUTES_LOG};
my $read = 0;

sub record {
    my ($what) = @_;
    return unless $log;
    open my $fh, '>>', $log or return;
    printf $fh "%s tag=%s uri=%s script=%s method=%s status=%s cl=%s te=%s "
        . "read=%d\n", $what, map({ $ENV{$_} // '-' } qw(HTTP_X_LR_TAG
        REQUEST_URI SCRIPT_NAME REQUEST_METHOD REDIRECT_STATUS CONTENT_LENGTH
        HTTP_TRANSFER_ENCODING)), $read;
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
print "LR-ROUTES-RECORD status=", $ENV{REDIRECT_STATUS} // '-',
    " read=$read\n";
