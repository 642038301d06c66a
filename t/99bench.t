# The overhead bench still works: a one-round, one-second run of every
# configuration (including the bpftrace peers and the A/A baseline) and
# both workloads, and its BPF-statistics phase.  Its
# numbers are not judged here; the bench is for side-by-side runs.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More tests => 11;

my $out = tempdir(CLEANUP => 1) . '/bench.md';
my $log = `perl $FindBin::Bin/../bench/bench.pl --quick --out $out 2>&1`;
is $?, 0, 'bench.pl --quick runs' or diag $log;
my $md = do { local $/; open my $fh, '<', $out or die "$out: $!"; <$fh> } // '';
is scalar(() = $md =~ /^\| (?:[1-6]|3c|3n|A\/A) \| [^|]+ \| \d+ \| [\d.]+ \| [\d.]+\.\.[\d.]+ \|/mg), 18,
    'nine configurations for each of the two workloads';
unlike $md, qr/^\| \S+ \| [^|]+ \| 0 \|/m, "every configuration served requests";
like $md, qr/^\| 3n \| hello \| \d+ \| 2\.00 \| php_request_shutdown \d+, php_request_startup \d+ \|$/m,
    'BPF statistics: without sampling, default tracing runs its two programs twice per request';
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
is scalar(() = $md =~ /^\| [^|]+ \| [\d.]+(?: \([\d.]+\.\.[\d.]+\)| MB| ms)? \| (?:met|not met) \|$/mg), 14,
    'the Goals table judges every goal: 4 per workload, 2 for the page, hits, 2 render times, RSS';
