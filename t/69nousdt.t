# A libphp without USDT notes, as the official php:*-apache images have it
# (no --enable-dtrace, strip --strip-all): a copy of Debian's with the
# notes and the symbol table removed.  Tracing must attach to the functions
# the notes sit in, which the dynamic symbol table still exports, and give
# the same results: exact counts against the access log, PHP time that
# includes shutdown functions (the USDT shutdown probe fires after them),
# the slow log with its script, URI and method, exceptions by class,
# compile time per script as an opcache-miss view, and backtraces.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 27;

my $lib = Apache::Test::vars('t_logs') . '/libphp-nousdt.so';
system('objcopy', '--remove-section', '.note.stapsdt', '--strip-all',
       '/usr/lib/apache2/modules/libphp8.2.so', "$lib.tmp") == 0 or die "objcopy failed";
rename "$lib.tmp", $lib or die $!;
my $sections = `readelf -S -W $lib`;
ok $sections !~ /\.note\.stapsdt|\.symtab/, 'the copy has no USDT notes and no symbol table';

# Files older than opcache's file_update_protection (2 s), so that opcache
# keeps them and only a real miss compiles.
my $dir = topdir() . '/t/htdocs';
my $past = time - 3600;
utime $past, $past, glob("$dir/compile/*.php"), "$dir/hello.php", glob("$dir/nousdt/*.php");

my %n = ('s1.test' => 7, 's2.test' => 5);
my $inst = start_instance(libphp => $lib, vhosts => [sort keys %n], access_log => 1,
                          extra => "PhpBpfCompileTracing On\nPhpBpfSlowThreshold 100ms");
my $fake_inst;
END { local $?; stop_instance($_) for grep { $_ } $inst, $fake_inst }
sub json { my $r = instance_get($inst, '/server-bpf?json', Host => 's1.test'); eval { decode_json($r->{content}) } }
sub vh { my ($j, $h) = @_; my ($v) = grep { $_->{name} eq "$h:$inst->{port}" } @{ $j->{vhosts} // [] }; $v // {} }

my $j = wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' ? $j : undef } 10;
ok $j, 'tracing is active on a libphp without USDT notes' or diag `cat $inst->{error_log}`;
my $k = $j ? $j->{tracing}{probe_kinds} : {};
is_deeply $k, { 'uprobe:php_request_startup' => 'uprobe', 'uretprobe:php_request_shutdown' => 'uretprobe',
                'uprobe:zend_throw_exception_internal' => 'uprobe', 'uprobe:compile_file' => 'uprobe',
                'uretprobe:compile_file' => 'uretprobe', 'perf:cpu-clock' => 'perf_event',
                'iter:task' => 'iterator', 'uprobe:mysqlnd' => 'uprobe', 'uprobe:libpq' => 'uprobe' },
    'every probe is on an exported function: the request probes, exceptions, compiles, and the statements\' (mysqlnd\'s and libpq\'s, which need no USDT notes)'
    or diag explain $k;
is $j && $j->{tracing}{untraced}, undef, 'nothing configured is left untraced';
my $html = instance_get($inst, '/server-bpf', Host => 's1.test')->{content};
like $html, qr{Probes attached:.* uprobe:php_request_startup \(uprobe\) uretprobe:php_request_shutdown \(uretprobe\)},
    'the page says how each probe is attached';

for my $h (sort keys %n) {
    instance_get($inst, '/hello.php', Host => $h) for 1 .. $n{$h};
}
my $t0 = time;
is instance_get($inst, '/nousdt/shutdown.php?secret=1', Host => 's2.test')->{content}, 'ok',
   'a script with a 200 ms shutdown function';
is instance_get($inst, '/nousdt/throw.php', Host => 's1.test')->{content}, 'caught', 'a script that throws';
is instance_get($inst, '/compile/main.php', Host => 's1.test')->{content}, 465, 'a script with 30 includes';
is instance_get($inst, '/compile/main.php', Host => 's1.test')->{content}, 465, '... twice';

$j = wait_until { my $j = json(); $j && @{ $j->{slow}{requests} // [] } ? $j : undef } 5;
my %log;
open my $fh, '<', "$inst->{dir}/access_log" or die $!;
while (<$fh>) { $log{$1}++ if /^(\S+) \d+ \d{3} "GET \S+\.php/ }
for my $h (sort keys %n) {
    my $v = vh($j, $h);
    is $v->{requests}, $log{$h}, "$h: requests equal the access log ($log{$h})";
    is $v->{php_us}{count}, $v->{requests}, "$h: every PHP request traced";
}
my $c = $j->{tracing}{counters};
is $c->{startups}, $c->{shutdowns}, 'as many startups as shutdowns';
is $c->{orphans} + $c->{unattributed} + $c->{inflight_errors}, 0, 'none orphaned or unattributed';

my ($e) = grep { $_->{script} =~ m{/nousdt/shutdown\.php$} } @{ $j->{slow}{requests} };
ok $e, 'the request is in the slow log, with its script read from PHP\'s SAPI globals' or diag explain $j->{slow};
$e //= {};
cmp_ok $e->{php_us} // 0, '>=', 200000, 'its PHP time includes the shutdown function (php_request_shutdown\'s return)';
is "$e->{method} $e->{uri}", 'GET /nousdt/shutdown.php?[query removed]', 'method and URI, query redacted';
my @bt = map { $_->{function} } @{ $e->{backtrace} // [] };
is "@bt[0, 1]", 'usleep {closure}', 'the backtrace, taken in the shutdown function';

my ($cls) = grep { $_->{class} eq 'NoUsdtError' } @{ $j->{exceptions}{classes} // [] };
is $cls && $cls->{thrown}, 1, 'the exception is counted by class, read from the thrown object';

my %s = map { $_->{path} => $_->{compile_us}{count} } @{ $j->{compile}{scripts} // [] };
is scalar(grep { ($s{sprintf "$dir/compile/inc%02d.php", $_} // 0) == 1 } 1 .. 30) + ($s{"$dir/compile/main.php"} // 0), 31,
   'opcache on: each of the 31 files compiled once, and the second request compiled nothing'
   or diag explain \%s;
is vh($j, 's1.test')->{compile}{count}, 33,
   's1.test: 33 compiles (the 31 files, throw.php, and hello.php once for its 7 requests)'
   or diag explain vh($j, 's1.test')->{compile};

# ---- endbr64: a PHP built with -fcf-protection begins its functions with
# it, which the kernel single-steps (about 10 us a hit, bench "Probe cost"):
# the probes go on the next instruction.  A library of this test's own, in
# the place of libphp (PhpBpfLibrary), called by a program that is not
# httpd: every call must be seen, and turned away as foreign.
my $t = Apache::Test::vars('t_logs');
open my $src, '>', "$t/fakephp.c" or die $!;
print $src "int php_request_startup(void) { return 0; }\nvoid php_request_shutdown(void *d) { (void)d; }\n";
close $src;
open $src, '>', "$t/fakecall.c" or die $!;
print $src <<'C';
#include <stdlib.h>
int php_request_startup(void);
void php_request_shutdown(void *);
int main(int argc, char **argv) {
    for (long i = 0, n = atol(argv[1]); i < n; i++) { php_request_startup(); php_request_shutdown(0); }
    return 0;
}
C
close $src;
system("cc -O2 -fPIC -shared -fcf-protection=full -o $t/libfakephp.so $t/fakephp.c "
       . "&& cc -O2 -o $t/fakecall $t/fakecall.c -L$t -lfakephp -Wl,-rpath,$t") == 0 or die "cc failed";
chmod 0755, "$t/libfakephp.so", "$t/fakecall";
is `objdump -d --no-show-raw-insn $t/libfakephp.so` =~ /<php_request_startup>:\n\s*[0-9a-f]+:\s+endbr64/ ? 1 : 0, 1,
   'the library\'s php_request_startup begins with endbr64';
$fake_inst = start_instance(extra => "PhpBpfLibrary $t/libfakephp.so");
my $jf = wait_until { my $r = instance_get($fake_inst, '/server-bpf?json'); my $p = eval { decode_json($r->{content}) };
                      $p && $p->{tracing}{state} eq 'active' ? $p : undef } 10;
ok $jf, 'tracing is active on it' or diag `cat $fake_inst->{error_log}`;
like error_log_since(0, $fake_inst->{error_log}), qr/php_request_startup begins with endbr64: probed at uprobe:php_request_startup\+4/,
     'the error log says the probe is past the endbr64';
like $jf ? $jf->{tracing}{untraced} // '' : '', qr/^exceptions: no php:exception__thrown probe, and libphp does not export zend_throw_exception_internal/,
     'what this library cannot give is said (exceptions), the rest is traced';
my $f0 = $jf ? $jf->{tracing}{counters}{foreign} : 0;
system("$t/fakecall", 1000) == 0 or die "fakecall failed";
my $jf2 = eval { decode_json(instance_get($fake_inst, '/server-bpf?json')->{content}) } // {};
is $jf2->{tracing}{counters}{foreign} - $f0, 2000, 'every one of 1000 calls hit both probes, and counted as foreign';
