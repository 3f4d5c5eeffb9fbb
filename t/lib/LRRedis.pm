package LRRedis;
# Redis the way operators run it, for the quota tests: private
# redis-server instances on 127.0.0.1 (or a Unix socket) with ACL users
# and a password, a Sentinel set-up (a master, a replica, three sentinels)
# that can fail over, and a TLS-only redis-server behind a local stunnel
# client tunnel.  Everything is started through LRServer's start_daemon,
# so it is stopped when the script ends, whatever way it ends.
#
#   redis_cli(TARGET, @args)        runs redis-cli against TARGET (a handle
#                                   of the functions below, a port, or
#                                   { port|sock, user, password }) for at
#                                   most 5 s; returns its output, trimmed
#   start_redis(%o)                 a redis-server: %o port (default free),
#                                   sock (a Unix socket path: no TCP port),
#                                   user/password (an ACL user, the default
#                                   user disabled), rules (that user's ACL
#                                   rules, default every right; then the
#                                   handle's admin is a user "lradmin" with
#                                   the same password and every right), args
#                                   (more redis-server arguments)
#   start_sentinels(%o)             a master and a replica and three
#                                   sentinels watching them as $o{name}
#                                   ('lrmaster'); %o user/password as for
#                                   start_redis, sentinel_password (the
#                                   sentinels' own: of their default user,
#                                   or with sentinel_user of that ACL user,
#                                   the default user disabled); returns
#                                   { master, replica, sentinels => [...],
#                                   name }
#   sentinel_master(SET)            "host:port" the sentinels name now
#   wait_failover(SET, OLD, SECS)   waits until the sentinels name another
#                                   master than OLD ("host:port"); the new
#                                   one, or undef
#   start_tls_redis(%o)             a redis-server with a TLS port only, its
#                                   CA and certificate made with openssl,
#                                   and a stunnel client tunnel to it on a
#                                   loopback port, or on the Unix socket
#                                   $o{sock} (verifying the server's
#                                   certificate and that it is for
#                                   $o{check_host}, default localhost);
#                                   returns { redis, tunnel, port (the
#                                   tunnel's), sock, tls_port, ca, dir,
#                                   conf (stunnel's) }
#   start_tunnel(TLS, %o)           one more tunnel to the server of
#                                   start_tls_redis's TLS: %o and the
#                                   return value as for start_tls_redis
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Temp qw(tempdir);
use Time::HiRes qw(time sleep);

use LRServer qw(free_port port_open start_daemon);

our @EXPORT_OK = qw(redis_cli start_redis start_sentinels sentinel_master
                    wait_failover start_tls_redis start_tunnel);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# The redis-cli arguments that reach TARGET.
sub _cli_args {
    my ($t) = @_;
    $t = { port => $t } unless ref $t;
    my @a = $t->{sock} ? ('-s', $t->{sock})
                       : ('-h', '127.0.0.1', '-p', $t->{port});
    push @a, '--user', $t->{user} if $t->{user};
    push @a, '--pass', $t->{password} if defined $t->{password};
    push @a, '--no-auth-warning';
    return @a;
}

sub redis_cli {
    my ($t, @args) = @_;
    # redis-cli's own complaints (a server not up yet) go to /dev/null;
    # a server frozen by a test does not hold it for more than 5 s.
    open my $fh, '-|', 'sh', '-c', 'exec "$@" 2>/dev/null', 'sh',
        'timeout', '-k', '1', '5', 'redis-cli', _cli_args($t), @args
        or die "redis-cli: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    $out =~ s/\s+\z//;
    return $out;
}

# Whether a redis-server or sentinel at TARGET answers PING.
sub _pong {
    my ($t) = @_;
    return redis_cli($t, 'PING') eq 'PONG';
}

sub start_redis {
    my (%o) = @_;
    my $dir = $o{dir} || tempdir(CLEANUP => 1);
    my @cmd = ('redis-server', '--bind', '127.0.0.1', '--save', '',
               '--appendonly', 'no', '--dir', $dir);
    my %h = (user => $o{user}, password => $o{password});
    if ($o{sock}) {
        push @cmd, '--port', '0', '--unixsocket', $o{sock},
                   '--unixsocketperm', '777';
        $h{sock} = $o{sock};
    }
    else {
        $h{port} = $o{port} || free_port();
        push @cmd, '--port', $h{port};
    }
    if (defined $o{password}) {
        # An ACL user with every right; the default user disabled, so
        # that nothing gets in without the password.
        my $acl = "$dir/users.acl";
        open my $fh, '>', $acl or die "$acl: $!";
        print $fh "user $o{user} on >$o{password} ",
            $o{rules} // '~* &* +@all', "\n" if $o{user};
        print $fh "user lradmin on >$o{password} ~* &* +\@all\n"
            if $o{user} && $o{rules};
        print $fh $o{user} ? "user default off\n"
                           : "user default on >$o{password} ~* &* +\@all\n";
        close $fh;
        push @cmd, '--aclfile', $acl;
    }
    push @cmd, @{ $o{args} || [] };
    my $admin = $o{rules} ? { %h, user => 'lradmin' } : undef;
    my $d = start_daemon('redis-server', cmd => \@cmd, dir => $dir,
                         port => $h{port},
                         ready => sub { _pong($admin || \%h) });
    die "redis-server: $d->{why}\n" unless $d->{up};
    return { %$d, %h, admin => $admin };
}

sub start_sentinels {
    my (%o) = @_;
    my $name = $o{name} || 'lrmaster';
    my %auth = (user => $o{user}, password => $o{password});
    my $master = start_redis(%auth,
        args => ['--masteruser', $o{user} // 'default',
                 defined $o{password} ? ('--masterauth', $o{password}) : ()]);
    my $replica = start_redis(%auth,
        args => ['--replicaof', '127.0.0.1', $master->{port},
                 '--masteruser', $o{user} // 'default',
                 defined $o{password} ? ('--masterauth', $o{password}) : ()]);
    # The replica is in sync before the sentinels are told of it.
    my $until = time + 20;
    until (redis_cli($replica, 'INFO', 'replication')
           =~ /master_link_status:up/) {
        die "the replica never synced with the master\n" if time > $until;
        sleep 0.1;
    }
    my @sentinels;
    for (1 .. 3) {
        my $dir = tempdir(CLEANUP => 1);
        my $port = free_port();
        my $conf = "$dir/sentinel.conf";
        open my $fh, '>', $conf or die "$conf: $!";
        print $fh "port $port\nbind 127.0.0.1\ndir $dir\n",
            "sentinel monitor $name 127.0.0.1 $master->{port} 2\n",
            "sentinel down-after-milliseconds $name 1000\n",
            "sentinel failover-timeout $name 10000\n",
            "sentinel parallel-syncs $name 1\n";
        print $fh "sentinel auth-user $name $o{user}\n" if $o{user};
        print $fh "sentinel auth-pass $name $o{password}\n"
            if defined $o{password};
        if ($o{sentinel_user}) {
            # An ACL user, which the sentinels also use among themselves.
            print $fh "user $o{sentinel_user} on >$o{sentinel_password} ",
                "~* &* +\@all\nuser default off\n",
                "sentinel sentinel-user $o{sentinel_user}\n",
                "sentinel sentinel-pass $o{sentinel_password}\n";
        }
        elsif (defined $o{sentinel_password}) {
            print $fh "requirepass $o{sentinel_password}\n";
        }
        close $fh;
        my %h = (port => $port, user => $o{sentinel_user},
                 password => $o{sentinel_password});
        my $d = start_daemon('redis-sentinel',
            cmd => ['redis-server', $conf, '--sentinel'], dir => $dir,
            port => $port, ready => sub { _pong(\%h) });
        die "redis-sentinel: $d->{why}\n" unless $d->{up};
        push @sentinels, { %$d, %h };
    }
    my $set = { master => $master, replica => $replica,
                sentinels => \@sentinels, name => $name };
    # Every sentinel knows the master and its replica before we go on.
    $until = time + 20;
    for my $s (@sentinels) {
        until (redis_cli($s, 'SENTINEL', 'REPLICAS', $name)
               =~ /\Q$replica->{port}\E/) {
            die "a sentinel never saw the replica\n" if time > $until;
            sleep 0.1;
        }
    }
    return $set;
}

sub sentinel_master {
    my ($set) = @_;
    for my $s (@{ $set->{sentinels} }) {
        my $out = redis_cli($s, 'SENTINEL', 'get-master-addr-by-name',
                            $set->{name});
        my ($host, $port) = split /\n/, $out;
        return "$host:$port" if defined $port && $port =~ /^\d+$/;
    }
    return undef;
}

sub wait_failover {
    my ($set, $old, $secs) = @_;
    my $until = time + ($secs || 30);
    while (time < $until) {
        my $now = sentinel_master($set);
        return $now if defined $now && $now ne $old;
        sleep 0.1;
    }
    return undef;
}

# A CA and a server certificate for "localhost" signed by it, in $dir.
sub _certificates {
    my ($dir) = @_;
    my $run = sub {
        system('sh', '-c', 'exec "$@" >/dev/null 2>&1', 'sh', @_) == 0
            or die "@_: failed\n";
    };
    $run->('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
           '-keyout', "$dir/ca.key", '-out', "$dir/ca.crt", '-days', '2',
           '-subj', '/CN=lr-test-ca', '-batch');
    $run->('openssl', 'req', '-newkey', 'rsa:2048', '-nodes',
           '-keyout', "$dir/server.key", '-out', "$dir/server.csr",
           '-subj', '/CN=localhost', '-batch');
    open my $ext, '>', "$dir/server.ext" or die "$dir/server.ext: $!";
    print $ext "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    close $ext;
    $run->('openssl', 'x509', '-req', '-in', "$dir/server.csr",
           '-CA', "$dir/ca.crt", '-CAkey', "$dir/ca.key", '-CAcreateserial',
           '-out', "$dir/server.crt", '-days', '2',
           '-extfile', "$dir/server.ext");
    chmod 0644, "$dir/server.key", "$dir/ca.key";
}

sub start_tls_redis {
    my (%o) = @_;
    my $dir = tempdir(CLEANUP => 1);
    _certificates($dir);
    my $tls_port = free_port();
    my $redis = start_daemon('redis-server-tls', dir => $dir,
        cmd => ['redis-server', '--bind', '127.0.0.1', '--port', '0',
                '--tls-port', $tls_port, '--tls-cert-file', "$dir/server.crt",
                '--tls-key-file', "$dir/server.key",
                '--tls-ca-cert-file', "$dir/ca.crt",
                '--tls-auth-clients', 'no', '--save', '',
                '--appendonly', 'no', '--dir', $dir,
                @{ $o{args} || [] }],
        port => $tls_port);
    die "redis-server (TLS): $redis->{why}\n" unless $redis->{up};
    return start_tunnel({ redis => $redis, tls_port => $tls_port,
                          ca => "$dir/ca.crt", dir => $dir }, %o);
}

# The tunnel: plain text on a loopback port (or a Unix socket) in, TLS to
# the server out, the server's certificate verified against the CA and
# its name.  Waited for with a PING through it, so a tunnel that does not
# verify is not waited for.
my $tunnels = 0;
sub start_tunnel {
    my ($tls, %o) = @_;
    my $dir = $tls->{dir};
    my $n = ++$tunnels;
    my $port = $o{sock} ? undef : free_port();
    my $accept = $o{sock} || "127.0.0.1:$port";
    my $conf = "$dir/stunnel$n.conf";
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh "foreground = yes\npid =\n",
        "[redis]\nclient = yes\naccept = $accept\n",
        "connect = 127.0.0.1:$tls->{tls_port}\nverifyChain = yes\n",
        "CAfile = $tls->{ca}\ncheckHost = ", $o{check_host} || 'localhost',
        "\n";
    close $fh;
    my $to = $o{sock} ? { sock => $o{sock} } : { port => $port };
    my $tunnel = start_daemon("stunnel$n", cmd => ['stunnel4', $conf],
        dir => $dir,
        ready => ($o{check_host} // 'localhost') eq 'localhost'
            ? sub { _pong($to) }
            : sub { $o{sock} ? -S $o{sock} : port_open($port) });
    die "stunnel: $tunnel->{why}\n" unless $tunnel->{up};
    return { %$tls, tunnel => $tunnel, port => $port, sock => $o{sock},
             conf => $conf };
}

1;
