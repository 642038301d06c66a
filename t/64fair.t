# The tables are fair between vhosts and describe recent traffic.
#
#   vhost A floods 5,000 distinct exception classes, some 40,000
#   distinct stacks (the stack table holds 16,384) and 5,000 distinct
#   call sites of waits (4,096 a period): vhost B's new class, its samples
#   and its call site still show, and B loses nothing;
#   after that, a new hot function of A shows at once, with at least 80%
#   of its samples, though A's flood filled the table;
#   with PhpBpfWindow 20s (periods of 10 s), the flood's stacks are gone
#   once two periods have passed without them, and the page says what
#   period it shows;
#   the helper stays under 32 MB throughout: its own memory (RssAnon; its
#   RSS also counts its mappings of the BPF maps, fixed at start by
#   PhpBpfMaxVhosts and the modes: 12 MB more here, with CPU tracing).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use POSIX qw(_exit);
use Time::HiRes qw(sleep time);
use PhpBpfTest;

plan tests => 21;

my @vh = qw(a.test b.test);
my $inst = start_instance(vhosts => \@vh,
                          extra => "PhpBpfProfileHz 999\nPhpBpfWindow 20s\nMaxRequestWorkers 6\n"
                                 . "PhpBpfCpuTracing On\n");
END { stop_instance($inst) if $inst }
my $port = $inst->{port};
sub name { "$_[0]:$port" }
sub json { my $r = instance_get($inst, '/server-bpf?json', Host => 'a.test'); eval { decode_json($r->{content}) } }
sub entry { my ($j, $v) = @_; (grep { $_->{name} eq name($v) } @{ $j->{vhosts} })[0] // {} }
sub folded { instance_get($inst, '/server-bpf?profile=' . name($_[0]), Host => 'a.test')->{content} }
# Samples of the stacks of a vhost's folded profile matching $re.
sub samples_of {
    my ($v, $re) = @_;
    my $n = 0;
    for (split /\n/, folded($v)) {
        $n += $1 if /$re/ && / (\d+)$/;
    }
    return $n;
}
sub rss_kb {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/status" or return 0;
    my %m = map { /^(\w+):\s+(\d+) kB/ ? ($1 => $2) : () } <$fh>;
    note "helper $pid: VmRSS $m{VmRSS} kB = its own $m{RssAnon} + maps and files $m{RssFile} + shmem $m{RssShmem}";
    return $m{RssAnon} // 0;
}
# Requests in the background; their pids.
sub bg {
    my ($v, $path) = @_;
    my $pid = fork // die;
    if (!$pid) { local $PhpBpfTest::TIMEOUT = 60; instance_get($inst, $path, Host => $v); _exit(0) }
    return $pid;
}

my $j0 = wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' ? $j : undef } 10;
my $helper = $j0->{tracing}{helper_pid};
is $j0->{tracing}{window}{seconds}, 20, 'PhpBpfWindow 20s reaches the helper';

# ---- A floods classes and stacks
is instance_get($inst, '/flood.php?n=5000', Host => 'a.test')->{content}, 'flooded 5000',
   'A throws 5000 distinct classes';
is instance_get($inst, '/fair/sites.php?n=5000', Host => 'a.test')->{content}, "waited 5000\n",
   'A waits at 5000 distinct call sites';
my @flood = (bg('a.test', '/fair/stackflood.php?d=17&o=0&n=40000&spin=50000'),
             bg('a.test', '/fair/stackflood.php?d=17&o=40000&n=40000&spin=50000'));
sleep 3;
# B, meanwhile: a class no one else throws, a wait, and a hot function.
is instance_get($inst, '/fair/newclass.php', Host => 'b.test')->{content}, "thrown\n", 'B throws NewBClass';
instance_get($inst, '/waits/sleep.php', Host => 'b.test');
my $b0 = entry(json(), 'b.test')->{samples} // 0;
instance_get($inst, '/fair/hot.php?s=2', Host => 'b.test');
waitpid $_, 0 for @flood;

my $j1 = json();
# The table overflows when the samples of two periods reach more distinct
# stacks than it holds: at 999 Hz on two CPUs about 40,000, but a slower
# machine samples less of the flood.  Flood on (other paths) until it did.
for my $more (1 .. 3) {
    last if (entry($j1, 'a.test')->{not_kept}{stacks} // 0) > 0;
    diag "no overflow yet: A has " . (entry($j1, 'a.test')->{samples} // 0) . " samples, "
       . "stacks " . JSON::PP->new->canonical->encode($j1->{stacks} // {}) . "; flooding more ($more)";
    my @more = map { bg('a.test', "/fair/stackflood.php?d=17&o=" . (80000 + 25000 * $_) . "&n=25000&spin=50000") } 0, 1;
    waitpid $_, 0 for @more;
    $j1 = json();
}
my ($cls) = grep { $_->{class} eq 'NewBClass' } @{ $j1->{exceptions}{classes} };
ok $cls && $cls->{vhost} eq name('b.test') && $cls->{thrown} == 1,
   "B's new class is listed, for B, once, beside A's flood";
my $a_lines = () = folded('a.test') =~ /\n/g;
cmp_ok entry($j1, 'a.test')->{not_kept}{stacks}, '>', 0,
    "A's stacks overflowed the table ($a_lines kept; the rest counted as not kept for A)";
my $b_samples = entry($j1, 'b.test')->{samples} - $b0;
my $b_hot = samples_of('b.test', qr/Hot2::crunch/);
cmp_ok $b_hot, '>=', 0.9 * $b_samples, "B's samples are all there: $b_hot of $b_samples in Hot2::crunch";
is entry($j1, 'b.test')->{not_kept}{stacks}, 0, 'B lost none';
is entry($j1, 'b.test')->{not_kept}{classes}, 0, 'B lost no class';
cmp_ok entry($j1, 'a.test')->{not_kept}{wait_sites}, '>', 0,
    "A's call sites went beyond its share (" . entry($j1, 'a.test')->{not_kept}{wait_sites} . ' waits not kept)';
my ($site) = grep { $_->{function} eq 'usleep' || $_->{file} =~ m{/waits/sleep\.php$} } @{ entry($j1, 'b.test')->{wait_sites} // [] };
ok $site && $site->{line} == 3 && $site->{count} >= 1, "B's call site (sleep.php:3) is kept beside A's flood"
    or diag explain entry($j1, 'b.test')->{wait_sites};
is entry($j1, 'b.test')->{not_kept}{wait_sites}, 0, 'B lost no call site';
cmp_ok rss_kb($helper), '<', 32 * 1024, sprintf('the helper\'s own memory stays under 32 MB (%.1f MB)', rss_kb($helper) / 1024);

# ---- a new hot function of A, in the full table
my $a0 = entry(json(), 'a.test')->{samples};
instance_get($inst, '/fair/hot.php?s=6', Host => 'a.test');
my $j2 = json();
my $a_samples = entry($j2, 'a.test')->{samples} - $a0;
my $a_hot = samples_of('a.test', qr/Hot2::crunch/);
cmp_ok $a_samples, '>', 1000, "A's hot function was sampled ($a_samples samples)";
cmp_ok $a_hot, '>=', 0.8 * $a_samples, sprintf("it shows at once with %.0f%% of them, though A's flood filled the table",
                                               100 * $a_hot / ($a_samples || 1));

# ---- two periods on, the flood is gone
my @hot = map { bg('a.test', '/fair/hot.php?s=25') } 1 .. 1;
my $gone = wait_until { folded('a.test') !~ /;step;/ } 40;
waitpid $_, 0 for @hot;
ok $gone, "two periods after A's flood, its stacks are gone from A's profile";
like folded('a.test'), qr/Hot2::crunch/, 'and what A runs now is there';
my $html = instance_get($inst, '/server-bpf', Host => 'a.test')->{content};
like $html, qr/below are of the last \d+s \(since \d\d:\d\d:\d\d\)/, 'the page says what period the profile covers';
cmp_ok rss_kb($helper), '<', 32 * 1024, sprintf('the helper\'s own memory is still under 32 MB (%.1f MB)', rss_kb($helper) / 1024);

# What the tables could not keep outlives the helper, as every counter.
my $before = json();
my $lost = sub { my $m = instance_get($inst, '/server-bpf?metrics', Host => 'a.test')->{content};
                 [ $m =~ /^phpbpf_map_overflows_total\{map="exception_classes"\} (\d+)$/m,
                   $m =~ /^phpbpf_profile_samples_lost_total\{reason="table_full"\} (\d+)$/m ] };
my $m0 = $lost->();
kill 'KILL', $helper;
my $after = wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' && $j->{tracing}{helper_pid} != $helper ? $j : undef } 20;
is_deeply [ map { entry($after, 'a.test')->{not_kept}{$_} } qw(classes stacks) ],
          [ map { entry($before, 'a.test')->{not_kept}{$_} } qw(classes stacks) ],
          "a new helper: A's not-kept counts are where they were";
my $m1 = $lost->();
ok $m1->[0] >= $m0->[0] && $m1->[1] >= $m0->[1] && $m0->[0] > 0,
   "?metrics: the overflow counters did not go backwards (@$m0 -> @$m1)";
