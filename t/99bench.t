# The overhead bench still works: a one-round, one-second run of every
# configuration (including the bpftrace peers) and both workloads.  Its
# numbers are not judged here; the bench is for side-by-side runs.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More tests => 5;

my $out = tempdir(CLEANUP => 1) . '/bench.md';
my $log = `perl $FindBin::Bin/../bench/bench.pl --quick --out $out 2>&1`;
is $?, 0, 'bench.pl --quick runs' or diag $log;
my $md = do { local $/; open my $fh, '<', $out or die "$out: $!"; <$fh> } // '';
is scalar(() = $md =~ /^\| [1-6] \| /mg), 12, 'six configurations for each of the two workloads';
unlike $md, qr/^\| \d \| [^|]+ \| 0 \|/m, "every configuration served requests";
like $md, qr/Uprobe hits per PHP request with default tracing \(module's own counters\): 2\.000/,
    'the module counts 2 uprobe hits per request';
like $md, qr/renders in [\d.]+ ms, \?metrics in [\d.]+ ms/, 'render times measured';
