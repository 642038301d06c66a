# PhpBpfCompileTracing On: a probe pair on libphp's compile_file times
# every compile per script and per vhost, with exact counts, and with no
# USE_ZEND_DTRACE (which would switch off the JIT and slow every PHP call).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 19;

# opcache off, so every request compiles every file it includes.
my $inst = start_instance(extra => "PhpBpfCompileTracing On\nphp_admin_flag opcache.enable Off");
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }
sub scripts { my $j = shift; my %s = map { $_->{path} => $_ } @{ $j->{compile}{scripts} || [] }; \%s }
my $j0 = wait_until { my $p = json(); $p && $p->{tracing}{state} eq 'active' ? $p : undef } 10;
ok $j0, 'tracing is active';
is join(' ', map { "$_=$j0->{tracing}{probe_kinds}{$_}" } grep { /compile/ } @{ $j0->{tracing}{probes} }),
   'uprobe:compile_file=uprobe uretprobe:compile_file=uretprobe',
   'the compile probes are attached, at compile_file\'s entry and return';
is instance_get($inst, '/env.php')->{content}, 'unset', 'PHP runs without USE_ZEND_DTRACE';

is instance_get($inst, '/compile/main.php')->{content}, 465, 'the script with 30 includes runs';
my $dir = topdir() . '/t/htdocs/compile';
my $j1 = wait_until { my $p = json(); scripts($p)->{"$dir/main.php"} ? $p : undef } 5;
my $s = scripts($j1);
is scalar(grep { m{/compile/inc\d\d\.php$} } keys %$s), 30, 'all 30 included files are listed';
is scalar(grep { $s->{sprintf "$dir/inc%02d.php", $_}{compile_us}{count} == 1 } 1 .. 30), 30,
    'each was compiled exactly once';
is $s->{"$dir/main.php"}{compile_us}{count}, 1, 'and so was main.php';

for my $i (1 .. 2) { instance_get($inst, '/compile/main.php') }
my $j2 = wait_until { my $p = json(); my $m = scripts($p)->{"$dir/main.php"}; $m && $m->{compile_us}{count} == 3 ? $p : undef } 5;
$s = scripts($j2);
is scalar(grep { $s->{sprintf "$dir/inc%02d.php", $_}{compile_us}{count} == 3 } 1 .. 30), 30,
    'after 3 requests, each file was compiled exactly 3 times';
my ($v) = @{ $j2->{vhosts} };
is $v->{compile}{count}, 3 * 31 + 1, 'the vhost counts 3 x 31 compiles, plus env.php';
cmp_ok abs($v->{compile}{per_request} - 94 / 4), '<', 0.01, 'compiles per request: 94 / 4';
my $total = 0;
$total += $_->{total_us} for values %$s;
is $v->{compile}{total_us}, $total, "the vhost's compile time is the sum of its scripts'";
cmp_ok $v->{compile}{share_of_php}, '>', 0, 'compile time has a share of PHP time';
cmp_ok $v->{compile}{share_of_php}, '<', 1, '... below 100%';
my $html = instance_get($inst, '/server-bpf')->{content};
like $html, qr/Compile tracing: on &mdash; probes on compile_file, which PHP runs only on an\s+opcache miss/,
    'the page says where the probes are';
like $html, qr/opcache-miss view/, '... and that compiles are opcache misses';
my $m = instance_get($inst, '/server-bpf?metrics')->{content};
my ($n) = $m =~ /^phpbpf_compile_duration_seconds_count\{vhost="[^"]+"\} (\d+)$/m;
is $n, 94, 'the compile histogram in ?metrics counts the 94 compiles';
like $m, qr/^phpbpf_compile_duration_seconds_bucket\{vhost="[^"]+",le="0\.000128"\} \d+$/m,
    '... with the exported buckets';
stop_instance($inst);

# A bounded table: 8 scripts tracked, the others evicted and counted.
$inst = start_instance(extra => "PhpBpfCompileTracing On\nPhpBpfMaxScripts 8\nphp_admin_flag opcache.enable Off");
wait_until { my $p = json(); $p && $p->{tracing}{state} eq 'active' } 10;
instance_get($inst, '/compile/main.php');
my $j3 = wait_until { my $p = json(); $p && $p->{vhosts}[0] && $p->{vhosts}[0]{compile}{count} == 31 ? $p : undef } 5;
cmp_ok $j3->{compile}{scripts_tracked}, '<=', 8, "at most 8 scripts tracked ($j3->{compile}{scripts_tracked})";
is $j3->{compile}{scripts_tracked} + $j3->{compile}{scripts_evicted}, 31, 'tracked + evicted = 31 scripts';
stop_instance($inst);
