<?php
// 300 ms of CPU-bound PHP.
$end = microtime(true) + 0.3;
$x = 0;
while (microtime(true) < $end) { for ($i = 0; $i < 100000; $i++) { $x += $i; } }
echo $x > 0 ? "spun" : "?";
