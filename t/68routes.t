# Routes: each vhost's requests by the shape of the path the client asked
# for, made in BPF at PHP's end.  A front controller (FallbackResource,
# DirectoryIndex) serves every URL; the counts per route must be the access
# log's, exactly; no id and no search term appears in any route or any
# format; an operator's PhpBpfRoute is tried first; a vhost with 10,000
# distinct paths keeps PhpBpfMaxRoutes of them and counts the rest as
# (other), while the other vhost keeps its own; hostile paths come out
# escaped and bounded.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP qw(decode_json);
use LWP::UserAgent;
use File::Temp qw(tempdir);
use PhpBpfTest;

plan tests => 47;

my $top = topdir();
my $mods = '/usr/lib/apache2/modules';
my $max = 10;

# configtest: bad patterns fail with the directive's name and why, and so
# does a route table of more rows than a snapshot holds.
{
    my ($rc, $out) = configtest(extra => "PhpBpfMaxVhosts 4096\nPhpBpfMaxRoutes 20");
    ok $rc != 0 && $out =~ /PhpBpfMaxRoutes 20 with PhpBpfMaxVhosts 4096: the route table would have 86016 rows, more than 36864/,
       'configtest refuses 4096 vhosts x 21 routes' or diag $out;
}
for my $bad (['shop/x', qr/starts with \//], ['/a/{b', qr/whole segment/], ['/*', qr/every request/],
             ['/a//b', qr/empty segment/], ['/a/*/b', qr/last segment/]) {
    my ($rc, $out) = configtest(extra => "PhpBpfRoute $bad->[0]");
    ok $rc != 0 && $out =~ /PhpBpfRoute/ && $out =~ $bad->[1], "configtest refuses PhpBpfRoute $bad->[0]"
        or diag $out;
}

my $vh = sub {
    my $name = shift;
    qq{<VirtualHost *:PORT>\n ServerName $name\n DocumentRoot "$top/t/htdocs/routes"\n}
  . qq{ <Directory "$top/t/htdocs/routes">\n  Require all granted\n  DirectoryIndex index.php\n}
  . qq{  FallbackResource /index.php\n </Directory>\n</VirtualHost>\n};
};
# The first vhost takes requests for any other name (the suite's own).
my $extra = <<"EOF";
LoadModule dir_module $mods/mod_dir.so
PhpBpfMaxRoutes $max
PhpBpfRoute /shop/{slug}/reviews
PhpBpfSlowThreshold 20ms
PhpBpfCpuTracing On
<VirtualHost *:PORT>
 ServerName default.test
</VirtualHost>
EOF
$extra .= $vh->($_) for qw(shop.test many.test hostile.test scan.test);
my $inst = start_instance(access_log => 1, extra => $extra, before_start => sub {
    my $dir = shift;
    my $conf = "$dir/httpd.conf";
    open my $in, '<', $conf or die;
    my $text = do { local $/; <$in> };
    close $in;
    my ($port) = $text =~ /Listen 127\.0\.0\.1:(\d+)/;
    $text =~ s/\*:PORT/*:$port/g;
    open my $out, '>', $conf or die;
    print $out $text;
    close $out;
});
my $port = $inst->{port};
my $ua = LWP::UserAgent->new(timeout => 10, keep_alive => 4);
sub get { my ($host, $path) = @_; $ua->get("http://127.0.0.1:$port$path", Host => $host)->code }
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }
sub vhost_of { my ($j, $n) = @_; (grep { $_->{name} eq "$n:$port" } @{ $j->{vhosts} || [] })[0] }
sub routes_of { my ($j, $n) = @_; my $v = vhost_of($j, $n); $v ? { map { $_->{route} => $_ } @{ $v->{routes} || [] } } : {} }

# First the flood: 10,000 distinct paths on many.test, none an id (letters
# only), so each would be a route of its own.
my $flood = 10_000;
my $failed = 0;
sub letters { my $i = shift; my $s = ''; do { $s .= chr(97 + $i % 26); $i = int($i / 26) } while $i; $s }
for my $i (1 .. $flood) {
    $failed++ if get('many.test', '/pg' . letters($i) . '/view') != 200;
}
is $failed, 0, "$flood distinct paths on many.test";

# Then shop.test, which must still get routes of its own.
my @terms = map { "zebraterm$_" } 1 .. 11;
my %want = ('/product/{id}' => 300, '/cart' => 7, '/?s=' => 11, '/index.php?p=' => 3,
            '/shop/{slug}/reviews' => 6, '/wp-json/wp/v2/posts/{id}' => 2,
            '/blog/{id}/{id}/{id}/hello-world/' => 2, '/slow/{id}' => 2, '/throw/{id}' => 3,
            '/warn/{id}' => 4);
my @paths = ((map { "/product/$_" } 1 .. 300), ('/cart') x 7, (map { "/?s=$_" } @terms),
             ('/index.php?p=5', '/index.php?p=6', '/index.php?p=77'),
             (map { "/shop/$_/reviews" } qw(blue-shirt red-hat green-cap blue-shirt a b)),
             '/wp-json/wp/v2/posts/123', '/wp-json/wp/v2/posts/9f1c2e',
             '/blog/2024/05/06/hello-world/', '/blog/2023/12/31/hello-world/',
             '/slow/1', '/slow/2', '/throw/1', '/throw/2', '/throw/3', map { "/warn/$_" } 1 .. 4);
my $ok = grep { get('shop.test', $_) == 200 } @paths;
is $ok, scalar(@paths), scalar(@paths) . ' requests on shop.test';

my $total = 0;
$total += $_ for values %want;
my $j = wait_until {
    my $j = json();
    my $r = routes_of($j, 'shop.test');
    my $n = 0;
    $n += $_->{requests} for values %$r;
    my $m = vhost_of($j, 'many.test');
    $n == $total && $m && $m->{php_us}{count} == $flood ? $j : undef
} 20;
ok $j, 'every request counted';
my $shop = routes_of($j, 'shop.test');
is_deeply { map { $_ => $shop->{$_}{requests} } keys %$shop }, \%want,
    'shop.test: one row per route, with its exact count'
    or diag explain { map { $_ => $shop->{$_}{requests} } keys %$shop };

# The access log, as ground truth: shop.test's PHP requests by pattern.
open my $fh, '<', "$inst->{dir}/access_log" or die $!;
my @log = <$fh>;
close $fh;
my @shop_log = grep { /^shop\.test \d+ 200 "GET / } @log;
is scalar(@shop_log), $total, "the access log has $total requests of shop.test";
is scalar(grep { m{"GET /product/\d+ } } @shop_log), $shop->{'/product/{id}'}{requests},
    '/product/{id}: the access log\'s count';
is scalar(grep { m{"GET /\?s=} } @shop_log), $shop->{'/?s='}{requests}, '/?s=: the access log\'s count';
is $shop->{'/product/{id}'}{status}{'2xx'}, 300, 'status classes as PHP sent them';
is $shop->{'/throw/{id}'}{exceptions}, 3, 'exceptions by route';
is $shop->{'/warn/{id}'}{errors}, 4, 'PHP errors by route, as the error log has them';
is $shop->{'/product/{id}'}{errors}, 0, 'and none where there were none';
ok $shop->{'/product/{id}'}{latency_us}{p50} >= $shop->{'/product/{id}'}{php_us}{p50} * 0.8,
    'Apache time of a route covers its PHP time';
ok $shop->{'/slow/{id}'}{php_us}{p50} >= 25000 && $shop->{'/slow/{id}'}{php_us}{p50} < 100000,
    'a route\'s PHP p50 (30 ms sleeps, within 1/8)' or diag $shop->{'/slow/{id}'}{php_us}{p50};
# With CPU tracing, what a route waited on: /slow/{id} slept 30 ms twice.
my $sl = $shop->{'/slow/{id}'};
# (At least the 60 ms slept; a loaded machine adds the wake-up's delay.)
ok $sl->{waits_us} && $sl->{waits_us}{sleep} >= 55000 && $sl->{waits_us}{sleep} <= 200000
   && $sl->{off_cpu_us} >= $sl->{waits_us}{sleep},
   "a route's waits by class and off-CPU time (2 sleeps of 30 ms: $sl->{waits_us}{sleep} us)";
# Most PHP time first, (other) last: /slow/{id}'s 60 ms and /product/{id}'s
# 300 short requests are close on a loaded machine, so the order is
# checked against the routes' own PHP time, not a name.
my @rows = grep { !$_->{other} } @{ vhost_of($j, 'shop.test')->{routes} };
my @bad = grep { $rows[$_ - 1]{share_of_php} < $rows[$_]{share_of_php} - 0.0001 } 1 .. $#rows;
ok @rows > 5 && !@bad, 'most PHP time first (' . join(', ', map { $_->{route} } @rows[0 .. 2]) . ')';

# The slow log says which route.
my ($slow) = grep { $_->{uri} =~ m{^/slow/} } @{ $j->{slow}{requests} };
is $slow && $slow->{route}, '/slow/{id}', 'the slow log carries the route';

# many.test: bounded, the rest as (other), fairly: shop.test was not crowded out.
my $many = vhost_of($j, 'many.test');
my @mr = @{ $many->{routes} };
is scalar(@mr), $max + 1, "many.test: $max routes and (other)";
is $mr[-1]{route}, '(other)', '(other) last';
is $mr[-1]{requests}, $flood - $max, '(other) counts the rest';
my $sum = 0;
$sum += $_->{requests} for @mr;
is $sum, $flood, 'nothing lost';

# No id and no search term in any route; no term in any format.
my @all = map { $_->{route} } map { @{ $_->{routes} || [] } } @{ $j->{vhosts} };
is scalar(grep { /\d/ && !/^\/wp-json\/wp\/v2/ } @all), 0, 'no id in any route'
    or diag explain \@all;
my $formats = join '', map { instance_get($inst, "/server-bpf$_")->{content} } ('', '?json', '?auto', '?metrics');
unlike $formats, qr/zebraterm/, 'no search term in any format';
like $formats, qr{<td class=l>/product/\{id\}</td><td>300</td>}, 'the page: the route and its count';
like $formats, qr{^RouteRequests\[shop\.test:$port\]\[/product/\{id\}\]: 300$}m, '?auto';
like $formats, qr{^phpbpf_route_requests_total\{vhost="shop\.test:$port",route="/product/\{id\}"\} 300$}m,
    '?metrics: a route label on the counter';
# ?metrics: the first 6 routes a vhost took (PhpBpfMetricsRoutes), the
# rest together, so that a vhost stays within 40 series.
is scalar(() = $formats =~ /^phpbpf_route_requests_total\{vhost="many\.test/mg), 7,
    '?metrics: many.test\'s first 6 routes and (other)';
like $formats, qr/^phpbpf_route_requests_total\{vhost="many\.test:$port",route="\(other\)"\} ${\ ($flood - 6)}$/m,
    '?metrics: (other) has the rest of the table and the table\'s (other)';
my $metrics = instance_get($inst, '/server-bpf?metrics')->{content};
my $series = () = $metrics =~ /^phpbpf_\w+\{vhost="shop\.test:$port"/mg;
my $cpu_series = () = $metrics =~ /^phpbpf_(?:wait_seconds_total|waits_total|php_cpu_seconds_total|php_offcpu_seconds_total)\{vhost="shop\.test:$port"/mg;
is $cpu_series, 26, '?metrics: CPU tracing adds 26 series a vhost (README)';
is $series - $cpu_series, 39, '?metrics: shop.test has 39 series by default, within 40 (README)';

# Hostile paths: markup, quotes, %-encoding, invalid UTF-8, 8 KB.
my @hostile = ('/%3Cscript%3Ealert(1)%3C/script%3E/x', "/q%22uote'/y", '/bad%FF%FE/z',
               '/' . join('/', ('x' x 40) x 85), '/' . join('/', ('seg') x 40));
my @codes = map { get('hostile.test', $_) } @hostile;
is_deeply \@codes, [200, 200, 200, 200, 200], 'hostile paths served, one of 3.5 KB';
# 8 KB: longer than a request line or a file name may be, which Apache
# answers itself, before PHP.
like get('hostile.test', '/' . join('/', ('x' x 40) x 200)), qr/^(403|414)$/,
     'an 8 KB path: Apache\'s own answer (414, or 403 for a file name too long)';
my $hj = wait_until { my $j = json(); my $v = vhost_of($j, 'hostile.test'); $v && $v->{php_us}{count} >= 5 ? $j : undef } 10;
my @hr = map { $_->{route} } @{ vhost_of($hj, 'hostile.test')->{routes} || [] };
is scalar(@hr), 5, 'hostile routes counted' or diag explain \@hr;
is scalar(grep { length($_) > 95 } @hr), 0, 'every route within 95 bytes';
ok scalar(grep { $_ eq '/seg/seg/seg/seg/seg/*' } @hr), 'a deep path keeps five segments'
    or diag explain \@hr;
my $x40 = 'x' x 40;
ok scalar(grep { $_ eq "/$x40/$x40/*" } @hr), 'a long one is cut where it does not fit'
    or diag explain \@hr;
my $page = instance_get($inst, '/server-bpf')->{content};
unlike $page, qr/<script>alert/, 'the page escapes markup in routes';
my $raw = LWP::UserAgent->new->get("http://127.0.0.1:$port/server-bpf?metrics")->content;
ok utf8::decode($raw), '?metrics is valid UTF-8, %FF%FE in a route label included (Prometheus refuses a scrape that is not)';

# A scanner's 404s take no row: 30 distinct guesses and a page.
my @scan = map { get('scan.test', '/missing/' . letters($_) . 'x') } 1 .. 30;
get('scan.test', '/known') for 1 .. 2;
is scalar(grep { $_ == 404 } @scan), 30, 'a scanner: 30 guesses, 404 each';
my $sj = wait_until { my $j = json(); my $v = vhost_of($j, 'scan.test'); $v && $v->{php_us}{count} == 32 ? $j : undef } 10;
my $scan = routes_of($sj, 'scan.test');
is_deeply { map { $_ => $scan->{$_}{requests} } keys %$scan }, { '/known' => 2, '(other)' => 30 },
    'the 404s count in (other), and take no row of the table';
is $scan->{'(other)'}{status}{'4xx'}, 30, '(other) has them as 4xx';
my $tmp = tempdir(CLEANUP => 1);
open my $mf, '>:encoding(UTF-8)', "$tmp/m.txt" or die;
print $mf instance_get($inst, '/server-bpf?metrics')->{content};
close $mf;
my $lint = `promtool check metrics < $tmp/m.txt 2>&1`;
is $?, 0, 'promtool accepts the route labels' or diag $lint;
stop_instance($inst);
