# The page's formats, its options, and what it does with hostile input.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use Apache::TestRequest qw(GET HEAD POST OPTIONS);
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 39;

for my $h (qw(a.test b.test)) { GET('/hello.php', Host => $h) }

# ?auto: every line is "Key: value", as mod_status's.
{
    my $res = GET '/server-bpf?auto';
    is $res->code, 200, '?auto -> 200';
    like $res->header('Content-Type'), qr{^text/plain}, '?auto is text/plain';
    my @bad = grep { !/^\w+(?:\[[^\]]+\]){0,2}: \S/ } split /\n/, $res->content;
    is_deeply \@bad, [], 'every ?auto line is "Key: value"';
    like $res->content, qr/^CpuTracing: off$/m, '?auto: CpuTracing: off (the default)';
    my %kv = map { /^(.*?): (.*)$/ } split /\n/, $res->content;
    is $kv{TracingState}, 'active', '?auto TracingState: active';
    like $kv{Library}, qr{^/\S*libphp[\d.]*\.so$}, '?auto names the libphp file';
    my $a = vname('a.test');
    like $kv{"Requests[$a]"} // '', qr/^\d+$/, "?auto has Requests[$a]";
    like $kv{"PhpP50Us[$a]"} // '', qr/^\d+$/, "?auto has PhpP50Us[$a]";
}

# ?json: the contract.
{
    my ($j, $res) = page_json();
    is $res->code, 200, '?json -> 200';
    like $res->header('Content-Type'), qr{^application/json}, '?json is application/json';
    ok $j, '?json parses';
    is $j->{tracing}{state}, 'active', 'tracing.state';
    ok exists $j->{tracing}{reason} && !defined $j->{tracing}{reason}, 'tracing.reason is null';
    is_deeply $j->{tracing}{probes}, ['php:request__startup', 'php:request__shutdown', 'php:exception__thrown',
                                      'perf:cpu-clock', 'iter:task', 'uprobe:mysqlnd', 'uprobe:libpq'],
        'tracing.probes: the request and exception probes, the stack sampler, the slow log\'s '
      . 'backtraces (PhpBpfSlowThreshold 1s), mysqlnd\'s and libpq\'s (PhpBpfQueries); no sched_switch by default';
    is_deeply $j->{tracing}{probe_kinds}, { 'php:request__startup' => 'usdt', 'php:request__shutdown' => 'usdt',
                                            'php:exception__thrown' => 'usdt', 'perf:cpu-clock' => 'perf_event',
                                            'iter:task' => 'iterator', 'uprobe:mysqlnd' => 'uprobe',
                                            'uprobe:libpq' => 'uprobe' },
        'tracing.probe_kinds: USDT notes where libphp has them';
    my $v = vhost_entry($j, vname('a.test'));
    ok((grep { exists $v->{latency_us}{$_} && exists $v->{php_us}{$_} } qw(count mean p50 p90 p99 max)) == 6,
       'latency_us and php_us have count, mean, p50, p90, p99, max');
    ok((grep { exists $v->{status}{$_} } qw(2xx 3xx 4xx 5xx)) == 4, 'status has 2xx..5xx');
}

# Options and methods.
{
    my $res = GET '/server-bpf?refresh=abc';
    is $res->code, 400, '?refresh=abc -> 400';
    unlike $res->content, qr/abc/, 'the bad value is not echoed';
    $res = GET '/server-bpf?refresh=5';
    like $res->content, qr{<meta http-equiv="refresh" content="5">}, '?refresh=5 sets a refresh';
    is GET('/server-bpf?refresh=5%22%3E%3Cscript%3E')->code, 400, 'a refresh with markup -> 400';
    my $post = POST('/server-bpf', content => 'x=1');
    is $post->code, 405, 'POST -> 405';
    my $allow = $post->header('Allow') // '';
    ok $allow =~ /\bGET\b/ && $allow =~ /\bHEAD\b/ && $allow !~ /POST/, "... with Allow: $allow";
    my $h = HEAD '/server-bpf';
    is $h->code, 200, 'HEAD -> 200';
    is GET('/server-bpf?unknown&auto')->code, 200, 'unknown options are ignored';
}

# Hostile input: a URI with markup, and a query string with a secret.
{
    GET '/hello.php/<script>alert(1)</script>', Host => 'a.test';
    GET '/hello.php?token=s3cr3t-t0ken', Host => 'a.test';
    GET '/hello.php/%22%3E%3Cimg%20src=x%20onerror=alert(2)%3E', Host => 'a.test';
    my $html = wait_until { my $c = GET('/server-bpf')->content; $c =~ /onerror/ ? $c : undef } 5;
    ok $html, 'the hostile URIs reached the page';
    unlike $html, qr/<script>alert|<img src=x/i, 'no markup from a URI survives into the HTML';
    like $html, qr{/hello\.php/&lt;script&gt;alert\(1\)&lt;/script&gt;}, 'the URI is shown escaped';
    unlike $html . GET('/server-bpf?json')->content, qr/s3cr3t/, 'query strings are never shown';
    like $html, qr{/hello\.php\?\[query removed\]}, 'a removed query string is marked as such';
    like $html, qr{CPU tracing: off \(PhpBpfCpuTracing On splits PHP time into on-CPU and off-CPU\)},
        'the banner says CPU tracing is off and how to turn it on';
}

# The last requests keep the method as an index (GET, HEAD, POST) and any
# other by its name; JSON says each as the request did.
{
    HEAD '/hello.php/m-head', Host => 'a.test';
    OPTIONS '/hello.php/m-options', Host => 'a.test';
    POST '/hello.php/m-post', Host => 'a.test', content => 'x=1';
    my $json = wait_until { my $c = GET('/server-bpf?json')->content; $c =~ /m-post/ ? $c : undef } 5;
    my %m = map { $_->{uri} => $_->{method} } @{ decode_json($json)->{recent} };
    is_deeply [ @m{qw(/hello.php/m-head /hello.php/m-options /hello.php/m-post)} ],
        [qw(HEAD OPTIONS POST)], 'recent: HEAD, OPTIONS and POST as sent';
    my $html = GET('/server-bpf')->content;
    like $html, qr{OPTIONS /hello\.php/m-options}, 'the page shows the method by name';
    like $html, qr{HEAD /hello\.php/m-head}, '... and HEAD as HEAD';
}

# Bytes that are not UTF-8 in a URI: the JSON stays valid UTF-8 (decode_json
# dies on anything else) and the HTML shows them as the access log does.
{
    GET '/hello.php/%FF%80%80-bad', Host => 'b.test';
    GET '/hello.php/%ED%A0%80-surrogate', Host => 'b.test';
    my $json = wait_until { my $c = GET('/server-bpf?json')->content; $c =~ /surrogate/ ? $c : undef } 5;
    ok eval { decode_json($json); 1 }, 'the JSON is still valid UTF-8' or diag $@;
    like GET('/server-bpf')->content, qr{/hello\.php/\\xff\\x80\\x80-bad}, 'the HTML shows \\xNN escapes';
}

# A Host header with markup: httpd itself refuses it before PHP runs, and
# nothing of it reaches the page.
{
    is GET('/hello.php', Host => '<script>alert(3)</script>')->code, 400, 'a Host header with markup -> 400';
    unlike GET('/server-bpf')->content . GET('/server-bpf?json')->content, qr/alert\(3\)/,
        'the Host header never reaches the page';
}

# A short section on mod_status's page.
like GET('/server-status?auto')->content, qr/^PhpBpfTracing: active$/m,
    '/server-status?auto has the mod_phpbpf lines';
