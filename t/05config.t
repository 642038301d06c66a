# Bad directive values fail `apachectl configtest` with a message naming
# the directive; a good configuration passes, and -t starts no helper.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Apache::Test ();
use PhpBpfTest;

my $long = 'x' x 120;
my @bad = (
    [ 'PhpBpf maybe',                  qr/PhpBpf must be On or Off/ ],
    [ 'PhpBpfLibrary libphp.so',       qr/PhpBpfLibrary: 'libphp.so' is not an absolute path/ ],
    [ 'PhpBpfLibrary /nonexistent.so', qr/PhpBpfLibrary: '\/nonexistent.so' is not a readable file/ ],
    [ 'PhpBpfHelper /nonexistent',     qr/PhpBpfHelper: '\/nonexistent' is not an executable file/ ],
    [ "PhpBpfSocket $long",            qr/PhpBpfSocket: .* too long/ ],
    [ 'PhpBpfMaxVhosts 1',             qr/PhpBpfMaxVhosts: .1. is not a number from 2 to 4096/ ],
    [ 'PhpBpfMaxVhosts lots',          qr/PhpBpfMaxVhosts: 'lots' is not a number/ ],
    [ "<VirtualHost *:80>\n PhpBpf Off\n</VirtualHost>", qr/PhpBpf cannot occur within <?VirtualHost/i ],
    [ 'PhpBpfFpm http://127.0.0.1:9000/', qr{PhpBpfFpm http://127\.0\.0\.1:9000/: not a FastCGI \(fcgi://\) backend} ],
    [ 'PhpBpfFpm unix:run/php.sock',    qr{PhpBpfFpm unix:run/php\.sock: a unix socket's path must be absolute} ],
);

plan tests => 2 * @bad + 3;

for my $b (@bad) {
    my ($line, $why) = @$b;
    my ($rc, $out) = configtest(extra => $line);
    isnt $rc, 0, "configtest fails for: $line";
    like $out, $why, "... and says why";
}

my ($rc, $out, $inst) = configtest(extra => "PhpBpf On\nPhpBpfMaxVhosts 64\nPhpBpfSocket run/phpbpf");
is $rc, 0, 'a good configuration passes';
like $out, qr/Syntax OK/, '... with "Syntax OK"';
# Helpers of this configuration only (their socket is under its runtime
# dir): another server's may come and go meanwhile.
my @mine = grep { `cat /proc/$_/cmdline 2>/dev/null` =~ /\Q$inst->{dir}\E/ } split ' ', `pgrep -x phpbpf-helper`;
is scalar(@mine), 0, 'configtest started no helper';
