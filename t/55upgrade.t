# The uprobes live on libphp's inode.  When a package upgrade replaces the
# file, a restart must attach to the new one, or PHP goes untraced.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 16;

my $libphp = '/usr/lib/apache2/modules/libphp8.2.so';
my $copy = Apache::Test::vars('t_logs') . '/libphp-upgrade.so';
system('cp', $libphp, $copy) == 0 or die 'cp';
my $inst = start_instance(libphp => $copy);

sub json { decode_json(instance_get($inst, '/server-bpf?json')->{content}) }
sub hello { for my $i (1 .. 5) { instance_get($inst, '/hello.php')->{status} == 200 or die 'hello' } }
sub requests { my $j = shift; my $n = 0; $n += $_->{requests} for @{ $j->{vhosts} }; $n }
sub php { my $j = shift; my $n = 0; $n += $_->{php_us}{count} for @{ $j->{vhosts} }; $n }

my $j0 = wait_until { my $j = json(); $j->{tracing}{state} eq 'active' ? $j : undef } 10;
is $j0->{tracing}{library}, $copy, 'attached to the libphp mod_php was loaded from';
hello();
my $j1 = wait_until { my $j = json(); requests($j) == 5 ? $j : undef } 5;
is php($j1), 5, '5 PHP requests traced before the upgrade';

# What dpkg does: a new file renamed over the old one.
system('cp', $libphp, "$copy.new") == 0 && rename("$copy.new", $copy) or die 'replace';
my $at = error_log_size($inst->{error_log});
open my $fh, '<', "$inst->{dir}/httpd.pid" or die;
chomp(my $parent = <$fh>);
kill 'HUP', $parent;

# httpd cannot unload libphp, so after a restart the children still run
# the old, deleted file: tracing must stay on that one.
my $j2 = wait_until {
    my $j = eval { json() };
    $j && $j->{tracing}{state} eq 'active' && $j->{tracing}{generation} > $j1->{tracing}{generation} ? $j : undef;
} 15;
ok $j2, 'tracing is active in the new generation';
is $j2 && $j2->{tracing}{helper_pid}, $j1->{tracing}{helper_pid}, 'the helper was kept: the running libphp did not change';
like $j2 && $j2->{tracing}{library}, qr/\Q$copy\E \(replaced on disk since httpd started/,
    'the page says the file on disk is not the one running';
unlike error_log_since($at, $inst->{error_log}), qr/restarting the helper/, 'no helper restart was logged';

hello();
my $j3 = wait_until { my $j = json(); requests($j) == 10 ? $j : undef } 5;
ok $j3, 'Apache counted all 10 requests across the restart';
is php($j3), 10, 'and all 10 were traced: the probes are on the file PHP really runs';
is $j3->{tracing}{counters}{foreign}, 0, 'none of them was taken for another process';

# A helper respawned now must find the old file too: the path names the new one.
kill 'KILL', $j3->{tracing}{helper_pid};
my $j6 = wait_until {
    my $j = eval { json() };
    $j && $j->{tracing}{state} eq 'active' && $j->{tracing}{helper_pid} != $j3->{tracing}{helper_pid} ? $j : undef;
} 15;
ok $j6, 'a killed helper is replaced';
hello();
my $j7 = wait_until { my $j = json(); requests($j) == 15 ? $j : undef } 5;
is $j7 && php($j7), 15, 'the respawned helper traces the running (deleted) libphp, and its counts go on';
stop_instance($inst);

# A full stop and start runs, and traces, the new file.
$inst = start_instance(libphp => $copy);
my $j4 = wait_until { my $j = eval { json() }; $j && $j->{tracing}{state} eq 'active' ? $j : undef } 10;
is $j4 && $j4->{tracing}{library}, $copy, 'after a stop and start, the new file is traced under its name';
hello();
my $j5 = wait_until { my $j = json(); requests($j) == 5 ? $j : undef } 5;
is $j5 && php($j5), 5, 'and its requests are traced';
# Its own programs, by id: another server's helper may load and unload
# programs of the same names meanwhile.
my @progs = bpf_prog_ids_of($j5->{tracing}{helper_pid});
stop_instance($inst);
ok !kill(0, $j5->{tracing}{helper_pid}), 'stopping httpd stopped the helper';
is_deeply [glob "$inst->{dir}/phpbpf.*"], [], 'and removed its socket and its directory';
my $gone = wait_until { bpf_progs_alive(@progs) == 0 } 5;
ok @progs && $gone, 'and none of its ' . scalar(@progs) . ' BPF programs (so no uprobe) is left';
unlink $copy;
