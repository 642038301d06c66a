# A package upgrade of mod_phpbpf itself, the way dpkg does it: the new
# module and helper are new files renamed over the old ones, then
# `apachectl graceful` under load.
#
#   same layout    a rebuild of the same sources: the shared memory, the
#                  helper and every counter are kept.
#   another build  other sources (here: one more -D flag), same layouts:
#                  the shared memory is kept, and a new helper takes the
#                  old one's BPF maps over, so PHP counts go on too.
#   other layout   the same code built with -DPHPBPF_TEST_LAYOUT, whose
#                  shared memory has another size and magic: it must get
#                  a segment of its own (the old build's children keep
#                  theirs until they exit), stop the old build's helper and
#                  start its own, and count from zero.
#
# Either way: no failed request, no crash in the error log, tracing active
# afterwards, and per-vhost counts equal to the access log.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use File::Copy qw(copy);
use File::Temp qw(tempdir);
use JSON::PP qw(decode_json);
use Time::HiRes qw(sleep);
use PhpBpfTest;
use PhpBpfBuild;

plan tests => 34;

my $top = topdir();
my $logs = Apache::Test::vars('t_logs');

my $same = build_copy($top, $logs, '');
my $rebuild = build_copy($top, $logs, '-DPHPBPF_TEST_REBUILD');
my $other = build_copy($top, $logs, '-DPHPBPF_TEST_LAYOUT');

# The installed files, as a package would have them.
my $inst_dir = tempdir('phpbpf-installed-XXXXXX', DIR => $logs, CLEANUP => 1);
chmod 0755, $inst_dir;
my ($so, $helper) = ("$inst_dir/mod_phpbpf.so", "$inst_dir/phpbpf-helper");
copy("$top/mod_phpbpf/.libs/mod_phpbpf.so", $so) or die;
copy("$top/helper/phpbpf-helper", $helper) or die;
chmod 0755, $so, $helper;

# As dpkg does: write a new file beside, then rename it over the old one.
# (Overwriting in place rewrites pages the running parent has mapped.)
sub install {
    my ($b) = @_;
    for ([$b->{module}, $so], [$b->{helper}, $helper]) {
        my ($from, $to) = @$_;
        copy($from, "$to.dpkg-new") or die "copy: $!";
        chmod 0755, "$to.dpkg-new";
        rename "$to.dpkg-new", $to or die "rename: $!";
    }
}

# A fixed set of four children: prefork then never forks or reaps one on
# its own, so the children alive before the graceful restart are exactly
# the old generation.
my @vh = qw(a.test b.test);
my $inst = start_instance(module => $so, helper => $helper, vhosts => \@vh, access_log => 1,
                          extra => "StartServers 4\nMinSpareServers 1\nMaxSpareServers 4\n"
                                 . "ServerLimit 4\nMaxRequestWorkers 4\n");
# A test that dies must not leave a server (and its uprobes) behind.
my $stopped;
END { stop_instance($inst) if $inst && !$stopped }
my $port = $inst->{port};
my $parent = do { open my $fh, '<', "$inst->{dir}/httpd.pid" or die; local $/; <$fh> + 0 };
sub name { "$_[0]:$port" }
sub json { my $r = instance_get($inst, '/server-bpf?json', Host => 'a.test'); eval { decode_json($r->{content}) } }
sub entry { my ($j, $v) = @_; (grep { $_->{name} eq name($v) } @{ $j->{vhosts} })[0] // { requests => 0, php_us => { count => 0 } } }
sub hits {
    my ($n) = @_;
    for my $v (@vh) {
        for (1 .. $n) { instance_get($inst, '/hello.php', Host => $v)->{status} == 200 or die "hello on $v" }
    }
}
sub children {
    my @c;
    for my $d (glob '/proc/[0-9]*') {
        open my $fh, '<', "$d/stat" or next;
        my $st = <$fh> // next;
        push @c, $1 if $st =~ /^(\d+) \(apache2\) \S (\d+)/ && $2 == $parent;
    }
    return @c;
}
# PHP requests in the access log per vhost; with $since, only those from
# byte offset $since->{at} on, by pids not in $since->{pids}.
sub logged {
    my ($v, $since) = @_;
    open my $fh, '<', "$inst->{dir}/access_log" or return 0;
    seek $fh, $since->{at}, 0 if $since;
    my $n = 0;
    while (my $l = <$fh>) {
        my ($vhost, $pid, $path) = $l =~ m{^(\S+) (\d+) \d+ "\S+ (\S+)} or next;
        $n++ if $vhost eq $v && $path =~ /\.php$/ && !($since && $since->{pids}{$pid});
    }
    return $n;
}
# Both vhosts under load for 8 s, the upgrade after 2: (ok, wrk output).
sub upgrade_under_load {
    my ($b) = @_;
    my @wrk;
    for my $v (@vh) {
        my $pid = fork // die;
        if (!$pid) {
            open STDOUT, '>', "$inst->{dir}/wrk-$v";
            # Connection: close, as t/96faults.t: a graceful restart resets
            # idle keep-alive connections, with or without this module.
            # --timeout 10s: a request that waits in the listen queue while
            # the parent re-reads its configuration (longer on a loaded
            # machine: a fresh-clone run saw 2 of 3,500 pass wrk's default
            # 2 s) is slow, not failed; this counts failures.
            exec 'wrk', '-t1', '-c2', '-d8s', '--timeout', '10s', '-H', "Host: $v",
                 '-H', 'Connection: close',
                 "http://127.0.0.1:$port/sleep2.php";
        }
        push @wrk, $pid;
    }
    sleep 2;
    install($b);
    my $old = { pids => { map { $_ => 1 } children() }, at => -s "$inst->{dir}/access_log" };
    kill 'USR1', $parent or die;
    waitpid $_, 0 for @wrk;
    my ($ok, $out) = (1, '');
    for my $v (@vh) {
        my $w = do { local $/; open my $fh, '<', "$inst->{dir}/wrk-$v" or die; <$fh> };
        $out .= $w;
        $ok &&= $w =~ /(\d+) requests in/ && $1 > 0 && $w !~ /Socket errors|Non-2xx/;
    }
    return ($ok, $out, $old);
}
sub crashes {
    my ($from) = @_;
    my @l = grep { /Segmentation fault|exit signal|core dump|AH00052|double free|stack smashing/ }
            split /\n/, error_log_since($from, $inst->{error_log});
    return join "\n", @l;
}
sub new_generation {
    my ($g) = @_;
    return wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' && $j->{tracing}{generation} > $g ? $j : undef } 20;
}

my $j0 = wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' ? $j : undef } 10;
ok $j0, 'tracing is active on the first build';
hits(5);

# ---- a rebuild of the same sources
my $at = error_log_size($inst->{error_log});
my ($ok, $wrk) = upgrade_under_load($same);
ok $ok, 'same layout: no failed request during the upgrade' or diag $wrk;
my $j1 = new_generation($j0->{tracing}{generation});
ok $j1, 'same layout: tracing is active in the new generation';
is $j1 && $j1->{tracing}{helper_pid}, $j0->{tracing}{helper_pid}, 'same layout: the same build keeps its helper';
is crashes($at), '', 'same layout: no crash in the error log';
unlike error_log_since($at, $inst->{error_log}), qr/another layout/, 'same layout: the shared memory was kept';
hits(10);
my $j2 = wait_until {
    my $j = json();
    $j && (grep { entry($j, $_)->{requests} == logged($_) } @vh) == 2 ? $j : undef;
} 10;
ok $j2, 'same layout: per-vhost counts equal the whole access log (counters kept)'
    or diag join ' ', map { "$_: page " . entry(json(), $_)->{requests} . ' log ' . logged($_) } @vh;
for my $v (@vh) {
    is entry($j2, $v)->{php_us}{count}, entry($j2, $v)->{requests}, "same layout: $v: every request traced by the kept helper";
}

# ---- another build with the same layouts
$at = error_log_size($inst->{error_log});
my $prev_helper = $j2->{tracing}{helper_pid};
($ok, $wrk) = upgrade_under_load($rebuild);
ok $ok, 'another build: no failed request during the upgrade' or diag $wrk;
my $jr = wait_until {
    my $j = json();
    $j && $j->{tracing}{state} eq 'active' && $j->{tracing}{helper_pid} != $prev_helper ? $j : undef;
} 20;
ok $jr, "another build: its own helper, which took the old one's maps over";
like error_log_since($at, $inst->{error_log}), qr/took over the maps of helper generation \d+: counters go on/,
    'another build: the error log says the counters go on';
is crashes($at), '', 'another build: no crash in the error log';
hits(10);
my $jr2 = wait_until {
    my $j = json();
    $j && (grep { entry($j, $_)->{requests} == logged($_) && entry($j, $_)->{php_us}{count} == logged($_) } @vh) == 2 ? $j : undef;
} 10;
ok $jr2, 'another build: per-vhost PHP counts equal the whole access log: nothing lost in the upgrade'
    or diag join ' ', map { "$_: php " . entry(json(), $_)->{php_us}{count} . ' log ' . logged($_) } @vh;
is $jr2 && $jr2->{tracing}{requests_lost}, 0, 'another build: not one request lost';
$j2 = $jr2 || $j2;

# ---- the same code with another shared-memory layout
$at = error_log_size($inst->{error_log});
my $old_helper = $j2->{tracing}{helper_pid};
($ok, $wrk, my $old) = upgrade_under_load($other);
ok $ok, 'other layout: no failed request during the upgrade' or diag $wrk;
my $j3 = new_generation($j2->{tracing}{generation});
ok $j3, 'other layout: tracing is active in the new generation';
cmp_ok $j3 && $j3->{apache}{since}, '>', $j2->{apache}{since}, 'other layout: the page says its counters start at the upgrade';
isnt $j3 && $j3->{tracing}{helper_pid}, $old_helper, 'other layout: a new helper';
ok !kill(0, $old_helper), "other layout: the old build's helper is gone";
is scalar(grep { $_ } helper_pid_of($parent)), 1, 'other layout: one helper';
my $log = error_log_since($at, $inst->{error_log});
like $log, qr/another layout .*counters start again/, 'other layout: the error log says the counters start again';
like $log, qr/stopping helper pid $old_helper of another build/, 'other layout: and that it stopped the old helper';
unlike $log, qr/tracing unavailable|usage: phpbpf-helper/, 'other layout: the new helper started normally';
is crashes($at), '', 'other layout: no crash in the error log';
is $j3->{tracing}{reason}, undef, 'other layout: no reason shown';

# The new segment counts what the new generation's children logged; the
# old generation's children finished their requests into the old one.
my $j4 = wait_until {
    my $j = json();
    $j && (grep { entry($j, $_)->{requests} == logged($_, $old) } @vh) == 2 ? $j : undef;
} 10;
ok $j4, 'other layout: per-vhost counts equal the access log lines of the new generation'
    or diag join ' ', map { "$_: page " . entry(json(), $_)->{requests} . ' log ' . logged($_, $old) } @vh;
my %before = map { $_ => entry($j4, $_) } @vh;
hits(10);
my $j5 = wait_until {
    my $j = json();
    $j && (grep { entry($j, $_)->{requests} == $before{$_}{requests} + 10 } @vh) == 2 ? $j : undef;
} 10;
for my $v (@vh) {
    is entry($j5, $v)->{requests} - $before{$v}{requests}, 10, "other layout: $v: 10 more requests counted";
    is entry($j5, $v)->{php_us}{count} - $before{$v}{php_us}{count}, 10, "other layout: $v: and traced";
    is entry($j5, $v)->{requests}, logged($v, $old), "other layout: $v: still equal to the access log";
}

stop_instance($inst);
$stopped = 1;
ok !kill(0, $j5->{tracing}{helper_pid}), "stopping httpd stopped the helper";
