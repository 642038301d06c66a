# The overhead bench still works: a one-round, one-second run of every
# configuration (including the bpftrace peers and the A/A baseline) and
# both workloads, and its BPF-statistics phase.  Its
# numbers are not judged here; the bench is for side-by-side runs.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More tests => 21;

my $out = tempdir(CLEANUP => 1) . '/bench.md';
my $log = `perl $FindBin::Bin/../bench/bench.pl --quick --out $out 2>&1`;
is $?, 0, 'bench.pl --quick runs' or diag $log;
my $md = do { local $/; open my $fh, '<', $out or die "$out: $!"; <$fh> } // '';
is scalar(() = $md =~ /^\| (?:[1-6]|3c|3c0|3cs|3n|3r0|3f|4c|4d|A\/A) \| [^|]+ \| \d+ \| [\d.]+ \| [\d.]+\.\.[\d.]+ \|/mg), 30,
    'fifteen configurations for each of the two workloads';
unlike $md, qr/^\| \S+ \| [^|]+ \| 0 \|/m, "every configuration served requests";
# The slow log's backtrace iterator (on by default) runs every 250 ms, once
# a task: a fraction of a run per request beside the two request programs.
like $md, qr/^\| 3n \| hello \| \d+ \| \d+\.\d\d \| php_backtrace \d+, php_request_shutdown \d+, php_request_startup \d+ \|$/m,
    'BPF statistics: without sampling, default tracing runs its two request programs and the slow log\'s iterator';
like $md, qr/^Stack sampling \(hello\): \d+ ns per sample, [\d.]+ samples per request\.$/m,
    'BPF statistics: what a stack sample costs';
like $md, qr/^\| 5 \| hello \| \d+ \| 2\.00 \|/m, 'BPF statistics: the bpftrace peer too';
like $md, qr/Uprobe hits per PHP request with default tracing \(module's own counters\): 2\.000/,
    'the module counts 2 uprobe hits per request';
like $md, qr/renders in [\d.]+ ms, \?metrics \([\d.]+ MB\) in [\d.]+ ms .*CPU per page, from \/proc: [\d.]+ ms and [\d.]+ ms/, 'render times measured, wall and CPU';
like $md, qr/^\| 3 vs 5 \| default tracing [^|]*, head to head with bpftrace counting [^|]+\| [\d.]+ \| [\d.]+\.\.[\d.]+ \|/m,
    'default tracing measured head to head with the bpftrace peer';
like $md, qr/^\| 3 vs 3n \| default tracing [^|]*, head to head with default, PhpBpfProfile Off \|/m,
    'stack sampling measured head to head with default tracing without it';
like $md, qr/^\| 3 vs 3q0 \| default tracing \(PhpBpfQueries On\), head to head with default, PhpBpfQueries Off \| [\d.]+ \| [\d.]+\.\.[\d.]+ \| [\d.]+ \|$/m,
    'queries measured head to head with them off, on a page of 25 statements against MariaDB';
like $md, qr/^BPF time per statement \(kernel BPF statistics\): \d+ ns \(php_mysql_execute \d+, php_mysql_execute_return \d+, php_mysql_prepare \d+, php_mysql_query \d+, php_mysql_query_return \d+\); 2[56]\.\d\d statements and 5\d\.\d\d uprobe hits per request\.$/m,
    'BPF statistics: what a statement costs, 25 a request, two hits each';
like $md, qr/^\| 3 vs 3r0 \| default tracing [^|]*, head to head with default, PhpBpfMaxRoutes 0 \(no routes\) \|/m,
    'routes measured head to head with default tracing without them';
like $md, qr/^\| 3c vs 3c0 \| default \+ CPU tracing \(with the wait split\), head to head with default \+ CPU tracing, no wait split \(as before\) \|/m,
    'the wait split measured head to head with CPU tracing as it was (a build of its own)';
like $md, qr/^sched_switch \(hello\): 3c0 \d+ ns per run, [\d.]+ runs and \d+ ns per request; 3cs \d+ ns per run, [\d.]+ runs and \d+ ns per request; 3c \d+ ns per run/m,
    'BPF statistics: sched_switch per run and per request, without the split, without call sites, with both';
is scalar(() = $md =~ /^\| [^|]+ \| (?:[\d.]+(?: \([\d.]+\.\.[\d.]+\)| MB| ms)?|[+-]\d+ ns \(\d+ vs \d+\)|[+-]\d+|php_\w+ \d+) \| (?:met|not met) \|$/mg), 25,
    'the Goals table judges every goal: 5 per workload, 3 for the page, hits (USDT, functions), 2 render times, RSS, 2 instruction counts, the verifier on this kernel, queries; php-fpm: the page, hits, instructions';
# --quick boots no 6.1 (t/61kernel61.t does): this kernel's column only.
is scalar(() = $md =~ /^\| php_\w+ \| \d+ \|$/mg), 19,
    "the verifier's instruction counts for all 19 programs (mysqlnd's five and libpq's five among them)";
is scalar(() = $md =~ /^\| (?:no mod_phpbpf|PhpBpf Off|default tracing \(Apache side\)|\+ [^|]+) \| \d+\.\d \| [+-]\d+\.\d \| \d+\.\d \| [+-]\d+\.\d \| -?\d+\.\d \|$/mg), 8,
    'instructions per request (callgrind) for no module, Off, On and 5 modes, with cache misses';
is scalar(() = $md =~ /^\| php-fpm[^|]+\| \d+\.\d \| [+-]\d+\.\d \| \d+\.\d \| [+-]\d+\.\d \| -?\d+\.\d \|$/mg), 2,
    'and for php-fpm behind mod_proxy_fcgi, without and with the module';
like $md, qr/^\| F3 vs F1 \| php-fpm, default tracing, head to head with php-fpm, no module \| [\d.]+ \| [\d.]+\.\.[\d.]+ \| [\d.]+ \|.*\n\nNo module: \d+ requests\/s \(hello\), \d+ requests\/s \(page\)\.  BPF time per request \(hello, kernel BPF statistics\): \d+ ns; 2\.000 uprobe hits per request\.$/m,
    'php-fpm: default tracing head to head with no module, its BPF time and 2 hits a request';
is scalar(() = $md =~ /^\| (?:uprobe|uretprobe)[^|]+ \| \d+ \|$/mg), 5,
    'probe cost: a nop (USDT), push, endbr64, after endbr64, a return probe';
