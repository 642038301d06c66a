# What PHP waited on, and the SQL it ran, through php-fpm: a real MariaDB
# on loopback (its own directory), a pool of Debian's php-fpm8.2, mpm_event
# with mod_proxy_fcgi, PhpBpfCpuTracing On.  Ground truth: PHP's own
# hrtime() around every call (t/htdocs/waits/mysql.php), and the six
# statements the script sends.
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

plan skip_all => 'no /usr/sbin/php-fpm8.2 (php8.2-fpm)' unless -x '/usr/sbin/php-fpm8.2';
plan tests => 10;

my $dir = tempdir('phpbpf-fpmdb-XXXXXX', DIR => Apache::Test::vars('t_logs'), CLEANUP => 1);
chmod 0755, $dir;
my $docs = PhpBpfTest::topdir() . '/t/htdocs';
my ($my_port, $my_sock) = (PhpBpfTest::free_port(), "$dir/mysqld.sock");
my ($rc, $install) = mariadb_install($dir);
is $rc, 0, 'a MariaDB data directory' or diag $install;
my $db = mariadb_start($dir, "--port=$my_port", '--bind-address=127.0.0.1');
END { local $?; kill 'TERM', $db; waitpid $db, 0 }
ok((wait_until { -S $my_sock && IO::Socket::INET->new("127.0.0.1:$my_port") } 30), 'MariaDB is up')
    or diag `cat $dir/mysqld.log`;
# www-data must reach the socket in a directory of root's.
chmod 0777, $my_sock;

my $fpm = start_fpm(dir => $dir, pools => [[ 'db', 'www-data', "$dir/fpm.sock" ]]);
END { local $?; stop_fpm($fpm) }
my $mods = '/usr/lib/apache2/modules';
my $inst = start_instance(php => 0, mpm => 'event', extra => <<"EOF");
LoadModule proxy_module $mods/mod_proxy.so
LoadModule proxy_fcgi_module $mods/mod_proxy_fcgi.so
PhpBpfCpuTracing On
PhpBpfSlowThreshold 50ms
PhpBpfPeer 127.0.0.1:$my_port mysql
PhpBpfPeer unix:$my_sock mysql
<VirtualHost *>
    ServerName db.test
    DocumentRoot "$docs"
    <FilesMatch "\\.php\$">
        SetHandler "proxy:unix:$dir/fpm.sock|fcgi://localhost"
    </FilesMatch>
</VirtualHost>
EOF
END { stop_instance($inst) if $inst }
my $port = $inst->{port};
sub get { instance_get($inst, $_[0], Host => 'db.test') }
sub json { eval { decode_json(get('/server-bpf?json')->{content}) } }
my $j = wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' ? $j : undef } 15;
like join(' ', @{ ($j // {})->{tracing}{probes} // [] }), qr/sched:sched_switch.*uprobe:mysqlnd/,
    "CPU tracing, and mysqlnd.so's probes from the php-fpm master's own extensions";

my $truth = get("/waits/mysql.php?port=$my_port&socket=$my_sock")->{content};
ok $truth =~ /^\d+$/, "mysql.php ran in php-fpm ($truth us of waits by PHP's own count)";
my $e = wait_until { my $j = json(); my ($s) = grep { $_->{uri} =~ m{^/waits/mysql\.php} } @{ $j->{slow}{requests} // [] };
                     $s } 5;
my $got = ($e // {})->{waits}{mysql}{total_us} // 0;
my $q = $truth =~ /^\d+$/ && $truth ? $got / $truth : 0;
ok $q >= 0.90 && $q <= 1.05, sprintf "the slow request's mysql waits: %d us of PHP's own %d (%.3f)", $got, $truth || 0, $q;
cmp_ok(($e // {})->{waits}{mysql}{count} // 0, '>=', 6, 'six waits or more, one a query');
my ($site) = grep { $_->{function} eq 'Db::query' && $_->{class} eq 'mysql' }
             @{ (vhost_entry(json(), "db.test:$port") // {})->{wait_sites} // [] };
ok $site && $site->{file} =~ m{/waits/mysql\.php$} && $site->{line} == 8,
    'charged to its call site in php-fpm: Db::query, mysql.php:8' or diag explain $site;
$j = wait_until { my $j = json(); my $v = vhost_entry($j, "db.test:$port");
                  $v && @{ $v->{queries}{statements} // [] } ? $j : undef } 5;
my ($s) = grep { $_->{text} eq 'SELECT SLEEP(?)' } @{ (vhost_entry($j, "db.test:$port") // {})->{queries}{statements} // [] };
is $s && $s->{count}, 6, 'the statement, normalised, 6 times';
cmp_ok $s && $s->{total_us}, '>=', 600000, 'about 600 ms of it';
is $s && $s->{caller}{function}, 'Db::query', 'with the PHP code that ran it' or diag explain $s;
