# SQL statements from libpq (pgsql and PDO_pgsql): a real PostgreSQL,
# started here in its own directory on a unix socket with
# pg_stat_statements, whose calls are the ground truth of the counts;
# PHP's hrtime() that of their time.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use File::Temp qw(tempdir);
use JSON::PP qw(decode_json);
use POSIX qw(_exit);
use PhpBpfTest;

plan tests => 21;

my $logs = Apache::Test::vars('t_logs');
my $top = tempdir('phpbpf-pg-XXXXXX', DIR => $logs, CLEANUP => 1);
chmod 0755, $top;
my $dir = "$top/pg";
mkdir $dir or die;
my (undef, undef, $uid, $gid) = getpwnam('postgres') or die 'no postgres user';
chown $uid, $gid, $dir;
my $bin = (sort glob '/usr/lib/postgresql/*/bin')[-1];
my $init = `runuser -u postgres -- $bin/initdb --auth=trust -U postgres -D $dir/data 2>&1`;
is $?, 0, 'a PostgreSQL data directory' or diag $init;
my $pid = fork // die "fork: $!";
if (!$pid) {
    open STDOUT, '>', "$top/postgres.log";
    open STDERR, '>&', \*STDOUT;
    exec 'runuser', '-u', 'postgres', '--', "$bin/postgres", '-D', "$dir/data", '-c', "listen_addresses=",
         '-c', "unix_socket_directories=$dir", '-c', 'shared_preload_libraries=pg_stat_statements',
         '-c', 'pg_stat_statements.track=all' or _exit(127);
}
my @kids = ($pid);
END { local $?; kill 'TERM', @kids if @kids; waitpid $_, 0 for @kids }
ok((wait_until { -S "$dir/.s.PGSQL.5432" } 30), 'PostgreSQL is up') or diag `cat $top/postgres.log`;
sub sql {
    my ($db, $q) = @_;
    my $out = `psql -X -q -h $dir -U postgres -d $db -At -c "$q" 2>&1`;
    die "psql: $q: $out" if $?;
    return $out;
}
sql('postgres', 'CREATE DATABASE shop');
sql('shop', 'CREATE EXTENSION pg_stat_statements');
sql('shop', 'CREATE TABLE shop_items (id int PRIMARY KEY, name text, price int); '
    . 'CREATE TABLE shop_prices (id int PRIMARY KEY, price int); '
    . 'CREATE TABLE shop_orders (id int PRIMARY KEY, total float8); '
    . "INSERT INTO shop_items VALUES (1, 'a', 10), (2, 'b', 20); INSERT INTO shop_prices VALUES (1, 5), (2, 6)");

my $inst = start_instance(vhosts => ['pg.test'], extra => join "\n",
    'StartServers 1', 'MinSpareServers 1', 'MaxSpareServers 1', 'ServerLimit 1', 'MaxRequestWorkers 1',
    'PhpBpfDbLayer Db');
END { stop_instance($inst) if $inst }
my $port = $inst->{port};
sub get { instance_get($inst, $_[0], Host => 'pg.test') }
sub json { my $r = get('/server-bpf?json'); eval { decode_json($r->{content}) } }
sub vhost { my ($v) = grep { $_->{name} eq "pg.test:$port" } @{ (json() // {})->{vhosts} // [] }; $v }
sub stmt_of { my ($re) = @_; my ($s) = grep { $_->{text} =~ $re } @{ (vhost() // {})->{queries}{statements} // [] }; $s }
sub calls {
    my ($like) = @_;
    my $n = sql('shop', "SELECT COALESCE(SUM(calls), 0) FROM pg_stat_statements WHERE query LIKE '$like'");
    chomp $n;
    return $n;
}

my $j = json();
ok $j && grep({ $_ eq 'uprobe:libpq' } @{ $j->{tracing}{probes} }), 'libpq is probed (pgsql.so links it)'
    or diag explain $j->{tracing}, $j->{queries};
sql('shop', 'SELECT pg_stat_statements_reset()');
my $r = get("/queries/pg.php?dir=$dir&find=7&params=3&prepared=4&pdo=2&fail=1");
is $r->{status}, 200, 'the page ran';
my $truth = eval { decode_json($r->{content}) } // {};
ok $truth->{find}, "PHP timed its statements: $r->{content}";

my $find = stmt_of(qr/shop_items WHERE id/);
is $find->{text}, 'SELECT name, price FROM shop_items WHERE id = ? AND name <> ?', 'literals are ?';
is $find->{system}, 'pgsql', 'the system';
is $find->{count}, 7, 'pg_query ran 7 times';
is $find->{count}, calls('%shop_items WHERE id%'), 'as pg_stat_statements counted them';
my $q = $truth->{find} ? $find->{total_us} / $truth->{find} : 0;
ok $q >= 0.90 && $q <= 1.05, sprintf 'their time, %d us, within -10%%/+5%% of PHP\'s own %d us (%.3f)',
    $find->{total_us} // 0, $truth->{find} // 0, $q;
is "$find->{caller}{function}", 'Shop::find', 'the caller is Shop::find' or diag explain $find;
my $params = stmt_of(qr/shop_prices/);
is $params->{text}, 'SELECT price FROM shop_prices WHERE id = ?', 'pg_query_params: $1 is ?';
is $params->{count}, calls('%shop_prices%'), "3 runs, as pg_stat_statements counted ($params->{count})";
my $prep = stmt_of(qr/shop_orders/);
is $prep->{count}, 4, 'pg_execute of a prepared statement: 4 runs of its text';
is $prep->{count}, calls('%shop_orders%'), 'as pg_stat_statements counted them';
my $pdo = stmt_of(qr/shop_items WHERE price/);
is $pdo->{count}, 2, 'PDO_pgsql\'s prepared statement: 2 runs';
my $fail = stmt_of(qr/shop_missing/);
is $fail->{errors}, 1, 'a failing statement is an error';
is((stmt_of(qr/^DEALLOCATE/) // {})->{count}, 1, 'PDO_pgsql\'s own DEALLOCATE of its statement is one too');
like get('/server-bpf?metrics')->{content}, qr/^phpbpf_db_statements_total\{vhost="pg\.test:$port",system="pgsql"\} 18$/m,
    '?metrics: 18 pgsql statements, and no mysql series for the vhost';
get("/queries/pg.php?dir=$dir&bs=1");
is((stmt_of(qr/name = \? OR/) // {})->{text}, 'SELECT id FROM shop_items WHERE name = ? OR name = ?',
   'a value ending in a backslash is one literal, as PostgreSQL reads it');
unlike get('/server-bpf')->{content} . get('/server-bpf?json')->{content}, qr/s3cr3t/, 'no literal anywhere';
