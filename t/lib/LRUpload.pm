package LRUpload;
# Helpers of the resumable-upload tests (t/upload/*.t, t/conf/upload.conf.in):
# one request of an upload on a connection of its own, and what the
# recording CGI (or the proxied backend's) was given for it.  Built on
# LRTest and LRRoutes.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';

use LRTest qw(http_request chunked raw_request);
use LRRoutes qw(runs_after starts max_read);

our @EXPORT_OK = qw(MAX upload_req handler_got);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# LengthRequiredUploadMax 1M of the /up- paths, in bytes.
use constant MAX => 1_048_576;

# One request, $method $path with the header strings in @$headers and
# "Connection: close", to the virtual host $opt{vhost} (lr_upload).  The
# body: $opt{body} bytes with their Content-Length; or $opt{declare}, a
# Content-Length sent without its body (for a request the head alone must
# get refused: were it let through, the handler would wait for the body
# and the test would see no 413); or $opt{chunked} bytes, chunked.
# Returns the final response (LRTest::raw_request).
sub upload_req {
    my ($method, $path, $headers, %opt) = @_;
    my @h = (@$headers, 'Connection: close');
    my $body = '';
    if (defined $opt{body}) {
        push @h, "Content-Length: $opt{body}";
        $body = 'u' x $opt{body};
    }
    elsif (defined $opt{declare}) {
        push @h, "Content-Length: $opt{declare}";
    }
    elsif (defined $opt{chunked}) {
        my $n = $opt{chunked};
        push @h, 'Transfer-Encoding: chunked';
        $body = chunked(('u' x 1000) x int($n / 1000), 'u' x ($n % 1000));
    }
    return scalar raw_request($opt{vhost} || 'lr_upload',
        http_request($method, $path, headers => \@h, body => $body),
        timeout => $opt{timeout} || 20);
}

# What the handler was given for the request with $tag, once the request
# is over: how many times it started, and the most body bytes a finished
# run read (undef when none finished).
sub handler_got {
    my ($tag) = @_;
    my @runs = runs_after($tag);
    return (starts(@runs), max_read(@runs));
}

1;
