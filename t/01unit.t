# The pure C unit tests (histogram math, snapshot protocol) speak TAP
# themselves; run them in place of this script.
use strict;
use warnings;
use FindBin;

my $bin = "$FindBin::Bin/unit/unit_tests";
-x $bin or do { print "1..1\nnot ok 1 - $bin is built (run make -f Makefile.apxs)\n"; exit 1 };
# The golden text of every format (t/unit/golden_tests.c).
$ENV{PHPBPF_GOLDEN} = "$FindBin::Bin/unit/golden";
exec $bin or die "exec $bin: $!";
