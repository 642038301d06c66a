# 60 s of load on two vhosts while the helper is SIGKILLed 5 times and
# httpd is gracefully restarted 5 times: no client error, the helper comes
# back every time, and the Apache-side counts equal the access log exactly.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use Apache::TestRequest qw(GET);
use Time::HiRes qw(sleep time);
use PhpBpfTest;

plan tests => 9;

my $port = Apache::Test::vars('port');
my $logs = Apache::Test::vars('t_logs');
my $parent = httpd_parent_pid();
my ($j0) = page_json();

my @wrk;
for my $h (qw(a.test b.test)) {
    my $pid = fork // die;
    if (!$pid) {
        open STDOUT, '>', "$logs/96faults-$h.wrk";
        # Connection: close: a graceful restart closes idle keep-alive
        # connections, and a client racing it sees a reset -- httpd's
        # behaviour with or without this module, and not what is tested.
        exec 'wrk', '-t1', '-c4', '-d60s', '-H', "Host: $h", '-H', 'Connection: close',
             "http://127.0.0.1:$port/sleep2.php";
    }
    push @wrk, $pid;
}

my ($kills, $backs, $gracefuls) = (0, 0, 0);
my $t0 = time;
for my $i (1 .. 5) {
    sleep 5;
    my ($j) = page_json();
    my $helper = $j && $j->{tracing}{helper_pid};
    $kills++ if $helper && kill 'KILL', $helper;
    # back within the backoff (1, 2, 4, 8, 16 s when it keeps dying) + start
    my $back = wait_until { my ($p, $r) = page_json(); $r->code == 200 && $p->{tracing}{helper_pid} != $helper } 40;
    $backs++ if $back;
    $gracefuls++ if kill 'USR1', $parent;
    sleep 1;
}
waitpid $_, 0 for @wrk;

is $kills, 5, 'the helper was SIGKILLed 5 times';
is $backs, 5, 'and came back each time';
is $gracefuls, 5, 'httpd was gracefully restarted 5 times';
for my $h (qw(a.test b.test)) {
    my $out = do { local $/; open my $fh, '<', "$logs/96faults-$h.wrk" or die; <$fh> };
    my ($n) = $out =~ /(\d+) requests in/;
    ok $n && $out !~ /Socket errors|Non-2xx/, "$h: $n requests, no socket error, no non-2xx response"
        or diag $out;
}
my ($j1, $res) = page_json();
is $res->code, 200, 'the page works';
is $j1->{tracing}{helper_restarts} - $j0->{tracing}{helper_restarts}, 5, 'the page counts 5 helper restarts';
my $settled = wait_until {
    my ($p) = page_json();
    my $ok = grep { vhost_entry($p, vname($_))->{requests} == scalar(access_log_php($_)) } qw(a.test b.test);
    $ok == 2 ? $p : undef;
} 10;
ok $settled, 'per-vhost Apache-side counts equal the access log exactly, through kills and gracefuls';
my $a = vhost_entry($j1, vname('a.test'));
cmp_ok $a->{php_us}{count}, '<=', $a->{requests}, 'PHP-side counts never above Apache\'s';
