# Where the PHP time goes: sampled stacks per vhost, and the backtrace of
# every slow request, taken while it runs.  Real PHP code, real samples.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 50;

my $docs = topdir() . '/t/htdocs/stacks';
my @vh = qw(hot.test wait.test deep.test names.test evil.test);
my $inst = start_instance(vhosts => \@vh, extra => "PhpBpfSlowThreshold 200ms\nPhpBpfSlowLogSize 20");
my $stopped;
END { stop_instance($inst) if $inst && !$stopped }
my $port = $inst->{port};
sub name { "$_[0]:$port" }
sub get { instance_get($inst, $_[0], Host => $_[1] // 'hot.test') }
sub json { my $r = get('/server-bpf?json'); eval { decode_json($r->{content}) } }
sub vhost { my ($j, $v) = @_; (grep { $_->{name} eq name($v) } @{ $j->{vhosts} })[0] }
sub slow_of { my ($j, $uri) = @_; (grep { $_->{uri} eq $uri } @{ $j->{slow}{requests} })[0] }
sub line_of {
    my ($file, $mark) = @_;
    open my $fh, '<', $file or die "$file: $!";
    while (my $l = <$fh>) { return $. if index($l, $mark) >= 0 }
    die "no $mark in $file";
}

my $j0 = wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' ? $j : undef } 10;
is $j0 && $j0->{stacks}{state}, 'active', 'stacks are active by default';
is $j0 && $j0->{stacks}{hz}, 99, 'sampled at 99 Hz';

# ---- a hot function: {main} -> Outer::run -> Hot::crunch, 300 ms of PHP
is get('/stacks/hot.php')->{content}, 'hot', 'hot.php ran';
my $j = wait_until { my $j = json(); my $v = $j && vhost($j, 'hot.test');
                     $v && $v->{profile} && $v->{profile}{samples} >= 20 ? $j : undef } 10;
my $p = $j ? vhost($j, 'hot.test')->{profile} : {};
cmp_ok $p->{samples} // 0, '>=', 20, "300 ms at 99 Hz: $p->{samples} samples";
my ($leaf) = @{ $p->{by_self} // [] };
is $leaf->{function}, 'Hot::crunch', 'the hottest function by self is Hot::crunch';
cmp_ok $leaf->{self} / ($p->{samples} || 1), '>=', 0.8, 'with at least 80% of the samples as the leaf';
is $leaf->{file}, "$docs/hot.php", 'in its file';
is $leaf->{line}, line_of("$docs/hot.php", '// LOOP'), "at the loop's line";
ok !$leaf->{internal}, 'a PHP function, not an internal one';
my ($outer) = grep { $_->{function} eq 'Outer::run' } @{ $p->{by_total} };
# A sample may land in the microseconds of {main} around the call (or of
# the request's startup and shutdown, with no frame): one, at most.
cmp_ok $outer ? $outer->{total} : 0, '>=', $p->{samples} - 1,
    sprintf 'Outer::run is on every sample but at most one (by total: %d of %d)',
    $outer ? $outer->{total} : 0, $p->{samples} // 0;
my $folded = get('/server-bpf?profile=' . name('hot.test'))->{content};
like $folded, qr/^\{main\};Outer::run;Hot::crunch \d+$/m, '?profile=VHOST: the folded path {main};Outer::run;Hot::crunch';
my $sum = 0;
$sum += $_ for $folded =~ / (\d+)$/mg;
is $sum, $p->{samples}, 'the folded counts add up to the samples';
like get('/server-bpf?profile')->{content}, qr/^\Q${\ name('hot.test')}\E;\{main\};Outer::run;Hot::crunch \d+$/m,
    '?profile: every vhost, the vhost as the root frame';
my $m = get('/server-bpf?metrics')->{content};
like $m, qr/^phpbpf_profile_samples_total\{vhost="\Q${\ name('hot.test')}\E"\} \Q$p->{samples}\E$/m,
    '?metrics: the sample count';
# A route label is the URL's shape (/stacks/hot.php here), never the file.
unlike $m, qr/Hot::crunch|htdocs\/stacks\/hot\.php/, '?metrics: no function or file, ever';
like get('/server-bpf')->{content}, qr/<div class=fg>.*title="Hot::crunch: \d+ samples/s, 'the page has the flame graph';

# ---- a slow request, stuck in usleep(500000) in Waiter::wait()
is get('/stacks/wait.php', 'wait.test')->{content}, 'waited', 'wait.php ran';
$j = wait_until { my $j = json(); $j && slow_of($j, '/stacks/wait.php') ? $j : undef } 5;
my $s = $j ? slow_of($j, '/stacks/wait.php') : {};
my @bt = @{ $s->{backtrace} // [] };
is_deeply [map { $_->{function} } @bt], [qw(usleep Waiter::wait outer {main})], 'its backtrace, innermost first';
ok $bt[0]{internal} && !defined $bt[0]{file}, 'usleep is internal, with no file';
is_deeply [$bt[1]{file}, $bt[1]{line}], ["$docs/wait.php", line_of("$docs/wait.php", '// CALL')],
    'Waiter::wait at the exact line of the call';
cmp_ok $s->{backtrace_at_us} // 0, '>=', 200000, "taken once it crossed 200 ms ($s->{backtrace_at_us} us)";
cmp_ok $s->{backtrace_at_us} // 1e9, '<', 500000, 'while it still ran (the sleep is 500 ms)';
like get('/server-bpf')->{content}, qr{PHP backtrace, taken [\d.]+ ms into the request:\nusleep\(\) \(internal\)\nWaiter::wait\(\) \Q$docs\E/wait\.php:\d+\n}s,
    'the page shows it, as php-fpm\'s slowlog would';

# ---- recursion 500 deep
is get('/stacks/deep.php', 'deep.test')->{content}, 'deep', 'deep.php ran';
$j = wait_until { my $j = json(); $j && slow_of($j, '/stacks/deep.php') ? $j : undef } 5;
$s = $j ? slow_of($j, '/stacks/deep.php') : {};
is scalar(@{ $s->{backtrace} // [] }), 20, 'the backtrace stops at PhpBpfSlowTraceDepth (20)';
ok $s->{backtrace_truncated}, 'and says it was cut';
cmp_ok $j->{tracing}{counters}{stacks_truncated}, '>', 0, 'samples deeper than the walker are counted as truncated';
my @deep = get('/server-bpf?profile=' . name('deep.test'))->{content} =~ /^(\S+) \d+$/mg;
ok @deep && !(grep { (() = /;/g) >= 64 } @deep), 'no sampled stack is longer than 64 frames';

# ---- closures, static methods, included files, eval'd code
is get('/stacks/eval.php', 'names.test')->{content}, 'evaluated', 'eval.php ran';
is get('/stacks/include.php', 'names.test')->{content}, 'included', 'include.php ran';
$j = wait_until { my $j = json(); $j && slow_of($j, '/stacks/eval.php') && slow_of($j, '/stacks/include.php') ? $j : undef } 5;
@bt = @{ ($j ? slow_of($j, '/stacks/eval.php')->{backtrace} : undef) // [] };
is_deeply [map { $_->{function} } @bt], [qw(usleep {closure} Runner::run eval {main})],
    'a closure, a static method and eval\'d code';
like $bt[1]{file} // '', qr{\Q$docs\E/eval\.php\(\d+\) : eval\(\)'d code$}, "the closure's file is the eval'd code";
is $bt[2]{file}, "$docs/lib_runner.php", 'the static method is in the included file';
@bt = @{ ($j ? slow_of($j, '/stacks/include.php')->{backtrace} : undef) // [] };
is_deeply [map { "$_->{function} " . ($_->{file} // '') } @bt],
    ['usleep ', "require $docs/lib_sleeps.php", "{main} $docs/include.php"], 'an included file\'s own code is "require"';

# ---- a file and a class with hostile names
my $evil = "q\"u'ote<img src=x onerror=alert(1)>.php";
(my $evil_uri = $evil) =~ s/([^A-Za-z0-9.\/_-])/sprintf '%%%02X', ord $1/ge;
is get("/stacks/$evil_uri", 'evil.test')->{content}, 'evil', 'the hostile file ran';
my $raw = wait_until { my $r = get('/server-bpf?json')->{content}; $r =~ /Evil/ && $r =~ /"uri": "\/stacks\/q/ ? $r : undef } 5;
ok $raw && eval { decode_json($raw) }, '?json still parses';
$j = decode_json($raw // '{}');
$s = (grep { ($_->{script} // '') =~ /ote</ } @{ $j->{slow}{requests} })[0] // {};
is $s->{backtrace} && $s->{backtrace}[0]{function}, "Evil\x{fffd}\x{fffd}::spin", '?json: the class name, bytes that are not UTF-8 as U+FFFD';
is $s->{backtrace} && $s->{backtrace}[0]{file}, "$docs/$evil", '?json: the file name';
my $html = get('/server-bpf')->{content};
unlike $html, qr/<img src=x/, 'the page has no markup from a file name';
like $html, qr/Evil\\xff\\xfe::spin\(\) \Q$docs\E\/q\\&quot;u'ote&lt;img src=x onerror=alert\(1\)&gt;\.php:\d+/,
    'the page escapes the class and the file in the backtrace';
like get('/server-bpf?profile=' . name('evil.test'))->{content}, qr/^\{main\};Evil\\xff\\xfe::spin \d+$/m,
    '?profile: bytes that are not ASCII as \xNN';

# ---- a second httpd on the same libphp is never sampled
my $before = json()->{tracing}{counters};
my $other = start_instance(phpbpf => 0);
is instance_get($other, '/stacks/hot.php')->{content}, 'hot', 'another httpd ran hot.php';
stop_instance($other);
my $after = json()->{tracing}{counters};
is $after->{samples}, $before->{samples}, 'none of its samples is ours';
is $after->{backtraces}, $before->{backtraces}, 'nor a backtrace';

stop_instance($inst);
$stopped = 1;

# ---- a libphp whose layout is not the one of the headers
my $odd = Apache::Test::vars('t_logs') . '/libphp-odd-layout.so';
patch_symbol_size('/usr/lib/apache2/modules/libphp8.2.so', $odd, 'executor_globals', 1808);
$inst = start_instance(libphp => $odd, extra => "PhpBpfSlowThreshold 200ms");
$stopped = 0;
$j = wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' ? $j : undef } 10;
is $j && $j->{stacks}{state}, 'unavailable', 'stacks are unavailable on a libphp of another layout';
like $j && $j->{stacks}{reason}, qr/executor_globals is 1808 bytes, not the 1800 of the PHP [\d.]+ headers/, 'the reason names the mismatch';
get('/hello.php', '127.0.0.1') for 1 .. 5;
$j = wait_until { my $j = json(); my $n = 0; $n += $_->{requests} for @{ $j->{vhosts} }; $n == 5 ? $j : undef } 5;
is $j && (eval { my $n = 0; $n += $_->{php_us}{count} for @{ $j->{vhosts} }; $n }), 5, 'request tracing still works';
like get('/server-bpf')->{content}, qr/PHP stacks unavailable: libphp&#39;s executor_globals|PHP stacks unavailable: libphp's executor_globals/,
    'the page says why';
my $r = get('/server-bpf?profile');
is $r->{status}, 503, '?profile answers 503';
like error_log_since(0, $inst->{error_log}), qr/PHP stacks unavailable: libphp's executor_globals is 1808 bytes/, 'one line in the error log';
stop_instance($inst);
$stopped = 1;
unlink $odd;
