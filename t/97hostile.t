# Hostile input: query strings on /server-bpf (huge, repeated, not UTF-8,
# %00) only ever get a well-formed 200, 400 or 405; hostile URIs and file
# names from PHP (4 KB, control characters, invalid UTF-8, </script>,
# quotes) come out escaped or truncated, the HTML stays markup-free and
# the JSON valid; no child crashes.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use Apache::TestRequest qw(GET);
use File::Path qw(make_path);
use JSON::PP qw(decode_json);
use PhpBpfTest;

my @queries = ('a' x 7000, join('&', ('auto') x 500), 'json&auto&json&metrics', "%ff%fe%00",
               'refresh=%00', 'refresh=9' x 10, 'refresh=', 'refresh=-1', 'refresh=99999999999',
               '&&&;;;', '%00', 'json%00', '<script>', 'refresh=1%3Cscript%3E', '=', 'auto=x',
               "\xc3\x28", 'metrics=%0d%0a', 'refresh=0');
plan tests => @queries + 9;

my $log_at = error_log_size();
for my $q (@queries) {
    my $res = GET("/server-bpf?$q");
    my $c = $res->code;
    ok(($c == 200 || $c == 400 || $c == 405 || $c == 414) && ($c != 200 || length $res->content),
       sprintf('?%.40s -> %d', $q, $c));
}

# PHP sees hostile names: a file whose name carries markup, quotes, a
# control character and bytes that are not UTF-8, reached by a long URI.
my $dir = Apache::Test::vars('documentroot') . '/hostile';
make_path($dir);
chmod 0755, $dir;
# (A file name cannot hold "/": the closing tag comes through the URI.)
my $name = qq{x<script>alert("f")'\x01\xff.php};
open my $fh, '>', "$dir/$name" or die "$dir/$name: $!";
print $fh '<?php usleep(1000); echo "hostile";';
close $fh;
chmod 0644, "$dir/$name";
(my $enc = $name) =~ s/([^A-Za-z0-9._-])/sprintf '%%%02X', ord $1/ge;
my $long = '/hostile/' . $enc . '/' . ('A' x 4000) . '</script>"q';
my $r = GET($long, Host => 'a.test');
ok $r->code == 200 && $r->content eq 'hostile', 'the hostile script runs, through a 4 KB URI';
GET("/hostile/$enc?x=\"</script>", Host => 'a.test');

my $html = wait_until { my $c = GET('/server-bpf')->content; $c =~ /hostile/ ? $c : undef } 5;
ok $html, 'the page shows the hostile requests';
# The page's one script is the flame graph's own zoom: none from a request.
(my $outside = $html) =~ s{<script>\n/\* Click a frame to zoom.*?</script>}{}s;
unlike $outside, qr/<script>|<\/script>/i, 'no script tag, opening or closing, reaches the HTML';
unlike $html, qr/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff]/, 'no control character or raw non-ASCII byte in the HTML';
like $html, qr/\\x01\\xff/, 'the odd bytes are shown as \xNN';
like $html, qr/AAAA/, 'the long URI is there...';
unlike $html, qr/A{300}/, '... cut short';
my $json = GET('/server-bpf?json')->content;
ok eval { decode_json($json); 1 }, 'the JSON is still valid' or diag $@;
unlike error_log_since($log_at), qr/Segmentation fault|exit signal/, 'no child crashed';
