# With ErrorLog syslog there is no error log file to hand the helper; it
# must log to syslog itself and never block on a pipe nobody reads.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use IO::Socket::UNIX;
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 5;

my $inst = start_instance(extra => 'ErrorLog syslog:local7');
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }
my $j = wait_until { my $p = json(); $p && $p->{tracing}{state} eq 'active' ? $p : undef } 10;
ok $j, 'tracing is active with ErrorLog syslog';
my $pid = $j->{tracing}{helper_pid};
is readlink("/proc/$pid/fd/2"), '/dev/null', "the helper's stderr is /dev/null, not a pipe";
like do { local $/; open my $fh, '<', "/proc/$pid/cmdline"; <$fh> }, qr/--syslog/, 'it was told to use syslog';

# Far more log lines than a pipe holds (64 KB): each of these is refused
# with a (rate-limited) warning.
open my $fh, '<', "$inst->{dir}/httpd.pid" or die;
chomp(my $parent = <$fh>);
for my $i (1 .. 2000) {
    my $c = IO::Socket::UNIX->new(Peer => helper_socket($inst->{dir}, $parent), Type => SOCK_STREAM) or next;
    print $c 'x';
    shutdown $c, 1;
    local $/;
    my $reply = <$c>;
}
my $r = instance_get($inst, '/server-bpf?json');
is $r->{status}, 200, 'the helper still answers after 2000 refused requests';
is instance_get($inst, '/hello.php')->{content}, 'hello', 'PHP is served';
stop_instance($inst);
