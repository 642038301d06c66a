# 1,000 vhosts configured, traffic to 200 of them: exact per-vhost counts
# within the fixed map sizes; with a smaller PhpBpfMaxVhosts, the vhosts
# beyond it are counted together as (other), and the page says how many.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 8;

my $docs = topdir() . '/t/htdocs';
my $vhosts = join '', map { "<VirtualHost *>\n ServerName v$_.test\n DocumentRoot \"$docs\"\n</VirtualHost>\n" } 1 .. 1000;

for my $cap (1024, 512) {
    my $inst = start_instance(extra => "PhpBpfMaxVhosts $cap\n$vhosts");
    my $json = sub { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } };
    wait_until { my $p = $json->(); $p && $p->{tracing}{state} eq 'active' } 15;
    for my $v (map { $_ * 5 } 1 .. 200) {
        instance_get($inst, '/hello.php', Host => "v$v.test") for 1 .. 2;
    }
    my $j = wait_until {
        my $p = $json->();
        my $n = 0;
        $n += $_->{requests} for @{ $p->{vhosts} || [] };
        $n >= 400 ? $p : undef;
    } 10;
    my %v = map { ($_->{name} => $_) } @{ $j->{vhosts} };
    my $port = $inst->{port};
    if ($cap == 1024) {
        is $j->{apache}{vhosts_untracked}, 0, '1000 vhosts fit in 1024';
        is scalar(grep { /^v\d+\.test:/ } keys %v), 200, 'exactly the 200 with traffic are listed';
        is scalar(grep { $v{"v$_.test:$port"} && $v{"v$_.test:$port"}{requests} == 2
                         && $v{"v$_.test:$port"}{php_us}{count} == 2 } map { $_ * 5 } 1 .. 200), 200,
            'each has exactly 2 requests, on the Apache and the BPF side';
        ok !$v{'(other)'}, 'nothing went to (other)';
    }
    else {
        my $tracked = $cap - 1;     # index 0 is (other)
        is $j->{apache}{vhosts_untracked}, 1001 - $tracked, 'the vhosts beyond PhpBpfMaxVhosts are counted';
        my $listed = 0;
        $listed += $_->{requests} for grep { $_->{name} ne '(other)' } @{ $j->{vhosts} };
        is $listed + $v{'(other)'}{requests}, 400, 'every request is counted, in its vhost or in (other)';
        cmp_ok $v{'(other)'}{requests}, '>', 0, '(other) holds the untracked vhosts\' requests';
        like instance_get($inst, '/server-bpf')->{content}, qr/\d+ vhosts beyond PhpBpfMaxVhosts are counted as \(other\)/,
            'the page says so';
    }
    stop_instance($inst);
}
