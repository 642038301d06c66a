# Exact per-vhost counts, and percentiles checked against Apache's own
# access log (%D), for two name-based vhosts serving PHP of known latency.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use Apache::TestRequest qw(GET);
use PhpBpfTest;

plan tests => 24;

my $K = 40;
my %script = ('a.test' => '/sleep20.php', 'b.test' => '/sleep2.php');
my %floor_us = ('a.test' => 20000, 'b.test' => 2000);

my ($before) = page_json();
ok $before, 'JSON page parses before the traffic';
is $before->{tracing}{state}, 'active', 'tracing is active'
    or diag explain $before->{tracing};

for my $i (1 .. $K) {
    for my $h (sort keys %script) {
        my $res = GET $script{$h}, Host => $h;
        die "$h $script{$h}: " . $res->code unless $res->code == 200;
    }
}

# log_transaction runs after the client has its response: wait for the
# last one to land, then demand exactness.
my $after = wait_until {
    my ($j) = page_json();
    my $ok = $j && !grep {
        vhost_entry($j, vname($_))->{requests} != vhost_entry($before, vname($_))->{requests} + $K
    } keys %script;
    $ok ? $j : undef;
} 5;
ok $after, 'page settled after the traffic';

for my $h (sort keys %script) {
    my $b = vhost_entry($before, vname($h));
    my $a = vhost_entry($after, vname($h));
    is $a->{requests} - $b->{requests}, $K, "$h: exactly $K more requests";
    is $a->{php_us}{count} - $b->{php_us}{count}, $K, "$h: exactly $K more PHP executions from BPF";
    is $a->{php_us}{count}, $a->{requests}, "$h: BPF and Apache agree on the total";
    is $a->{status}{'2xx'} - $b->{status}{'2xx'}, $K, "$h: all $K counted as 2xx";

    # The same population as the access log: every PHP request of the vhost.
    my @d = access_log_php($h);
    is scalar(@d), $a->{requests}, "$h: request count equals the access log's";
    my $med = median(@d);
    ok within($a->{latency_us}{p50}, $med, 0.032),
        "$h: Apache p50 $a->{latency_us}{p50} us within 3.2% of the access log's median $med us";
    cmp_ok $a->{php_us}{p50}, '>=', $floor_us{$h} * 0.968, "$h: PHP p50 $a->{php_us}{p50} us >= the script's sleep";
    cmp_ok $a->{php_us}{p50}, '<=', $a->{latency_us}{p50} * 1.032, "$h: PHP p50 <= Apache p50";
    cmp_ok $a->{php_us}{max}, '<=', $a->{latency_us}{max}, "$h: PHP max <= Apache max";
}

# Status classes, exactly: one vhost, known statuses.
my %want = ('/status500.php' => '5xx', '/notfound404.php' => '4xx', '/redirect302.php' => '3xx');
my ($b2) = page_json();
for my $p (sort keys %want) {
    for my $n (1 .. 3) { GET($p, Host => "b.test", redirect_ok => 0) }
}
my $a2 = wait_until {
    my ($j) = page_json();
    vhost_entry($j, vname('b.test'))->{requests} == vhost_entry($b2, vname('b.test'))->{requests} + 9 ? $j : undef;
} 5;
for my $p (sort keys %want) {
    my $c = $want{$p};
    is vhost_entry($a2, vname('b.test'))->{status}{$c} - vhost_entry($b2, vname('b.test'))->{status}{$c}, 3,
        "b.test: 3 more $c from $p";
}
