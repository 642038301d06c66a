# What each request waited on: real MariaDB, Redis and an HTTP peer,
# started here on loopback in their own directories, real PHP extensions.
# PHP measures its own waits with hrtime() around every call; the module's
# figure for the class must be within 90% .. 105% of it.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP qw(decode_json);
use POSIX qw(_exit);
use Time::HiRes qw(sleep time);
use PhpBpfTest;

plan tests => 36;

my $logs = Apache::Test::vars('t_logs');
my $dir = tempdir('phpbpf-peers-XXXXXX', DIR => $logs, CLEANUP => 1);
chmod 0755, $dir;
my @kids;
END { local $?; kill 'TERM', @kids if @kids; waitpid $_, 0 for @kids }   # $?: the test's own

sub port { my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die; my $p = $s->sockport; close $s; $p }
sub spawn {
    my ($out, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', $out;
        open STDERR, '>&', \*STDOUT;
        exec @cmd or _exit(127);
    }
    push @kids, $pid;
    return $pid;
}

# MariaDB, on a port of its own and a socket in $dir, no passwords.
my ($my_port, $my_sock) = (port(), "$dir/mysqld.sock");
my ($db_rc, $install) = mariadb_install($dir);
is $db_rc, 0, 'a MariaDB data directory' or diag $install;
push @kids, mariadb_start($dir, "--port=$my_port", '--bind-address=127.0.0.1');
# Redis, no persistence.
my $redis_port = port();
spawn("$dir/redis.log", 'redis-server', '--port', $redis_port, '--bind', '127.0.0.1', '--dir', $dir,
      '--save', '', '--appendonly', 'no', '--hz', '100');   # timeouts to 10 ms
# An HTTP peer that answers after 200 ms.
my $http = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1', LocalPort => 0, ReuseAddr => 1) or die;
my $http_port = $http->sockport;
my $hp = fork // die;
if (!$hp) {
    while (my $c = $http->accept) {
        1 while defined($_ = <$c>) && /\S/;
        sleep 0.2;
        print $c "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
        close $c;
    }
    _exit(0);
}
push @kids, $hp;
close $http;
ok((wait_until { -S $my_sock && IO::Socket::INET->new("127.0.0.1:$my_port") } 30), 'MariaDB is up')
    or diag `cat $dir/mysqld.log`;
ok((wait_until { IO::Socket::INET->new("127.0.0.1:$redis_port") } 10), 'Redis is up');

# One child, so that a persistent connection is the same one next time.
my @vh = qw(db.test cache.test web.test sleep.test cpu.test sites.test);
my $inst = start_instance(vhosts => \@vh, extra => join "\n",
    'StartServers 1', 'MinSpareServers 1', 'MaxSpareServers 1', 'ServerLimit 1', 'MaxRequestWorkers 1',
    'PhpBpfCpuTracing On', 'PhpBpfSlowThreshold 50ms', 'PhpBpfSlowLogSize 50',
    "PhpBpfPeer 127.0.0.1:$my_port mysql", "PhpBpfPeer unix:$my_sock mysql",
    "PhpBpfPeer 127.0.0.1:$redis_port redis", "PhpBpfPeer 127.0.0.1:$http_port http");
my $stopped;
END { stop_instance($inst) if $inst && !$stopped }
my $port = $inst->{port};
sub get { instance_get($inst, $_[0], Host => $_[1]) }
sub json { my $r = get('/server-bpf?json', 'db.test'); eval { decode_json($r->{content}) } }
sub vhost_of { my ($j, $h) = @_; my ($v) = grep { $_->{name} eq "$h:$port" } @{ $j->{vhosts} // [] }; $v }
# The slow log's newest entry for uri, and the ground truth PHP printed.
sub run {
    my ($uri, $host) = @_;
    my $r = get($uri, $host);
    my ($path) = $uri =~ /^([^?]*)/;
    my $e = wait_until { my $j = json(); my ($s) = grep { $_->{uri} =~ /^\Q$path\E/ } @{ $j->{slow}{requests} }; $s } 5;
    return ($r->{content}, $e // {});
}
sub ratio_ok {
    my ($got, $truth, $what) = @_;
    # The page printed its own figure, or PHP's error: say which.
    $truth = 0, diag "$what: the page said: $_[1]" unless defined $truth && $truth =~ /^\d+$/;
    my $q = $truth ? $got / $truth : 0;
    ok $q >= 0.90 && $q <= 1.05, sprintf '%s: %d us of PHP\'s own %d us (%.3f)', $what, $got, $truth, $q;
}
wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' } 10;

# ---- MySQL over TCP and over the unix socket
my ($truth, $e) = run("/waits/mysql.php?port=$my_port&socket=$my_sock", 'db.test');
ok $truth =~ /^\d+$/, "mysql.php ran ($truth us of waits by its own count)";
ratio_ok $e->{waits}{mysql}{total_us} // 0, $truth, 'mysql';
cmp_ok $e->{waits}{mysql}{count} // 0, '>=', 6, "at least 6 waits ($e->{waits}{mysql}{count})";
cmp_ok $e->{waits}{mysql}{total_us} // 0, '>=', 600000, 'about 600 ms: 6 x SELECT SLEEP(0.1)';
my $sum = 0;
$sum += $_->{total_us} for values %{ $e->{waits} // {} };
ok within($sum, $e->{off_cpu_us} // 0, 0.01), "the classes add up to the off-CPU time ($sum, $e->{off_cpu_us})";
like get('/server-bpf', 'db.test')->{content}, qr/<pre class=bt>[\d.]+ m?s = [\d.]+ ms mysql \(\d+ waits\) /,
    'the slow log splits PHP time by what it waited on';
# Each wait is charged to the innermost user frame: Db::query, line 8.
my ($site) = grep { $_->{function} eq 'Db::query' && $_->{class} eq 'mysql' }
             @{ (vhost_of(json(), 'db.test') // {})->{wait_sites} // [] };
ok $site && $site->{file} =~ m{/waits/mysql\.php$} && $site->{line} == 8,
    'waits by call site: Db::query, mysql.php:8' or diag explain $site;
cmp_ok $site->{count} // 0, '>=', 6, "six queries' waits or more there ($site->{count})";
cmp_ok $site->{total_us} // 0, '>=', 600000, 'about 600 ms there';
like get('/server-bpf', 'db.test')->{content},
    qr{<h3>db\.test:$port: waits by PHP call site, the last [^<]*</h3>.*?<tr><td class=l>Db::query</td><td class=l>[^<]*/waits/mysql\.php:8</td><td class=l>mysql</td><td>\d+</td><td>[\d.]+ ms</td></tr>}s,
    'the page shows the call site';

# ---- Redis, HTTP, a sleep
($truth, $e) = run("/waits/redis.php?port=$redis_port", 'cache.test');
ratio_ok $e->{waits}{redis}{total_us} // 0, $truth, 'redis: 4 x BLPOP 0.1 s'
    or diag explain { map { $_ => $e->{waits}{$_} } grep { $e->{waits}{$_}{count} } keys %{ $e->{waits} // {} } };
cmp_ok $e->{waits}{redis}{total_us} // 0, '>=', 390000, 'about 400 ms';
($truth, $e) = run("/waits/http.php?port=$http_port", 'web.test');
ratio_ok $e->{waits}{http}{total_us} // 0, $truth, 'http: a peer that answers after 200 ms';
($truth, $e) = run("/waits/select.php?port=$http_port", 'web.test');
ratio_ok $e->{waits}{http}{total_us} // 0, $truth,
    'http: select() on an idle socketpair (the lower fd) and the peer is the peer\'s';
($truth, $e) = run('/waits/sleep.php', 'sleep.test');
ratio_ok $e->{waits}{sleep}{total_us} // 0, $truth, 'usleep(100000) is sleep';

# ---- Call sites, exactly.  The first wait at a site walks the stack;
# later ones know the site again from fewer reads: opcache's code, a caller
# whose frame is in the window read under the innermost frame or not, and
# the file's own code, which PHP copies for each request.
{
    my $truth = 0;
    $truth += get('/waits/sites.php', 'sites.test')->{content} for 1 .. 3;
    my %line = (small => 0, big => 0, main => 0);
    open my $fh, '<', "$FindBin::Bin/htdocs/waits/sites.php" or die;
    while (<$fh>) { $line{$1} = $. if m{// site: (\w+)} }
    my $sites = wait_until {
        my @s = grep { $_->{class} eq 'sleep' } @{ (vhost_of(json(), 'sites.test') // {})->{wait_sites} // [] };
        my $n = 0;
        $n += $_->{count} for @s;
        $n >= 18 ? \@s : undef;
    } 10;
    unless ($sites) {
        my $j = json();
        diag explain { vhost => vhost_of($j, 'sites.test'), counters => $j && $j->{tracing}{counters} };
    }
    my %count = map { $_->{line} => $_->{count} } @{ $sites // [] };
    is_deeply [ @count{ @line{qw(small big main)} } ], [ 9, 6, 3 ],
        'sleeps by call site over 3 requests: 9 in small_frame, 6 in big_frame, 3 in the file\'s code'
        or diag explain $sites;
    my ($main) = grep { $_->{line} == $line{main} } @{ $sites // [] };
    like $main->{file} // '', qr{/waits/sites\.php$}, 'the file\'s own code is charged to its file';
    my $us = 0;
    $us += $_->{total_us} for @{ $sites // [] };
    ratio_ok $us, $truth, 'the sites\' time against PHP\'s own';
    is scalar(@{ $sites // [] }), 3, 'three sites, no other';
}

# ---- CPU contention: runnable, not running
# The one child and two CPU hogs share CPU 0: the child gets a third of it.
my $parent = do { open my $fh, '<', "$inst->{dir}/httpd.pid" or die; local $/; <$fh> + 0 };
my @child = grep { /^\d+$/ } split ' ', `pgrep -P $parent -x apache2`;
system("taskset -pc 0 $_ >/dev/null") == 0 or die "taskset $_" for @child;
my @hogs = map { spawn('/dev/null', 'taskset', '-c', '0', 'perl', '-e', '1 while 1') } 1 .. 2;
sleep 0.2;
(undef, $e) = run('/waits/spin.php', 'cpu.test');
kill 'KILL', @hogs;
waitpid $_, 0 for @hogs;
@kids = grep { my $k = $_; !grep { $_ == $k } @hogs } @kids;
cmp_ok $e->{waits}{runqueue}{total_us} // 0, '>', 0.3 * ($e->{php_us} // 1e9),
    "a CPU-bound request on a saturated CPU waits in the runqueue ($e->{waits}{runqueue}{total_us} of $e->{php_us} us)";

# ---- per vhost: the page, ?json, ?metrics
my $j = json();
my $db = vhost_of($j, 'db.test');
cmp_ok $db->{waits}{mysql}{total_us} // 0, '>=', 600000, '?json: the vhost\'s waits by class';
is_deeply [sort keys %{ $db->{waits} // {} }],
    [sort qw(mysql pgsql redis memcached http dns other-net file sleep lock runqueue other)], 'every class';
$sum = 0;
$sum += $_->{total_us} for values %{ $db->{waits} };
ok within($sum, $db->{cpu}{off_us}{mean} * $db->{cpu}{off_us}{count}, 0.01),
    "the vhost's classes add up to its off-CPU time";
my $html = get('/server-bpf', 'db.test')->{content};
like $html, qr{<h2>What PHP waited on</h2>.*<td class=l>db\.test:$port</td><td class=l>mysql</td>}s, 'the page has them';
my $m = get('/server-bpf?metrics', 'db.test')->{content};
like $m, qr/^phpbpf_wait_seconds_total\{vhost="db\.test:$port",class="mysql"\} (\d+\.\d+)$/m, '?metrics: seconds by class';
my ($n) = $m =~ /^phpbpf_waits_total\{vhost="db\.test:$port",class="mysql"\} (\d+)$/m;
cmp_ok $n // 0, '>=', 7, '?metrics: waits by class';
like get('/server-bpf?auto', 'db.test')->{content}, qr/^WaitUs\[db\.test:$port\]\[mysql\]: \d+$/m, '?auto too';

# ---- a persistent connection, opened before the helper restarts (last:
# a helper restart starts the BPF-side counts from zero)
my ($first) = run("/waits/mysql_persistent.php?port=$my_port", 'db.test');
my $helper = json()->{tracing}{helper_pid};
kill 'KILL', $helper;
ok((wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' && $j->{tracing}{helper_pid} != $helper } 20),
    'the helper was killed and is back');
my $r = get("/waits/mysql_persistent.php?port=$my_port", 'db.test');
my ($us, $thread) = split ' ', $r->{content};
is $thread, (split ' ', $first)[1], 'the same persistent connection (same MariaDB thread)';
$e = wait_until { my $j = json(); my ($s) = grep { $_->{uri} =~ m{^/waits/mysql_persistent} } @{ $j->{slow}{requests} }; $s } 5;
ratio_ok $e->{waits}{mysql}{total_us} // 0, $us, 'mysql, on a connection older than the helper';

# ---- PhpBpfPeer is checked at configtest
my ($rc, $out) = configtest(extra => 'PhpBpfPeer 10.0.0.5:99999 mysql');
ok $rc != 0 && $out =~ /PhpBpfPeer 10\.0\.0\.5:99999 mysql: the port is not a number from 1 to 65535/, 'a bad port fails configtest, and says why';
($rc, $out) = configtest(extra => 'PhpBpfPeer 10.0.0.5:3307 sleep');
ok $rc != 0 && $out =~ /the class is not one of mysql, pgsql, redis/, 'a class that is not a peer\'s fails';
($rc, $out) = configtest(extra => 'PhpBpfPeer db.example.com:3306 mysql');
ok $rc != 0 && $out =~ /names are not resolved/, 'a host name fails: peers are addresses';

stop_instance($inst);
$stopped = 1;
