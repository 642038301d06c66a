# Each way tracing can be unavailable gives one clear error_log line, a
# banner with the reason, and an Apache that keeps serving PHP.  Each case
# runs in an httpd of its own, configured for it.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use JSON::PP qw(decode_json);
use Time::HiRes qw(sleep);
use PhpBpfTest;

# A library that is not PHP: no USDT notes, and none of the functions
# (a libphp without notes is traced through its functions: t/69nousdt.t).
my @cases = (
    [ 'a library that is not PHP', { extra => "PhpBpfLibrary /usr/lib/apache2/modules/mod_status.so" },
      qr/has neither php:request__startup\/shutdown USDT probes nor\s+php_request_startup\/shutdown/ ],
    [ 'mod_php not loaded', { php => 0 }, qr/neither mod_php nor a php-fpm pool \(mod_proxy_fcgi\) is configured; nothing to trace/ ],
    [ 'httpd started without root', { user => 'www-data' }, qr/not started as root/ ],
);

plan tests => 7 * @cases;

for my $c (@cases) {
    my ($name, $opts, $why) = @$c;
    my $inst = start_instance(%$opts);
    # A helper that fails at startup is known as such once httpd has reaped
    # it; until then the page says 503, the helper is starting.
    my $j = wait_until {
        my $r = instance_get($inst, '/server-bpf?json');
        my $p = eval { decode_json($r->{content}) };
        $r->{status} == 200 && $p && $p->{tracing}{state} eq 'unavailable' ? $p : undef;
    } 10;
    is $j && $j->{tracing}{state}, 'unavailable', "$name: tracing unavailable";
    like $j && $j->{tracing}{reason}, $why, "$name: the reason says why";
    my $html = instance_get($inst, '/server-bpf');
    is $html->{status}, 200, "$name: the page answers 200";
    like $html->{content}, qr/Tracing: unavailable<\/b> &mdash; [^<]*/, "$name: the banner shows it";
    if ($opts->{php} // 1) {
        my $r = instance_get($inst, '/hello.php');
        is "$r->{status} $r->{content}", '200 hello', "$name: PHP is still served";
    }
    else {
        is instance_get($inst, '/hello.php')->{status}, 200, "$name: the server still serves";
    }
    sleep 1.5;   # long enough for a wrongly respawned helper to log again
    my $log = error_log_since(0, $inst->{error_log});
    my @lines = grep { /$why/ } split /\n/, $log;
    cmp_ok scalar(@lines), '>=', 1, "$name: the error_log says so";
    ok !($log =~ /restarting it/), "$name: no respawn loop";
    stop_instance($inst);
}
