# The slow-request log: a request above PhpBpfSlowThreshold shows with
# every field right, newest first; one below it does not; the log keeps
# PhpBpfSlowLogSize entries; query strings only with PhpBpfRecordQueryString.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 22;

my $docs = topdir() . '/t/htdocs';
my $inst = start_instance(extra => "PhpBpfCpuTracing On\nPhpBpfSlowThreshold 50ms\nPhpBpfSlowLogSize 3\n"
                                   . "php_admin_flag log_errors On");
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }
sub slow { my $j = json(); $j ? @{ $j->{slow}{requests} } : () }
wait_until { my $p = json(); $p && $p->{tracing}{state} eq 'active' } 10;

is instance_get($inst, '/hello.php')->{content}, 'hello', 'a fast request';
is instance_get($inst, '/slowerr.php?token=s3cret')->{content}, 'slow', 'a slow request';
my $got = wait_until { my @x = slow(); @x ? \@x : undef } 5;
my @s = @{ $got || [] };
is scalar(@s), 1, 'only the slow one is in the log';
my $e = $s[0] // {};
is $e->{method}, 'GET', 'method';
is $e->{uri}, '/slowerr.php?[query removed]', 'URI, with the query string removed';
is $e->{script}, "$docs/slowerr.php", 'script';
is $e->{status}, 200, 'status';
cmp_ok $e->{php_us}, '>=', 80000, "PHP time $e->{php_us} us >= the script's 80 ms sleep";
cmp_ok $e->{apache_us}, '>=', $e->{php_us}, 'Apache time >= PHP time';
cmp_ok $e->{off_cpu_us}, '>=', 0.9 * 80000, 'mostly off-CPU: it slept';
ok within($e->{on_cpu_us} + $e->{off_cpu_us}, $e->{php_us}, 0.01), 'on + off = PHP time';
is $e->{errors}, 1, 'one error (the warning)';
is $e->{exceptions}, 1, 'one exception thrown';
is $e->{compile_us}, 0, 'no compile time without compile tracing';
ok $e->{time} && abs($e->{time} - time) < 60, 'a time';
unlike instance_get($inst, '/server-bpf')->{content}, qr/s3cret/, 'the query string is on no page';

# Four more slow requests: the log keeps the newest 3, newest first.
instance_get($inst, "/sleep100.php?n=$_") for 1 .. 4;
$got = wait_until { my @x = slow(); @x == 3 && $x[2]{script} =~ /sleep100/ ? \@x : undef } 5;
@s = @{ $got || [] };
is scalar(@s), 3, 'PhpBpfSlowLogSize 3 keeps 3';
is_deeply [map { $_->{script} } @s], [("$docs/sleep100.php") x 3], 'the newest ones';
is json()->{slow}{lost}, 0, 'nothing lost';
stop_instance($inst);

$inst = start_instance(extra => "PhpBpfSlowThreshold 50ms\nPhpBpfRecordQueryString On");
wait_until { my $p = json(); $p && $p->{tracing}{state} eq 'active' } 10;
instance_get($inst, '/sleep100.php?page=2');
$got = wait_until { my @x = slow(); @x ? \@x : undef } 5;
@s = @{ $got || [] };
is $s[0] && $s[0]{uri}, '/sleep100.php?page=2', 'PhpBpfRecordQueryString On keeps it';
like instance_get($inst, '/server-bpf')->{content}, qr{/sleep100\.php\?page=2}, 'and the page shows it';
instance_get($inst, "/sleep100.php?n=$_") for 1 .. 3;
$got = wait_until { my @x = slow(); @x == 4 ? \@x : undef } 5;
is_deeply [map { $_->{uri} } @{ $got || [] }],
          [map { "/sleep100.php?$_" } qw(n=3 n=2 n=1 page=2)], 'newest first';
stop_instance($inst);
