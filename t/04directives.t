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

# The table in mod_phpbpf/config.h, PHPBPF_DIRECTIVES: each X(Name, KIND,
# field, default, min, max, shown, help); macros are looked up in the
# headers it uses.
my $h = slurp("$top/mod_phpbpf/config.h");
my %define = map { /^#define (\w+) (.+?)\s*(?:\/\*.*)?$/ ? ($1 => $2) : () }
             map { split /\n/, slurp("$top/$_") } qw(mod_phpbpf/config.h common/options.h bpf/phpbpf.h);
sub value { my $v = shift; $v = $define{$v} while defined $define{$v}; $v =~ s/^"(.*)"$/$1/; $v }
(my $table = $h) =~ s/\\\n//g;
my @directives;
for ($table =~ /^#define PHPBPF_DIRECTIVES\(X\)(.*)$/m) {
    while (/X\((PhpBpf\w*),\s*(\w+),\s*\w+,\s*([^,]+),\s*[^,]+,\s*[^,]+,\s*("[^"]*"|\w+),/g) {
        push @directives, { name => $1, kind => $2, dflt => value($3), shown => value($4) };
    }
}
my $conf = slurp("$top/conf/phpbpf.conf");
my ($readme) = slurp("$top/README") =~ /\nDirectives\n-+\n(.*?)\n\S[^\n]*\n-+\n/s;
my %para = ($readme // '') =~ /^  (PhpBpf\w*)\b(.*?)(?=^  PhpBpf|\z)/msg;

plan tests => 5 * @directives + 2;
cmp_ok scalar(@directives), '>=', 16, 'the directives are found in config.h\'s table';
for my $d (@directives) {
    my ($n, $shown) = @$d{qw(name shown)};
    like $conf, qr/^\s*#\Q$n\E\b/m, "$n is in conf/phpbpf.conf, commented out";
    ok $para{$n}, "$n is in the README's Directives";
    if ($shown eq '') {
        unlike $conf, qr/^\s*#\Q$n\E\s*$/m, "$n: conf/phpbpf.conf gives an example (no default to write)";
        pass "$n: no default to write";
    } else {
        like $conf, qr/^\s*#\Q$n $shown\E\s*$/m, "conf/phpbpf.conf: #$n $shown, the table's default";
        (my $words = $para{$n} // '') =~ s/\s+/ /g;
        like $words, qr/\bdefault:? \Q$shown\E\b/i, "README: ${n}'s default is $shown";
    }
    if ($d->{kind} eq 'NUM') {
        is $shown, $d->{dflt}, "$n: the default written is the default set ($d->{dflt})";
    } elsif ($d->{kind} eq 'FLAG') {
        is $shown, $d->{dflt} ? 'On' : 'Off', "$n: the default written is the default set";
    } else {
        pass "$n: $d->{kind} is written as given";
    }
}
# Uncommented, each at the default the file gives, the file is valid.
(my $on = $conf) =~ s/^(\s*)#(PhpBpf\w*) /$1$2 /mg;
$on =~ s/^\s*PhpBpf(Library|Helper) .*$//mg;      # paths of this machine
$on =~ s{<Location.*?</Location>}{}s;              # Require local needs mod_authz_host
my ($rc, $out) = configtest(extra => $on);
is $rc, 0, 'conf/phpbpf.conf with every directive set to its default passes configtest' or diag $out;
