# httpd the way a container runs it: pid 1 of a pid namespace of its own,
# in the foreground (unshare --pid --fork --mount-proc apache2 -DFOREGROUND).
# httpd and its helper see the namespace's pids; task_struct, where the BPF
# programs read the parent's pid, has the kernel's.  Counts must still be
# exact against the access log, the slow log must still be joined with
# Apache's record (by pid, as Apache has it), and a second httpd outside the
# namespace, on the same libphp, must see only its own requests.  In a user
# namespace too (a rootless container) the kernel loads no BPF: the page
# must say why, at once, and PHP must still be served.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 19;

my %n = ('a1.test' => 7, 'a2.test' => 5, 'b1.test' => 4);
my $in = start_instance_ns(vhosts => [qw(a1.test a2.test)], access_log => 1,
                           extra => 'PhpBpfSlowThreshold 50ms');
my $out = start_instance(vhosts => [qw(b1.test)], access_log => 1);
my @all = ($in, $out);
END { local $?; stop_instance($_) for grep { $_ } @all }   # $?: the test's own

sub json { my ($i, $h) = @_; my $r = instance_get($i, '/server-bpf?json', $h ? (Host => $h) : ());
           eval { decode_json($r->{content}) } }
sub vh { my ($j, $i, $h) = @_; my ($v) = grep { $_->{name} eq "$h:$i->{port}" } @{ $j->{vhosts} // [] }; $v // {} }
# Apache's own count of PHP requests per vhost (the access log's %v).
sub logged {
    my ($i) = @_;
    my %c;
    open my $fh, '<', "$i->{dir}/access_log" or return {};
    while (<$fh>) { $c{$1}++ if /^(\S+) \d+ \d{3} "GET \S+\.php/ }
    return \%c;
}

my $j = wait_until { my $j = json($in); $j && $j->{tracing}{state} eq 'active' ? $j : undef } 10;
ok $j, 'tracing is active inside the pid namespace'
    or diag `cat $in->{error_log}`;
is $j && $j->{tracing}{helper_pid} < 100 ? 'ns' : 'host', 'ns', 'the helper reports its pid as the namespace has it';
my $log = do { local $/; open my $fh, '<', $in->{error_log}; <$fh> // '' };
like $log, qr/httpd pid 1 is pid (\d+) outside its pid namespace/, 'the error log says what httpd\'s pid is outside';
my ($host) = $log =~ /httpd pid 1 is pid (\d+) outside/;
is $host // 0, $in->{host_pid}, 'and it is the host pid of httpd';
ok((wait_until { my $j = json($out); $j && $j->{tracing}{state} eq 'active' } 10), 'the httpd outside traces too');

for my $h (sort keys %n) {
    my $i = $h =~ /^a/ ? $in : $out;
    instance_get($i, '/hello.php', Host => $h) for 1 .. $n{$h};
}
my $slow = instance_get($in, '/waits/sleep.php', Host => 'a1.test');
is $slow->{status}, 200, 'a slow request (usleep 100 ms) inside';

my ($ji, $jo) = map { my $i = $_; wait_until { my $j = json($i); $j } 5 } $in, $out;
my ($li, $lo) = (logged($in), logged($out));
for my $h (qw(a1.test a2.test)) {
    my $v = vh($ji, $in, $h);
    is $v->{requests}, $li->{$h}, "inside: $h requests equal the access log ($li->{$h})";
    is $v->{php_us}{count}, $v->{requests}, "inside: $h PHP requests traced, every one";
}
my $b = vh($jo, $out, 'b1.test');
is $b->{requests}, $lo->{'b1.test'}, "outside: b1.test requests equal its access log ($lo->{'b1.test'})";
is $b->{php_us}{count}, $b->{requests}, 'outside: every one traced';
my $sum = sub { my ($j) = @_; my $s = 0; $s += $_->{php_us}{count} for @{ $j->{vhosts} }; $s };
is $sum->($jo), $n{'b1.test'}, 'outside: no request from inside counted';
is $sum->($ji), $n{'a1.test'} + $n{'a2.test'} + 1, 'inside: no request from outside counted';
cmp_ok $ji->{tracing}{counters}{foreign}, '>=', 2 * $n{'b1.test'}, 'inside: the other httpd\'s probe hits were seen and turned away';
my ($e) = grep { $_->{uri} eq '/waits/sleep.php' } @{ $ji->{slow}{requests} // [] };
ok $e && defined $e->{status} && $e->{status} == 200 && ($e->{apache_us} // 0) >= 100000,
    'the slow request is joined with Apache\'s record of it (its pid as Apache has it)'
    or diag explain $e;

# ---- a user namespace: no BPF, a clear reason, PHP served
my $user = start_instance_ns(userns => 1);
push @all, $user;
my $ju = wait_until { my $j = json($user); $j && ($j->{tracing}{reason} // '') =~ /namespace/ ? $j : undef } 10;
like $ju ? $ju->{tracing}{reason} : '', qr/user namespace.*CAP_BPF/,
    'in a user namespace: the page says BPF needs capabilities in the host\'s' or diag explain $ju;
is instance_get($user, '/hello.php')->{content}, 'hello', 'PHP is served';
my $ulog = do { local $/; open my $fh, '<', $user->{error_log}; <$fh> // '' };
my @lines = $ulog =~ /^.*CAP_PERFMON.*$/mg;
is scalar(@lines), 1, 'the error log has the reason once' or diag $ulog;
