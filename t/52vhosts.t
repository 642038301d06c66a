# A graceful restart that adds a vhost: the helper is told of the new
# generation, old vhosts keep their counters, the new one gets its own.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 6;

sub vhosts {
    my $port = shift;
    join '', map { "<VirtualHost *:$port>\n ServerName $_\n DocumentRoot \"" . topdir() . "/t/htdocs\"\n</VirtualHost>\n" } @_;
}

my $inst = start_instance();
my $port = $inst->{port};
# Rewrite the configuration with vhosts, as an operator would, and reload.
sub reconfigure {
    my @names = @_;
    open my $in, '<', $inst->{conf} or die;
    my $conf = join '', grep { !/^<VirtualHost|^ ServerName|^ DocumentRoot|^<\/VirtualHost/ } <$in>;
    close $in;
    open my $out, '>', $inst->{conf} or die;
    print $out $conf, vhosts($port, @names);
    close $out;
    open my $fh, '<', "$inst->{dir}/httpd.pid" or die;
    chomp(my $pid = <$fh>);
    kill 'USR1', $pid;
}
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }
sub count { my ($j, $n) = @_; (grep { $_->{name} eq "$n:$port" } @{ $j->{vhosts} })[0] }
sub hits { my ($host, $n) = @_; instance_get($inst, '/hello.php', Host => $host) for 1 .. $n }

reconfigure('c.test');
my $j0 = wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' && $j->{tracing}{generation} >= 1 ? $j : undef } 15;
ok $j0, 'graceful to a config with c.test';
hits('c.test', 4);
my $j1 = wait_until { my $j = json(); my $c = count($j, 'c.test'); $c && $c->{requests} == 4 ? $j : undef } 5;
ok $j1, 'c.test: 4 requests';

reconfigure('c.test', 'e.test');
my $j2 = wait_until { my $j = json(); $j && $j->{tracing}{generation} > $j1->{tracing}{generation} ? $j : undef } 15;
ok $j2 && $j2->{tracing}{helper_pid} == $j1->{tracing}{helper_pid}, 'graceful to add e.test kept the helper';
hits('e.test', 3);
my $j3 = wait_until { my $j = json(); my $e = count($j, 'e.test'); $e && $e->{requests} == 3 ? $j : undef } 5;
ok $j3, 'the new vhost e.test counts its own 3 requests';
is count($j3, 'e.test')->{php_us}{count}, 3, '... in BPF too';
is count($j3, 'c.test')->{requests}, 4, 'c.test kept its 4';
stop_instance($inst);
