# /server-bpf?metrics: valid for promtool, OpenMetrics on request, scraped
# by a real Prometheus whose answers match the known latencies and the
# exact request counts; every query of the Grafana dashboard runs against
# it and names only exported metrics.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP qw(decode_json);
use LWP::UserAgent;
use URI::Escape qw(uri_escape);
use Time::HiRes qw(sleep);
use PhpBpfTest;

my $K = 20;
my $docs = topdir() . '/t/htdocs';
# Every exported bucket (PhpBpfMetricsFineBuckets), for Prometheus' p50 to
# be checked within one of them; the default's 11 are t/68routes.t's.
my $inst = start_instance(extra => "PhpBpfCpuTracing On\nPhpBpfMetricsFineBuckets On\n" . join '', map {
    "<VirtualHost *>\n ServerName $_.test\n DocumentRoot \"$docs\"\n</VirtualHost>\n" } qw(a b));
my $port = $inst->{port};
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }
wait_until { my $p = json(); $p && $p->{tracing}{state} eq 'active' } 10;
my $ua = LWP::UserAgent->new(timeout => 10);

# The format, checked by Prometheus' own tool.
instance_get($inst, '/hello.php', Host => 'a.test');
my $text = $ua->get("http://127.0.0.1:$port/server-bpf?metrics");
like $text->header('Content-Type'), qr{^text/plain; version=0\.0\.4}, 'text format 0.0.4';
my $tmp = tempdir(CLEANUP => 1);
open my $fh, '>', "$tmp/metrics.txt" or die;
print $fh $text->decoded_content;
close $fh;
my $lint = `promtool check metrics < $tmp/metrics.txt 2>&1`;
is $?, 0, 'promtool check metrics passes' or diag $lint;
my $om = $ua->get("http://127.0.0.1:$port/server-bpf?metrics",
                  Accept => 'application/openmetrics-text; version=1.0.0');
like $om->header('Content-Type'), qr{^application/openmetrics-text; version=1\.0\.0}, 'OpenMetrics when asked';
like $om->decoded_content, qr/\n# EOF\n\z/, 'OpenMetrics ends with # EOF';
like $om->decoded_content, qr/^# TYPE phpbpf_requests counter$/m, 'OpenMetrics counter families drop _total';
unlike $text->decoded_content, qr/uri=|script=|pid=/, 'no URI, script or pid labels';

# A real Prometheus, on loopback, with a data dir of its own.
my $pport = do { my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0); $s->sockport };
open $fh, '>', "$tmp/prometheus.yml" or die;
print $fh "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: phpbpf\n"
        . "    metrics_path: /server-bpf\n    params:\n      metrics: ['']\n"
        . "    static_configs:\n      - targets: ['127.0.0.1:$port']\n";
close $fh;
my $pid = fork // die;
if (!$pid) {
    open STDOUT, '>', "$tmp/prometheus.log";
    open STDERR, '>&', \*STDOUT;
    exec 'prometheus', "--config.file=$tmp/prometheus.yml", "--storage.tsdb.path=$tmp/data",
         "--web.listen-address=127.0.0.1:$pport" or exit 127;
}
sub promq {
    my $r = $ua->get("http://127.0.0.1:$pport/api/v1/query?query=" . uri_escape(shift));
    my $j = eval { decode_json($r->decoded_content) };
    return $j && $j->{status} eq 'success' ? $j->{data}{result} : undef;
}
my $up = wait_until { my $r = promq('up{job="phpbpf"} == 1'); $r && @$r } 30;
ok $up, 'Prometheus scrapes the target' or diag `tail -5 $tmp/prometheus.log`;

for my $i (1 .. $K) {
    instance_get($inst, '/sleep20.php', Host => 'a.test');
    instance_get($inst, '/sleep2.php', Host => 'b.test');
}
my $page = wait_until {
    my $p = json();
    my ($b) = grep { $_->{name} =~ /^b\.test/ } @{ $p->{vhosts} };
    $b && $b->{requests} == $K ? $p : undef;
} 5;
my %want = map { ($_->{name} => $_) } @{ $page->{vhosts} };
sub prom_counts {
    my $r = promq('sum by (vhost) (phpbpf_requests_total)');
    my %c = map { ($_->{metric}{vhost} => $_->{value}[1]) } @{ $r || [] };
    my $same = grep { ($c{$_} // -1) == $want{$_}{requests} } keys %want;
    return $same == keys %want ? \%c : undef;
}
my $counts = wait_until { prom_counts() } 15;
ok $counts, 'Prometheus has the exact request counts of every vhost';
is $counts && $counts->{"a.test:$port"}, $K + 1, "a.test: $K + 1 requests";
is $counts && $counts->{"b.test:$port"}, $K, "b.test: $K requests";
sleep 2;    # a few more scrapes for rate()
my $q = promq('histogram_quantile(0.5, sum by (le, vhost) (rate(phpbpf_php_duration_seconds_bucket[1m])))');
my %p50 = map { ($_->{metric}{vhost} => $_->{value}[1] * 1e6) } @{ $q || [] };
for my $v ("a.test:$port", "b.test:$port") {
    my $page_p50 = $want{$v}{php_us}{p50};
    # Prometheus interpolates inside an exported bucket, whose bounds are
    # at most 1.5x apart: agreement is within that bucket.
    ok $p50{$v} && $p50{$v} > $page_p50 / 1.5 && $p50{$v} < $page_p50 * 1.5,
        sprintf('%s: Prometheus p50 %.0f us vs the page %.0f us, within one exported bucket', $v, $p50{$v} // -1, $page_p50);
}
ok $p50{"a.test:$port"} > 15000 && $p50{"a.test:$port"} < 30000, 'a.test p50 is about 20 ms';

# The dashboard: valid JSON, only exported metrics, every query runs.
my $dash = eval { decode_json(do { local $/; open my $d, '<', topdir() . '/conf/grafana/phpbpf.json' or die; <$d> }) };
ok $dash && $dash->{panels} && @{ $dash->{panels} } >= 8, 'the dashboard parses and has its panels';
my @exprs = map { $_->{expr} } map { @{ $_->{targets} } } @{ $dash->{panels} || [] };
my %families = map { ($_ => 1) } $text->decoded_content =~ /^# TYPE (\S+)/mg;
ok $families{phpbpf_wait_seconds_total} && $families{phpbpf_php_cpu_seconds_total},
    'with CPU tracing, on-CPU time and waits by class are exported';
$families{phpbpf_compile_duration_seconds} = 1;   # exported when compile tracing is on
$families{$_} = 1 for qw(phpbpf_db_seconds_total phpbpf_db_statements_total);   # once a vhost runs SQL
my @unknown = grep { my $m = $_; $m =~ s/_(bucket|sum|count)$//; !$families{$m} }
              map { /\b(phpbpf_\w+)/g } @exprs;
is_deeply \@unknown, [], 'every metric the dashboard uses is exported';
my @failed;
for my $e (@exprs) {
    (my $x = $e) =~ s/\$__rate_interval/1m/g;
    $x =~ s/\$vhost/.+/g;
    push @failed, $e unless promq($x);
}
is_deeply \@failed, [], 'every dashboard query runs against Prometheus (' . scalar(@exprs) . ' queries)';
# The waits panel, for a.test, whose requests sleep 20 ms each.
my ($waits) = grep { /phpbpf_wait_seconds_total/ } @exprs;
(my $wq = $waits // '') =~ s/\$__rate_interval/1m/g;
$wq =~ s/\$vhost/a.test:$port/g;
my %by_class = map { ($_->{metric}{class} => $_->{value}[1]) } @{ promq($wq) || [] };
cmp_ok $by_class{sleep} // 0, '>', 0, "the waits panel's query: a.test's time goes to sleep";
ok !grep({ $_ > 0 } map { $by_class{$_} // 0 } qw(mysql redis http)), 'and not to a peer it never talks to';

# The top-routes table's counters (its rate() needs a route that grows
# while scraped; these requests were done before their series appeared):
# Prometheus has a.test's routes with their exact counts.
my %by_route = map { ($_->{metric}{route} => $_->{value}[1]) }
               @{ promq("phpbpf_route_requests_total{vhost=\"a.test:$port\"}") || [] };
is_deeply \%by_route, { '/sleep20.php' => $K, '/hello.php' => 1, '(other)' => 0 },
    "Prometheus has a.test's routes, exactly";

kill 'TERM', $pid;
waitpid $pid, 0;
stop_instance($inst);
done_testing();
