# Errors and exceptions, exactly: a warning raised 3 times, FooException
# thrown and caught twice, then an uncaught BarException; and tables that
# stay bounded, with overflow shown, under a flood of distinct ones.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 20;

my $inst = start_instance(extra => "php_admin_value error_reporting -1\nphp_admin_flag log_errors On\n"
                                   . "php_admin_flag display_errors Off");
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }
sub vh { my $j = shift; $j->{vhosts}[0] }
wait_until { my $p = json(); $p && $p->{tracing}{state} eq 'active' } 10;
my $docs = topdir() . '/t/htdocs';

is instance_get($inst, '/warn3.php')->{content}, 'warned', 'warn3.php runs';
my $j = wait_until { my $p = json(); $p && vh($p) && vh($p)->{errors}{warning} == 3 ? $p : undef } 5;
ok $j, 'the vhost counts exactly 3 warnings';
my ($top) = grep { $_->{message} eq 'known warning' } @{ $j->{errors}{top} };
is $top && $top->{count}, 3, 'one table entry for the message, count 3';
is $top && "$top->{file}:$top->{line}", "$docs/warn3.php:3", 'with its file:line';
is $top && $top->{level}, 'warning', 'and its level';

# Apache escapes what it logs (\\ for a backslash, \xff for a byte); the
# page must escape PHP's own text once, not Apache's copy again.
is instance_get($inst, '/errtext.php')->{content}, "ok\n", 'errtext.php runs';
$j = wait_until { my $p = json(); $p && vh($p)->{errors}{warning} == 4 ? $p : undef } 5;
my ($odd) = grep { $_->{message} =~ /^bad / } @{ $j ? $j->{errors}{top} : [] };
is $odd && $odd->{message}, qq{bad "q" \\ \x{fffd} here},
    '?json: the message as PHP wrote it (the byte that is not UTF-8 as U+FFFD)';
my $html = instance_get($inst, '/server-bpf')->{content};
like $html, qr{<td class=l>bad &quot;q&quot; \\\\ \\xff here</td>},
    'the page: quotes as entities, the backslash and the byte escaped once';

is instance_get($inst, '/exceptions.php')->{status}, 500, 'exceptions.php ends with a 500';
$j = wait_until { my $p = json(); $p && vh($p)->{exceptions}{uncaught} == 1 ? $p : undef } 5;
ok $j, 'one uncaught exception in a 5xx request';
is vh($j)->{exceptions}{thrown}, 3, 'three exceptions thrown';
my %cls = map { $_->{class} => $_->{thrown} } @{ $j->{exceptions}{classes} };
is $cls{FooException}, 2, 'FooException thrown twice';
is $cls{BarException}, 1, 'BarException once';

# The flood: 1500 distinct classes and messages in one request.
is instance_get($inst, '/flood.php?n=1500')->{content}, 'flooded 1500', 'the flood request is served';
$j = wait_until { my $p = json(); $p && vh($p)->{exceptions}{thrown} == 1503 ? $p : undef } 10;
ok $j, '1503 exceptions counted in all';
is scalar(@{ $j->{exceptions}{classes} }), 1024, 'the class table holds its 1024';
my $thrown = 0;
$thrown += $_->{thrown} for @{ $j->{exceptions}{classes} };
is $thrown + $j->{exceptions}{other}, 1503, 'and every throw is in it or counted as "other"';
# "known warning" (3x, one entry), errtext's, the uncaught BarException, 1500 flood lines
cmp_ok scalar(@{ $j->{errors}{top} }), '==', 64, 'the error table holds its 64';
my $in_table = 0;
$in_table += $_->{count} for @{ $j->{errors}{top} };
is $in_table + $j->{errors}{other}, 3 + 1 + 1 + 1500, 'every error line is in the table or counted as "other"';
like instance_get($inst, '/hello.php')->{content}, qr/^hello$/, 'Apache keeps serving PHP';
stop_instance($inst);
