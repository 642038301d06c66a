# 10,000 distinct script files, exception classes and error messages in one
# request: every table stays within its bound, the overflow is counted and
# shown, and Apache keeps serving.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

my $N = 10000;
plan tests => 10;

my $inst = start_instance(extra => "PhpBpfCompileTracing On\nPhpBpfMaxScripts 1024\n"
                                   . "php_admin_flag opcache.enable Off\nLogLevel notice");
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }
wait_until { my $p = json(); $p && $p->{tracing}{state} eq 'active' } 10;

is instance_get($inst, "/flood.php?n=$N&files=1")->{content}, "flooded $N", "the flood request is served";
my $j = wait_until { my $p = json(); $p && $p->{vhosts}[0] && $p->{vhosts}[0]{exceptions}{thrown} == $N ? $p : undef } 20;
ok $j, "all $N exceptions counted";
cmp_ok $j->{compile}{scripts_tracked}, '<=', 1024, "scripts tracked within PhpBpfMaxScripts ($j->{compile}{scripts_tracked})";
is $j->{compile}{scripts_tracked} + $j->{compile}{scripts_evicted}, $N + 1, 'tracked + evicted = every distinct script';
is scalar(@{ $j->{exceptions}{classes} }), 1024, 'the class table holds its 1024';
my $thrown = 0;
$thrown += $_->{thrown} for @{ $j->{exceptions}{classes} };
is $thrown + $j->{exceptions}{other}, $N, 'every throw is in it or counted as other';
my $in_table = 0;
$in_table += $_->{count} for @{ $j->{errors}{top} };
is $in_table + $j->{errors}{other}, $N, 'errors: table plus other = every error';
my $html = instance_get($inst, '/server-bpf');
is $html->{status}, 200, 'the page renders';
like $html->{content}, qr{<td class=l>\(other: not kept\)</td><td>\d+</td>}, 'it shows the class overflow, for the vhost';
is instance_get($inst, '/hello.php')->{content}, 'hello', 'Apache keeps serving PHP';
stop_instance($inst);
