# The socket protocol's parsers under libFuzzer (with ASan and UBSan) for a
# bounded time: any crash, leak or failed round trip fails the test.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More tests => 2;

my $bin = "$FindBin::Bin/fuzz/fuzz_protocol";
ok -x $bin, 'the fuzz target is built (make -f Makefile.apxs test builds it)' or exit 1;
my $corpus = tempdir(CLEANUP => 1);
# Seeds: a well-formed snapshot payload (one vhost, one bucket) and a
# well-formed request, so the fuzzer starts deep inside the decoders.
open my $fh, '>:raw', "$corpus/snapshot" or die;
print $fh pack('L L Q Q L L L Q14 S/a* S/a* L'          # header, counters, strings, 1 vhost
               . ' L Q Q Q S S Q Q Q Q'                # idx, PHP hist (1 bucket), compiles, thrown
               . ' Q Q Q S S Q  Q Q Q S  Q Q Q S'      # on-CPU (1 bucket), off-CPU, compile hists
               . ' L L S/a* Q Q Q S S Q'               # scripts: tracked, 1 sent
               . ' L S/a* Q  L',                       # 1 class; no slow requests
               1, 1234, 1, 2, 3, 3, 14, (0) x 14, '/usr/lib/libphp.so', '', 1,
               1, 5, 100, 30, 1, 20, 5, 2, 40, 3,
               5, 50, 12, 1, 10, 5, 0, 0, 0, 0, 0, 0, 0, 0,
               3, 1, '/var/www/index.php', 2, 40, 25, 1, 20, 2,
               1, 'FooException', 3, 0);
close $fh;
open $fh, '>:raw', "$corpus/request" or die;
print $fh pack('L4', 0x31514250, 1, 1, 42);
close $fh;
my $out = `$bin -max_total_time=20 -seed=1 -print_final_stats=1 $corpus 2>&1`;
my $rc = $? >> 8;
my ($runs) = $out =~ /stat::number_of_executed_units:\s*(\d+)/;
is $rc, 0, sprintf('20 s of fuzzing, %s inputs, no crash', $runs // '?') or diag $out;
