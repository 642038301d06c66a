# The helper's socket in a runtime directory that Apache's User can write
# (the official php:*-apache images make theirs mode 777): a watcher
# running as the User swaps symlinks to a file of root's in for every
# name that appears there, and plants one where the socket's directory
# goes, while the helper is spawned 30 times.  The file stays as it was,
# and the page answers after every spawn.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use POSIX qw(_exit setgid setuid);
use Time::HiRes qw(sleep);
use PhpBpfTest;

my $SPAWNS = 30;
plan tests => 7 + $SPAWNS;

my ($uid, $gid) = (getpwnam('www-data'))[2, 3];
# The runtime dir apart from httpd's own files: httpd writes its pid file
# by path too (ap_log_pid chmods a temporary file by name), and in a
# directory the User can write a watcher turns that on the victim as well,
# with or without this module.  Keep PidFile out of such a directory.
my $inst = start_instance(extra => "IncludeOptional conf.d/*.conf\nDefaultRuntimeDir run\n",
                          before_start => sub { mkdir "$_[0]/run" or die "mkdir: $!" });
my $top_dir = $inst->{dir};
my $dir = "$top_dir/run";
mkdir "$top_dir/conf.d";
my $victim = "$dir/victim";
sub plant_victim { open my $fh, '>', $victim or die; print $fh "root's secret\n"; close $fh; chmod 0600, $victim; chown 0, 0, $victim }
plant_victim();
chown $uid, $gid, $dir or die "chown: $!";
chmod 0777, $dir or die "chmod: $!";

my $parent = do { open my $fh, '<', "$top_dir/httpd.pid" or die; local $/; <$fh> + 0 };
my $name = "phpbpf.$parent";
sub json { my $r = instance_get($inst, '/server-bpf?json'); my $j = eval { decode_json($r->{content}) }; ($j, $r) }

# The attacker: inotify on the runtime dir (inotify_init1 294 and
# inotify_add_watch 254 on x86_64), as the User.  For every name created
# or moved there it renames a fresh symlink to the victim over it, and
# over the socket's path inside it; the helper's directory itself it
# moves away and replaces with a symlink, whenever it is told to (USR1).
pipe(my $ready_r, my $ready_w) or die;
my $watcher = fork // die;
if (!$watcher) {
    close $ready_r;
    setgid($gid) && setuid($uid) or _exit(90);
    my $fd = syscall(294, 0);
    _exit(91) if $fd < 0;
    my $wd = syscall(254, $fd, $dir, 0x100 | 0x80);   # IN_CREATE | IN_MOVED_TO
    _exit(92) if $wd < 0;
    open my $in, '<&=', $fd or _exit(93);
    my ($k, $takeover) = (0, 0);
    local $SIG{USR1} = sub { $takeover = 1 };
    syswrite $ready_w, 'r';
    while (1) {
        if ($takeover) {
            $takeover = 0;
            rename "$dir/$name", "$dir/$name.taken." . $k++;
            symlink $victim, "$dir/$name";
        }
        my $n = sysread $in, my $buf, 65536;
        next unless $n;
        while (length $buf >= 16) {
            my ($w, $mask, $cookie, $len) = unpack 'l L L L', $buf;
            my $file = unpack 'Z*', substr($buf, 16, $len);
            $buf = substr($buf, 16 + $len);
            next if $file =~ /^\.swap/ || $file =~ /\.taken\.|\.stale\./;
            for my $target ("$dir/$file", "$dir/$file/sock") {
                my $tmp = "$dir/.swap" . $k++;
                symlink $victim, $tmp;
                rename $tmp, $target or unlink $tmp;
            }
        }
    }
}
close $ready_w;
END { kill 'KILL', $watcher if $watcher; stop_instance($inst) if $inst && $parent && kill 0, $parent }
sysread $ready_r, my $r, 1 or die 'the watcher did not start';

my ($j0) = wait_until { my ($j) = json(); $j && $j->{tracing}{state} eq 'active' ? $j : undef } 10;
my $helper = $j0->{tracing}{helper_pid};
my $swaps = 0;
for my $i (1 .. $SPAWNS) {
    # A graceful that changes a directive spawns a new helper.
    open my $fh, '>', "$top_dir/conf.d/toggle.conf" or die;
    print $fh 'PhpBpfSlowThreshold ' . (100 + $i) . "ms\n";
    close $fh;
    # Every third time the attacker has the name ready beforehand.
    if ($i % 3 == 0) {
        kill 'USR1', $watcher;
        wait_until { -l "$dir/$name" } 2;
        $swaps++;
    }
    kill 'USR1', $parent;
    my $got = wait_until {
        my ($p, $r) = json();
        $p && $p->{tracing}{state} eq 'active' && ($p->{tracing}{helper_pid} // 0) != $helper
            && $r->{status} == 200 ? [$p, $r] : undef;
    } 15;
    my ($j, $res) = $got ? @$got : (undef, { status => 0 });
    ok $j && $res->{status} == 200,
        "spawn $i: the page answers 200 from the new helper" . ($i % 3 == 0 ? ' (a symlink was waiting at the name)' : '');
    $helper = $j ? $j->{tracing}{helper_pid} : $helper;
}
kill 'KILL', $watcher;
waitpid $watcher, 0;

my @v = stat $victim;
is "$v[4]:$v[5]", '0:0', 'the victim file is still root\'s';
is sprintf('%o', $v[2] & 07777), '600', 'and still mode 0600';
is do { open my $fh, '<', $victim; local $/; <$fh> }, "root's secret\n", 'and unchanged';
my @d = lstat "$dir/$name";
ok -d _ && $d[4] == 0 && ($d[2] & 07777) == 0711, 'the socket is in a directory of root\'s, mode 0711';
my @s = lstat "$dir/$name/sock";
ok -S _ && $s[4] == $uid && ($s[2] & 07777) == 0600, 'the socket is the User\'s, mode 0600';
my @stale = glob "$dir/$name.stale.*";
# At least one for each planted beforehand; more when the watcher swapped
# a symlink in again while the helper was making its directory (it then
# moves that aside too, and tries again).
my @links = grep { -l $_ && readlink($_) eq $victim } @stale;
ok @stale >= $swaps && @links == @stale,
   scalar(@stale) . " symlinks to the victim (at least the $swaps planted) were moved aside, untouched"
    or diag join "\n", map { "$_ -> " . (readlink($_) // 'not a link') } glob "$dir/*";
is instance_get($inst, '/hello.php')->{content}, 'hello', 'PHP is served';
stop_instance($inst);
