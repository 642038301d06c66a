# Kernel support missing, simulated: httpd starts in a mount namespace
# where /sys/kernel/btf is an empty tmpfs, so the helper finds no BTF.
# Apache serves PHP normally, with a clear banner and error_log line.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 5;

my $inst = write_instance();
my $cmd = "mount -t tmpfs none /sys/kernel/btf && exec /usr/sbin/apache2 -f $inst->{conf} -k start";
system('unshare', '--mount', '--propagation', 'private', 'sh', '-c', $cmd) == 0
    or BAIL_OUT("cannot start httpd in a mount namespace");
my $j = wait_until {
    my $r = instance_get($inst, '/server-bpf?json');
    my $p = eval { decode_json($r->{content}) };
    $r->{status} == 200 && $p && $p->{tracing}{state} eq 'unavailable' ? $p : undef;
} 15;
is $j && $j->{tracing}{state}, 'unavailable', 'tracing is unavailable';
like $j && $j->{tracing}{reason}, qr/no BTF/, 'because the kernel exposes no BTF';
like instance_get($inst, '/server-bpf')->{content}, qr/Tracing: unavailable<\/b> &mdash; the kernel exposes no BTF/,
    'the banner says so';
is instance_get($inst, '/hello.php')->{content}, 'hello', 'PHP is served';
like error_log_since(0, $inst->{error_log}), qr/phpbpf-helper: tracing unavailable: the kernel exposes no BTF/,
    'one clear line in the error_log';
stop_instance($inst);
