# Kill the helper with SIGKILL while clients are being served: no client
# request fails, the page answers 503 while it is gone, and a new helper is
# back within seconds.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use Apache::TestRequest qw(GET);
use POSIX qw(_exit);
use Time::HiRes qw(sleep time);
use PhpBpfTest;

plan tests => 15;

my ($before) = page_json();
my ($start0) = GET('/server-bpf?metrics')->content =~ /^phpbpf_helper_start_time_seconds (\S+)$/m;
my $old = $before->{tracing}{helper_pid};
my $parent = httpd_parent_pid();
is helper_pid_of($parent), $old, 'the page names the helper that httpd started';
my $log_at = error_log_size();

# Clients in a child process, for 4 seconds; the exit code is the number
# of requests that did not get a 200.
my $kid = fork // die "fork: $!";
if (!$kid) {
    my ($n, $bad, $end) = (0, 0, time + 4);
    while (time < $end) {
        my $res = GET '/hello.php', Host => 'a.test';
        $n++;
        $bad++ unless $res->code == 200 && $res->content eq 'hello';
    }
    open my $fh, '>', Apache::Test::vars('t_logs') . '/40helper.count';
    print $fh "$n\n";
    _exit($bad > 250 ? 250 : $bad);
}

sleep 0.5;
ok kill('KILL', $old), "SIGKILL to helper pid $old";
my ($j, $res) = page_json();
is $res->code, 503, 'the page answers 503 while the helper is gone';
is $j && $j->{tracing}{state}, 'unavailable', '... and says tracing is unavailable';
like $j && $j->{tracing}{reason}, qr/helper/, '... because of the helper';
my $m = GET('/server-bpf?metrics');
ok $m->code == 200 && $m->content =~ /^phpbpf_helper_up 0$/m && $m->content !~ /phpbpf_php_duration_seconds/
   && $m->content =~ /^phpbpf_request_duration_seconds_count\{/m,
   '?metrics meanwhile: phpbpf_helper_up 0, the PHP-side families absent (not 0), Apache\'s there';

my $t0 = time;
my $back = wait_until { my ($p, $r) = page_json(); $r->code == 200 && $p->{tracing}{helper_pid} != $old ? $p : undef } 15;
ok $back, sprintf('a new helper answers after %.1fs', time - $t0);
like GET('/server-bpf?metrics')->content, qr/^phpbpf_helper_up 1$/m, '?metrics: phpbpf_helper_up 1 again';
cmp_ok time - $t0, '<', 10, 'within 10 seconds';
is $back && $back->{tracing}{helper_restarts}, $before->{tracing}{helper_restarts} + 1, 'the restart is counted';

waitpid $kid, 0;
is $? >> 8, 0, 'no client request failed while the helper was killed and restarted';
like error_log_since($log_at), qr/mod_phpbpf: helper pid $old died/, 'the death is in the error log';
my $settled = wait_until {
    my ($p) = page_json();
    vhost_entry($p, vname('a.test'))->{requests} == scalar(access_log_php('a.test')) ? $p : undef;
} 5;
ok $settled, 'Apache-side counts equal the access log exactly, helper restart or not';
my $a = vhost_entry($back, vname('a.test'));
cmp_ok $a->{php_us}{count}, '>=', vhost_entry($before, vname('a.test'))->{php_us}{count},
    'PHP counts went on from where they were (t/41carry.t counts them exactly)';
my ($start1) = GET('/server-bpf?metrics')->content =~ /^phpbpf_helper_start_time_seconds (\S+)$/m;
cmp_ok $start1, '>', $start0, 'phpbpf_helper_start_time_seconds says a new helper runs';
