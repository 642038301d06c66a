<?php
// Many distinct exception classes, error messages and (with ?files=1)
// script files, to fill every bounded table.
$n = (int)($_GET['n'] ?? 1000);
$dir = null;
if (!empty($_GET['files'])) {
    $dir = sys_get_temp_dir() . '/phpbpf-flood-' . getmypid();
    @mkdir($dir);
}
for ($i = 0; $i < $n; $i++) {
    eval("class FloodException$i extends Exception {}");
    $c = "FloodException$i";
    try { throw new $c("x"); } catch (Exception $e) {}
    trigger_error("flood message $i", E_USER_NOTICE);
    if ($dir) {
        file_put_contents("$dir/f$i.php", "<?php return $i;");
        include "$dir/f$i.php";
        unlink("$dir/f$i.php");
    }
}
if ($dir) rmdir($dir);
echo "flooded $n";
