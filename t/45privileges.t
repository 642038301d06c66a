# What the running helper keeps: no capabilities, an environment of PATH
# only, the descriptors it needs, and a socket only the server's User can
# open.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use Apache::TestRequest qw(GET);
use IO::Socket::UNIX;
use POSIX qw(_exit setuid setgid);
use PhpBpfTest;

plan tests => 21;

my $parent = httpd_parent_pid();
my $pid = helper_pid_of($parent);
ok $pid, "helper pid $pid runs under httpd $parent";

my %st = do {
    open my $fh, '<', "/proc/$pid/status" or die;
    map { /^(\w+):\s*(.*)$/ ? ($1, $2) : () } <$fh>;
};
is $st{$_}, '0000000000000000', "$_ is empty" for qw(CapEff CapPrm CapInh CapBnd CapAmb);
is $st{NoNewPrivs}, 1, 'no_new_privs is set';
my $nobody = getpwnam('nobody');
is $st{Uid}, join("\t", ($nobody) x 4), 'runs as nobody, not root and not the server User';

my $env = do { open my $fh, '<', "/proc/$pid/environ" or die; local $/; <$fh> };
# php-fpm's nonce came there too, and the helper cleared its text once read.
(my $shown = $env) =~ s/\0+\z//;
is $shown, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", 'the environment is PATH only (the nonce cleared)';

# Every descriptor is a pipe to httpd, the error log, a BPF object (perf
# events of the stack sampler among them), the listening socket, the
# signalfd, the ring buffers' epoll or the backtrace timer; nothing
# inherited from httpd.
my @odd;
for my $fd (glob "/proc/$pid/fd/*") {
    my $t = readlink($fd) // next;
    push @odd, "$fd -> $t" unless $t =~ m{^(pipe:|socket:|anon_inode:(bpf|\[perf_event\]|btf|\[signalfd\]|\[eventpoll\]|\[timerfd\]))}
        || $t eq Apache::Test::vars('t_logs') . '/error_log';
}
is_deeply \@odd, [], 'no unexpected descriptors';
my $sockets = grep { (readlink($_) // '') =~ /^socket:/ } glob "/proc/$pid/fd/*";
# The one it listens on, and the two ends of the httpd parent's mailbox
# through which the next helper takes its maps over (helper/carry.h).
is $sockets, 3, 'three sockets: the one it listens on and the mailbox\'s two ends';
# The mailbox holds the BPF maps' descriptors: no child (PHP code) may.
my %helper_socks = map { (readlink($_) // '') =~ /^socket:\[(\d+)\]/ ? ($1 => 1) : () } glob "/proc/$pid/fd/*";
my @leaky;
for my $child (split ' ', `pgrep -P $parent -x apache2`) {
    push @leaky, $child if grep { (readlink($_) // '') =~ /^socket:\[(\d+)\]/ && $helper_socks{$1} } glob "/proc/$child/fd/*";
}
is_deeply \@leaky, [], 'no httpd child holds the mailbox (or any socket of the helper)';

my $sock = helper_socket(Apache::Test::vars('t_logs'), $parent);
my @s = stat $sock;
is sprintf('%o', $s[2] & 07777), '600', 'the socket is mode 0600';
is scalar(getpwuid($s[4])), 'www-data', 'owned by the server User';
my @d = lstat(Apache::Test::vars('t_logs') . "/phpbpf.$parent");
ok -d _ && $d[4] == 0 && ($d[2] & 07777) == 0711, "in a directory of root's, mode 0711, that only root can write";

# Another unprivileged user cannot connect.
my $kid = fork // die;
if (!$kid) {
    my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
    setgid($gid); setuid($uid);
    my $c = IO::Socket::UNIX->new(Peer => $sock, Type => SOCK_STREAM);
    _exit($c ? 1 : 0);
}
waitpid $kid, 0;
is $? >> 8, 0, 'user nobody cannot connect to the socket';

# Malformed requests get an error reply, and the helper keeps serving.
for my $case (['short', 'abc'], ['oversized', 'x' x 4096], ['bad magic', pack('L4', 1, 1, 1, $parent)],
              ['another server', pack('L4', 0x31514250, 1, 1, $parent + 1)]) {
    my ($what, $bytes) = @$case;
    my $c = IO::Socket::UNIX->new(Peer => $sock, Type => SOCK_STREAM) or die "connect: $!";
    print $c $bytes;
    shutdown $c, 1;
    local $/;
    my $reply = <$c> // '';
    my ($magic, $ver, $status) = unpack 'L3', $reply;
    ok defined $status && $magic == 0x31534250 && $status != 0, "a $what request gets an error reply";
}
is GET('/server-bpf?json')->code, 200, 'the helper still answers the page';
