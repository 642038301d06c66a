# Every C string in the module's sources is a format for APR's formatter
# or none (the module prints only through apr_snprintf, apr_psprintf,
# ap_log_*error, ap_rprintf and wrappers of apr_vformatter).  APR knows no
# %ll, %hh, %z, %j, %t or %L: on Debian 12's libapr 1.7.2 "%llx" prints the
# text "%lx" and leaves its argument to the next conversion.  64-bit values
# take APR_UINT64_T_FMT / APR_UINT64_T_HEX_FMT / APR_INT64_T_FMT, sizes
# APR_SIZE_T_FMT.  The helper (libc's printf) is not checked.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use PhpBpfTest qw(topdir);

# What httpd runs: mod_phpbpf/ and what it shares with the helper,
# common/.  The helper's own files (helper/) are built into it alone.
my @files = map { glob(topdir() . "/$_/*.[ch]") } 'mod_phpbpf', 'common';
plan tests => scalar(@files) + 1;
cmp_ok scalar(@files), '>=', 8, 'the module sources are found';

for my $f (@files) {
    open my $fh, '<', $f or die "$f: $!";
    my $src = do { local $/; <$fh> };
    # Comments out (they may quote the very formats that are wrong), then
    # each string literal, with its line.
    $src =~ s{/\*.*?\*/}{my $c = $&; $c =~ tr/\n//cd; $c}gse;
    $src =~ s{//[^\n]*}{}g;
    my @bad;
    while ($src =~ /"((?:[^"\\\n]|\\.)*)"/g) {
        my ($lit, $at) = ($1, $-[0]);
        my $line = 1 + (substr($src, 0, $at) =~ tr/\n//);
        while ($lit =~ /%[-+ #0']*(?:\d+|\*)?(?:\.(?:\d+|\*))?(ll|hh|z|j|t|L)[a-zA-Z]/g) {
            push @bad, "line $line: \"$lit\"";
        }
    }
    my $name = $f =~ s{.*/}{}r;
    ok !@bad, "$name: no C99 length modifier APR does not know" or diag join "\n", @bad;
}
