# The recent list and the slow log show the URL the client asked for, as
# mod_status does, with the script an internal redirect ran beside it: a
# front controller reached through FallbackResource, DirectoryIndex and
# mod_rewrite shows /front/product/7, /front/ and /pretty/..., not
# /front/index.php each time.  Query strings stay removed.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 15;

my $top = topdir();
my $mods = '/usr/lib/apache2/modules';
my $inst = start_instance(access_log => 1, extra => <<"EOF");
LoadModule dir_module $mods/mod_dir.so
LoadModule rewrite_module $mods/mod_rewrite.so
PhpBpfSlowThreshold 20ms
<Directory "$top/t/htdocs/front">
    DirectoryIndex index.php
    FallbackResource /front/index.php
</Directory>
RewriteEngine On
RewriteRule "^/pretty/" "/front/index.php" [PT]
EOF
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }

my @asked = ('/front/product/7?color=red', '/front/', '/pretty/blog/hello-world/', '/hello.php');
is instance_get($inst, $_)->{status}, 200, "GET $_" for @asked;

# Newest first: the four in reverse.
my $j = wait_until { my $j = json(); $j && @{ $j->{recent} } >= 4 ? $j : undef } 10;
my @recent = reverse @{ $j->{recent} }[0 .. 3];
is_deeply [ map { $_->{uri} } @recent ],
          [ '/front/product/7?[query removed]', '/front/', '/pretty/blog/hello-world/', '/hello.php' ],
          'the recent list shows the URL each client asked for';
is_deeply [ map { $_->{script} } @recent ],
          [ '/front/index.php', '/front/index.php', '/front/index.php', undef ],
          'and the script a redirect ran beside it, none where it is the URL';

my $page = instance_get($inst, '/server-bpf')->{content};
like $page, qr{<td class=l>GET /front/product/7\?\[query removed\]</td><td class=l>/front/index\.php</td>},
     'the page: the URL, then the script';
like $page, qr{<td class=l>GET /hello\.php</td><td class=l></td>}, 'the page: no script beside a plain request';

# The slow log: the three front-controller requests slept 30 ms.
my $s = wait_until { my $j = json(); $j && @{ $j->{slow}{requests} } >= 3 ? $j->{slow}{requests} : undef } 10;
my %slow = map { $_->{uri} => $_ } @{ $s || [] };
ok $slow{$_}, "the slow log has $_"
    for '/front/product/7?[query removed]', '/front/', '/pretty/blog/hello-world/';
is $slow{'/front/'} && $slow{'/front/'}{script}, "$top/t/htdocs/front/index.php",
   'with the script PHP ran';
is scalar(grep { $_->{uri} eq '/front/index.php' } @{ $s || [] }), 0,
   'no slow entry shows the script as its URL';

# The access log, which logs %r, agrees: these are the requests' lines.
open my $fh, '<', "$inst->{dir}/access_log" or die $!;
my @lines = map { /"(\S+ \S+)/ ? $1 : () } <$fh>;
is scalar(grep { $_ eq 'GET /front/product/7?color=red' } @lines), 1, 'the access log has the request line';

my $all = join '', map { instance_get($inst, "/server-bpf$_")->{content} } ('', '?json', '?auto', '?metrics');
unlike $all, qr/color=red|\bred\b/, 'the query string is in no format';
stop_instance($inst);
