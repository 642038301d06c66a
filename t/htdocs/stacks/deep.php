<?php
// Recursion 500 deep, then a sleep at the bottom, and some spinning there
// for the sampler.
function down($n) {
    if ($n > 0)
        return down($n - 1);
    $end = microtime(true) + 0.15;
    $x = 0;
    while (microtime(true) < $end) { for ($i = 0; $i < 100000; $i++) { $x += $i; } }
    usleep(300000);
    return $x;
}
echo down(500) > 0 ? "deep" : "?";
