# The helper and its counters survive `apachectl graceful` (SIGUSR1) and
# `apachectl restart` (SIGHUP), like mod_status's totals; vhost
# attribution still holds in the new generation.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use Apache::TestRequest qw(GET);
use PhpBpfTest;

plan tests => 16;

my $K = 10;
my $a = vname('a.test');
my $parent = httpd_parent_pid();

sub traffic {
    for my $i (1 .. $K) {
        my $res = GET('/sleep2.php', Host => 'a.test');
        die 'GET /sleep2.php: ' . $res->status_line . "\n" unless $res->code == 200;
    }
}

sub settled {
    my ($want) = @_;
    return wait_until {
        my ($j, $r) = page_json();
        $j && $r->code == 200 && vhost_entry($j, $a)->{requests} == $want ? $j : undef;
    } 10;
}

for my $sig (qw(USR1 HUP)) {
    my $what = $sig eq 'USR1' ? 'graceful' : 'restart';
    traffic();
    my ($b) = page_json();
    my $req = vhost_entry($b, $a)->{requests};
    $b = settled($req);
    my $php = vhost_entry($b, $a)->{php_us}{count};

    kill $sig, $parent or die "kill $sig $parent: $!";
    my $j = wait_until {
        my ($p, $r) = page_json();
        $p && $r->code == 200 && $p->{tracing}{generation} > $b->{tracing}{generation} ? $p : undef;
    } 15;
    ok $j, "$what: the helper was told of the new generation";
    is $j && $j->{tracing}{helper_pid}, $b->{tracing}{helper_pid}, "$what: same helper";
    is $j && $j->{tracing}{helper_restarts}, $b->{tracing}{helper_restarts}, "$what: not counted as a helper restart";
    is vhost_entry($j, $a)->{requests}, $req, "$what: Apache counters kept";
    is vhost_entry($j, $a)->{php_us}{count}, $php, "$what: BPF counters kept";

    traffic();
    my $after = settled($req + $K);
    ok $after, "$what: exactly $K more requests on $a in the new generation";
    is vhost_entry($after, $a)->{php_us}{count}, $php + $K, "$what: and exactly $K more from BPF";
    is httpd_parent_pid(), $parent, "$what: same httpd parent";
}
