# On-CPU and off-CPU time from sched:sched_switch: a script that spins
# 100 ms is over 90% on-CPU, one that sleeps 100 ms over 90% off-CPU, and
# the two add up to PHP time.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

my $N = 5;
plan tests => 13;

my $docs = topdir() . '/t/htdocs';
my $inst = start_instance(extra => "PhpBpfCpuTracing On\n" . join '', map {
    "<VirtualHost *>\n ServerName $_.test\n DocumentRoot \"$docs\"\n</VirtualHost>\n" } qw(spin sleep));
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }
sub vh { my ($j, $n) = @_; (grep { $_->{name} =~ /^\Q$n\E:/ } @{ $j->{vhosts} })[0] }
wait_until { my $p = json(); $p && $p->{tracing}{state} eq 'active' } 10;

for my $i (1 .. $N) {
    instance_get($inst, '/spin100.php', Host => 'spin.test')->{content} eq 'spun' or die;
    instance_get($inst, '/sleep100.php', Host => 'sleep.test')->{content} eq 'slept' or die;
}
my $j = wait_until { my $p = json(); my $s = $p && vh($p, 'sleep.test'); $s && $s->{requests} == $N ? $p : undef } 5;
ok $j, "$N requests each";
ok((grep { $_ eq 'sched:sched_switch' } @{ $j->{tracing}{probes} }), 'sched:sched_switch is attached');
my ($spin, $sleep) = (vh($j, 'spin.test'), vh($j, 'sleep.test'));
cmp_ok $spin->{cpu}{on_share}, '>', 0.9, "spinning: $spin->{cpu}{on_share} of the time on CPU";
cmp_ok 1 - $sleep->{cpu}{on_share}, '>', 0.9, sprintf('sleeping: %.4f of the time off CPU', 1 - $sleep->{cpu}{on_share});
is $spin->{cpu}{on_us}{count}, $N, 'one on-CPU sample per request';
is $sleep->{cpu}{off_us}{count}, $N, 'one off-CPU sample per request';
for my $v ($spin, $sleep) {
    my $sum = $v->{cpu}{on_us}{mean} + $v->{cpu}{off_us}{mean};
    ok within($sum, $v->{php_us}{mean}, 0.01), "$v->{name}: on + off ($sum us) = PHP time ($v->{php_us}{mean} us) within 1%";
}
my $page = instance_get($inst, '/server-bpf')->{content};
like $page, qr{<h2>On-CPU and off-CPU</h2>}, 'the page has the on/off-CPU table';
like $page, qr{CPU tracing: on &mdash; a BPF program runs on every context switch}, 'the banner says CPU tracing is on, and what it costs';
like instance_get($inst, '/server-bpf?auto')->{content}, qr/^CpuTracing: on$/m, '?auto: CpuTracing: on';
my $m = instance_get($inst, '/server-bpf?metrics')->{content};
my ($on) = $m =~ /^phpbpf_php_cpu_seconds_total\{vhost="spin\.test:\d+"\} ([\d.]+)$/m;
ok defined $on && within($on * 1e6, $spin->{cpu}{on_us}{mean} * $N, 0.01),
    sprintf('?metrics: spin.test on-CPU seconds %s = %d x the mean on the page', $on // 'missing', $N);
like $m, qr/^phpbpf_php_offcpu_seconds_total\{vhost="sleep\.test:\d+"\} 0\.[4-9]\d*$/m,
    '?metrics: sleep.test off-CPU seconds about 5 x 100 ms';
stop_instance($inst);
