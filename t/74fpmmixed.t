# mod_php and php-fpm side by side in one server (prefork), on different
# vhosts: each vhost counted exactly, under the way its PHP runs, with
# two uprobe hits per request either way; and the pool's foreign client
# and the mod_php children never mixed up.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use File::Temp qw(tempdir);
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan skip_all => 'no /usr/sbin/php-fpm8.2 (php8.2-fpm)' unless -x '/usr/sbin/php-fpm8.2';
plan tests => 14;

my $top = tempdir('phpbpf-mixed-XXXXXX', DIR => Apache::Test::vars('t_logs'), CLEANUP => 1);
chmod 0755, $top;
my $docs = PhpBpfTest::topdir() . '/t/htdocs';
my $fpm = start_fpm(dir => $top, pools => [[ 'f', 'www-data', "$top/f.sock" ]]);
END { local $?; stop_fpm($fpm) }

my $mods = '/usr/lib/apache2/modules';
my $inst = start_instance(extra => <<"EOF");
LoadModule proxy_module $mods/mod_proxy.so
LoadModule proxy_fcgi_module $mods/mod_proxy_fcgi.so
# A pool on another host: its requests are PHP's, with Apache time only.
PhpBpfFpm 10.255.255.1:1
LogFormat "%v %>s %D \\"%r\\"" mixed
CustomLog "$top/access_log" mixed
<VirtualHost *>
    ServerName m.test
    DocumentRoot "$docs"
</VirtualHost>
<VirtualHost *>
    ServerName f.test
    DocumentRoot "$docs"
    <FilesMatch "\\.php\$">
        SetHandler "proxy:unix:$top/f.sock|fcgi://localhost"
    </FilesMatch>
</VirtualHost>
EOF
END { stop_instance($inst) if $inst }
my $port = $inst->{port};
sub get { my ($host, $path) = @_; instance_get($inst, $path, Host => $host) }
sub json { my $r = get('m.test', '/server-bpf?json'); eval { decode_json($r->{content}) } }
sub vhost {
    my ($j, $h) = @_;
    my ($v) = grep { $_->{name} eq "$h:$port" } @{ ($j // {})->{vhosts} // [] };
    return $v // {};
}
sub logged {
    my ($h) = @_;
    open my $fh, '<', "$top/access_log" or return 0;
    return scalar grep { /^\Q$h\E 200 \d+ "GET \S+\.php/ } <$fh>;
}

my $j = wait_until { my $j = json(); $j && $j->{tracing}{state} eq 'active' ? $j : undef } 15;
is $j && $j->{tracing}{state}, 'active', 'tracing mod_php and php-fpm at once';
like $j && $j->{tracing}{library}, qr{/libphp8\.2\.so$}, 'libphp named';
my %pool = map { $_->{pool} => $_->{state} } @{ $j->{tracing}{fpm_pools} // [] };
like $pool{"unix:$top/f.sock"} // '', qr{^php-fpm /usr/sbin/php-fpm8\.2, master pid $fpm$},
     'and the pool, with its master and binary';
is $pool{'10.255.255.1:1'}, 'no php-fpm master found: nothing listens there; Apache time only',
    'a pool on another host (PhpBpfFpm): Apache time only, and the page says so';
my $c0 = $j->{tracing}{counters};
for (1 .. 20) {
    get('m.test', "/hello.php?i=$_");
    get('f.test', "/hello.php?i=$_");
}
get('f.test', '/sleep20.php') for 1 .. 5;
$j = wait_until { my $j = json();
                  (vhost($j, 'm.test')->{php_us}{count} // 0) >= 20 && (vhost($j, 'f.test')->{php_us}{count} // 0) >= 25
                  ? $j : undef } 10;
my ($m, $f) = (vhost($j, 'm.test'), vhost($j, 'f.test'));
is logged('m.test'), 20, 'm.test: 20 in the access log';
is $m->{requests}, 20, 'm.test: Apache counted 20';
is $m->{php_us}{count}, 20, 'm.test: PHP, in mod_php, 20';
is $m->{php_runs}, 'mod_php', 'm.test: its PHP runs in mod_php';
is logged('f.test'), 25, 'f.test: 25 in the access log';
is $f->{requests}, 25, 'f.test: Apache counted 25';
is $f->{php_us}{count}, 25, 'f.test: PHP, in php-fpm, 25';
is $f->{php_runs}, "php-fpm unix:$top/f.sock", 'f.test: its PHP runs in the pool';
my $c1 = $j->{tracing}{counters};
is $c1->{shutdowns} - $c0->{shutdowns}, 45, 'every request ended once, on its own side';
is(($c1->{hits} - $c0->{hits} - ($c1->{foreign} - $c0->{foreign})) / 45, 2,
   'two uprobe hits a request, either way');
