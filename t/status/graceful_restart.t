# A graceful restart (SIGUSR1 to the parent) rereads the configuration and
# reloads the module; afterwards it refuses and passes exactly as before,
# the streaming counter (a filter registered at load time) included.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use Time::HiRes qw(time sleep);
use LRTest qw(:all);
use LRServer qw(restart_httpd);

# [what, method, location, headers, body, status, note]
my @checks = (
    ['POST without a length', '/on', [], '', 411, 'missing-length'],
    ['POST with Content-Length 2000 over a 1K cap', '/cap',
     ['Content-Length: 2000'], 'g' x 2000, 413, 'too-large'],
    ['chunked POST under Deny', '/on', ['Transfer-Encoding: chunked'],
     chunked('g'), 411, 'chunked'],
    ['chunked POST of 3000 bytes under Allow and a 1K cap', '/chunked-ok',
     ['Transfer-Encoding: chunked'], chunked('g' x 3000), 413, 'too-large'],
    ['chunked POST of 500 bytes under Allow and a 1K cap', '/chunked-ok',
     ['Transfer-Encoding: chunked'], chunked('g' x 500), 200, '-'],
    ['POST with Content-Length 10', '/cap', ['Content-Length: 10'],
     'g' x 10, 200, '-'],
);

plan tests => 2 * 2 * @checks + 3;

sub run_checks {
    my ($when) = @_;
    for my $c (@checks) {
        my ($what, $where, $headers, $body, $status, $note) = @$c;
        my $tag = tag('graceful');
        my $res = raw_request(undef, http_request(POST => "$where/$tag",
            headers => [@$headers, 'Connection: close'], body => $body));
        ok t_cmp($res->{status}, $status, "$when: $what: $status");
        ok t_cmp(lr_note($tag), $note, "$when: the note is $note");
    }
}

run_checks('before the graceful restart');

my ($pid) = slurp(Apache::Test::vars('t_pid_file')) =~ /(\d+)/
    or die "no pid in the suite's pid file\n";

# restart_httpd waits for the restart's own log lines ("SIGUSR1
# received", then "resuming normal operations"): the listeners stay open
# through a graceful restart, so a connection would prove nothing.
ok t_cmp(restart_httpd($pid, 'USR1', log_file('error_log')), 1,
         "SIGUSR1 to the parent (pid $pid): the error log shows the graceful "
         . 'restart requested, then "resuming normal operations"');
my $served = 0;
my $until = time + 30;
while (!$served && time < $until) {
    $served = eval { GET('/static/small.txt')->code == 200 };
    sleep 0.2 unless $served;
}
ok t_cmp($served ? 1 : 0, 1, 'after it, the server serves a static file');
ok t_cmp(kill(0, $pid), 1,
         'the same parent process is still running (a graceful restart, not '
         . 'a new server)');

run_checks('after the graceful restart');
