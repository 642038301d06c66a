package PhpBpfTest;
# Shared bits of the mod_phpbpf suite: reading /server-bpf, Apache's own
# access log as the reference, and extra httpd instances for the tests that
# need a server configured differently from the Apache::Test one.

use strict;
use warnings;

use Apache::Test ();
use Apache::TestRequest qw(GET);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use LWP::UserAgent;
use IO::Socket::INET;
use JSON::PP qw(decode_json);
use POSIX qw(setsid _exit);
use Time::HiRes qw(sleep time);

use Exporter 'import';
our @EXPORT = qw(page_json vhost_entry vname access_log_php wait_until
                 median httpd_parent_pid helper_pid_of error_log_size
                 error_log_since write_instance start_instance stop_instance
                 instance_get configtest topdir within patch_symbol_size
                 start_instance_ns helper_socket start_fpm stop_fpm mariadb_install mariadb_start
                 bpf_prog_ids_of bpf_map_ids_of bpf_progs_alive);

our $TOP = abs_path(dirname(__FILE__) . '/../..');
sub topdir { $TOP }

# "a.test" -> "a.test:8529", as the module names vhosts.
sub vname { my $h = shift; return "$h:" . Apache::Test::vars('port') }

# (decoded JSON or undef, HTTP::Response)
sub page_json {
    my $res = GET('/server-bpf?json');
    my $j = eval { decode_json($res->content) };
    return ($j, $res);
}

sub vhost_entry {
    my ($j, $name) = @_;
    for my $v (@{ $j->{vhosts} || [] }) {
        return $v if $v->{name} eq $name;
    }
    return { requests => 0, php_us => { count => 0 }, latency_us => { count => 0 },
             status => { map { $_ => 0 } qw(2xx 3xx 4xx 5xx) } };
}

# %D of every PHP request Apache logged for a vhost, from the per-vhost log
# t/conf/extra.conf.in writes as "%v %h %t \"%r\" %>s %b %D".
sub access_log_php {
    my ($host) = @_;
    my $log = Apache::Test::vars('t_logs') . '/vhost_access_log';
    my @d;
    open my $fh, '<', $log or return ();
    while (my $line = <$fh>) {
        next unless $line =~ /^(\S+) \S+ \[[^\]]+\] "\S+ (\S+)[^"]*" (\d{3}) \S+ (\d+)$/;
        my ($v, $uri, $d) = ($1, $2, $4);
        next unless $v eq $host && $uri =~ m{\.php(?:[/?]|$)};
        push @d, $d;
    }
    return @d;
}

sub median {
    my @s = sort { $a <=> $b } @_;
    return undef unless @s;
    return $s[int((@s + 1) / 2) - 1];   # the ceil(n/2)-th smallest, like the module
}

sub within {
    my ($got, $want, $rel) = @_;
    return abs($got - $want) <= $rel * $want + 1;
}

# Polls $cond every 50 ms until it is true or $secs pass; returns its value.
sub wait_until(&$) {
    my ($cond, $secs) = @_;
    my $end = time + $secs;
    while (1) {
        my $v = $cond->();
        return $v if $v || time > $end;
        sleep 0.05;
    }
}

sub httpd_parent_pid {
    my $f = Apache::Test::vars('t_logs') . '/httpd.pid';
    open my $fh, '<', $f or die "$f: $!";
    chomp(my $pid = <$fh>);
    return $pid;
}

# The helper's socket of httpd parent $parent whose runtime dir is $dir:
# in a directory of root's own (common/sockdir.h).
sub helper_socket {
    my ($dir, $parent) = @_;
    return "$dir/phpbpf.$parent/sock";
}

# The ids of the BPF programs a process holds, as programs or through
# links (its fdinfo): what a test may count, rather than the machine's,
# where another server's helper may come and go.
sub bpf_prog_ids_of {
    my ($pid) = @_;
    my %ids;
    for my $fd (glob "/proc/$pid/fdinfo/*") {
        open my $fh, '<', $fd or next;
        local $/;
        my $info = <$fh> // next;
        $ids{$1} = 1 if $info =~ /^prog_id:\s+(\d+)/m;
    }
    return sort { $a <=> $b } keys %ids;
}

# The ids of the BPF maps a process holds.
sub bpf_map_ids_of {
    my ($pid) = @_;
    my %ids;
    for my $fd (glob "/proc/$pid/fdinfo/*") {
        open my $fh, '<', $fd or next;
        local $/;
        my $info = <$fh> // next;
        $ids{$1} = 1 if $info =~ /^map_id:\s+(\d+)/m;
    }
    return sort { $a <=> $b } keys %ids;
}

# How many of these program ids are still loaded.
sub bpf_progs_alive {
    my %want = map { $_ => 1 } @_;
    for (1 .. 10) {
        my $progs = eval { decode_json(`bpftool -j prog show 2>/dev/null`) };
        return scalar grep { $want{$_->{id}} } @$progs if $progs;
        sleep 0.2;
    }
    die "bpftool keeps failing";
}

# The phpbpf-helper children of an httpd parent.
sub helper_pid_of {
    my ($parent) = @_;
    for my $d (glob '/proc/[0-9]*') {
        my ($pid) = $d =~ m{(\d+)$};
        open my $fh, '<', "$d/stat" or next;
        my $stat = <$fh> // next;
        next unless $stat =~ /^\d+ \((phpbpf-helper)\) \S (\d+)/;
        return $pid if $2 == $parent;
    }
    return undef;
}

sub error_log_size {
    my $f = shift // Apache::Test::vars('t_logs') . '/error_log';
    return -s $f || 0;
}

sub error_log_since {
    my ($offset, $f) = @_;
    $f //= Apache::Test::vars('t_logs') . '/error_log';
    open my $fh, '<', $f or return '';
    seek $fh, $offset, 0;
    local $/;
    return <$fh> // '';
}

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', ReuseAddr => 1) or die "socket: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

# A second httpd, configured from scratch.  Options:
#   php => 0|1      load mod_php (default 1)
#   phpbpf => 0|1   load mod_phpbpf (default 1)
#   extra => '...'  more config lines
#   user => 'name'  start httpd as this user instead of root (no User line)
#   libphp => PATH  the mod_php file to load
#   module => PATH, helper => PATH   mod_phpbpf.so and phpbpf-helper (default: the build's)
#   vhosts => [names]   name-based vhosts on the instance's port
#   access_log => 1     "%v %P %>s \"%r\"" lines in DIR/access_log
#   mpm => 'event'      mpm_event (8 threads a child) instead of prefork
sub write_instance {
    my %o = (php => 1, phpbpf => 1, mpm => 'prefork', extra => '', libphp => '/usr/lib/apache2/modules/libphp8.2.so',
             module => "$TOP/mod_phpbpf/.libs/mod_phpbpf.so", helper => "$TOP/helper/phpbpf-helper",
             vhosts => [], @_);
    my $dir = tempdir('phpbpf-inst-XXXXXX', DIR => Apache::Test::vars('t_logs'),
                       CLEANUP => !$ENV{PHPBPF_KEEP_INSTANCES});
    chmod 0755, $dir;
    my $port = free_port();
    my $mods = '/usr/lib/apache2/modules';
    my $conf = <<"EOF";
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
LogLevel info
DefaultRuntimeDir "$dir"
LoadModule authz_core_module $mods/mod_authz_core.so
DocumentRoot "$TOP/t/htdocs"
<Directory "$TOP/t/htdocs">
    Require all granted
</Directory>
EOF
    $conf .= $o{mpm} eq 'event'
        ? "LoadModule mpm_event_module $mods/mod_mpm_event.so\nStartServers 2\nThreadsPerChild 8\n"
          . "MinSpareThreads 8\nMaxSpareThreads 32\nServerLimit 4\nMaxRequestWorkers 32\n"
        : "LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so\nStartServers 2\n"
          . "MinSpareServers 1\nMaxSpareServers 3\n";
    $conf .= "User www-data\nGroup www-data\n" unless $o{user};
    $conf .= <<"EOF" if $o{php};
LoadModule php_module $o{libphp}
<FilesMatch "\\.php\$">
    SetHandler application/x-httpd-php
</FilesMatch>
EOF
    $conf .= <<"EOF" if $o{phpbpf};
LoadModule phpbpf_module "$o{module}"
PhpBpfHelper "$o{helper}"
<Location /server-bpf>
    SetHandler server-bpf
</Location>
EOF
    $conf .= qq{LogFormat "%v %P %>s \\"%r\\"" inst\nCustomLog "$dir/access_log" inst\n}
        if $o{access_log};
    for my $v (@{ $o{vhosts} }) {
        $conf .= qq{<VirtualHost *:$port>\n    ServerName $v\n    DocumentRoot "$TOP/t/htdocs"\n</VirtualHost>\n};
    }
    $conf .= "$o{extra}\n";
    open my $fh, '>', "$dir/httpd.conf" or die $!;
    print $fh $conf;
    close $fh;
    return { dir => $dir, port => $port, conf => "$dir/httpd.conf", error_log => "$dir/error_log",
             user => $o{user} };
}

# (exit code, output, instance) of `apache2 -t` on an instance's configuration.
sub configtest {
    my $inst = write_instance(@_);
    my $out = `/usr/sbin/apache2 -t -f $inst->{conf} 2>&1`;
    return ($? >> 8, $out, $inst);
}

# Until the instance serves and its helper has settled: ?auto answers 200
# once the helper serves (so its probes are attached: it opens its socket
# after) or has failed for good, and 503 while it starts.  A test's first
# request must not run before the probes are there: on a fresh machine the
# first helper took long enough for t/66browser's one request to be
# missed.  An instance without the page (404) settles when PHP answers.
sub instance_settled {
    my ($inst) = @_;
    wait_until {
        my $s = instance_get($inst, '/server-bpf?auto')->{status};
        $s == 200 || ($s != 599 && $s != 503 && instance_get($inst, '/hello.php')->{status} == 200);
    } 15;
}

# before_start => sub { ... } runs with the instance's directory first.
sub start_instance {
    my %o = @_;
    my $before = delete $o{before_start};
    my $inst = write_instance(%o);
    my $dir = $inst->{dir};
    $before->($dir) if $before;
    my @cmd = ('/usr/sbin/apache2', '-f', $inst->{conf}, '-k', 'start');
    if ($inst->{user}) {
        system('chown', '-R', $inst->{user}, $dir) == 0 or die "chown";
        unshift @cmd, 'runuser', '-u', $inst->{user}, '--';
    }
    system(@cmd) == 0 or die "cannot start httpd: @cmd\n" . `cat $dir/error_log 2>/dev/null`;
    instance_settled($inst);
    return $inst;
}

# An instance the way a container runs httpd: in a pid namespace of its
# own, as its pid 1, in the foreground, in a session of its own (prefork
# signals its whole process group when it stops).  userns => 1 puts it in
# a user namespace too (identity-mapped, as a rootless container's root),
# where the kernel loads no BPF program.  Its PidFile holds 1: stop_instance
# signals the host pid kept here.
sub start_instance_ns {
    my %o = @_;
    my $inst = write_instance(%o);
    my ($r, $w);
    pipe($r, $w) or die "pipe: $!";
    my ($r2, $w2);
    pipe($r2, $w2) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        close $w2;
        setsid();
        if ($o{userns}) {
            # unshare(CLONE_NEWUSER); the parent, root outside, writes the maps.
            syscall(272, 0x10000000) == 0 or _exit(98);
            syswrite $w, 'u';
            sysread $r2, my $go, 1;
        }
        close $w;
        open STDOUT, '>>', "$inst->{dir}/console" or _exit(97);
        open STDERR, '>&', \*STDOUT;
        exec('unshare', '--pid', '--fork', '--mount-proc', '/usr/sbin/apache2', '-f', $inst->{conf},
             '-DFOREGROUND') or _exit(127);
    }
    close $w;
    close $r2;
    if ($o{userns}) {
        sysread $r, my $u, 1 or die "the child could not make a user namespace";
        for my $m ('uid_map', 'gid_map') {
            open my $fh, '>', "/proc/$pid/$m" or die "/proc/$pid/$m: $!";
            print $fh "0 0 65536\n";
            close $fh or die "$m: $!";
        }
        syswrite $w2, 'g';
    }
    close $r;
    close $w2;
    $inst->{unshare_pid} = $pid;
    # The host pid of httpd: unshare's child, pid 1 inside.
    $inst->{host_pid} = wait_until { my ($c) = `pgrep -P $pid` =~ /(\d+)/; $c } 10
        or die "httpd did not start in its pid namespace: " . `cat $inst->{dir}/console $inst->{error_log} 2>/dev/null`;
    instance_settled($inst);
    return $inst;
}

# php-fpm, Debian's php8.2-fpm or a copy of it (bin), in the foreground as
# the test's child, with its configuration, pid file and log in dir and
# the pools [NAME, USER, LISTEN, MORE] (LISTEN a unix socket's path, or
# 127.0.0.1:PORT; MORE, lines of the pool's own); returns the master's pid
# once every pool listens.
sub start_fpm {
    my (%o) = (bin => '/usr/sbin/php-fpm8.2', @_);
    my $d = $o{dir};
    open my $fh, '>', "$d/php-fpm.conf" or die "$d/php-fpm.conf: $!";
    print $fh "[global]\npid = $d/fpm.pid\nerror_log = $d/fpm.log\n";
    for my $p (@{ $o{pools} }) {
        my ($name, $user, $listen, $more) = @$p;
        my $group = (getgrgid((getpwnam($user))[3]))[0];
        print $fh "[$name]\nuser = $user\ngroup = $group\nlisten = $listen\n"
                . "listen.owner = www-data\nlisten.group = www-data\nlisten.mode = 0660\n"
                . "pm = static\npm.max_children = 4\n" . ($more // '');
    }
    close $fh;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>>', "$d/fpm.console";
        open STDERR, '>&', \*STDOUT;
        exec $o{bin}, '--nodaemonize', '-y', "$d/php-fpm.conf" or POSIX::_exit(127);
    }
    wait_until {
        !grep { $_->[2] =~ m{^/} ? !-S $_->[2] : !IO::Socket::INET->new(PeerAddr => $_->[2]) } @{ $o{pools} }
    } 15 or die 'php-fpm did not start: ' . `cat $d/fpm.console $d/fpm.log 2>/dev/null`;
    return $pid;
}

# MariaDB in dir, as the tests run it: its data, log and pid file there,
# its socket dir/mysqld.sock, no passwords, no binary log.
# mariadb_install: (exit code, output) of making its data directory.
sub mariadb_install {
    my ($dir) = @_;
    my $out = `mariadb-install-db --no-defaults --user=root --datadir=$dir/db --skip-test-db 2>&1`;
    return ($? >> 8, $out);
}

# mariadb_start: the server, the test's child, with more of its options
# (a port, performance_schema); its pid, for the test to stop it.
sub mariadb_start {
    my ($dir, @more) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', "$dir/mysqld.log";
        open STDERR, '>&', \*STDOUT;
        exec 'mariadbd', '--no-defaults', '--user=root', "--datadir=$dir/db", "--socket=$dir/mysqld.sock",
             '--skip-grant-tables', "--pid-file=$dir/mysqld.pid", '--skip-log-bin',
             '--innodb-buffer-pool-size=16M', @more or POSIX::_exit(127);
    }
    return $pid;
}

# Gracefully (requests in flight finish), and reaped.
sub stop_fpm {
    my ($pid) = @_;
    return unless $pid;
    kill 'QUIT', $pid;
    waitpid $pid, 0;
}

# {status, content} of a GET to an instance; headers may include Host.
# $PhpBpfTest::TIMEOUT: seconds to wait for it (local it for a long one).
our $TIMEOUT = 10;
sub instance_get {
    my ($inst, $path, %h) = @_;
    my $ua = LWP::UserAgent->new(timeout => $TIMEOUT, keep_alive => 0);
    my $res = $ua->get("http://127.0.0.1:$inst->{port}$path", %h);
    return { status => $res->code, content => $res->decoded_content // '' };
}

# A copy of an ELF64 shared object whose dynamic symbol $sym claims to be
# $size bytes: a libphp whose layout does not match the headers.
sub patch_symbol_size {
    my ($src, $dst, $sym, $size) = @_;
    open my $in, '<:raw', $src or die "$src: $!";
    my $elf = do { local $/; <$in> };
    my ($shoff) = unpack 'Q<', substr($elf, 0x28, 8);
    my ($shentsize, $shnum) = unpack 'v v', substr($elf, 0x3A, 4);
    my @sh = map { [unpack 'V V Q< Q< Q< Q< V V Q< Q<', substr($elf, $shoff + $_ * $shentsize, 64)] }
             0 .. $shnum - 1;
    my ($dynsym) = grep { $_->[1] == 11 } @sh or die "$src: no .dynsym";
    my $strtab = $sh[$dynsym->[6]];
    my $patched = 0;
    for (my $at = $dynsym->[4]; $at < $dynsym->[4] + $dynsym->[5]; $at += 24) {
        my ($name) = unpack 'V', substr($elf, $at, 4);
        my $str = substr($elf, $strtab->[4] + $name, length($sym) + 1);
        next unless $str eq "$sym\0";
        substr($elf, $at + 16, 8) = pack 'Q<', $size;
        $patched++;
    }
    die "$src: no symbol $sym" unless $patched;
    open my $out, '>:raw', $dst or die "$dst: $!";
    print $out $elf;
    close $out or die "$dst: $!";
}

sub stop_instance {
    my ($inst) = @_;
    if ($inst->{host_pid}) {          # pid 1 of its namespace: its PidFile says 1
        kill 'TERM', $inst->{host_pid};
        wait_until { waitpid($inst->{unshare_pid}, POSIX::WNOHANG()) != 0 } 10;
        kill 'KILL', $inst->{unshare_pid}, $inst->{host_pid};
        waitpid $inst->{unshare_pid}, 0;
        return;
    }
    open my $fh, '<', "$inst->{dir}/httpd.pid" or return;
    chomp(my $pid = <$fh>);
    kill 'TERM', $pid;
    wait_until { !kill 0, $pid } 10;
}

1;
