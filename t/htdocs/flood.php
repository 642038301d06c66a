<?php
// Many distinct exception classes and error messages, to fill the tables.
$n = (int)($_GET['n'] ?? 1000);
for ($i = 0; $i < $n; $i++) {
    eval("class FloodException$i extends Exception {}");
    $c = "FloodException$i";
    try { throw new $c("x"); } catch (Exception $e) {}
    trigger_error("flood message $i", E_USER_NOTICE);
}
echo "flooded $n";
