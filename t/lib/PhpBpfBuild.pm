package PhpBpfBuild;
# A copy of the tree built apart, with extra -D flags (PHPBPF_DEFS) for the
# module, the helper and the BPF object: apxs writes its objects beside the
# sources, so a build in place would overwrite the tree's own.  The suite
# upgrades a running server to one; the bench runs one as a baseline.
use strict;
use warnings;
use Exporter 'import';
use File::Copy qw(copy);
use File::Path qw(make_path);
use File::Temp qw(tempdir);

our @EXPORT = qw(build_copy);

# { module, helper } of a build of $top's sources under a new directory in $in.
sub build_copy {
    my ($top, $in, $defs) = @_;
    my $tree = tempdir('phpbpf-build-XXXXXX', DIR => $in, CLEANUP => 1);
    for my $d (qw(mod_phpbpf helper common bpf tools)) {
        make_path("$tree/$d");
        copy($_, "$tree/$d/") or die "copy $_: $!" for glob "$top/$d/*.[ch]";
    }
    copy("$top/Makefile.apxs", $tree) or die "copy Makefile.apxs: $!";
    my $out = `make -C $tree -f Makefile.apxs PHPBPF_DEFS='$defs' mod_phpbpf/.libs/mod_phpbpf.so helper/phpbpf-helper 2>&1`;
    $? == 0 or die "build with '$defs' failed:\n$out";
    return { module => "$tree/mod_phpbpf/.libs/mod_phpbpf.so", helper => "$tree/helper/phpbpf-helper" };
}

1;
