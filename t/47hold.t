# Any PHP script runs as the server's User in a child of this httpd, so it
# passes the helper's peer check.  One that opens 200 connections to the
# helper and holds them for 20 s must not hold the helper: meanwhile the
# page and ?metrics answer 200 within 500 ms, every time.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use Apache::TestRequest qw(GET);
use LWP::UserAgent;
use POSIX qw(_exit);
use Time::HiRes qw(time sleep);
use PhpBpfTest;

plan tests => 6;

my $parent = httpd_parent_pid();
my $sock = helper_socket(Apache::Test::vars('t_logs'), $parent);
my $hostport = Apache::TestRequest::hostport();
my $at = error_log_size();

pipe(my $r, my $w) or die;
my $kid = fork // die;
if (!$kid) {
    close $r;
    my $ua = LWP::UserAgent->new(timeout => 40);
    my $res = $ua->get("http://$hostport/hold.php?n=200&s=20&sock=$sock");
    print $w $res->code, ' ', $res->decoded_content // '';
    close $w;
    _exit(0);
}
close $w;
sleep 2;                        # the script has opened its connections

my ($n, $slow, $bad, $worst) = (0, 0, 0, 0);
my $end = time + 15;
while (time < $end) {
    for my $path ('/server-bpf', '/server-bpf?metrics') {
        my $t = time;
        my $res = GET($path);
        my $took = time - $t;
        $n++;
        $bad++ unless $res->code == 200;
        $slow++ if $took > 0.5;
        $worst = $took if $took > $worst;
    }
    sleep 0.2;
}
cmp_ok $n, '>=', 40, "$n page and ?metrics requests while the script held its connections";
is $bad, 0, 'every one answered 200';
is $slow, 0, sprintf('every one within 500 ms (the slowest took %.0f ms)', $worst * 1000);
my $got = do { local $/; <$r> };
waitpid $kid, 0;
like $got, qr/^200 200$/m, 'the script held all 200 connections for 20 s' or diag $got;
like error_log_since($at), qr/refused a connection from pid \d+: it holds 4 already/,
    'the helper refused its connections beyond 4, and said so';
is GET('/hello.php')->content, 'hello', 'PHP is served';
