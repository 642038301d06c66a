# The flame graph in a real browser: Debian's Chromium, headless, loads
# /server-bpf after a request that spent its time in Hot::crunch.  The
# graph must be in the DOM the browser built (so the page's own markup and
# script work without anything fetched from elsewhere), with the hot frame,
# and its screenshot must not be blank.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use File::Temp qw(tempdir);
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 6;

my $chromium = '/usr/bin/chromium';
ok -x $chromium, "Chromium is installed ($chromium)" or BAIL_OUT('chromium is in conf/debian-packages');

my $inst = start_instance(vhosts => ['hot.test']);
my $stopped;
END { stop_instance($inst) if $inst && !$stopped }
is instance_get($inst, '/stacks/hot.php', Host => 'hot.test')->{content}, 'hot', 'a hot request';
my $name = "hot.test:$inst->{port}";
wait_until {
    my $j = eval { decode_json(instance_get($inst, '/server-bpf?json')->{content}) };
    $j && grep { $_->{name} eq $name && $_->{profile} && $_->{profile}{samples} >= 20 } @{ $j->{vhosts} };
} 10;

# As the probe of this machine starts it: no network, no first-run work.
my $home = tempdir(CLEANUP => 1);
my @chrome = ($chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
              '--no-first-run', '--disable-background-networking', '--disable-component-update',
              '--disable-sync', "--user-data-dir=$home", '--window-size=1280,1600',
              '--virtual-time-budget=3000');
my $url = "http://127.0.0.1:$inst->{port}/server-bpf";
# The DOM as Chromium built it (after the page's script ran); its own
# complaints (no D-Bus here) go to /dev/null.
my $dom = do {
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>', '/dev/null';
        exec @chrome, '--dump-dom', $url or exit 127;
    }
    local $/;
    <$fh> // '';
};
like $dom, qr/<div class="fg">/, 'the flame graph is in the DOM';
like $dom, qr/<span [^>]*title="Hot::crunch: \d+ samples, [\d.]+%"[^>]*>Hot::crunch<\/span>/, 'with the hot frame';

sub quiet { my $pid = fork // die; if (!$pid) { open STDERR, '>', '/dev/null'; open STDOUT, '>', '/dev/null'; exec @_ or exit 127 } waitpid $pid, 0; $? }
quiet(@chrome, "--screenshot=$home/page.png", $url) == 0 or diag "chromium: $?";
system("cp", "$home/page.png", $ENV{PHPBPF_SCREENSHOT}) if $ENV{PHPBPF_SCREENSHOT};
quiet(@chrome, "--screenshot=$home/blank.png", 'about:blank') == 0 or diag "chromium: $?";
my ($page, $blank) = map { -s "$home/$_.png" // 0 } qw(page blank);
cmp_ok $page, '>', 0, "a screenshot ($page bytes)";
cmp_ok $page, '>', 5 * $blank, "not blank: $page bytes against $blank for an empty page of the same size";
stop_instance($inst);
$stopped = 1;
