# Every directive the module knows is in conf/phpbpf.conf (installed as
# mods-available/phpbpf.conf, commented out with its default) and in the
# README's Directives section, and the shipped file passes configtest with
# every one of them uncommented.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use PhpBpfTest;

my $top = topdir();
sub slurp { open my $fh, '<', $_[0] or die "$_[0]: $!"; local $/; <$fh> }
my @directives = slurp("$top/mod_phpbpf/config.c") =~ /AP_INIT_\w+\("(\w+)"/g;
my $conf = slurp("$top/conf/phpbpf.conf");
my ($readme) = slurp("$top/README") =~ /\nDirectives\n-+\n(.*?)\n\S[^\n]*\n-+\n/s;

plan tests => 2 * @directives + 2;
cmp_ok scalar(@directives), '>=', 14, 'the directives are found in config.c';
for my $d (@directives) {
    like $conf, qr/^\s*#\Q$d\E\b/m, "$d is in conf/phpbpf.conf, commented out";
    like $readme // '', qr/^  \Q$d\E\b/m, "$d is in the README's Directives";
}
# Uncommented, each at the default the file gives, the file is valid.
(my $on = $conf) =~ s/^(\s*)#(PhpBpf\w*) /$1$2 /mg;
$on =~ s/^\s*PhpBpf(Library|Helper) .*$//mg;      # paths of this machine
$on =~ s{<Location.*?</Location>}{}s;              # Require local needs mod_authz_host
my ($rc, $out) = configtest(extra => $on);
is $rc, 0, 'conf/phpbpf.conf with every directive set to its default passes configtest' or diag $out;
