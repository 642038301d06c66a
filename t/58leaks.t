# Many graceful restarts leak nothing: one helper, the same BPF objects,
# and the same descriptors in the parent and in the helper.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

my $N = 50;
plan tests => 7;

my $inst = start_instance();
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }
open my $fh, '<', "$inst->{dir}/httpd.pid" or die;
chomp(my $parent = <$fh>);
my $j0 = wait_until { my $p = json(); $p && $p->{tracing}{state} eq 'active' ? $p : undef } 10;
my $helper = $j0->{tracing}{helper_pid};

sub fds { my @f = glob "/proc/$_[0]/fd/*"; scalar @f }
sub helpers { scalar grep { (readlink("$_/exe") // '') =~ /phpbpf-helper/ && (split ' ', do { local $/; open my $s, '<', "$_/stat"; <$s> })[3] == $parent } glob '/proc/[0-9]*' }
sub bpf_objects { my $n = 0; $n += @{ decode_json(`bpftool -j $_ show`) } for qw(prog map); $n }

my %before = (parent => fds($parent), helper => fds($helper), bpf => bpf_objects());
for my $g (1 .. $N) {
    kill 'USR1', $parent;
    wait_until { my $p = json(); $p && $p->{tracing}{generation} >= $j0->{tracing}{generation} + $g } 10
        or last;
}
my $j = json();
is $j->{tracing}{generation}, $j0->{tracing}{generation} + $N, "$N graceful restarts went through";
is $j->{tracing}{helper_pid}, $helper, 'the same helper throughout';
is helpers(), 1, 'one helper process';
is fds($parent), $before{parent}, 'no descriptor leaked in the httpd parent';
is fds($helper), $before{helper}, 'none in the helper';
is bpf_objects(), $before{bpf}, 'no BPF program or map leaked';
is instance_get($inst, '/hello.php')->{content}, 'hello', 'PHP is still served';
stop_instance($inst);
