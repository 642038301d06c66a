# A second httpd using the same libphp, without mod_phpbpf: its PHP
# requests fire the same system-wide uprobes, and must never reach our
# numbers.  The BPF side counts them as "foreign", which proves the probes
# did fire and were filtered.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use Apache::TestRequest qw(GET);
use PhpBpfTest;

plan tests => 6;

my $N = 25;
my ($before) = page_json();
my $inst = start_instance(phpbpf => 0);
my $ok = 0;
for my $i (1 .. $N) {
    $ok++ if instance_get($inst, '/hello.php')->{status} == 200;
}
is $ok, $N, "the other httpd served $N PHP requests";
stop_instance($inst);

my ($after) = page_json();
my $sum = sub { my $j = shift; my $n = 0; $n += $_->{requests} + $_->{php_us}{count} for @{ $j->{vhosts} }; $n };
# page_json itself is not PHP, so nothing of ours ran in between.
is $sum->($after), $sum->($before), 'no vhost count moved';
is $after->{tracing}{counters}{startups}, $before->{tracing}{counters}{startups},
    'no request__startup was taken as ours';
is $after->{tracing}{counters}{orphans}, $before->{tracing}{counters}{orphans}, 'no orphans either';
cmp_ok $after->{tracing}{counters}{foreign} - $before->{tracing}{counters}{foreign}, '>=', $N,
    "at least $N probe hits were seen and rejected as foreign";
my $a = vhost_entry($after, vname('a.test'));
is $a->{php_us}{count}, $a->{requests}, 'BPF and Apache still agree on a.test';
