# Exactly two uprobe hits per PHP request, measured by the kernel itself
# (bpf_stats run counts of our two programs), and shown on the page.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use Apache::TestRequest qw(GET);
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 4;

my $N = 50;
my $helper = helper_pid_of(httpd_parent_pid()) or die 'no helper';

# run_cnt of the programs the helper holds (by the program ids of its fds).
sub run_counts {
    my $progs = decode_json(`bpftool -j prog show`);
    my %mine = map { $_ => 1 } helper_prog_ids();
    my $n = 0;
    $n += $_->{run_cnt} // 0 for grep { $mine{$_->{id}} } @$progs;
    return $n;
}

sub helper_prog_ids {
    my @ids;
    for my $fd (glob "/proc/$helper/fdinfo/*") {
        open my $fh, '<', $fd or next;
        local $/;
        my $info = <$fh>;
        next unless $info =~ /^prog_type:\s+2$/m;
        push @ids, $1 if $info =~ /^prog_id:\s+(\d+)/m;
    }
    return @ids;
}

chomp(my $was = `sysctl -n kernel.bpf_stats_enabled`);
system('sysctl', '-qw', 'kernel.bpf_stats_enabled=1') == 0 or die 'sysctl';
my ($b) = page_json();
my $r0 = run_counts();
for my $i (1 .. $N) { GET('/hello.php', Host => 'a.test')->code == 200 or die }
my $r1 = run_counts();
my ($a) = page_json();
system('sysctl', '-qw', "kernel.bpf_stats_enabled=$was");

is scalar(helper_prog_ids()), 13,
    'the helper holds 13 uprobe programs: the request and exception probes, mysqlnd\'s five and libpq\'s five (PhpBpfQueries)';
is $r1 - $r0, 2 * $N, "the kernel ran them exactly 2 x $N times for $N PHP requests without exceptions";
my $hits = $a->{tracing}{counters}{hits} - $b->{tracing}{counters}{hits};
is $hits, 2 * $N, 'the helper counted the same hits';
cmp_ok $a->{tracing}{hits_per_request}, '==', 2, 'the page reports 2 probe hits per PHP request'
    or diag explain $a->{tracing};
