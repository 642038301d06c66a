# Debian 12's own kernel.  Every other test runs on this machine's kernel;
# most Debian 12 hosts, and the Docker containers on them, run bookworm's
# 6.1.  So: the current bookworm linux-image-6.1, from Debian's archive,
# booted in QEMU (t/vm/run.sh) with this machine's root shared read-only,
# once as it is and once as the lower layer of an overlayfs, as Docker's
# overlay2 lays out a container.  There httpd runs with the module and
# every mode on (compile and CPU tracing, the slow log, stacks at 199 Hz)
# and serves PHP; the page must say what it says on this kernel: exact
# counts, stacks, waits, compiles and a slow request's backtrace, and no
# "unavailable" reason.  On 6.1 with overlayfs, libphp's mapping has the
# lower layer's device and its path the overlay's: it was taken for a file
# replaced on disk, and stacks and compile tracing switched off.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

my @modes = qw(plain overlay);
plan tests => 10 * @modes;

my $out = Apache::Test::vars('t_logs') . '/vm';
sub slurp { my $f = shift; open my $fh, '<', $f or return ''; local $/; <$fh> }

for my $mode (@modes) {
    my $ok = system('sh', topdir() . '/t/vm/run.sh', $mode, $out) == 0;
    ok $ok, "$mode: the VM ran the test (t/logs/vm/$mode.log)"
        or diag slurp("$out/$mode.console") . slurp("$out/$mode.log");
    my $j = eval { decode_json(slurp("$out/$mode.json")) } // {};
    like slurp("$out/$mode.kernel"), qr/^6\.1\.\d+-\d+-amd64$/m, "$mode: the kernel is Debian 12's 6.1";
    my $t = $j->{tracing} // {};
    ok(($t->{state} // '') eq 'active' && !defined $t->{reason} && !defined $t->{untraced},
       "$mode: tracing active, nothing unavailable or untraced")
        or diag explain { state => $t->{state}, reason => $t->{reason}, untraced => $t->{untraced} };
    is $t->{library}, '/usr/lib/apache2/modules/libphp8.2.so', "$mode: libphp is not taken for a file replaced on disk";
    my ($v) = @{ $j->{vhosts} // [] };
    my $logged = (slurp("$out/$mode.requests") =~ /(\d+)/)[0] // 0;
    ok $v && $logged == 26 && $v->{requests} == $logged && $v->{php_us}{count} == $logged,
       "$mode: exact counts: $logged PHP requests logged, " . ($v ? "$v->{requests} counted, $v->{php_us}{count} traced" : 'none');
    ok(($j->{stacks}{state} // '') eq 'active' && !defined $j->{stacks}{reason} && $v && $v->{profile}
       && $v->{profile}{samples} > 0, "$mode: PHP stacks sampled (" . ($v && $v->{profile} ? $v->{profile}{samples} : 0) . ')');
    cmp_ok $v ? $v->{waits}{sleep}{count} : 0, '>=', 3, "$mode: waits by class: the sleeps";
    ok $j->{compile}{traced} && $v && $v->{compile}{count} > 0, "$mode: compiles traced (" . ($v ? $v->{compile}{count} : 0) . ')';
    ok((grep { $_->{uri} eq '/waits/sleep.php' && $_->{backtrace} && @{ $_->{backtrace} } } @{ $j->{slow}{requests} // [] }),
       "$mode: a slow request with its PHP backtrace");
    my %ins = slurp("$out/$mode.verified") =~ /(php_\w+) (\d+)/g;
    is scalar(keys %ins), 19, "$mode: the verifier took all 19 programs (mysqlnd's five and libpq's five among them): "
        . join(', ', map { "$_ $ins{$_}" } sort keys %ins);
}
