# PHP in php-fpm behind mod_proxy_fcgi, with mpm_event: Debian's php-fpm8.2
# started here with its own configuration, pid file and sockets, two pools
# of two users (one on a unix socket, one on TCP), and an httpd of 8
# threads a child that sends each vhost to one of them.  Ground truth: the
# access log (%D), the pools' own foreign clients (cgi-fcgi), and php-fpm's
# own master pid.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use File::Copy qw(copy);
use IO::Socket::INET;
use File::Temp qw(tempdir);
use JSON::PP qw(decode_json);
use POSIX qw(_exit);
use PhpBpfTest;

my $FPM = '/usr/sbin/php-fpm8.2';
plan skip_all => "no $FPM (php8.2-fpm)" unless -x $FPM;
plan tests => 56;

my $logs = Apache::Test::vars('t_logs');
my $top = tempdir('phpbpf-fpm-XXXXXX', DIR => $logs, CLEANUP => 1);
chmod 0755, $top;
my $docs = PhpBpfTest::topdir() . '/t/htdocs';
my $tcp = PhpBpfTest::free_port();
# The pools' binary is a copy of Debian's, so that the test can upgrade it
# the way dpkg does (a new file renamed over it) without touching the
# system's.
mkdir "$top/sbin" or die;
copy($FPM, "$top/sbin/php-fpm8.2") or die "copy: $!";
chmod 0755, "$top/sbin/php-fpm8.2";
my $fpm_pid;
# Pool a keeps php-fpm's own slowlog, the cross-check of the module's.
my @pools = ([ 'a', 'www-data', "$top/a.sock",
               "request_slowlog_timeout = 1s\nslowlog = $top/fpm-slow.log\n" ],
             [ 'b', 'nobody', "127.0.0.1:$tcp" ]);
sub fpm_start { $fpm_pid = start_fpm(dir => $top, bin => "$top/sbin/php-fpm8.2", pools => \@pools) }
sub fpm_stop { stop_fpm($fpm_pid); undef $fpm_pid }
END { local $?; fpm_stop() }

my $mods = '/usr/lib/apache2/modules';
my $inst = start_instance(php => 0, mpm => 'event', extra => <<"EOF");
LoadModule proxy_module $mods/mod_proxy.so
LoadModule proxy_fcgi_module $mods/mod_proxy_fcgi.so
PhpBpfSlowThreshold 200ms
LogFormat "%v %>s %D \\"%r\\"" fpm
CustomLog "$top/access_log" fpm
<VirtualHost *>
    ServerName a.test
    DocumentRoot "$docs"
    <FilesMatch "\\.php\$">
        SetHandler "proxy:unix:$top/a.sock|fcgi://localhost"
    </FilesMatch>
</VirtualHost>
<VirtualHost *>
    ServerName b.test
    DocumentRoot "$docs"
    ProxyPassMatch "^/(.*\\.php)\$" "fcgi://127.0.0.1:$tcp$docs/\$1"
</VirtualHost>
EOF
END { stop_instance($inst) if $inst }
my $port = $inst->{port};
sub get { my ($host, $path) = @_; instance_get($inst, $path, Host => $host) }
sub json { my $r = get('a.test', '/server-bpf?json'); eval { decode_json($r->{content}) } }
sub vhost {
    my ($j, $h) = @_;
    my ($v) = grep { $_->{name} eq "$h:$port" } @{ ($j // {})->{vhosts} // [] };
    return $v // {};
}
sub counter { my ($j, $c) = @_; ($j // {})->{tracing}{counters}{$c} // -1 }
# PHP requests of a vhost in the access log: [status, %D] each.
sub logged {
    my ($h) = @_;
    open my $fh, '<', "$top/access_log" or return ();
    return map { /^\Q$h\E (\d+) (\d+) "\w+ \S+\.php/ ? [$1, $2] : () } <$fh>;
}
sub settle {
    my ($want_a, $want_b) = @_;
    wait_until { my $j = json();
                 (vhost($j, 'a.test')->{requests} // 0) == $want_a
                 && (vhost($j, 'b.test')->{requests} // 0) == $want_b
                 && (vhost($j, 'a.test')->{php_us}{count} // 0) + (vhost($j, 'b.test')->{php_us}{count} // 0)
                    >= grep({ $_->[0] == 200 } logged('a.test'), logged('b.test')) } 10;
}

# ---- php-fpm started after httpd: Apache time only, until it listens
my $j = json();
like $j && $j->{tracing}{reason}, qr/^no php-fpm master listens on the pools this server proxies to/,
    'no php-fpm yet: the banner says so';
like join(' ', map { "$_->{pool}: $_->{state}" } @{ $j->{tracing}{fpm_pools} // [] }),
    qr{^unix:\Q$top\E/a\.sock: no php-fpm master found: nothing listens there; Apache time only},
    'and the pool says why';
is get('a.test', '/hello.php')->{status}, 503, 'a request meanwhile fails in mod_proxy_fcgi';
fpm_start();
$j = wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' ? $j : undef } 15;
is $j && $j->{tracing}{state}, 'active', 'once php-fpm listens, tracing starts (mpm_event, no mod_php)'
    or diag explain $j && $j->{tracing};
my %pool = map { $_->{pool} => $_->{state} } @{ $j->{tracing}{fpm_pools} // [] };
like $pool{"unix:$top/a.sock"} // '', qr/^php-fpm \Q$top\E\/sbin\/php-fpm8\.2, master pid $fpm_pid$/,
    'the unix pool, found from SetHandler, leads to its master and binary';
like $pool{"127.0.0.1:$tcp"} // '', qr/master pid $fpm_pid$/, 'the TCP pool, from ProxyPassMatch, too';
like join(' ', @{ $j->{tracing}{probes} // [] }), qr/php:request__startup php:request__shutdown/,
    'the request probes are attached (to the pools\' binary)';

# ---- exact counts, with requests in parallel on the threads
my @kids;
for my $k (1 .. 4) {
    my $pid = fork // die;
    if (!$pid) {
        # a.test's take 20 ms, so that its p50 is one histogram bucket's
        # width from %D's, not a few microseconds' of rounding.
        get($k % 2 ? 'a.test' : 'b.test', ($k % 2 ? '/sleep20.php' : '/hello.php') . "?k=$k&i=$_")
            for 1 .. 25;
        _exit(0);
    }
    push @kids, $pid;
}
waitpid $_, 0 for @kids;
is get('a.test', '/sleep20.php')->{status}, 200, 'a.test runs PHP in pool a';
is get('b.test', '/notfound404.php')->{status}, 404, 'b.test: a 404 from PHP';
get('b.test', '/sleep20.php') for 1 .. 4;
settle(52, 55);
$j = json();
my ($va, $vb) = (vhost($j, 'a.test'), vhost($j, 'b.test'));
my @la = logged('a.test');
my @lb = logged('b.test');
is scalar(@la), 52, 'a.test: 52 PHP requests in the access log (the 503 among them)';
is $va->{requests}, scalar(@la), 'a.test: Apache counted each once';
is $va->{php_us}{count}, scalar(grep { $_->[0] != 503 } @la), 'a.test: PHP, in php-fpm, each it ran';
is $va->{status}{'5xx'}, 1, "a.test: the 503, Apache's only";
is $vb->{requests}, scalar(@lb), "b.test: Apache counted the access log's " . scalar(@lb);
is $vb->{php_us}{count}, scalar(@lb), 'b.test: so did PHP';
is $vb->{status}{'4xx'}, 1, "b.test: PHP's 404 counted as one";
is $va->{php_runs}, "php-fpm unix:$top/a.sock", 'a.test says its PHP runs in the unix pool';
is $vb->{php_runs}, "php-fpm 127.0.0.1:$tcp", 'b.test says its PHP runs in the TCP pool';
my $p50 = median(map { $_->[1] } @la);   # the 503's few microseconds move it by one place
ok within($va->{latency_us}{p50}, $p50, 0.05), "a.test: p50 $va->{latency_us}{p50} us within 5% of %D's $p50";
cmp_ok $va->{php_us}{p50}, '<=', $va->{latency_us}{p50}, 'and PHP time is within it';
is counter($j, 'fpm_foreign'), 0, 'no foreign fpm request yet';
is counter($j, 'unattributed'), 0, 'nothing unattributed';
my %routes = map { $_->{route} => $_->{requests} } @{ $vb->{routes} // [] };
is $routes{'/hello.php?i=&k='} // $routes{'/hello.php?k=&i='}, 50,
    "b.test: the route from the client's URL (php-fpm's REQUEST_URI)" or diag explain \%routes;

# ---- another client of the same pools (as nginx would be): never counted
my $f0 = counter($j, 'fpm_foreign');
sub cgi_fcgi {
    my ($where, %env) = @_;
    local %ENV = (%ENV, SCRIPT_FILENAME => "$docs/hello.php", REQUEST_METHOD => 'GET',
                  REQUEST_URI => '/hello.php', %env);
    my $out = `cgi-fcgi -bind -connect $where 2>&1`;
    return $out =~ /hello/ ? 1 : 0;
}
my $served = 0;
$served += cgi_fcgi("127.0.0.1:$tcp") for 1 .. 3;
$served += cgi_fcgi("$top/a.sock") for 1 .. 3;
# A token of another httpd (another nonce) is foreign too.
$served += cgi_fcgi("127.0.0.1:$tcp", PHPBPF => ('0' x 23) . '1' . ('0' x 40));
is $served, 7, 'cgi-fcgi ran 7 requests through both pools';
$j = wait_until { my $j = json(); counter($j, 'fpm_foreign') >= $f0 + 7 ? $j : undef } 5;
is counter($j, 'fpm_foreign') - $f0, 7, 'each counted as foreign';
is vhost($j, 'a.test')->{php_us}{count} + vhost($j, 'b.test')->{php_us}{count}, 51 + 55,
    'and in no vhost';

# ---- PHP's errors, which php-fpm sends on FastCGI's stderr
is get('b.test', '/warn3.php')->{content}, 'warned', 'three warnings in pool b';
is get('a.test', '/exceptions.php')->{status}, 500, 'an uncaught exception in pool a';
$j = wait_until { my $j = json(); (vhost($j, 'b.test')->{errors}{warning} // 0) >= 3
                  && (vhost($j, 'a.test')->{exceptions}{uncaught} // 0) >= 1 ? $j : undef } 5;
is vhost($j, 'b.test')->{errors}{warning}, 3, "b.test: PHP's 3 warnings, from mod_proxy_fcgi's one line";
is vhost($j, 'a.test')->{exceptions}{uncaught}, 1, 'a.test: the uncaught exception, and its 500';

# ---- stacks, a slow request's backtrace, through php-fpm
is get('b.test', '/stacks/hot.php')->{content}, 'hot', 'a hot request in pool b';
is get('a.test', '/stacks/wait.php')->{content}, 'waited', 'a slow one in pool a';
$j = wait_until { my $j = json(); my $v = vhost($j, 'b.test');
                  $v->{profile} && $v->{profile}{samples} >= 15 && @{ $j->{slow}{requests} // [] }
                  ? $j : undef } 10;
my $prof = vhost($j, 'b.test')->{profile} // {};
my ($leaf) = @{ $prof->{by_self} // [] };
is $leaf && $leaf->{function}, 'Hot::crunch', "b.test's profile: Hot::crunch is the hottest function";
is $leaf && $leaf->{file}, "$docs/stacks/hot.php", 'in its file, as php-fpm has it';
my ($slow) = grep { $_->{uri} =~ m{/stacks/wait\.php} } @{ $j->{slow}{requests} // [] };
is $slow && $slow->{vhost}, "a.test:$port", 'the slow request, under its vhost';
is_deeply [map { $_->{function} } @{ ($slow // {})->{backtrace} // [] }],
    [qw(usleep Waiter::wait outer {main})], 'its backtrace, taken while it slept in php-fpm';
cmp_ok $slow && $slow->{apache_us}, '>=', $slow && $slow->{php_us}, "joined with Apache's record";

# ---- php-fpm's own slowlog, which ptraces the worker, against ours
is get('a.test', '/stacks/slow1500.php')->{content}, 'slept', 'a request of 1.5 s in pool a';
my $fpm_slow = wait_until { my $t = do { local $/; open my $fh, '<', "$top/fpm-slow.log" or return; <$fh> };
                            $t && $t =~ /slow1500/ ? $t : undef } 5;
my ($fpm_script) = ($fpm_slow // '') =~ /^script_filename = (\S+)$/m;
my @fpm_frames = ($fpm_slow // '') =~ /^\[0x[0-9a-f]+\] (\S+)\(\) /mg;
is $fpm_script, "$docs/stacks/slow1500.php", "php-fpm's slowlog names the script"
    or diag $fpm_slow;
$j = wait_until { my $j = json(); (grep { $_->{uri} =~ m{/slow1500\.php} } @{ $j->{slow}{requests} // [] }) ? $j : undef } 5;
my ($ours) = grep { $_->{uri} =~ m{/slow1500\.php} } @{ ($j // {})->{slow}{requests} // [] };
is $ours && $ours->{script}, $fpm_script, 'the slow log names the same script';
my @our_frames = map { $_->{function} } @{ ($ours // {})->{backtrace} // [] };
cmp_ok scalar(@fpm_frames), '>=', 2, "php-fpm's slowlog has the frames (@fpm_frames)";
is_deeply [@our_frames[0 .. $#fpm_frames]], \@fpm_frames,
    "the slow log's backtrace has the same, innermost first (@our_frames)";
is $ours && $ours->{uri}, '/stacks/slow1500.php', "with the client's URL, which php-fpm's has not";

# ---- a restart of php-fpm under load: a new master, the same binary
my ($a0) = scalar(logged('a.test'));
my $load = fork // die;
if (!$load) {
    my $end = time + 4;
    get('a.test', '/hello.php') while time < $end;
    _exit(0);
}
select undef, undef, undef, 1.2;
fpm_stop();
fpm_start();
my $new_master = $fpm_pid;
waitpid $load, 0;
@la = logged('a.test');
my @failed = grep { $_->[0] != 200 } @la[$a0 .. $#la];
ok !grep({ $_->[0] != 503 } @failed), 'while php-fpm restarted, requests failed only as 503 ('
    . scalar(@failed) . ')';
# What php-fpm ran: all but its 503s while it was down.
my $ok_a = grep { $_->[0] != 503 } @la;
$j = wait_until { my $j = json(); my $v = vhost($j, 'a.test');
                  ($v->{requests} // 0) == @la && ($v->{php_us}{count} // 0) >= $ok_a ? $j : undef } 10;
is vhost($j, 'a.test')->{requests}, scalar(@la), 'Apache counted every request of the restart: ' . scalar(@la);
is vhost($j, 'a.test')->{php_us}{count}, $ok_a, "PHP counted each one php-fpm ran ($ok_a), none twice";
cmp_ok scalar(@la) - $a0, '>', 20, 'under load: ' . (@la - $a0) . ' requests';
$j = wait_until { my $j = json(); my %p = map { $_->{pool} => $_->{state} } @{ $j->{tracing}{fpm_pools} // [] };
                  ($p{"unix:$top/a.sock"} // '') =~ /master pid $new_master$/ ? $j : undef } 10;
ok $j, "the page names the new master, pid $new_master";
my $helper = $j && $j->{tracing}{helper_pid};

# ---- an upgrade of php-fpm: a new file renamed over the binary, a restart
copy($FPM, "$top/sbin/php-fpm8.2.new") or die;
chmod 0755, "$top/sbin/php-fpm8.2.new";
rename "$top/sbin/php-fpm8.2.new", "$top/sbin/php-fpm8.2" or die;
fpm_stop();
fpm_start();
$j = wait_until { my $j = json(); $j && $j->{tracing}{helper_pid} && $j->{tracing}{helper_pid} != $helper
                  && $j->{tracing}{state} eq 'active' ? $j : undef } 15;
ok $j, 'a new helper attaches to the new binary' or diag `tail -5 $inst->{error_log}`;
my $before = vhost($j, 'a.test')->{php_us}{count} // 0;
is $before, $ok_a, 'and took the counters over';
get('a.test', '/hello.php') for 1 .. 10;
$j = wait_until { my $j = json(); (vhost($j, 'a.test')->{php_us}{count} // 0) >= $ok_a + 10 ? $j : undef } 5;
is vhost($j, 'a.test')->{php_us}{count}, $ok_a + 10, 'requests to the upgraded php-fpm are traced';
is vhost($j, 'a.test')->{requests}, scalar(logged('a.test')), 'Apache still counts the access log';

# ---- the page
my $html = get('a.test', '/server-bpf')->{content};
like $html, qr{php-fpm pool <code>unix:\Q$top\E/a\.sock</code>: php-fpm }, 'the page lists the pools';
like $html, qr{<td class=l>a\.test:$port</td><td class=l>php-fpm unix:\Q$top\E/a\.sock</td>},
    'and, per vhost, where its PHP runs';
my $auto = get('a.test', '/server-bpf?auto')->{content};
like $auto, qr/^PhpRuns\[b\.test:$port\]: php-fpm 127\.0\.0\.1:$tcp$/m, '?auto: PhpRuns';
unlike get('a.test', '/server-bpf?json')->{content}, qr/PHPBPF_FPM_NONCE|"[0-9a-f]{64}"/,
    'no token on the page';
