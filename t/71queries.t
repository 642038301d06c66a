# SQL statements (PhpBpfQueries): a real MariaDB, started here on loopback
# with performance_schema on, whose own statement digests are the ground
# truth of the counts; PHP's hrtime() around each statement that of their
# time.  mysqli's text queries and prepared statements, PDO's emulated
# prepares, a failing statement, hostile and huge text, a flood of distinct
# statements.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 48;

my $logs = Apache::Test::vars('t_logs');
my $dir = tempdir('phpbpf-sql-XXXXXX', DIR => $logs, CLEANUP => 1);
chmod 0755, $dir;
my @kids;
END { local $?; kill 'TERM', @kids if @kids; waitpid $_, 0 for @kids }

my $sock = "$dir/mysqld.sock";
my ($rc, $install) = mariadb_install($dir);
is $rc, 0, 'a MariaDB data directory' or diag $install;
my $pid = mariadb_start($dir, '--skip-networking', '--performance-schema=ON');
push @kids, $pid;
ok((wait_until { -S $sock } 30), 'MariaDB is up') or diag `cat $dir/mysqld.log`;
sub sql {
    my ($q) = @_;
    my $out = `mariadb --no-defaults -S $sock -u root -N -B -e "$q" 2>&1`;
    die "mariadb: $q: $out" if $?;
    return $out;
}
sql('CREATE DATABASE shop; CREATE TABLE shop.shop_items (id INT PRIMARY KEY, name VARCHAR(40), price INT);'
    . ' CREATE TABLE shop.shop_prices (id INT PRIMARY KEY, price INT);'
    . ' CREATE TABLE shop.shop_orders (id INT PRIMARY KEY, total DOUBLE);'
    . ' INSERT INTO shop.shop_items VALUES (1, \'a\', 10), (2, \'b\', 20);'
    . ' INSERT INTO shop.shop_prices VALUES (1, 5), (2, 6);');

# One child, so that its connection and statements are one process's.
my @vh = qw(shop.test other.test);
my $inst = start_instance(vhosts => \@vh, extra => join "\n",
    'StartServers 1', 'MinSpareServers 1', 'MaxSpareServers 1', 'ServerLimit 1', 'MaxRequestWorkers 1',
    'PhpBpfQueries On', 'PhpBpfDbLayer Db', 'PhpBpfSlowThreshold 300ms');
my $stopped;
END { stop_instance($inst) if $inst && !$stopped }
my $port = $inst->{port};
sub get { instance_get($inst, $_[0], Host => $_[1] // 'shop.test') }
sub json { my $r = get('/server-bpf?json'); eval { decode_json($r->{content}) } }
sub vhost_of { my ($j, $h) = @_; my ($v) = grep { $_->{name} eq "$h:$port" } @{ $j->{vhosts} // [] }; $v }
sub stmt_of {
    my ($v, $re) = @_;
    my ($s) = grep { $_->{text} =~ $re } @{ $v->{queries}{statements} // [] };
    return $s;
}
# performance_schema's count of the statements whose digest text matches.
sub digest_count {
    my ($like) = @_;
    my $n = sql("SELECT COALESCE(SUM(COUNT_STAR), 0) FROM performance_schema.events_statements_summary_by_digest"
                . " WHERE DIGEST_TEXT LIKE '$like'");
    chomp $n;
    return $n;
}

ok((wait_until { my $j = json(); $j && $j->{queries}{state} eq 'active' } 10), 'statements are traced')
    or diag explain json()->{queries}, `cat $inst->{error_log}`;
sql('TRUNCATE TABLE performance_schema.events_statements_summary_by_digest');

# The line of Shop::find that calls Db::query.
my $find_line = do {
    open my $fh, '<', "$FindBin::Bin/htdocs/queries/shop.php" or die $!;
    my $n = 0;
    my $at;
    while (<$fh>) { $n++; $at //= $n if /shop_items WHERE id/ }
    $at;
};
my $r = get("/queries/shop.php?socket=$sock&find=7&prepared=5&pdo=4&fail=2");
is $r->{status}, 200, 'the shop page ran';
my $truth = eval { decode_json($r->{content}) } // {};
ok $truth->{find}, "PHP timed its statements: $r->{content}";

my $j = json();
my $v = vhost_of($j, 'shop.test');
my $find = stmt_of($v, qr/shop_items WHERE/);
is $find->{text}, "SELECT name, price FROM shop_items WHERE id = ? AND name <> ?",
    'literals are ? in the normalised text';
is $find->{count}, 7, 'Shop::find ran 7 times';
is $find->{count}, digest_count('%shop_items%WHERE%'), "as MariaDB counted them";
my $q = $truth->{find} ? $find->{total_us} / $truth->{find} : 0;
ok $q >= 0.90 && $q <= 1.05, sprintf 'their time, %d us, is within -10%%/+5%% of PHP\'s own %d us (%.3f)',
    $find->{total_us} // 0, $truth->{find} // 0, $q;
is $find->{caller}{function}, 'Shop::find', 'the caller is Shop::find, not the database layer (Db::query, PhpBpfDbLayer Db)'
    or diag explain $find;
like $find->{caller}{file}, qr{/queries/shop\.php$}, 'in shop.php';
is $find->{caller}{line}, $find_line, "at the line that called Db::query ($find_line)";
like $find->{server}, qr{^unix://.*mysqld\.sock$}, "the server: $find->{server}";
is $find->{system}, 'mysql', 'the system';
is((join ' > ', map { $_->{function} } @{ $find->{slowest_stack} // [] }[0..2]),
   'mysqli::real_query > Db::query > Shop::find', 'the slowest run\'s stack, innermost first');

my $prep = stmt_of($v, qr/shop_prices/);
is $prep->{text}, 'SELECT price FROM shop_prices WHERE id = ?', 'a prepared statement, as prepared';
is $prep->{count}, 5, 'each execute is a run';
my $pdo = stmt_of($v, qr/shop_orders/);
is $pdo->{text}, 'SELECT COUNT(*) FROM shop_orders WHERE total > ?', 'PDO\'s emulated prepare, its literal a ?';
is $pdo->{count}, 4, 'four executes';
is $pdo->{count}, digest_count('%shop_orders%'), 'as MariaDB counted them';
my $fail = stmt_of($v, qr/shop_missing/);
is $fail->{count}, 2, 'a failing statement is counted';
is $fail->{errors}, 2, 'as an error, twice';
is $v->{queries}{errors}, 2, 'and in the vhost\'s errors';
# The vhost's exact total: every statement, and the connection's own
# set-up statements none.
is $v->{queries}{count}, 7 + 5 + 4 + 2, 'the vhost ran 18 statements';

my $page = get('/server-bpf')->{content};
like $page, qr{<h2>Queries</h2>}, 'the page has a Queries section';
like $page, qr{<code>SELECT name, price FROM shop_items WHERE id = \? AND name &lt;&gt; \?</code>.*?<td class=l>Shop::find shop\.php:$find_line</td>}s,
    'with the statement and its caller';
my $metrics = get('/server-bpf?metrics')->{content};
like $metrics, qr/^phpbpf_db_statements_total\{vhost="shop\.test:$port",system="mysql"\} 18$/m,
    '?metrics counts them per vhost and system';
unlike $metrics, qr/shop_items/, 'never with a statement as a label';

# ---- A slow request's statements, and the N+1 among them
$r = get("/queries/shop.php?socket=$sock&find=40&fail=1&sleep=400");
my ($slow) = grep { $_->{uri} =~ m{^/queries/shop\.php} && ($_->{queries}{count} // 0) == 41 }
             @{ (wait_until { my $j = json(); grep { $_->{uri} =~ /sleep/ || ($_->{queries}{count} // 0) == 41 } @{ $j->{slow}{requests} // [] } and $j } 5 // {})->{slow}{requests} // [] };
ok $slow, 'the slow log has the request, with its 41 statements' or diag explain json()->{slow};
my $st = $slow->{queries}{statements} // [];
is scalar(@$st), 2, 'two distinct statements, in the order they first ran';
is $st->[0]{count}, 40, 'Shop::find\'s, 40 times';
ok $st->[0]{n_plus_one}, 'flagged as N+1';
is "$st->[0]{caller}{function}:$st->[0]{caller}{line}", "Shop::find:$find_line", 'from Shop::find';
ok !$st->[1]{n_plus_one} && $st->[1]{count} == 1, 'the failing one once, not N+1';
like get('/server-bpf')->{content}, qr{<pre class=bt>SQL: 41 statements, [\d.]+ m?s\n<b>N\+1</b> 40&times; [\d.]+ m?s  SELECT name, price FROM shop_items WHERE id = \? AND name &lt;&gt; \?  from Shop::find shop\.php:$find_line\n},
    'the page\'s slow log lists them, with the N+1 flagged';

# ---- Hostile and huge text; nothing secret anywhere
$r = get("/queries/shop.php?socket=$sock&hostile=1&big=1");
is $r->{status}, 200, 'hostile and huge statements ran';
$j = json();
$v = vhost_of($j, 'shop.test');
my $big = stmt_of($v, qr/name IN/);
ok $big && $big->{truncated} && length($big->{text}) < 600, 'a 100 KB statement is read in part, and marked cut'
    or diag explain $big;
$page = get('/server-bpf')->{content};
my $all = $page . get('/server-bpf?json')->{content} . get('/server-bpf?auto')->{content} . get('/server-bpf?metrics')->{content};
unlike $all, qr/s3cr3t/, 'no literal reaches any format';
unlike $page, qr/<script>x/, 'markup in a statement is escaped';
like $page, qr/&lt;script&gt;x&lt;\/script&gt;/, 'and shown';

# ---- A flood of distinct statements is bounded, counted, and fair: the
# other vhost keeps its statements
get("/queries/shop.php?socket=$sock&prepared=3", 'other.test');
$r = get("/queries/shop.php?socket=$sock&distinct=5000");
$j = json();
$v = vhost_of($j, 'shop.test');
cmp_ok scalar(@{ $v->{queries}{statements} }), '<=', 2048, 'the table is bounded';
is $v->{queries}{count}, 18 + 41 + 2 + 5000, 'every statement is in the vhost\'s count';
cmp_ok $v->{queries}{not_kept}, '>=', 5000 - 2048, "what the table did not keep is counted ($v->{queries}{not_kept})";
like get('/server-bpf')->{content}, qr/\d+ runs of statements beyond this vhost's share of the table/,
    'and shown';
is((stmt_of(vhost_of($j, 'other.test'), qr/shop_prices/) // {})->{count}, 3,
   'the other vhost\'s statement is still there, its 3 runs');

# ---- A persistent connection opened before the helper started: nothing
# is remembered per connection, so its statements are traced all the same
get("/queries/shop.php?socket=$sock&persistent=1&find=1");
my $before = vhost_of(json(), 'shop.test')->{queries}{count};
my $hp = json()->{tracing}{helper_pid};
kill 'KILL', $hp;
ok((wait_until { my $t = json(); $t && $t->{tracing}{helper_pid} && $t->{tracing}{helper_pid} != $hp
                   && $t->{queries}{state} eq 'active' } 15), 'a new helper after the old one was killed');
get("/queries/shop.php?socket=$sock&persistent=1&find=3");
$v = vhost_of(json(), 'shop.test');
is $v->{queries}{count}, $before + 3, 'the persistent connection\'s 3 statements are counted, the total kept across the restart';
is((stmt_of($v, qr/shop_items WHERE/) // {})->{count}, 3, 'the new helper\'s table starts again, with them');
