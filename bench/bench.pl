#!/usr/bin/perl
# What tracing costs, side by side, in one run.
#
#   make -f Makefile.apxs bench             # full run, writes bench/results/
#   perl bench/bench.pl --quick --out F     # a few seconds: checks the bench works
#
# Starts httpd + mod_php on a loopback port of its own and loads it with
# wrk, alternating the configurations round by round (1 2 3 4 5 6, 1 2 3 ...)
# so drift on a noisy machine hits them all alike.  Results are ratios to
# configuration 1 within this run; one absolute number proves nothing here.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Getopt::Long;
use IO::Socket::INET;
use JSON::PP qw(decode_json);
use POSIX qw(strftime);
use Time::HiRes qw(sleep time);

my %o = (rounds => 5, duration => 10, warmup => 2, connections => 8, vhosts => 1000, quick => 0);
GetOptions(\%o, 'rounds=i', 'duration=i', 'warmup=i', 'connections=i', 'vhosts=i', 'quick', 'out=s')
    or die "usage: bench.pl [--quick] [--rounds N] [--duration S] [--out FILE]\n";
@o{qw(rounds duration warmup vhosts)} = (1, 1, 1, 50) if $o{quick};

my $top = abs_path(dirname(__FILE__) . '/..');
my $libphp = '/usr/lib/apache2/modules/libphp8.2.so';
my $mods = '/usr/lib/apache2/modules';
my $dir = tempdir('phpbpf-bench-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $dir;

my @configs = (
    [ 1, 'no mod_phpbpf',                        { phpbpf => 0 } ],
    [ 2, 'mod_phpbpf, PhpBpf Off',               { phpbpf => 1, extra => 'PhpBpf Off' } ],
    [ 3, 'default tracing',                      { phpbpf => 1 } ],
    [ 4, 'default + compile tracing + slow log', { phpbpf => 1,
          extra => "PhpBpfCompileTracing On\nPhpBpfSlowThreshold 500ms" } ],
    [ 5, 'bpftrace counting the 2 request probes', { phpbpf => 0, bpftrace => 'count' } ],
    [ 6, 'bpftrace per-request latency histogram', { phpbpf => 0, bpftrace => 'hist' } ],
);
my @workloads = ([ 'hello', '/hello.php' ], [ 'page', '/page.php' ]);

my %bpftrace = (
    count => "usdt:$libphp:php:request__startup { \@s = count(); } "
           . "usdt:$libphp:php:request__shutdown { \@e = count(); }",
    hist  => "usdt:$libphp:php:request__startup { \@start[tid] = nsecs; } "
           . "usdt:$libphp:php:request__shutdown /\@start[tid]/ "
           . "{ \@us = hist((nsecs - \@start[tid]) / 1000); delete(\@start[tid]); }",
);

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die $!;
    return $s->sockport;
}

sub write_conf {
    my ($port, $c, $vhosts) = @_;
    my $conf = <<"EOF";
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
DefaultRuntimeDir "$dir"
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule php_module $libphp
StartServers 10
MinSpareServers 10
MaxSpareServers 20
MaxRequestWorkers 40
User www-data
Group www-data
DocumentRoot "$top/bench/htdocs"
<Directory "$top/bench/htdocs">
    Require all granted
</Directory>
<FilesMatch "\\.php\$">
    SetHandler application/x-httpd-php
</FilesMatch>
EOF
    $conf .= <<"EOF" if $c->{phpbpf};
LoadModule phpbpf_module "$top/mod_phpbpf/.libs/mod_phpbpf.so"
PhpBpfHelper "$top/mod_phpbpf/phpbpf-helper"
<Location /server-bpf>
    SetHandler server-bpf
</Location>
EOF
    $conf .= ($c->{extra} // '') . "\n";
    $conf .= join '', map { "<VirtualHost *>\n ServerName v$_.test\n</VirtualHost>\n" } 1 .. ($vhosts // 0);
    open my $fh, '>', "$dir/httpd.conf" or die $!;
    print $fh $conf;
}

sub get {
    my ($port, $path, $host) = @_;
    my $h = $host ? "-H 'Host: $host'" : '';
    return scalar `curl -s -m 10 $h 'http://127.0.0.1:$port$path'`;
}

sub start_httpd {
    my ($port, $c, $vhosts) = @_;
    write_conf($port, $c, $vhosts);
    system('/usr/sbin/apache2', '-f', "$dir/httpd.conf", '-k', 'start') == 0 or die "httpd start failed";
    for (1 .. 100) {
        last if get($port, '/hello.php') eq 'hello'
            && (!$c->{phpbpf} || ($c->{extra} // '') =~ /Off/ || get($port, '/server-bpf?auto') =~ /TracingState: active/);
        sleep 0.1;
    }
}

sub stop_httpd {
    open my $fh, '<', "$dir/httpd.pid" or return;
    chomp(my $pid = <$fh>);
    kill 'TERM', $pid;
    for (1 .. 100) { last unless kill 0, $pid; sleep 0.1 }
}

sub start_bpftrace {
    my $kind = shift;
    my $pid = open(my $fh, '-|', 'bpftrace', '-e', $bpftrace{$kind}) // die "bpftrace: $!";
    # bpftrace says "Attaching N probes..." once its probes are live.
    while (my $l = <$fh>) { last if $l =~ /Attaching/ }
    return [ $pid, $fh ];
}

sub stop_bpftrace {
    my $b = shift or return;
    kill 'INT', $b->[0];
    close $b->[1];
}

sub to_ms {
    my ($v, $u) = @_;
    return $u eq 'us' ? $v / 1000 : $u eq 's' ? $v * 1000 : $v;
}

sub wrk {
    my ($port, $path, $secs) = @_;
    my $out = `wrk -t1 -c$o{connections} -d${secs}s --latency http://127.0.0.1:$port$path 2>&1`;
    my ($rps) = $out =~ /Requests\/sec:\s+([\d.]+)/;
    my ($p99, $u) = $out =~ /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m;
    my ($errs) = $out =~ /Non-2xx or 3xx responses: (\d+)/;
    return { rps => $rps // 0, p99 => defined $p99 ? to_ms($p99, $u) : 0, errors => $errs // 0 };
}

sub median { my @s = sort { $a <=> $b } @_; return @s ? $s[$#s / 2] : 0 }

# --------------------------------------------------------------- rounds
my (%res, %hits, %helper);
my $port = free_port();
for my $round (1 .. $o{rounds}) {
    for my $cfg (@configs) {
        my ($n, $name, $c) = @$cfg;
        start_httpd($port, $c);
        my $bt = $c->{bpftrace} ? start_bpftrace($c->{bpftrace}) : undef;
        for my $w (@workloads) {
            my ($wname, $path) = @$w;
            my $before = $c->{phpbpf} && $n == 3 ? decode_json(get($port, '/server-bpf?json')) : undef;
            wrk($port, $path, $o{warmup});
            my $r = wrk($port, $path, $o{duration});
            push @{ $res{$n}{$wname} }, $r;
            printf STDERR "round %d config %d %-6s %9.1f req/s p99 %7.2f ms\n", $round, $n, $wname, $r->{rps}, $r->{p99};
            if ($before) {
                my $after = decode_json(get($port, '/server-bpf?json'));
                my ($h0, $h1) = map { $_->{tracing}{counters} } $before, $after;
                my $req = $h1->{shutdowns} - $h0->{shutdowns};
                push @{ $hits{$wname} }, $req ? ($h1->{hits} - $h0->{hits} - ($h1->{foreign} - $h0->{foreign})) / $req : 0;
                if (!%helper) {
                    my $hp = $after->{tracing}{helper_pid};
                    my ($rss) = `cat /proc/$hp/status` =~ /VmRSS:\s+(\d+)/;
                    my $maps = 0;
                    my %ids = map { /^map_id:\s+(\d+)/m ? ($1 => 1) : () }
                              map { scalar `cat $_ 2>/dev/null` } glob "/proc/$hp/fdinfo/*";
                    $maps += $_->{bytes_memlock} // 0 for grep { $ids{$_->{id}} } @{ decode_json(`bpftool -j map show`) };
                    %helper = (rss_kb => $rss, maps => $maps);
                }
            }
        }
        stop_bpftrace($bt);
        stop_httpd();
    }
}

# ------------------------------------------------- render with N vhosts
start_httpd($port, { phpbpf => 1 }, $o{vhosts});
for my $v (1 .. ($o{vhosts} < 200 ? $o{vhosts} : 200)) { get($port, '/hello.php', "v$v.test") for 1 .. 3 }
my %render;
for my $q ('', '?metrics') {
    my @t;
    for (1 .. 7) {
        my $t = `curl -s -o /dev/null -w '%{time_total}' 'http://127.0.0.1:$port/server-bpf$q'`;
        push @t, $t * 1000;
    }
    $render{$q} = median(@t);
}
stop_httpd();

# --------------------------------------------------------------- report
my $cpu = (`grep -m1 'model name' /proc/cpuinfo` =~ /:\s*(.*)/)[0] // '?';
my $mem = (`grep MemTotal /proc/meminfo` =~ /(\d+)/)[0] // 0;
my $md = sprintf "# mod_phpbpf overhead, %s\n\n", strftime('%Y-%m-%d %H:%M UTC', gmtime);
my $ncpu = (`nproc` =~ /(\d+)/)[0] // 0;
$md .= sprintf "Machine: %s, %d CPUs, %.0f GiB, kernel %s", $cpu, $ncpu, $mem / 1048576, `uname -r`;
$md .= sprintf "Run: %d rounds x %d s per configuration and workload (after %d s warm-up), "
             . "wrk -t1 -c%d on loopback, configurations alternating.\n\n",
             @o{qw(rounds duration warmup connections)};
for my $w (@workloads) {
    my $wname = $w->[0];
    my $base = median(map { $_->{rps} } @{ $res{1}{$wname} });
    my $base99 = median(map { $_->{p99} } @{ $res{1}{$wname} });
    $md .= "## $wname ($w->[1])\n\n| # | configuration | req/s (median) | ratio | min..max ratio | p99 ms | p99 ratio | non-2xx |\n"
         . "|---|---|---|---|---|---|---|---|\n";
    for my $cfg (@configs) {
        my ($n, $name) = @$cfg;
        my @r = @{ $res{$n}{$wname} };
        my @ratios = map { $base ? $_->{rps} / $base : 0 } @r;
        my $p99 = median(map { $_->{p99} } @r);
        $md .= sprintf "| %d | %s | %.0f | %.3f | %.3f..%.3f | %.2f | %.3f | %d |\n", $n, $name,
                       median(map { $_->{rps} } @r), $base ? median(map { $_->{rps} } @r) / $base : 0,
                       (sort { $a <=> $b } @ratios)[0], (sort { $a <=> $b } @ratios)[-1],
                       $p99, $base99 ? $p99 / $base99 : 0, eval { my $e = 0; $e += $_->{errors} for @r; $e };
    }
    $md .= sprintf "\nUprobe hits per PHP request with default tracing (module's own counters): %.3f\n\n",
                   median(@{ $hits{$wname} || [0] });
}
$md .= sprintf "Helper RSS: %d KB.  BPF maps held by the helper: %.1f MB (fixed: sized from "
             . "the default PhpBpfMaxVhosts 1024 at start).\n\n", $helper{rss_kb} // 0, ($helper{maps} // 0) / 1048576;
$md .= sprintf "With %d vhosts configured (traffic to %d): /server-bpf renders in %.1f ms, "
             . "?metrics in %.1f ms (median of 7, curl on loopback).\n",
             $o{vhosts}, $o{vhosts} < 200 ? $o{vhosts} : 200, $render{''}, $render{'?metrics'};

print $md;
my $out = $o{out} // sprintf '%s/bench/results/%s.md', $top, strftime('%Y-%m-%d-%H%M', gmtime);
open my $fh, '>', $out or die "$out: $!";
print $fh $md;
print STDERR "written to $out\n";
