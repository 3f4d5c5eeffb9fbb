package LRBuffer;
# Helpers of the LengthRequiredChunked Buffer tests (t/buffer/*.t):
# chunked bodies cut into pieces of a given size, the spool directory and
# the processes that hold a temporary file of it open, the private PHP-FPM
# pool (LRServer.pm starts it), and HTTP/2 uploads with nghttp.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Digest::MD5 qw(md5_hex);
use File::Path qw(make_path);
use Time::HiRes qw(time sleep);

use Apache::Test ();
use LRServer qw(start_php_fpm);
use LRTest qw(http_request raw_request log_lines);

our @EXPORT_OK = qw(
    body_of chunked_by post_chunked spool_dir spool_names
    spool_holders wait_no_holders start_buffer_php_fpm php_runs h2_upload md5_hex
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# $len bytes that are not all alike (so that a byte lost, doubled or moved
# changes the MD5), the same for the same $len and $seed.
sub body_of {
    my ($len, $seed) = @_;
    $seed //= 1;
    my $block = join '', map { chr(($_ * 7 + $seed * 13) % 251) } 0 .. 4095;
    my $body = $block x (int($len / 4096) + 1);
    return substr $body, 0, $len;
}

# $body as a chunked body in chunks of $size bytes (the last one shorter),
# with its last chunk.  $size 0: a single chunk.
sub chunked_by {
    my ($body, $size) = @_;
    my $out = '';
    $size ||= length($body) || 1;
    for (my $off = 0; $off < length $body; $off += $size) {
        my $piece = substr $body, $off, $size;
        $out .= sprintf("%x\r\n", length $piece) . $piece . "\r\n";
    }
    return $out . "0\r\n\r\n";
}

# POSTs the chunked body $chunked (from chunked_by) to $path of the
# lr_buffer host, on a connection of its own; returns raw_request's answer.
sub post_chunked {
    my ($path, $chunked, @headers) = @_;
    return raw_request('lr_buffer', http_request(POST => $path,
        headers => ['Transfer-Encoding: chunked', 'Connection: close',
                    @headers],
        body => $chunked), timeout => 60);
}

# The LengthRequiredBufferDir of the suite's lr_buffer hosts.
sub spool_dir {
    return Apache::Test::vars('serverroot') . '/buffer-spool';
}

# The names in a spool directory, other than its README.
sub spool_names {
    my ($dir) = @_;
    $dir //= spool_dir();
    opendir my $dh, $dir or die "$dir: $!";
    my @names = grep { $_ ne '.' && $_ ne '..' && $_ ne 'README' }
                readdir $dh;
    closedir $dh;
    return @names;
}

# The processes that have a file of $dir open, deleted or not: pid =>
# [targets].  The children of the test servers run as the test user, so
# their /proc/PID/fd can be read.
sub spool_holders {
    my ($dir) = @_;
    $dir //= spool_dir();
    my %held;
    for my $fd (glob '/proc/[0-9]*/fd/*') {
        my $target = readlink $fd;
        next unless defined $target && index($target, "$dir/") == 0;
        my ($pid) = $fd =~ m{^/proc/(\d+)/};
        push @{ $held{$pid} }, $target;
    }
    return \%held;
}

# Waits up to $timeout seconds until no process holds a file of $dir
# open; returns the holders left (an empty hash on success).
sub wait_no_holders {
    my ($dir, $timeout) = @_;
    my $until = time + ($timeout || 10);
    while (1) {
        my $held = spool_holders($dir);
        return $held if !%$held || time > $until;
        sleep 0.1;
    }
}

# Starts the private PHP-FPM pool on the Unix socket that
# t/conf/buffer.conf.in names, t/logs/php-fpm/php.sock.  Returns its
# LRServer handle (up, why).
sub start_buffer_php_fpm {
    my $dir = Apache::Test::vars('t_logs') . '/php-fpm';
    make_path($dir);
    return start_php_fpm($dir, ini => {
        error_log => "$dir/php-error.log",
        post_max_size => '64M',
        upload_max_filesize => '64M',
        upload_tmp_dir => $dir,
        sys_temp_dir => $dir });
}

# The runs of the PHP scripts recorded for requests whose URI holds $tag.
sub php_runs {
    my ($tag) = @_;
    return grep { /\Q$tag\E/ } log_lines('buffer_php.log');
}

# An HTTP/2 (h2c, prior knowledge) upload of the file $data to
# 127.0.0.1:$port$path without content-length (so mod_http2 presents it as
# chunked), with nghttp.  Returns the status and what was sent back.
sub h2_upload {
    my ($port, $path, $data) = @_;
    my @args = ('nghttp', '-v', '-t', '60', '-H', ':method: POST',
                '--no-content-length', '-d', $data,
                "http://127.0.0.1:$port$path");
    my $cmd = join ' ', map { "'$_'" } @args;
    my $out = `$cmd 2>&1 </dev/null`;
    my ($status) = $out =~ /recv \(stream_id=\d+\) :status: (\d{3})/;
    return { status => $status // 0, out => $out };
}

1;
