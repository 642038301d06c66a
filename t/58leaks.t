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
use Time::HiRes qw(sleep);

my $N = 50;
plan tests => 7;

my $inst = start_instance();
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }
open my $fh, '<', "$inst->{dir}/httpd.pid" or die;
chomp(my $parent = <$fh>);
my $j0 = wait_until { my $p = json(); $p && $p->{tracing}{state} eq 'active' ? $p : undef } 10;
my $helper = $j0->{tracing}{helper_pid};

sub fds { my @f = glob "/proc/$_[0]/fd/*"; scalar @f }
sub helpers {
    my $n = 0;
    for my $p (glob '/proc/[0-9]*') {
        next unless (readlink("$p/exe") // '') =~ /phpbpf-helper/;
        open my $s, '<', "$p/stat" or next;     # it may be gone already
        $n++ if (split ' ', scalar <$s>)[3] == $parent;
    }
    return $n;
}
# The BPF programs and maps the helper holds, by id: the machine's own
# count moves with every other server's helper.
sub bpf_objects { join ' ', 'progs', bpf_prog_ids_of($_[0]), 'maps', bpf_map_ids_of($_[0]) }

my %before = (parent => fds($parent), helper => fds($helper), bpf => bpf_objects($helper));
for my $g (1 .. $N) {
    kill 'USR1', $parent;
    # A page may come without the helper's part (state and reason say
    # why): not this test's subject, but worth a line if it happens.
    wait_until {
        my $p = json();
        diag "generation $g: a page without the helper's snapshot: state $p->{tracing}{state}, "
             . "reason " . ($p->{tracing}{reason} // 'none') if $p && !defined $p->{tracing}{generation};
        $p && ($p->{tracing}{generation} // -1) >= $j0->{tracing}{generation} + $g
    } 10 or last;
}
my $j = json();
is $j->{tracing}{generation}, $j0->{tracing}{generation} + $N, "$N graceful restarts went through";
is $j->{tracing}{helper_pid}, $helper, 'the same helper throughout';
is helpers(), 1, 'one helper process';
is fds($parent), $before{parent}, 'no descriptor leaked in the httpd parent';
is fds($helper), $before{helper}, 'none in the helper';
is bpf_objects($helper), $before{bpf}, 'the same BPF programs and maps: none leaked';
is instance_get($inst, '/hello.php')->{content}, 'hello', 'PHP is still served';
stop_instance($inst);
