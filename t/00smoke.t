use strict;
use warnings FATAL => 'all';

use Test::More;
use Apache::Test ();
use Apache::TestRequest qw(GET);
use Time::HiRes qw(time);

# No need_module('php'): mod_php is loaded by t/conf/extra.conf, which
# Apache::Test's module inventory does not see -- and a smoke test should
# fail loudly, not skip, if PHP is not working.
plan tests => 15;

# Apache::TestRequest sends "Host: localhost:<port>" by default; an explicit
# Host header overrides it and selects the name-based vhost.
for my $vhost (qw(a.test b.test)) {
    my $res = GET '/hello.php', Host => $vhost;
    is $res->code, 200, "$vhost: GET /hello.php -> 200";
    is $res->content, 'hello', "$vhost: body is 'hello'";
}

{
    my $t0  = time;
    my $res = GET '/sleep20.php', Host => 'a.test';
    my $ms  = (time - $t0) * 1000;
    is $res->code, 200, 'GET /sleep20.php -> 200';
    is $res->content, 'ok', "sleep20.php body is 'ok'";
    cmp_ok $ms, '>=', 20, sprintf('sleep20.php took >= 20ms (%.1fms)', $ms);
}

{
    my $res = GET '/status500.php', Host => 'a.test';
    is $res->code, 500, 'status500.php -> 500';

    $res = GET '/notfound404.php', Host => 'b.test';
    is $res->code, 404, 'notfound404.php -> 404';

    # don't follow the redirect, look at the 302 itself
    $res = GET '/redirect302.php', Host => 'a.test', redirect_ok => 0;
    is $res->code, 302, 'redirect302.php -> 302';
    like $res->header('Location') // '', qr{/hello\.php$},
        'redirect302.php Location: /hello.php';
}

{
    # mod_status is reachable (Require local; the test client is 127.0.0.1)
    my $res = GET '/server-status?auto';
    like $res->content, qr/^Total Accesses:/m,
        '/server-status?auto works (ExtendedStatus On)';
}

{
    # We run as root on purpose (see t/TEST.PL); make sure the httpd
    # children really dropped to the configured User.  Only processes
    # running the httpd binary count: mod_phpbpf's privileged helper may
    # legitimately be a root child of the httpd parent.
    my $vars = Apache::Test::vars();
    my $comm = substr((split m{/}, $vars->{httpd})[-1], 0, 15);
    my $want = getpwnam($vars->{user});
    open my $fh, '<', $vars->{t_pid_file} or die "$vars->{t_pid_file}: $!";
    chomp(my $ppid = <$fh>);

    my @kids;
    for my $status (glob '/proc/[0-9]*/status') {
        open my $st, '<', $status or next;
        my %f = map { /^(\w+):\s*(.*)$/ ? ($1 => $2) : () } <$st>;
        push @kids, [ $status =~ m{/proc/(\d+)/}, (split ' ', $f{Uid})[1] ]
            if ($f{PPid} // '') eq $ppid and ($f{Name} // '') eq $comm;
    }
    ok scalar(@kids), "httpd (pid $ppid) has $comm children";
    is_deeply [ grep { $_->[1] != $want } @kids ], [],
        "all httpd children run as $vars->{user} (euid $want)";
}

{
    # .ci/run installs "grep -v '^#' conf/debian-packages" word by word: a
    # comment that lost its '#' becomes a package apt cannot find, and CI
    # stops before any test runs (it did: "cpio (instruction counts),").
    # Every line must be one package name, and installed here.
    open my $fh, '<', 'conf/debian-packages' or die "conf/debian-packages: $!";
    my @bad;
    for (grep { !/^#/ } <$fh>) {
        chomp;
        if (!/^[a-z0-9][a-z0-9.+-]+$/) { push @bad, "not a package name: '$_'"; next }
        my $st = `dpkg-query -W -f='\${db:Status-Status}' $_ 2>/dev/null`;
        push @bad, "$_ is not installed" if $st ne 'installed';
    }
    is_deeply \@bad, [], 'conf/debian-packages: one installed package per line';
}
