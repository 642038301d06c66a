# Time by component: a site laid out like WordPress, whose core calls the
# plugin slowplug (50 ms of spinning and a 5 ms sleep per request), a
# Composer package acme/widget (5 ms) and a Drupal-style module fastmod
# (2 ms).  The vhost's samples go to the plugin by self (its md5() calls,
# internal, charged to it), to WordPress core by total; the package is
# named vendor/package, the module by PhpBpfComponent; with CPU tracing,
# the plugin's waits are its own.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP qw(decode_json);
use PhpBpfTest;

plan tests => 13;

my $inst = start_instance(vhosts => ['wp.test'], extra => <<'EOF');
PhpBpfProfileHz 999
PhpBpfCpuTracing On
PhpBpfComponent /modules/contrib/*/ "module *"
EOF
my $name = "wp.test:$inst->{port}";
sub json { my $r = instance_get($inst, '/server-bpf?json'); eval { decode_json($r->{content}) } }

is instance_get($inst, '/wp/index.php', Host => 'wp.test')->{content}, 'wp', 'the site answers';
instance_get($inst, '/wp/index.php', Host => 'wp.test') for 2 .. 20;
my $p = wait_until {
    my $j = json();
    my ($v) = grep { $_->{name} eq $name } @{ $j ? $j->{vhosts} : [] };
    $v && $v->{profile} && $v->{profile}{samples} >= 200 ? $v->{profile} : undef;
} 10;
ok $p, 'the vhost has samples' or diag explain json();
my %c = map { $_->{name} => $_ } @{ $p ? $p->{components} : [] };
my $n = $p ? $p->{samples} : 1;
note explain [ map { "$_->{name} self $_->{self} total $_->{total}" } @{ $p ? $p->{components} : [] } ];
cmp_ok +($c{'plugin slowplug'}{self} // 0) / $n, '>=', 0.8, 'at least 80% of the samples are the plugin\'s own';
cmp_ok +($c{'WordPress core'}{total} // 0) / $n, '>=', 0.9, 'WordPress core is in nearly every stack';
ok +($c{'acme/widget'}{self} // 0) > 0, 'the Composer package is named vendor/package';
cmp_ok +($c{'acme/widget'}{self} // 0), '<', ($c{'plugin slowplug'}{self} // 0) / 4,
       'and has about a tenth of the plugin\'s time';
is $p && $p->{components}[0]{name}, 'plugin slowplug', 'most self first';
ok +($c{'module fastmod'}{self} // 0) > 0, 'PhpBpfComponent names the module: module fastmod';
ok !$c{'(application)'} || !grep({ $_->{name} =~ /fastmod/ && $_->{name} ne 'module fastmod' } @{ $p->{components} }),
   'and nothing else does';
my $w = wait_until {
    my $j = json();
    my ($v) = grep { $_->{name} eq $name } @{ $j ? $j->{vhosts} : [] };
    my ($x) = grep { $_->{component} eq 'plugin slowplug' && $_->{class} eq 'sleep' } @{ $v ? $v->{wait_components} : [] };
    $x && $x->{count} >= 20 ? $v : undef;
} 10;
ok $w, 'waits by component: the plugin\'s sleeps are its own (20 requests, 20 waits at least)'
    or diag explain json();
is scalar(grep { $_->{class} eq 'sleep' && $_->{component} ne 'plugin slowplug' } @{ $w ? $w->{wait_components} : [] }), 0,
   'and no other component has them';
my $page = instance_get($inst, '/server-bpf')->{content};
like $page, qr{<th class=l>Time by component</th>.*?<td class=l><span class=sw style="background:hsl\(\d+,75%,60%\)"></span>plugin slowplug</td>}s,
     'the page shows it, with its colour';
# The flame graph colours a frame by its component: the plugin's function
# has the hue the table gives the plugin, the package's another.
my ($hue) = $page =~ m{background:hsl\((\d+),75%,60%\)"></span>plugin slowplug<};
my ($fhue) = $page =~ m{background:hsl\((\d+),75%,\d+%\)" title="slowplug_work: };
my ($whue) = $page =~ m{background:hsl\((\d+),75%,\d+%\)" title="Acme\W+Widget::spin: };
ok defined $hue && defined $fhue && $fhue == $hue && defined $whue && $whue != $hue,
   "the flame graph: the plugin's frames in its colour, the package's in another"
   or diag join ' ', map { $_ // '-' } $hue, $fhue, $whue, $page =~ /(title="(?:slowplug_work|Acme[^"]*spin)[^"]*")/g;
stop_instance($inst);
