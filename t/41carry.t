# Nothing lost across helper restarts.  Under load on two vhosts: a
# graceful that turns PhpBpfCpuTracing on, a graceful that changes
# PhpBpfProfileHz, and a SIGKILL of the helper.  After each, the PHP-side
# counters go on from where they were: php_us.count equals the access
# log's PHP requests per vhost (for the kill: with the requests it lost
# counted as lost), ?metrics counters never go backwards, and the slow log
# keeps what it had.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use POSIX qw(_exit);
use Time::HiRes qw(sleep time);
use PhpBpfTest;

plan tests => 20;

my @vh = qw(a.test b.test);
# Two children, always the same two: after a kill each one must serve
# again for what it served meanwhile to be counted (see phpbpf_slot).
my $inst = start_instance(vhosts => \@vh, access_log => 1,
                          extra => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 2\n"
                                 . "ServerLimit 2\nMaxRequestWorkers 2\nPhpBpfSlowThreshold 80ms\n"
                                 . "IncludeOptional conf.d/*.conf\n");
END { stop_instance($inst) if $inst }
mkdir "$inst->{dir}/conf.d";
my $port = $inst->{port};
my $parent = do { open my $fh, '<', "$inst->{dir}/httpd.pid" or die; local $/; <$fh> + 0 };
sub name { "$_[0]:$port" }
sub json { my $r = instance_get($inst, '/server-bpf?json', Host => 'a.test'); eval { decode_json($r->{content}) } }
sub entry { my ($j, $v) = @_; (grep { $_->{name} eq name($v) } @{ $j->{vhosts} })[0] // { php_us => { count => 0 }, php_lost => 0 } }
sub logged {
    my ($v) = @_;
    open my $fh, '<', "$inst->{dir}/access_log" or return 0;
    scalar grep { m{^\Q$v\E \d+ \d+ "\S+ \S+\.php} } <$fh>;
}
# Every counter and histogram sample of ?metrics, by series.
sub counters {
    my $m = instance_get($inst, '/server-bpf?metrics')->{content};
    my (%type, %v);
    for (split /\n/, $m) {
        $type{$1} = $2 if /^# TYPE (\S+) (\S+)/;
        next unless /^(([a-z_]+?)(_total|_bucket|_count|_sum)?(\{[^}]*\})?) (\S+)$/;
        my ($series, $fam, $val) = ($1, $2, $5);
        my $t = $type{$fam} // $type{"$fam$3"} // '';
        $v{$series} = $val if $t eq 'counter' || $t eq 'histogram';
    }
    return \%v;
}
sub backwards {
    my ($a, $b) = @_;
    return join ', ', map { "$_ $a->{$_} -> " . ($b->{$_} // 'gone') }
        grep { !defined $b->{$_} || $b->{$_} < $a->{$_} } sort keys %$a;
}
# Load on both vhosts for $secs, $action after 2 s.
sub under_load {
    my ($secs, $action) = @_;
    my @wrk;
    for my $v (@vh) {
        my $pid = fork // die;
        if (!$pid) {
            open STDOUT, '>', "$inst->{dir}/wrk-$v";
            exec 'wrk', '-t1', '-c2', "-d${secs}s", '-H', "Host: $v", '-H', 'Connection: close',
                 "http://127.0.0.1:$port/sleep2.php";
        }
        push @wrk, $pid;
    }
    sleep 2;
    $action->();
    waitpid $_, 0 for @wrk;
}
sub graceful {
    my ($conf) = @_;
    open my $fh, '>', "$inst->{dir}/conf.d/test.conf" or die;
    print $fh $conf;
    close $fh;
    kill 'USR1', $parent or die;
}
# Each child serves once more (two at once, so both do): what a child
# served while no helper ran is counted at its next request.
sub touch_children {
    for (1 .. 2) {
        my @k;
        for my $v (@vh) {
            my $pid = fork // die;
            if (!$pid) { instance_get($inst, '/sleep100.php', Host => $v); _exit(0) }
            push @k, $pid;
        }
        waitpid $_, 0 for @k;
    }
}
sub active_helper {
    my ($not) = @_;
    wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' && $j->{tracing}{helper_pid} != $not ? $j : undef } 20;
}
sub settled {
    my ($lost_ok) = @_;
    wait_until {
        my $j = json();
        my $ok = $j && grep {
            my $e = entry($j, $_);
            $e->{php_us}{count} + ($lost_ok ? $e->{php_lost} : 0) <= logged($_)
        } @vh;
        my $sum = 0;
        $sum += entry($j, $_)->{php_us}{count} for @vh;
        $j && $ok == 2 && $sum + ($lost_ok ? $j->{tracing}{requests_lost} : 0) == logged('a.test') + logged('b.test') ? $j : undef;
    } 15;
}

my $j0 = wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' ? $j : undef } 10;
instance_get($inst, '/sleep100.php', Host => 'a.test');
my $slow0 = wait_until { my $j = json(); $j && @{ $j->{slow}{requests} } ? $j->{slow}{requests} : undef } 5;
ok $slow0, 'a slow request in the slow log';

# ---- a graceful that turns CPU tracing on
my $m0 = counters();
under_load(6, sub { graceful("PhpBpfCpuTracing On\n") });
my $j1 = active_helper($j0->{tracing}{helper_pid});
ok $j1 && $j1->{tracing}{probes} && grep({ $_ eq 'sched:sched_switch' } @{ $j1->{tracing}{probes} }),
    'PhpBpfCpuTracing On: a new helper traces with CPU tracing';
touch_children();
my $j2 = settled(0);
ok $j2, 'CPU tracing: PHP counts go on across the new helper' or diag explain [ map { [$_, entry(json(), $_)->{php_us}{count}, logged($_)] } @vh ];
is entry($j2, $_)->{php_us}{count}, logged($_), "CPU tracing: $_: php_us.count equals the access log" for @vh;
is $j2 && $j2->{tracing}{requests_lost}, 0, 'CPU tracing: not one request lost';
is $j2 && $j2->{tracing}{php_since}, $j0->{tracing}{php_since}, 'CPU tracing: the PHP counters are still since the first helper';
my $m1 = counters();
is backwards($m0, $m1), '', 'CPU tracing: no ?metrics counter went backwards';

# ---- a graceful that changes the sampling rate
under_load(6, sub { graceful("PhpBpfCpuTracing On\nPhpBpfProfileHz 199\n") });
my $j3 = active_helper($j2->{tracing}{helper_pid});
ok $j3, 'PhpBpfProfileHz 199: a new helper';
touch_children();
my $j4 = settled(0);
is entry($j4, $_)->{php_us}{count}, logged($_), "ProfileHz: $_: php_us.count equals the access log" for @vh;
is $j4 && $j4->{tracing}{requests_lost}, 0, 'ProfileHz: not one request lost';
my $m2 = counters();
is backwards($m1, $m2), '', 'ProfileHz: no ?metrics counter went backwards';

# ---- a SIGKILL of the helper
my $victim = $j4->{tracing}{helper_pid};
under_load(6, sub { kill 'KILL', $victim });
my $j5 = active_helper($victim);
ok $j5, 'SIGKILL: a new helper';
touch_children();
my $j6 = settled(1);
ok $j6, 'SIGKILL: PHP counts plus the requests counted as lost (' . ($j6 ? $j6->{tracing}{requests_lost} : '?') . ') equal the access log'
    or diag explain { lost => json()->{tracing}{requests_lost}, map { ($_ => [entry(json(), $_)->{php_us}{count}, logged($_)]) } @vh };
my $sum = 0;
$sum += entry($j6, $_)->{php_us}{count} for @vh;
cmp_ok $sum, '>', entry($j4, 'a.test')->{php_us}{count} + entry($j4, 'b.test')->{php_us}{count},
    'SIGKILL: the counts went on from where they were';
is $j6 && $j6->{tracing}{php_since}, $j0->{tracing}{php_since}, 'SIGKILL: still since the first helper';
my $m3 = counters();
is backwards($m2, $m3), '', 'SIGKILL: no ?metrics counter went backwards';
ok((grep { $_->{uri} eq '/sleep100.php' && $_->{time} == $slow0->[0]{time} } @{ $j6->{slow}{requests} }),
   'SIGKILL: the slow log still has the request from before');
like instance_get($inst, '/server-bpf')->{content}, qr/PHP counters since .*requests lost to a helper.s restart: \d+/,
    'the page says since when PHP counters count, and how many requests restarts lost';
